// Child process for file-store.crash.test.ts: runs under a file-size limit (ulimit -f) so a write
// fails with EFBIG part-way through a group commit, and reports as JSON how the FileStore (the
// built dist, module URL in argv[2], directory in argv[3]) behaved: what was acknowledged, what
// the failed, queued and later calls rejected with, and what a reopen in this process finds.
process.on("SIGXFSZ", () => {}); // fail the write with EFBIG instead of being killed by the signal
const [, , moduleUrl, dir] = process.argv;
const { FileStore } = await import(moduleUrl);
const options = { passphrase: "io test", kdf: { N: 16, r: 8, p: 1 }, compactMinBytes: 2 ** 30 };
const value = new Uint8Array(1000).fill(1);
const batchOf = (n) => [{ namespace: "ns", key: String(n).padStart(4, "0"), value }];
const codeOf = (promise) =>
  promise.then(
    () => "ok",
    (error) => error.code ?? String(error),
  );

const store = await FileStore.open(dir, options);
for (let n = 0; n < 5; n++) await store.batch(batchOf(n)); // acknowledged, well under the limit
const inFlight = Array.from({ length: 100 }, (_, i) => codeOf(store.batch(batchOf(5 + i)))); // one group, past the limit
await new Promise((resolve) => setImmediate(resolve));
const queued = Array.from({ length: 10 }, (_, i) => codeOf(store.batch(batchOf(105 + i)))); // waiting behind it
const result = {
  inFlight: [...new Set(await Promise.all(inFlight))],
  queued: [...new Set(await Promise.all(queued))],
  laterBatch: await codeOf(store.batch(batchOf(199))),
  laterGet: await codeOf(store.get("ns", "0000")),
  close: await codeOf(store.close()),
};
const reopened = await FileStore.open(dir, options); // the lock was released and the torn group cut off
result.keysAfterReopen = (await reopened.list("ns")).length;
await reopened.close();
console.log(JSON.stringify(result));
