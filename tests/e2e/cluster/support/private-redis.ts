// A private `redis-server` for one test file, on a port of its own (never the shared 6379), with
// nothing kept on disk: it can be killed and started again on the same port like a Redis outage.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Child, freePort, spawnChild } from "./child.js";

/** A running private Redis. */
export interface PrivateRedis {
  readonly port: number;
  /** `redis://127.0.0.1:PORT` */
  readonly url: string;
  /** SIGKILL: every connection drops, every key is gone. */
  kill(): Promise<void>;
  /** Starts it again on the same port (empty). */
  start(): Promise<void>;
  /** Kills it and removes its directory. */
  destroy(): Promise<void>;
}

/** Starts a private Redis on a free port. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "parley-cluster-redis-"));
  let child: Child | undefined;
  const start = async () => {
    child = spawnChild(`redis:${port}`, "redis-server", [
      "--port",
      String(port),
      "--bind",
      "127.0.0.1",
      "--save",
      "",
      "--appendonly",
      "no",
      "--dir",
      dir,
    ]);
    await child.waitFor(/Ready to accept connections/, 10_000);
  };
  const kill = async () => {
    await child?.stop("SIGKILL");
  };
  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    destroy: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
