/**
 * FileStore under real process crashes: a child process (file-store.crash-child.mjs, running the
 * built dist) writes batches with several in flight and is SIGKILLed at a random point, mid
 * group commit or mid compaction. After each kill the store must open cleanly (taking over the
 * dead child's lock), hold every acknowledged batch, and hold a prefix of the issued batches with
 * each batch entirely present or entirely absent. And a write failing part-way (a file-size
 * limit in a child, file-store.io-child.mjs) closes the store without losing acknowledged data.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, beforeAll, expect, it } from "vitest";
import { FileStore } from "./file-store.js";

const here = dirname(fileURLToPath(import.meta.url));
const packageRoot = join(here, "../../..");
const builtStore = join(packageRoot, "dist/client/store/file-store.js");
const child = join(here, "file-store.crash-child.mjs");
const ioChild = join(here, "file-store.io-child.mjs");
/** Kill-and-check rounds; raise with PARLEY_CRASH_ROUNDS for a soak run. */
const ROUNDS = Number(process.env.PARLEY_CRASH_ROUNDS ?? 4);

/** True when dist holds a build of every store source no older than the source. */
function distIsFresh(): boolean {
  return readdirSync(here)
    .filter((name) => name.endsWith(".ts") && !name.endsWith(".test.ts"))
    .every((name) => {
      const built = join(packageRoot, "dist/client/store", name.replace(/\.ts$/, ".js"));
      return existsSync(built) && statSync(built).mtimeMs >= statSync(join(here, name)).mtimeMs;
    });
}

let dir: string;
beforeAll(async () => {
  // `npm test` builds first; a bare `vitest run` may find no dist, or a stale one.
  if (!distIsFresh())
    spawnSync(process.execPath, [join(packageRoot, "../../node_modules/typescript/bin/tsc"), "-b", packageRoot], { stdio: "inherit" });
  expect(existsSync(builtStore), "packages/protocol/dist must build for the crash test").toBe(true);
  dir = await mkdtemp(join(tmpdir(), "parley-crash-"));
}, 120_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child from batch `first` and SIGKILLs it once `killAfter` acks arrived; resolves with the acked numbers. */
function runUntilKilled(first: number, killAfter: number): Promise<{ acked: number[]; compactions: number }> {
  return new Promise((resolve, reject) => {
    const proc: ChildProcess = spawn(process.execPath, [child, pathToFileURL(builtStore).href, dir, String(first)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    const acked: number[] = [];
    let compactions = 0;
    let buffered = "";
    let stderr = "";
    proc.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    proc.stdout?.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [word, n, c] = line.split(" ");
        if (word !== "ack") continue;
        acked.push(Number(n));
        compactions = Math.max(compactions, Number(c));
        if (acked.length === killAfter) proc.kill("SIGKILL");
      }
    });
    proc.on("error", reject);
    proc.on("exit", (code, signal) => {
      if (signal === "SIGKILL") resolve({ acked, compactions });
      else reject(new Error(`crash child exited by itself (code ${code}): ${stderr}`));
    });
  });
}

it(
  "keeps every acknowledged batch, and whole batches only, across SIGKILLs mid-write and mid-compaction",
  async () => {
    let next = 0;
    let everAcked = 0;
    let compacted = false;
    for (let round = 0; round < ROUNDS; round++) {
      const { acked, compactions } = await runUntilKilled(next, 50 + Math.floor(Math.random() * 400));
      compacted ||= compactions > 0;
      everAcked += acked.length;

      const store = await FileStore.open(dir, { passphrase: "crash test" });
      const lastBytes = await store.get("meta", "last");
      expect(lastBytes).toBeDefined();
      const last = new Float64Array(new Uint8Array(lastBytes as Uint8Array).buffer)[0] as number;
      // Every ack of this round is durable.
      expect(last).toBeGreaterThanOrEqual(Math.max(...acked));
      // The surviving batches are exactly 0..last, each with both of its puts.
      const expected = Array.from({ length: last + 1 }, (_, n) => [String(n), new Uint8Array(64).fill(n % 251)]).sort((x, y) =>
        (x[0] as string) < (y[0] as string) ? -1 : 1,
      );
      expect(await store.list("a")).toEqual(expected);
      expect(await store.list("b")).toEqual(expected);
      expect((await store.list("tmp")).map(([key]) => key)).toEqual([String(last)]);
      await store.close();
      next = last + 1;
    }
    expect(everAcked).toBeGreaterThan(ROUNDS * 50 - 1);
    expect(compacted, "the child should have compacted at least once").toBe(true);
    expect((await readdir(dir)).sort()).toEqual(["store.anchor", "store.log"]);
  },
  ROUNDS * 10_000,
);

it("closes itself with ERR_STORE_IO when a write fails mid-group, keeping every acknowledged batch", async () => {
  const ioDir = await mkdtemp(join(tmpdir(), "parley-io-"));
  try {
    // ulimit -f 80 is 40 KiB (dash, 512-byte blocks) or 80 KiB (bash): either way the 100 KB group after 5 KB of acks hits it.
    const run = spawnSync("/bin/sh", [
      "-c",
      'ulimit -f 80 && exec "$0" "$@"',
      process.execPath,
      ioChild,
      pathToFileURL(builtStore).href,
      ioDir,
    ]);
    expect(run.status, run.stderr.toString()).toBe(0);
    expect(JSON.parse(run.stdout.toString())).toEqual({
      inFlight: ["ERR_STORE_IO"],
      queued: ["ERR_STORE_IO"],
      laterBatch: "ERR_STORE_IO",
      laterGet: "ERR_STORE_IO",
      close: "ok",
      keysAfterReopen: 5,
    });
  } finally {
    await rm(ioDir, { recursive: true, force: true });
  }
});
