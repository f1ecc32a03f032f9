// Cluster test fixture: relay nodes in this process that share ONE on-disk SQLite store (two
// connections in WAL mode, as two processes would) and each have their own RedisBus, listening
// on 127.0.0.1 for real WebSocket clients. Also: a check that Redis answers (skip locally, fail
// in CI), a private redis-server child for outage tests, and polling helpers.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { pino } from "pino";
import { RedisBus } from "../src/cluster/redis-bus.js";
import type { Limits } from "../src/limits.js";
import { createRelay, type PushOptions, type Relay } from "../src/relay.js";
import { listen, type RelayServer } from "../src/server/server.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import { deps } from "./identities.js";

export const SHARED_REDIS = "redis://127.0.0.1:6379";

/** Why Redis tests cannot run here, or undefined when `url` answers. Throws in CI (tests must run there). */
export async function redisUnavailable(url = SHARED_REDIS): Promise<string | undefined> {
  const failure = await pingRedis(url);
  if (failure === undefined) return undefined;
  const reason = `Redis at ${url} does not answer (${failure})`;
  if (process.env.CI) throw new Error(`${reason}: cluster tests must run in CI`);
  return reason;
}

/** One relay node. */
export interface ClusterNodeHandle {
  readonly relay: Relay;
  readonly server: RelayServer;
  readonly bus: RedisBus;
  readonly url: string;
  readonly httpUrl: string;
  stop(): Promise<void>;
}

/** Nodes sharing a store file and a bus (Redis `redisUrl`, key prefix random per cluster). */
export interface TestCluster {
  readonly nodes: ClusterNodeHandle[];
  readonly prefix: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Starts `count` nodes. All use one relay id, as nodes behind one balancer do. */
export async function startCluster(
  count: number,
  options: { limits?: Partial<Limits>; redisUrl?: string; push?: PushOptions } = {},
): Promise<TestCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), "parley-cluster-"));
  const prefix = `parley-test-${randomBytes(6).toString("hex")}:`;
  const redisUrl = options.redisUrl ?? SHARED_REDIS;
  const relayId = "http://relay.cluster.test";
  const nodes: ClusterNodeHandle[] = [];
  for (let i = 0; i < count; i++) {
    const logger = pino({ level: "warn" }, pino.destination({ dest: join(dataDir, `node-${i}.log`), sync: true }));
    const bus = new RedisBus({ url: redisUrl, prefix, nodeId: `node-${i}`, log: logger });
    await bus.ready(5000);
    const relay = await createRelay({
      store: openSqliteStore(join(dataDir, "relay.sqlite")),
      blobDir: join(dataDir, `blobs-${i}`),
      relayId,
      limits: options.limits ?? {},
      deps,
      logger,
      bus,
      ...(options.push ? { push: options.push } : {}),
    });
    const server = await listen(relay, { port: 0, host: "127.0.0.1" });
    let stopped: Promise<void> | undefined;
    nodes.push({
      relay,
      server,
      bus,
      url: `ws://127.0.0.1:${server.port}/`,
      httpUrl: `http://127.0.0.1:${server.port}`,
      stop() {
        stopped ??= (async () => {
          const closed = server.stopAccepting();
          await relay.shutdown();
          await closed;
        })();
        return stopped;
      },
    });
  }
  return {
    nodes,
    prefix,
    dataDir,
    async stop() {
      await Promise.all(nodes.map((n) => n.stop()));
      const cleanup = new Redis(redisUrl, { maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: true });
      cleanup.on("error", () => {});
      await cleanup.del(`${prefix}generations`).catch(() => {});
      cleanup.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

/** A private redis-server (nothing saved) on `port`; resolves once it answers. */
export async function startPrivateRedis(port: number): Promise<ChildProcess> {
  const child = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"],
    {
      stdio: "ignore",
    },
  );
  await waitFor(async () => (await pingRedis(`redis://127.0.0.1:${port}`)) === undefined, 5000, "private redis-server to start");
  return child;
}

/** Kills a child process and waits for it to exit (bounded). */
export async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}

/** Undefined when Redis at `url` answers a PING, else why not. */
async function pingRedis(url: string): Promise<string | undefined> {
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => {});
  try {
    await probe.connect();
    await probe.ping();
    return undefined;
  } catch (error) {
    return (error as Error).message;
  } finally {
    probe.disconnect();
  }
}

/** Polls `check` every 20 ms until true; throws after `timeoutMs`. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** `GET /healthz`: status code and body. */
export async function health(httpUrl: string): Promise<{ code: number; body: Record<string, unknown> }> {
  const response = await fetch(`${httpUrl}/healthz`);
  return { code: response.status, body: (await response.json()) as Record<string, unknown> };
}
