/**
 * Opens the cluster bus `--bus` names: none for a single node, Redis for
 * `redis://[user:password@]host:port[/db][?prefix=name:]` (`rediss://` for TLS). The prefix
 * (default `parley:`) names the channel and keys, so clusters can share a Redis server. A node
 * whose Redis does not answer at start still starts (degraded, polling the store) and joins
 * the bus when Redis comes up; `/healthz` says so meanwhile.
 */

import type { Logger } from "pino";
import { redactUrl } from "../store/open-store.js";
import type { Bus } from "./bus.js";
import { DEFAULT_BUS_PREFIX, RedisBus } from "./redis-bus.js";

/** How long start-up waits for the bus before going on without it. */
const STARTUP_WAIT_MS = 3000;

/** Opens the bus of `busUrl` (undefined: a single node, no bus). Throws RangeError for a URL it cannot use. */
export async function openBus(busUrl: string | undefined, nodeId: string, log: Logger): Promise<Bus | undefined> {
  if (busUrl === undefined) return undefined;
  const { url, prefix } = parseBusUrl(busUrl);
  const bus = new RedisBus({ url, prefix, nodeId, log });
  try {
    await bus.ready(STARTUP_WAIT_MS);
    log.info({ bus: redactUrl(url), node: nodeId, prefix }, "bus connected");
  } catch {
    log.warn(
      { bus: redactUrl(url), node: nodeId },
      "bus not reachable yet: serving this node's connections, polling the store until it is",
    );
  }
  return bus;
}

/** Splits `--bus` into the Redis URL and the key prefix; RangeError for anything but redis(s)://. */
export function parseBusUrl(busUrl: string): { url: string; prefix: string } {
  let parsed: URL;
  try {
    parsed = new URL(busUrl);
  } catch {
    throw new RangeError(`--bus "${redactUrl(busUrl)}" is not a URL`);
  }
  if (parsed.protocol !== "redis:" && parsed.protocol !== "rediss:") {
    throw new RangeError(`--bus "${redactUrl(busUrl)}" is not supported (expected redis://host:port)`);
  }
  const prefix = parsed.searchParams.get("prefix") ?? DEFAULT_BUS_PREFIX;
  if (prefix.length === 0 || prefix.length > 100) throw new RangeError("--bus prefix must be 1 to 100 characters");
  parsed.search = "";
  return { url: parsed.toString(), prefix };
}
