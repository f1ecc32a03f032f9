// Cost of each primitive as the protocol sees it (through a CryptoProvider), per Parley
// provider, next to the same operation in libsignal-client's native code where its JS API
// exposes one; plus the node:crypto building blocks the node provider is made of. This is the
// unit price list behind the "where the time goes" analysis in BENCHMARKS.md.
import {
  createCipheriv,
  createHmac,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  randomFillSync,
} from "node:crypto";
import { createProvider } from "@parley/protocol";
import { PrivateKey } from "@signalapp/libsignal-client";
import { measureMetric } from "../lib/harness.mjs";

const JWK = { publicKeyEncoding: { format: "jwk" }, privateKeyEncoding: { format: "jwk" } };

/** A closure-maker for the harness: `op(i)` n times. */
const repeat = (op) => (n) => () => {
  for (let i = 0; i < n; i++) op(i);
  return n;
};

/** Rows of [label, { column: op(i) }]; a missing column is n/a. */
function providerRows(providers) {
  const rows = [];
  const perProvider = (label, make) => rows.push([label, Object.fromEntries(providers.map(([name, c]) => [name, make(c)]))]);
  const fixture = new Map(
    providers.map(([, c]) => {
      const pairs = Array.from({ length: 256 }, () => c.x25519GenerateKeyPair());
      const signer = c.ed25519GenerateKeyPair();
      const message = new Uint8Array(150);
      const kem = c.mlkemKeyPairFromSeed(c.randomBytes(64));
      const key = c.randomBytes(32);
      const aad = new Uint8Array(146);
      const nonce = new Uint8Array(12);
      return [
        c,
        {
          pairs,
          signer,
          message,
          signature: c.ed25519Sign(signer, message),
          kem,
          encapsulated: c.mlkemEncapsulate(kem.publicKey),
          key,
          aad,
          nonce,
          sealed: c.aeadEncrypt(key, nonce, new Uint8Array(100), aad),
        },
      ];
    }),
  );
  const f = (c) => fixture.get(c);
  perProvider("X25519 key generation", (c) => () => c.x25519GenerateKeyPair());
  perProvider("X25519 DH, both keys seen before (provider cache hit)", (c) => () => c.x25519(f(c).pairs[0], f(c).pairs[1].publicKey));
  perProvider("X25519 DH, fresh key arrays (includes key import)", (c) => (i) => {
    const pair = f(c).pairs[i & 255];
    c.x25519({ publicKey: pair.publicKey.slice(), privateKey: pair.privateKey.slice() }, f(c).pairs[(i + 1) & 255].publicKey.slice());
  });
  perProvider("Ed25519 sign (key seen before)", (c) => () => c.ed25519Sign(f(c).signer, f(c).message));
  perProvider("Ed25519 verify (key seen before)", (c) => () => c.ed25519Verify(f(c).signer.publicKey, f(c).message, f(c).signature));
  perProvider(
    "Ed25519 verify, fresh public key array",
    (c) => () => c.ed25519Verify(f(c).signer.publicKey.slice(), f(c).message, f(c).signature),
  );
  perProvider("ML-KEM-768 encapsulate", (c) => () => c.mlkemEncapsulate(f(c).kem.publicKey));
  perProvider("ML-KEM-768 decapsulate", (c) => () => c.mlkemDecapsulate(f(c).kem.secretKey, f(c).encapsulated.ciphertext));
  perProvider("HMAC-SHA256, 1 B (KDF_CK)", (c) => () => c.hmacSha256(f(c).key, f(c).message.subarray(0, 1)));
  perProvider(
    "HKDF-SHA256 → 44 B (per-message key + nonce)",
    (c) => () => c.hkdfSha256(f(c).key, f(c).nonce, f(c).aad.subarray(0, 21), 44),
  );
  perProvider(
    "ChaCha20-Poly1305 seal 100 B + 146 B AAD",
    (c) => () => c.aeadEncrypt(f(c).key, f(c).nonce, f(c).message.subarray(0, 100), f(c).aad),
  );
  perProvider("ChaCha20-Poly1305 open 100 B + 146 B AAD", (c) => () => c.aeadDecrypt(f(c).key, f(c).nonce, f(c).sealed, f(c).aad));
  return rows;
}

/** libsignal-client's exposed native equivalents (XEdDSA over X25519 keys for signatures). */
function libsignalOps() {
  const ours = PrivateKey.generate();
  const theirs = PrivateKey.generate().getPublicKey();
  const message = new Uint8Array(150);
  const signature = ours.sign(message);
  const ourPublic = ours.getPublicKey();
  return {
    "X25519 key generation": () => PrivateKey.generate().getPublicKey(),
    "X25519 DH, both keys seen before (provider cache hit)": () => ours.agree(theirs),
    "Ed25519 sign (key seen before)": () => ours.sign(message),
    "Ed25519 verify (key seen before)": () => ourPublic.verify(message, signature),
  };
}

