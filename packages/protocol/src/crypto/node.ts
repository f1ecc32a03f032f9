/**
 * The Node provider: node:crypto (OpenSSL) for everything it has — SHA-256, HMAC, HKDF, X25519,
 * Ed25519, ChaCha20-Poly1305, randomness — and an injected ML-KEM back end (libsodium when it
 * loads, else @noble/post-quantum), since node:crypto on Node 20 has no ML-KEM.
 *
 * Speed comes from caching imported `KeyObject`s per provider instance, keyed by the identity of
 * the caller's key array: the protocol keeps one `Uint8Array` per long-lived key, and a JWK
 * import costs about as much as the DH itself. Only `select.ts` loads this file (lazily, in Node).
 *
 * node:crypto is reached through `process.getBuiltinModule` (Node ≥ 20.16), not an `import`:
 * bundlers follow every static or literal dynamic import of this lazily loaded file, and a
 * browser build then swaps node:crypto for an empty stub (Vite ≤ 7 fails the build on the named
 * imports, Vite 8 warns and ships the stub). A run-time lookup is invisible to them and costs
 * one call per provider.
 */
import type * as NodeCrypto from "node:crypto";
import type { JsonWebKey, KeyObject } from "node:crypto";
import { ED25519_TORSION_SUBGROUP, ed25519, x25519 } from "@noble/curves/ed25519.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 as nobleSha256 } from "@noble/hashes/sha2.js";
import { assertBytes, assertInteger, assertLength, equalBytes, hexToBytes, KeyedCache, onceHasher } from "./bytes.js";
import { createNobleMlKem, type MlKemImpl } from "./mlkem.js";
import type { CryptoProvider, KeyPair } from "./provider.js";

/** RFC 5869 §2.3: L ≤ 255 · HashLen. */
const HKDF_SHA256_MAX_LENGTH = 255 * 32;
/** node:crypto's hkdfSync refuses `info` longer than this; longer ones take the noble path. */
const NODE_HKDF_MAX_INFO = 1024;
/** RFC 8439 §2.5: the Poly1305 tag is 16 bytes. */
const TAG_LENGTH = 16;
/**
 * From this many bytes on, ChaCha20-Poly1305 goes to OpenSSL even when an injected AEAD exists:
 * libsodium's wasm wins on messages (a createCipheriv costs a few µs of set-up), OpenSSL's
 * vectorised code wins 2–3× on attachment chunks (64 KiB). Crossover measured at 1–2 KiB.
 */
const OPENSSL_AEAD_MIN_BYTES = 8192;

/**
 * Encodings (bit 255 ignored) of the X25519 u-coordinates of small order, libsodium's blocklist:
 * 0, 1, the two order-8 points, p − 1, and the non-canonical p and p + 1 (RFC 7748 §5 reduces
 * u mod p). X25519 of any of them is all zeros (RFC 7748 §6.1).
 */
const X25519_LOW_ORDER_U = /* @__PURE__ */ [
  "0000000000000000000000000000000000000000000000000000000000000000",
  "0100000000000000000000000000000000000000000000000000000000000000",
  "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
  "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map(hexToBytes);

/**
 * Encodings (sign bit ignored) of the Ed25519 points of small order: the y of each of the eight
 * torsion points, plus the non-canonical y = p and y = p + 1 (libsodium's ge25519_has_small_order).
 */
const ED25519_SMALL_ORDER_Y = /* @__PURE__ */ [
  ...ED25519_TORSION_SUBGROUP,
  "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
].map((hex) => {
  const bytes = hexToBytes(hex);
  bytes[31] = (bytes[31] as number) & 0x7f;
  return bytes;
});

/** True if `point` equals one of `list` when bit 255 (the sign / unused top bit) is ignored. */
function isListedIgnoringTopBit(point: Uint8Array, list: readonly Uint8Array[]): boolean {
  outer: for (const entry of list) {
    for (let i = 0; i < 31; i++) if (point[i] !== entry[i]) continue outer;
    if (((point[31] as number) & 0x7f) === entry[31]) return true;
  }
  return false;
}

/** RFC 8032 §5.1.3 step 1: the encoded y (bit 255 cleared) must be below p = 2^255 − 19. */
function isCanonicalEd25519(point: Uint8Array): boolean {
  if (((point[31] as number) & 0x7f) !== 0x7f) return true;
  for (let i = 30; i > 0; i--) if (point[i] !== 0xff) return true;
  return (point[0] as number) < 0xed;
}

/**
 * A plain `Uint8Array` view of a Buffer node:crypto allocated for us (none of these are pooled),
 * because `Buffer#slice` shares memory where `Uint8Array#slice` copies: a caller who copies a
 * result with `.slice()` and wipes the copy must not be wiping ours, or vice versa.
 */
function owned(buffer: Uint8Array): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
}

