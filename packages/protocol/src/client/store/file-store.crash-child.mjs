// Child process for file-store.crash.test.ts: opens a FileStore (from the built dist, whose URL is
// argv[2]) in argv[3] and writes numbered batches forever, several in flight at once so they are
// group-committed, printing "ack <n> <compactions>" as each resolves. The test SIGKILLs it at a
// random point and checks that every acknowledged batch survived and nothing half-applied did.
const [, , moduleUrl, dir, firstArg] = process.argv;
const { FileStore } = await import(moduleUrl);

const IN_FLIGHT = 8;
const store = await FileStore.open(dir, { passphrase: "crash test", kdf: { N: 16, r: 8, p: 1 }, compactMinBytes: 16_384 });
const value = (n, size) => new Uint8Array(size).fill(n % 251);
const last = (n) => new Uint8Array(new Float64Array([n]).buffer);

/** Batch n: two puts that must appear together, the "last" marker, a moving tmp key, and churn that forces compaction. */
const batchOf = (n) => [
  { namespace: "a", key: String(n), value: value(n, 64) },
  { namespace: "b", key: String(n), value: value(n, 64) },
  { namespace: "meta", key: "last", value: last(n) },
  { namespace: "tmp", key: String(n - 1), value: undefined },
  { namespace: "tmp", key: String(n), value: value(n, 8) },
  { namespace: "churn", key: "x", value: value(n, 1024) },
];

let next = Number(firstArg);
process.stdout.write("ready\n");
async function writer() {
  for (;;) {
    const n = next++;
    await store.batch(batchOf(n));
    process.stdout.write(`ack ${n} ${store.stats.compactions}\n`);
  }
}
await Promise.all(Array.from({ length: IN_FLIGHT }, writer));