/** HKDF-SHA256 (RFC 5869) on createHmac: extract + ⌈L/32⌉ expand blocks; checked against hkdfSync below. */
function hkdfViaHmac(ikm, salt, info, length) {
  const prk = createHmac("sha256", salt).update(ikm).digest();
  const out = new Uint8Array(length);
  let block = new Uint8Array(0);
  for (let i = 1, at = 0; at < length; i++, at += 32) {
    block = createHmac("sha256", prk)
      .update(block)
      .update(info)
      .update(new Uint8Array([i]))
      .digest();
    out.set(block.subarray(0, Math.min(32, length - at)), at);
  }
  return out;
}

const ZERO_X = Buffer.alloc(32).toString("base64url");

/**
 * An X25519 key pair made by importing a random scalar (OpenSSL derives the public key and ignores
 * `x`) and reading the public key back: the KeyObject is then ready for the first DH. The obvious
 * alternative, exporting KeyObjects from generateKeyPairSync, hangs on Node 20.20 in tight loops
 * (reproduced: stuck after 25k–75k iterations, as the comment in crypto/node.ts warns); this form
 * ran 400k iterations cleanly here.
 */
function keyFromRandom() {
  const d = randomFillSync(Buffer.alloc(32)).toString("base64url");
  const privateKey = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d, x: ZERO_X }, format: "jwk" });
  return { privateKey, x: createPublicKey(privateKey).export({ format: "jwk" }).x };
}

/** The node:crypto calls behind the node provider, and cheaper alternatives a provider could use. */
function nodeBuildingBlocks(sodium) {
  const jwk = generateKeyPairSync("x25519", JWK);
  const privateKey = createPrivateKey({ key: jwk.privateKey, format: "jwk" });
  const publicKey = createPublicKey({ key: jwk.publicKey, format: "jwk" });
  const key = new Uint8Array(32).fill(7);
  const salt = new Uint8Array(32);
  const info = new Uint8Array(21).fill(3);
  const nonce = new Uint8Array(12);
  const plaintext = new Uint8Array(100);
  const aad = new Uint8Array(146);
  if (Buffer.compare(Buffer.from(hkdfViaHmac(key, salt, info, 44)), Buffer.from(hkdfSync("sha256", key, salt, info, 44))) !== 0) {
    throw new Error("hkdfViaHmac disagrees with hkdfSync");
  }
  return [
    ["generateKeyPairSync('x25519') with JWK export (node provider's key generation today)", () => generateKeyPairSync("x25519", JWK)],
    [
      "createPrivateKey(JWK) X25519 (import before a key's first DH; today also for keys just generated)",
      () => createPrivateKey({ key: jwk.privateKey, format: "jwk" }),
    ],
    [
      "key from 32 random bytes: createPrivateKey(JWK) + createPublicKey().export (KeyObject ready for its first DH)",
      () => keyFromRandom(),
    ],
    ["createPublicKey(JWK) X25519 (import of a peer key)", () => createPublicKey({ key: jwk.publicKey, format: "jwk" })],
    ["diffieHellman on imported KeyObjects", () => diffieHellman({ privateKey, publicKey })],
    ["hkdfSync → 44 B (node provider today)", () => hkdfSync("sha256", key, salt, info, 44)],
    ["HKDF → 44 B from 3 createHmac calls (same output)", () => hkdfViaHmac(key, salt, info, 44)],
    [
      "createCipheriv chacha20-poly1305 seal 100 B (node provider today)",
      () => {
        const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: 16 });
        cipher.setAAD(aad, { plaintextLength: 100 });
        cipher.update(plaintext);
        cipher.final();
        cipher.getAuthTag();
      },
    ],
    [
      "libsodium crypto_aead_chacha20poly1305_ietf_encrypt 100 B (already loaded for ML-KEM)",
      () => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key),
    ],
  ];
}

/**
 * Measures every primitive (5 rounds of ≈0.1 s each, median).
 *
 * @returns `{ columns, rows: [[label, { column: µs }]], building: [[label, µs]] }`
 */
export async function measurePrimitives({ log = () => {} } = {}) {
  const providers = [];
  for (const name of ["node", "sodium", "noble"]) providers.push([name, await createProvider(name)]);
  const native = libsignalOps();
  const options = { rounds: 5, roundSeconds: 0.1 };
  const rows = [];
  for (const [label, ops] of providerRows(providers)) {
    const columns = { ...ops, ...(native[label] ? { "libsignal-client": native[label] } : {}) };
    const jobs = Object.entries(columns).map(([id, op]) => ({ id, prepare: repeat(op), minOps: 5 }));
    const results = await measureMetric(jobs, options);
    rows.push([label, Object.fromEntries([...results].map(([id, r]) => [id, 1e6 / r.median]))]);
    log(`  ${label}`);
  }
  const { default: sodium } = await import("libsodium-wrappers");
  await sodium.ready;
  const building = [];
  for (const [label, op] of nodeBuildingBlocks(sodium)) {
    const results = await measureMetric([{ id: label, prepare: repeat(op), minOps: 5 }], options);
    building.push([label, 1e6 / results.get(label).median]);
  }
  return { columns: [...providers.map(([name]) => name), "libsignal-client"], rows, building };
}
