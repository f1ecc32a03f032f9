/**
 * The pure-JavaScript provider: @noble/curves, @noble/hashes, @noble/ciphers and
 * @noble/post-quantum, with randomness from `crypto.getRandomValues`. It runs anywhere
 * (browsers, Deno, Node) with no wasm and no native code; it is the slowest provider and the
 * fallback when libsodium cannot load.
 *
 * Ed25519 verification is written out here on noble's point arithmetic instead of calling
 * `ed25519.verify`, because noble checks the cofactored equation [8][S]B = [8]R + [8][k]A while
 * libsodium and OpenSSL check the cofactorless one ([S]B − [k]A encodes to exactly R). The two
 * disagree on signatures crafted with a torsion component, so a signer could make one client
 * accept what another rejects. Matching libsodium's rules exactly keeps every provider alike.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE } from "@noble/curves/utils.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { assertBytes, assertInteger, assertLength, concatBytes, equalBytes, onceHasher, secureRandomBytes } from "./bytes.js";
import { createNobleMlKem } from "./mlkem.js";
import type { CryptoProvider, KeyPair } from "./provider.js";

/** RFC 5869 §2.3: L ≤ 255 · HashLen. */
const HKDF_SHA256_MAX_LENGTH = 255 * 32;
/** RFC 8439 §2.5: the Poly1305 tag is 16 bytes. */
const TAG_LENGTH = 16;

/**
 * X25519 via noble, returning the all-zero secret for low-order points as `provider.ts` asks.
 * noble rejects the five low-order u-coordinates (mod p) by throwing before the ladder; after
 * our length checks that is the only way `getSharedSecret` can throw, and RFC 7748 §6.1 defines
 * the result for exactly those points as all zeros.
 */
function nobleX25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return x25519.getSharedSecret(privateKey, publicKey);
  } catch {
    return new Uint8Array(32);
  }
}

const Point = ed25519.Point;
/** L, the prime order of the Ed25519 base point (RFC 8032 §5.1). */
const L = Point.Fn.ORDER;

/**
 * Ed25519 verification with libsodium's rules (crypto_sign_verify_detached, non-COMPAT build):
 * S < L; A canonical, on the curve and not of small order; R not of small order; and the
 * cofactorless check that [S]B − [k]A encodes to exactly the bytes of R (so R must be canonical).
 * Returns false for any malformed input of the right length.
 */
function ed25519VerifyStrict(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  const rBytes = signature.subarray(0, 32);
  // RFC 8032 §5.1.7 step 1: reject S ≥ L (signature malleability).
  const s = bytesToNumberLE(signature.subarray(32, 64));
  if (s >= L) return false;
  let a: InstanceType<typeof Point>;
  try {
    // zip215 = false: RFC 8032 §5.1.3 decoding, y < p and no "x = 0 with sign bit set".
    a = Point.fromBytes(publicKey, false);
  } catch {
    return false;
  }
  if (a.isSmallOrder()) return false;
  // RFC 8032 §5.1.7 step 2: k = SHA-512(R ‖ A ‖ M) mod L, over the bytes as received.
  const k = bytesToNumberLE(sha512(concatBytes(rBytes, publicKey, message))) % L;
  const rCheck = Point.BASE.multiplyUnsafe(s).subtract(a.multiplyUnsafe(k));
  // libsodium rejects a small-order R up front; once R equals rCheck that is this test.
  if (rCheck.isSmallOrder()) return false;
  return equalBytes(rCheck.toBytes(), rBytes);
}

/**
 * Creates the pure-JavaScript provider.
 *
 * @example
 * ```ts
 * const crypto = createNobleProvider();
 * const digest = crypto.sha256(new TextEncoder().encode("abc"));
 * ```
 */
export function createNobleProvider(): CryptoProvider {
  const mlkem = createNobleMlKem();
  return {
    name: "noble",

    randomBytes: secureRandomBytes,

    sha256(data) {
      assertBytes(data, "data");
      return sha256(data);
    },
    sha256Incremental() {
      const state = sha256.create();
      return onceHasher(
        (data) => state.update(data),
        () => state.digest(),
      );
    },
    hmacSha256(key, data) {
      assertBytes(key, "key");
      assertBytes(data, "data");
      return hmac(sha256, key, data);
    },
    hkdfSha256(ikm, salt, info, length) {
      assertBytes(ikm, "ikm");
      assertBytes(salt, "salt");
      assertBytes(info, "info");
      assertInteger(length, 0, HKDF_SHA256_MAX_LENGTH, "length");
      // RFC 5869 §2.2: an empty salt is HashLen zeros; HMAC pads the empty key to exactly that.
      return hkdf(sha256, ikm, salt, info, length);
    },

    x25519PublicKey(privateKey) {
      assertLength(privateKey, 32, "privateKey");
      return x25519.getPublicKey(privateKey);
    },
    x25519GenerateKeyPair() {
      const privateKey = secureRandomBytes(32);
      return { privateKey, publicKey: x25519.getPublicKey(privateKey) };
    },
    x25519(ours: KeyPair, theirPublicKey) {
      assertLength(ours.privateKey, 32, "ours.privateKey");
      assertLength(ours.publicKey, 32, "ours.publicKey");
      assertLength(theirPublicKey, 32, "theirPublicKey");
      return nobleX25519(ours.privateKey, theirPublicKey);
    },

    ed25519PublicKey(seed) {
      assertLength(seed, 32, "seed");
      return ed25519.getPublicKey(seed);
    },
    ed25519GenerateKeyPair() {
      const privateKey = secureRandomBytes(32);
      return { privateKey, publicKey: ed25519.getPublicKey(privateKey) };
    },
    ed25519Sign(keyPair, message) {
      assertLength(keyPair.privateKey, 32, "keyPair.privateKey");
      assertLength(keyPair.publicKey, 32, "keyPair.publicKey");
      assertBytes(message, "message");
      // noble derives A from the seed; like node and libsodium, the passed public half is not trusted.
      return ed25519.sign(message, keyPair.privateKey);
    },
    ed25519Verify(publicKey, message, signature) {
      assertLength(publicKey, 32, "publicKey");
      assertBytes(message, "message");
      assertBytes(signature, "signature");
      return ed25519VerifyStrict(publicKey, message, signature);
    },

    aeadEncrypt(key, nonce, plaintext, aad) {
      assertLength(key, 32, "key");
      assertLength(nonce, 12, "nonce");
      assertBytes(plaintext, "plaintext");
      assertBytes(aad, "aad");
      return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
    },
    aeadDecrypt(key, nonce, ciphertext, aad) {
      assertLength(key, 32, "key");
      assertLength(nonce, 12, "nonce");
      assertBytes(ciphertext, "ciphertext");
      assertBytes(aad, "aad");
      if (ciphertext.length < TAG_LENGTH) return null;
      try {
        return chacha20poly1305(key, nonce, aad).decrypt(ciphertext);
      } catch {
        // After the checks above, the only failure left is a tag mismatch (RFC 8439 §2.8).
        return null;
      }
    },

    mlkemKeyPairFromSeed: (seed) => mlkem.keyPairFromSeed(seed),
    mlkemEncapsulate: (publicKey, randomness) => mlkem.encapsulate(publicKey, randomness),
    mlkemDecapsulate: (secretKey, ciphertext) => mlkem.decapsulate(secretKey, ciphertext),
  };
}
