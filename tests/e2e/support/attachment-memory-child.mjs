// Child process for client-attachments-200mb.test.ts: two clients (from the built dist, whose
// directory is argv[3]) on the relay at argv[2]; Alice sends a generated file of argv[4] bytes
// (never held whole: produced piece by piece while hashed) and Bob streams it back through
// openAttachment, hashing as it goes. The process samples its own RSS throughout and prints one
// JSON line: the RSS before the transfer, the peak during it, the kernel's maxRSS, timings and
// both hashes. Run with --expose-gc so the baseline is taken after a collection.
import { createHash } from "node:crypto";

const [, , wsUrl, distDir, sizeArg] = process.argv;
const size = Number(sizeArg);
const { MemoryStore, ParleyClient } = await import(`${distDir}/client/index.js`);
const { nodeTransport } = await import(`${distDir}/node.js`);

const options = (displayName) => ({
  relayUrl: wsUrl,
  store: new MemoryStore(),
  transport: nodeTransport,
  displayName,
  backoff: { baseMs: 50, capMs: 500 },
  requestTimeoutMs: 20_000,
  identityRecheck: false,
});
const alice = await ParleyClient.create(options("Alice"));
const bob = await ParleyClient.create(options("Bob"));
await Promise.all([alice.connect(), bob.connect()]);
await bob.claimHandle(`bob${process.pid}`);
const bobAtAlice = (await alice.findContact(`bob${process.pid}`)).id;

const nextMessage = (client, filter) =>
  new Promise((resolve) => {
    const off = client.on("message", (m) => {
      if (filter(m)) {
        off();
        resolve(m);
      }
    });
  });

const hello = nextMessage(bob, () => true);
await alice.sendText(bobAtAlice, "a big file follows");
await hello;

globalThis.gc?.();
await new Promise((r) => setTimeout(r, 200));
globalThis.gc?.();
const baselineRss = process.memoryUsage().rss;
let peakRss = baselineRss;
const sampler = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 25);

const PIECE = 1024 * 1024;
const sentHash = createHash("sha256");
async function* generate() {
  const piece = new Uint8Array(PIECE);
  let x = 12345;
  for (let at = 0; at < size; at += PIECE) {
    const n = Math.min(PIECE, size - at);
    for (let i = 0; i < n; i += 4) {
      x = (x * 1103515245 + 12345) >>> 0;
      piece[i] = x & 0xff;
      piece[i + 1] = (x >>> 8) & 0xff;
      piece[i + 2] = (x >>> 16) & 0xff;
      piece[i + 3] = x >>> 24;
    }
    const out = piece.subarray(0, n);
    sentHash.update(out);
    yield out;
  }
}

const started = performance.now();
const arrived = nextMessage(bob, (m) => m.kind === "attachment");
await alice.sendFile(bobAtAlice, generate(), { size, fileName: "big.bin" });
const uploadedAt = performance.now();
const uploadPeakRss = peakRss;
const message = await arrived;
const receivedHash = createHash("sha256");
let received = 0;
for await (const piece of bob.openAttachment(message)) {
  receivedHash.update(piece);
  received += piece.length;
}
const downloadedAt = performance.now();
clearInterval(sampler);
peakRss = Math.max(peakRss, process.memoryUsage().rss);

await Promise.all([alice.close(), bob.close()]);
process.stdout.write(
  `${JSON.stringify({
    size,
    received,
    baselineRss,
    peakRss,
    uploadPeakRss,
    heapUsed: process.memoryUsage().heapUsed,
    external: process.memoryUsage().external,
    arrayBuffers: process.memoryUsage().arrayBuffers,
    maxRss: process.resourceUsage().maxRSS * 1024,
    uploadSeconds: (uploadedAt - started) / 1000,
    downloadSeconds: (downloadedAt - uploadedAt) / 1000,
    sentHash: sentHash.digest("hex"),
    receivedHash: receivedHash.digest("hex"),
  })}\n`,
);
