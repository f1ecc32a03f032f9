/**
 * Runs a relay process from a config: opens the store, blob storage and bus it names (SQLite and
 * a blob directory in the data directory, no bus, by default), listens
 * (trying the next ports when the default one is taken), prints the URL, sweeps periodically,
 * and on SIGTERM/SIGINT drains and exits.
 *
 * Drain (what a rolling restart of a cluster relies on): refuse new connections and work, and
 * `/healthz` answers 503 "draining" so the balancer stops sending new clients; finish the
 * pending commits (every `sent` answered is durable); close live connections with GoingAway
 * spread over DRAIN_CLOSE_SPREAD_MS (at most a quarter of `--drain-timeout`; at once for a
 * single node, which has nowhere to send them) so clients reconnect through the balancer to
 * other nodes without a stampede; stop listening; wait at most
 * `--drain-timeout` for in-flight HTTP requests (uploads, downloads), then cut the rest, close
 * the bus and the store and exit. Unacknowledged deliveries are sent again on the device's
 * next connection, so nothing acknowledged is lost.
 */

import { mkdirSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { resolve } from "node:path";
import { canonicalRelayId } from "@parley/protocol/wire";
import { pino } from "pino";
import { openBlobs } from "./blobs/open-blobs.js";
import { openBus } from "./cluster/open-bus.js";
import { DEFAULT_PORT, type RelayConfig } from "./config.js";
import { createRelay } from "./relay.js";
import { listenAdmin } from "./server/admin-server.js";
import { listen, type RelayServer } from "./server/server.js";
import { bundledWebClient } from "./server/web-client.js";
import { openStore } from "./store/open-store.js";

/** A running relay process. */
export interface RunningRelay {
  /** The relay's origin (its relay id): `--public-url`'s origin, else `http(s)://localhost:PORT`. */
  readonly url: string;
  /** The WebSocket URL clients dial: `url` with ws/wss for http/https. */
  readonly wsUrl: string;
  readonly port: number;
  /** The admin listener's metrics URL, when `--metrics-port` is set. */
  readonly metricsUrl: string | undefined;
  /** The directory the web client is served from at `/`, if any. */
  readonly webClientDir: string | undefined;
  /** Graceful stop (what SIGTERM does). */
  stop(): Promise<void>;
}

/** Starts the relay described by `config`. */
export async function runRelay(config: RelayConfig): Promise<RunningRelay> {
  const log = pino({ level: config.logLevel, base: { service: "parley-relay" } });
  const dataDir = resolve(config.dataDir);
  mkdirSync(dataDir, { recursive: true });
  const nodeId = config.nodeId ?? `${hostname()}-${process.pid}`;
  const store = await openStore(config.storeUrl, dataDir, log);
  const blobs = await openBlobs(config.blobsUrl, dataDir, log);
  const bus = await openBus(config.busUrl, nodeId, log);
  const scheme = config.tlsCert ? "https" : "http";
  const tls = config.tlsCert && config.tlsKey ? { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } : undefined;

  // The relay id needs the port, and the port may only be known after listening: resolve the
  // id lazily through a holder that is filled in before the first connection is accepted.
  // Canonical form (spec/relay.md §3.1), so every spelling clients may dial compares equal.
  const holder = { relayId: config.publicUrl ? canonicalRelayId(config.publicUrl) : "" };
  const relay = await createRelay({
    store,
    blobs,
    relayId: "",
    limits: config.limits,
    logger: log,
    defaultMetrics: true,
    bus,
    ice: config.ice,
    push: { allowLoopback: config.allowLoopbackPush, ...(config.pushSubject ? { subject: config.pushSubject } : {}) },
  });
  Object.defineProperty(relay.context, "relayId", { get: () => holder.relayId });

  const webClientDir = config.noWeb ? undefined : (config.staticDir ?? bundledWebClient());
  let server: RelayServer | undefined;
  const candidates =
    config.portExplicit || config.port !== DEFAULT_PORT ? [config.port] : [...Array.from({ length: 10 }, (_, i) => DEFAULT_PORT + i), 0];
  for (const port of candidates) {
    try {
      server = await listen(relay, {
        port,
        host: config.host,
        tls,
        trustProxy: config.trustProxy,
        staticDir: webClientDir,
        metricsToken: config.metricsToken,
        serveMetrics: config.metricsPort === undefined,
      });
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EADDRINUSE" || port === candidates[candidates.length - 1]) throw error;
    }
  }
  if (!server) throw new Error("could not listen");
  const running = server;
  if (!holder.relayId) holder.relayId = canonicalRelayId(`${scheme}://${listenHostForId(config.host)}:${running.port}`);
  const url = holder.relayId;

  const admin =
    config.metricsPort === undefined
      ? undefined
      : await listenAdmin(relay, { port: config.metricsPort, host: config.metricsHost, metricsToken: config.metricsToken });
  const adminHost = config.metricsHost.includes(":") ? `[${config.metricsHost}]` : config.metricsHost;

  const sweep = setInterval(() => {
    relay.sweep().catch((error: unknown) => log.error({ err: { message: (error as Error)?.message } }, "sweep failed"));
  }, config.sweepIntervalMs);
  sweep.unref();
  relay.sweep().catch(() => {});

  log.info({ port: running.port, host: config.host, tls: tls !== undefined }, "listening");
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      log.info("shutting down: no new connections, draining");
      clearInterval(sweep);
      // The listener stays open while connections are closed, so health checks see "draining"
      // (upgrades and new work are refused meanwhile); then it stops taking connections.
      // Spreading the closes only helps when there are other nodes to move to (a bus).
      const closeSpreadMs = bus ? Math.min(DRAIN_CLOSE_SPREAD_MS, config.drainTimeoutMs / 4) : 0;
      await relay.drain({ closeSpreadMs });
      const closed = running.stopAccepting();
      const timedOut = await settleWithin(closed, config.drainTimeoutMs);
      if (timedOut) {
        log.warn({ drainTimeoutMs: config.drainTimeoutMs }, "drain timeout: closing the connections still open");
        running.server.closeAllConnections();
      }
      await relay.shutdown();
      await admin?.close();
      log.info("stopped");
    })();
    return stopping;
  };
  const metricsUrl = admin ? `http://${adminHost}:${admin.port}/metrics` : undefined;
  return { url, wsUrl: url.replace(/^http/, "ws"), port: running.port, metricsUrl, webClientDir, stop };
}

/** Most time over which live connections are closed on drain (clients reconnect elsewhere gradually). */
const DRAIN_CLOSE_SPREAD_MS = 2000;

/** Waits for `done` at most `ms`; true when the time ran out first. */
async function settleWithin(done: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  const result = await Promise.race([done.then(() => false), timeout]);
  clearTimeout(timer);
  return result;
}

/** The host part of the default relay id: the listen address, or `localhost` for a wildcard or loopback one. */
function listenHostForId(host: string): string {
  if (host === "" || host === "0.0.0.0" || host === "::" || host === "[::]") return "localhost";
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