const JWK_ENCODINGS = { publicKeyEncoding: { format: "jwk" }, privateKeyEncoding: { format: "jwk" } } as const;
/** `generateKeyPairSync` with JWK output, which Node has had since v15.9 but @types/node 20 omits. */
type GenerateJwkKeyPair = (type: "x25519" | "ed25519", options: typeof JWK_ENCODINGS) => { publicKey: JsonWebKey; privateKey: JsonWebKey };

/** True where node:crypto can be reached without an import (Node ≥ 20.16, and Bun and Deno's compat). */
function hasNodeCrypto(): boolean {
  return typeof globalThis.process?.getBuiltinModule === "function";
}

/** node:crypto, looked up at run time (see the file comment for why it is not imported). */
function loadNodeCrypto(): typeof NodeCrypto {
  if (!hasNodeCrypto()) throw new Error('The "node" crypto provider needs Node.js >= 20.16 (process.getBuiltinModule)');
  return process.getBuiltinModule("node:crypto");
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64url");
}

function fromBase64url(text: string | undefined): Uint8Array {
  if (text === undefined) throw new Error("node:crypto returned a JWK without key material");
  return owned(Buffer.from(text, "base64url"));
}

/** An AEAD implementation the node provider may use instead of `createCipheriv` (libsodium's is 2–3× faster). */
export interface AeadImpl {
  readonly name: string;
  encrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  decrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;
}

/**
 * Creates the node:crypto provider. `mlkem` defaults to @noble/post-quantum; `select.ts` passes
 * libsodium's when it loads (5–6× faster).
 *
 * @example
 * ```ts
 * const crypto = createNodeProvider();
 * const alice = crypto.x25519GenerateKeyPair();
 * const bob = crypto.x25519GenerateKeyPair();
 * crypto.x25519(alice, bob.publicKey); // equals crypto.x25519(bob, alice.publicKey)
 * ```
 */
