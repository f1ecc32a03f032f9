// Measures the encrypted FileStore from the built dist (run `npx tsc -b` first):
//   node packages/protocol/src/client/store/file-store.bench.mjs
// Prints the open time with the default scrypt parameters, the latency of one awaited batch
// (write + fdatasync), and batches/s with one batch in flight versus many (group commit).
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const { FileStore } = await import(new URL("../../../dist/client/store/file-store.js", import.meta.url).href);
const CHEAP = { N: 16, r: 8, p: 1 };
const message = new Uint8Array(300).fill(7); // about one stored message with its metadata
const batchOf = (i) => [
  { namespace: "messages", key: `conv1/${String(i).padStart(8, "0")}`, value: message },
  { namespace: "sessions", key: "peer", value: message.subarray(0, 200) },
];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];

async function withDir(run) {
  const dir = await mkdtemp(join(tmpdir(), "parley-bench-"));
  try {
    return await run(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await withDir(async (dir) => {
  let start = performance.now();
  await (await FileStore.open(dir, { passphrase: "bench" })).close();
  const create = performance.now() - start;
  start = performance.now();
  await (await FileStore.open(dir, { passphrase: "bench" })).close();
  console.log(
    `open, default scrypt (N=2^17, r=8, p=1): create ${create.toFixed(0)} ms, reopen ${(performance.now() - start).toFixed(0)} ms`,
  );
});

await withDir(async (dir) => {
  const store = await FileStore.open(dir, { passphrase: "bench", kdf: CHEAP });
  const latencies = [];
  for (let i = 0; i < 500; i++) {
    const start = performance.now();
    await store.batch(batchOf(i));
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const total = latencies.reduce((a, b) => a + b, 0);
  console.log(
    `awaited batches: mean ${(total / latencies.length).toFixed(2)} ms, p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms, ${((latencies.length / total) * 1000).toFixed(0)} batches/s, ${store.stats.syncs} syncs`,
  );
  await store.close();
});

for (const inFlight of [8, 64, 512]) {
  await withDir(async (dir) => {
    const store = await FileStore.open(dir, { passphrase: "bench", kdf: CHEAP });
    const count = 20_000;
    let next = 0;
    const start = performance.now();
    const writer = async () => {
      while (next < count) await store.batch(batchOf(next++));
    };
    await Promise.all(Array.from({ length: inFlight }, writer));
    const seconds = (performance.now() - start) / 1000;
    console.log(
      `${inFlight} in flight: ${(count / seconds).toFixed(0)} batches/s, ${store.stats.syncs} syncs for ${count} batches, ${store.stats.compactions} compactions`,
    );
    await store.close();
  });
}

await withDir(async (dir) => {
  const count = 50_000;
  let store = await FileStore.open(dir, { passphrase: "bench", kdf: CHEAP });
  let next = 0;
  const writer = async () => {
    while (next < count) await store.batch(batchOf(next++));
  };
  await Promise.all(Array.from({ length: 512 }, writer));
  const logBytes = store.stats.logBytes;
  await store.close();
  const start = performance.now();
  store = await FileStore.open(dir, { passphrase: "bench", kdf: CHEAP });
  const replay = performance.now() - start;
  const listStart = performance.now();
  const listed = (await store.list("messages", "conv1/")).length;
  console.log(
    `reopen of ${count} batches (${(logBytes / 2 ** 20).toFixed(1)} MiB log, cheap KDF): ${replay.toFixed(0)} ms; list of ${listed} entries ${(performance.now() - listStart).toFixed(0)} ms`,
  );
  await store.close();
});
