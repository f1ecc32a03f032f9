// `npm run bench:attachments` (run by bench/run.mjs in a child with --expose-gc, over the built
// dist): attachment encryption and decryption throughput (spec/attachments.md) against a bare
// loop of the same provider's ChaCha20-Poly1305 over the same 64 KiB chunks and nonces, and, for
// reference, libsodium's crypto_secretstream_xchacha20poly1305 over the same chunks. The
// attachment path does more than the bare loop: padding, the SHA-256 digest of the whole
// ciphertext, re-chunking of 1 MiB input pieces, and on decryption the digest check, so the
// ratio shows what that costs (the aim is ≥ 0.8×). Options: --mb=N (default 64), --rounds=N
// (default 5), --providers=node,sodium,noble (noble is pure JS and slow; default node,sodium).
import { median } from "../lib/harness.mjs";
import { machineInfo } from "../lib/machine.mjs";

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith("--"))
    .map((a) => {
      const [k, v] = a.slice(2).split("=");
      return [k, v ?? "true"];
    }),
);
const MB = Number(args.mb ?? 64);
const ROUNDS = Number(args.rounds ?? 5);
const PROVIDERS = (args.providers ?? "node,sodium").split(",");
const SIZE = MB * 1024 * 1024;
const CHUNK = 65_536;
const PIECE = 1024 * 1024;

const dist = new URL("../../packages/protocol/dist/", import.meta.url);
const protocol = await import(new URL("index.js", dist).href);
const { AttachmentDecryptor, AttachmentEncryptor, attachmentLayout, attachmentStreamKeys, createProvider } = protocol;
const { chunkNonce } = await import(new URL("attachment/stream.js", dist).href);
const { loadSodium } = await import(new URL("crypto/sodium.js", dist).href);

const plaintext = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i += 65_536) plaintext.set(globalThis.crypto.getRandomValues(new Uint8Array(65_536)), i);
const key = new Uint8Array(32).fill(9);
const empty = new Uint8Array(0);
const layout = attachmentLayout(SIZE);

function time(run) {
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  run();
  return Number(process.hrtime.bigint() - start) / 1e9;
}

/**
 * MiB of plaintext per second for each run, as the median of ROUNDS timed rounds after one
 * warm-up; the runs take turns within each round, so drift on a shared machine hits them alike.
 */
function rates(...runs) {
  for (const run of runs) run();
  const seconds = runs.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, run] of runs.entries()) seconds[i].push(time(run));
  }
  return seconds.map((s) => SIZE / 2 ** 20 / median(s));
}

const rows = [];
for (const name of PROVIDERS) {
  const crypto = name === "node" ? await protocol.loadCryptoProvider() : await createProvider(name);
  const deps = { crypto };
  const keys = attachmentStreamKeys(deps, key);
  const nonces = Array.from({ length: layout.chunkCount }, (_, i) => chunkNonce(keys.noncePrefix, i, i === layout.chunkCount - 1));
  let chunks = [];
  const bareEncrypt = () => {
    chunks = [];
    for (let i = 0; i < layout.chunkCount; i++) {
      chunks.push(crypto.aeadEncrypt(keys.chunkKey, nonces[i], plaintext.subarray(i * CHUNK, (i + 1) * CHUNK), empty));
    }
  };
  const bareDecrypt = () => {
    for (let i = 0; i < chunks.length; i++) {
      if (!crypto.aeadDecrypt(keys.chunkKey, nonces[i], chunks[i], empty)) throw new Error("bare decrypt failed");
    }
  };
  let blobParts = [];
  let digest;
  const attachmentEncrypt = () => {
    const encryptor = new AttachmentEncryptor(deps, key, SIZE);
    blobParts = [];
    for (let at = 0; at < SIZE; at += PIECE) blobParts.push(...encryptor.update(plaintext.subarray(at, at + PIECE)));
    blobParts.push(...encryptor.finish());
    digest = encryptor.digest();
  };
  const attachmentDecrypt = () => {
    const decryptor = new AttachmentDecryptor(deps, { key, digest, size: SIZE });
    let n = 0;
    for (const part of blobParts) for (const piece of decryptor.update(part)) n += piece.length;
    decryptor.finish();
    if (n !== SIZE) throw new Error("attachment decrypt lost bytes");
  };
  const hashOnly = () => {
    const hasher = crypto.sha256Incremental();
    for (const part of blobParts) hasher.update(part);
    hasher.digest();
  };
  const [bareEnc, attEnc] = rates(bareEncrypt, attachmentEncrypt);
  const [bareDec, attDec, sha] = rates(bareDecrypt, attachmentDecrypt, hashOnly);
  rows.push({ provider: crypto.name, bareEnc, attEnc, bareDec, attDec, sha });
}

// Reference: libsodium's secretstream (XChaCha20-Poly1305, its own framing) over the same chunks.
const sodium = await loadSodium();
let secretstream;
if (typeof sodium.crypto_secretstream_xchacha20poly1305_init_push === "function") {
  const ssKey = sodium.crypto_secretstream_xchacha20poly1305_keygen();
  const TAG_MESSAGE = sodium.crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
  const TAG_FINAL = sodium.crypto_secretstream_xchacha20poly1305_TAG_FINAL;
  let header;
  let out = [];
  const push = () => {
    const state = sodium.crypto_secretstream_xchacha20poly1305_init_push(ssKey);
    header = state.header;
    out = [];
    for (let i = 0; i < layout.chunkCount; i++) {
      const tag = i === layout.chunkCount - 1 ? TAG_FINAL : TAG_MESSAGE;
      out.push(sodium.crypto_secretstream_xchacha20poly1305_push(state.state, plaintext.subarray(i * CHUNK, (i + 1) * CHUNK), null, tag));
    }
  };
  const pull = () => {
    const state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(header, ssKey);
    for (const c of out) if (!sodium.crypto_secretstream_xchacha20poly1305_pull(state, c)) throw new Error("secretstream pull failed");
  };
  push();
  const [pushRate, pullRate] = rates(push, pull);
  secretstream = { push: pushRate, pull: pullRate };
}

const f = (x) => x.toFixed(0).padStart(6);
const r = (a, b) => `${(a / b).toFixed(2)}×`;
const m = machineInfo();
console.log(`\nAttachment encryption, ${MB} MiB file, 64 KiB chunks, median of ${ROUNDS} (MiB/s of plaintext)`);
console.log(
  `${m.cpu} · ${m.cores} cores · Node ${m.node} · ${m.date} · load average ${(await import("node:os")).loadavg()[0].toFixed(1)}\n`,
);
console.log(
  "| provider | bare AEAD encrypt | attachment encrypt | ratio | bare AEAD decrypt | attachment decrypt | ratio | SHA-256 alone |",
);
console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
for (const row of rows) {
  console.log(
    `| ${row.provider} | ${f(row.bareEnc)} | ${f(row.attEnc)} | ${r(row.attEnc, row.bareEnc)} | ${f(row.bareDec)} | ${f(row.attDec)} | ${r(row.attDec, row.bareDec)} | ${f(row.sha)} |`,
  );
}
if (secretstream) {
  console.log(
    `\nlibsodium crypto_secretstream_xchacha20poly1305 on the same chunks: push ${f(secretstream.push)}, pull ${f(secretstream.pull)} MiB/s`,
  );
  const best = rows[0];
  console.log(
    `attachment (${best.provider}) vs secretstream: encrypt ${r(best.attEnc, secretstream.push)}, decrypt ${r(best.attDec, secretstream.pull)}`,
  );
}