export function createNodeProvider(mlkem: MlKemImpl = createNobleMlKem(), aead?: AeadImpl): CryptoProvider {
  const {
    createCipheriv,
    createDecipheriv,
    createHash,
    createHmac,
    createPrivateKey,
    createPublicKey,
    diffieHellman,
    generateKeyPairSync,
    hash,
    hkdfSync,
    randomFillSync,
    sign,
    verify,
  } = loadNodeCrypto();
  const generateJwkKeyPair = generateKeyPairSync as unknown as GenerateJwkKeyPair;
  // Per instance, never module-level: two providers (e.g. in tests) must not share state.
  const x25519Private = new KeyedCache<KeyObject>();
  const x25519Public = new KeyedCache<KeyObject>();
  const ed25519Private = new KeyedCache<KeyObject>();
  const ed25519Public = new KeyedCache<KeyObject>();

  // JWK imports: 7 µs public, 29 µs private, versus ~390 µs for DER. node insists on `x` for a
  // private JWK; OpenSSL derives the public half from `d` and ignores `x`, so the result depends
  // on the private key alone, as in the other providers. The base64url string of `d` is a copy
  // of the secret we cannot wipe; the cache means it is made once per key, not once per call.
  const importPrivate = (crv: "X25519" | "Ed25519", pair: KeyPair) =>
    createPrivateKey({
      key: { kty: "OKP", crv, d: base64url(pair.privateKey), x: base64url(pair.publicKey) },
      format: "jwk",
    });
  const importPublic = (crv: "X25519" | "Ed25519", publicKey: Uint8Array) =>
    createPublicKey({ key: { kty: "OKP", crv, x: base64url(publicKey) }, format: "jwk" });

  // Key generation, fast path: draw the private key, import it as a JWK with a placeholder `x`
  // (OpenSSL derives the public half from `d`), read the public key back, and keep the imported
  // KeyObject for the first agreement or signature. That is one base-point multiplication per
  // new key instead of two (generateKeyPairSync, then a JWK import on first use): ≈60 µs instead
  // of ≈90 µs, and it never exports a KeyObject made by generateKeyPairSync (which deadlocked in
  // GC in tight loops on this Node). A self-check at creation falls back to the old path if a
  // Node version ever stops ignoring `x`.
  const PLACEHOLDER_X = base64url(new Uint8Array(32));
  const importFromPrivate = (crv: "X25519" | "Ed25519", privateKey: Uint8Array) => {
    const keyObject = createPrivateKey({ key: { kty: "OKP", crv, d: base64url(privateKey), x: PLACEHOLDER_X }, format: "jwk" });
    const publicKey = fromBase64url(createPublicKey(keyObject).export({ format: "jwk" }).x);
    return { keyObject, publicKey };
  };
  const fastDerivation = (() => {
    try {
      const probe = new Uint8Array(32).fill(7);
      return (
        equalBytes(importFromPrivate("X25519", probe).publicKey, x25519.getPublicKey(probe)) &&
        equalBytes(importFromPrivate("Ed25519", probe).publicKey, ed25519.getPublicKey(probe))
      );
    } catch {
      return false;
    }
  })();
  const generate = (type: "x25519" | "ed25519"): KeyPair => {
    if (fastDerivation) {
      const privateKey = randomFillSync(new Uint8Array(32));
      const { keyObject, publicKey } = importFromPrivate(type === "x25519" ? "X25519" : "Ed25519", privateKey);
      (type === "x25519" ? x25519Private : ed25519Private).get(privateKey, () => keyObject);
      return { publicKey, privateKey };
    }
    const { publicKey, privateKey } = generateJwkKeyPair(type, JWK_ENCODINGS);
    return { publicKey: fromBase64url(publicKey.x), privateKey: fromBase64url(privateKey.d) };
  };

  return {
    name: `node+${mlkem.name}-mlkem${aead ? `+${aead.name}-aead` : ""}`,

    randomBytes(n) {
      assertInteger(n, 0, Number.MAX_SAFE_INTEGER, "n");
      return randomFillSync(new Uint8Array(n));
    },

    sha256(data) {
      assertBytes(data, "data");
      return owned(hash("sha256", data, "buffer"));
    },
    sha256Incremental() {
      const state = createHash("sha256");
      return onceHasher(
        (data) => state.update(data),
        () => owned(state.digest()),
      );
    },
    hmacSha256(key, data) {
      assertBytes(key, "key");
      assertBytes(data, "data");
      return owned(createHmac("sha256", key).update(data).digest());
    },
    hkdfSha256(ikm, salt, info, length) {
      assertBytes(ikm, "ikm");
      assertBytes(salt, "salt");
      assertBytes(info, "info");
      assertInteger(length, 0, HKDF_SHA256_MAX_LENGTH, "length");
      // RFC 5869 allows any info length; node caps it, so fall back rather than fail.
      if (info.length > NODE_HKDF_MAX_INFO) return hkdf(nobleSha256, ikm, salt, info, length);
      return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
    },

    x25519PublicKey(privateKey) {
      assertLength(privateKey, 32, "privateKey");
      if (fastDerivation) return importFromPrivate("X25519", privateKey).publicKey;
      return x25519.getPublicKey(privateKey);
    },
    x25519GenerateKeyPair: () => generate("x25519"),
    x25519(ours, theirPublicKey) {
      assertLength(ours.privateKey, 32, "ours.privateKey");
      assertLength(ours.publicKey, 32, "ours.publicKey");
      assertLength(theirPublicKey, 32, "theirPublicKey");
      const privateKey = x25519Private.get(ours.privateKey, () => importPrivate("X25519", ours));
      const publicKey = x25519Public.get(theirPublicKey, () => importPublic("X25519", theirPublicKey));
      try {
        return owned(diffieHellman({ privateKey, publicKey }));
      } catch (error) {
        // OpenSSL refuses an all-zero X25519 output (RFC 7748 §6.1 allows that check); the
        // interface wants the zeros, leaving the decision to the protocol. Anything else rethrows.
        if (isListedIgnoringTopBit(theirPublicKey, X25519_LOW_ORDER_U)) return new Uint8Array(32);
        throw error;
      }
    },

    ed25519PublicKey(seed) {
      assertLength(seed, 32, "seed");
      if (fastDerivation) return importFromPrivate("Ed25519", seed).publicKey;
      return ed25519.getPublicKey(seed);
    },
    ed25519GenerateKeyPair: () => generate("ed25519"),
    ed25519Sign(keyPair, message) {
      assertLength(keyPair.privateKey, 32, "keyPair.privateKey");
      assertLength(keyPair.publicKey, 32, "keyPair.publicKey");
      assertBytes(message, "message");
      const key = ed25519Private.get(keyPair.privateKey, () => importPrivate("Ed25519", keyPair));
      return owned(sign(null, message, key));
    },
    ed25519Verify(publicKey, message, signature) {
      assertLength(publicKey, 32, "publicKey");
      assertBytes(message, "message");
      assertBytes(signature, "signature");
      // A wrong-length signature is attacker input like any other bad signature: a sentinel.
      if (signature.length !== 64) return false;
      // OpenSSL checks S < L (RFC 8032 §5.1.7) and compares [S]B − [k]A with R byte for byte,
      // but accepts a non-canonical or small-order A and a small-order R. libsodium rejects
      // those, so we do too, before OpenSSL sees them: every provider must agree.
      if (!isCanonicalEd25519(publicKey) || isListedIgnoringTopBit(publicKey, ED25519_SMALL_ORDER_Y)) return false;
      if (isListedIgnoringTopBit(signature.subarray(0, 32), ED25519_SMALL_ORDER_Y)) return false;
      try {
        const key = ed25519Public.get(publicKey, () => importPublic("Ed25519", publicKey));
        return verify(null, message, key, signature);
      } catch {
        return false;
      }
    },

    aeadEncrypt(key, nonce, plaintext, aad) {
      assertLength(key, 32, "key");
      assertLength(nonce, 12, "nonce");
      assertBytes(plaintext, "plaintext");
      assertBytes(aad, "aad");
      if (aead && plaintext.length < OPENSSL_AEAD_MIN_BYTES) return aead.encrypt(key, nonce, plaintext, aad);
      const cipher = createCipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_LENGTH });
      cipher.setAAD(aad, { plaintextLength: plaintext.length });
      const out = new Uint8Array(plaintext.length + TAG_LENGTH);
      out.set(cipher.update(plaintext), 0);
      cipher.final();
      out.set(cipher.getAuthTag(), plaintext.length);
      return out;
    },
    aeadDecrypt(key, nonce, ciphertext, aad) {
      assertLength(key, 32, "key");
      assertLength(nonce, 12, "nonce");
      assertBytes(ciphertext, "ciphertext");
      assertBytes(aad, "aad");
      if (ciphertext.length < TAG_LENGTH) return null;
      if (aead && ciphertext.length < OPENSSL_AEAD_MIN_BYTES + TAG_LENGTH) return aead.decrypt(key, nonce, ciphertext, aad);
      const bodyLength = ciphertext.length - TAG_LENGTH;
      const decipher = createDecipheriv("chacha20-poly1305", key, nonce, { authTagLength: TAG_LENGTH });
      decipher.setAuthTag(ciphertext.subarray(bodyLength));
      decipher.setAAD(aad, { plaintextLength: bodyLength });
      const plaintext = decipher.update(ciphertext.subarray(0, bodyLength));
      try {
        decipher.final();
      } catch {
        // RFC 8439 §2.8: the tag did not verify; never release the unauthenticated plaintext.
        plaintext.fill(0);
        return null;
      }
      return owned(plaintext);
    },

    mlkemKeyPairFromSeed: (seed) => mlkem.keyPairFromSeed(seed),
    mlkemEncapsulate: (publicKey, randomness) => mlkem.encapsulate(publicKey, randomness),
    mlkemDecapsulate: (secretKey, ciphertext) => mlkem.decapsulate(secretKey, ciphertext),
  };
}
