/**
 * The libsodium provider (libsodium-wrappers, wasm): X25519, Ed25519, ChaCha20-Poly1305 and
 * ML-KEM-768 from libsodium; SHA-256, HMAC and HKDF from @noble/hashes, because the non-sumo
 * build ships no HMAC-SHA256 or HKDF functions. The fastest choice in browsers.
 *
 * libsodium is loaded by a dynamic import inside the async factory, so importing this file runs
 * nothing and a bundle that never calls it can split the ~430 kB wasm into a lazy chunk.
 */

import { assertBytes, assertLength, KeyedCache, secureRandomBytes } from "./bytes.js";
import { createSodiumMlKem, type Sodium } from "./mlkem.js";
import { createNobleProvider } from "./noble.js";
import type { CryptoProvider } from "./provider.js";

/** RFC 8439 §2.5: the Poly1305 tag is 16 bytes. */
const TAG_LENGTH = 16;

/**
 * Loads libsodium-wrappers and waits for its wasm to initialise. Rejects if it cannot load
 * (e.g. a Content-Security-Policy without `wasm-unsafe-eval`).
 *
 * @example
 * ```ts
 * const sodium = await loadSodium();
 * ```
 */
export async function loadSodium(): Promise<Sodium> {
  const { default: lib } = await import("libsodium-wrappers");
  await lib.ready;
  return lib;
}

/**
 * Creates the libsodium provider, loading libsodium first.
 *
 * @example
 * ```ts
 * const crypto = await createSodiumProvider();
 * const { publicKey, privateKey } = crypto.ed25519GenerateKeyPair();
 * ```
 */
export async function createSodiumProvider(): Promise<CryptoProvider> {
  return sodiumProviderFrom(await loadSodium());
}

/** The provider over an already-loaded libsodium (for callers that share one instance). */
export function sodiumProviderFrom(lib: Sodium): CryptoProvider {
  const hashes = createNobleProvider();
  const mlkem = createSodiumMlKem(lib);
  // libsodium signs with the 64-byte seed ‖ A; deriving it costs a base-point multiplication,
  // so keep it per seed array like node's KeyObject cache. A comes from the seed, never from
  // the caller's public half, so a mismatched KeyPair signs exactly as in the other providers.
  const expandedSigningKeys = new KeyedCache<Uint8Array>();

  return {
    name: "sodium",

    // Straight from getRandomValues: libsodium's RNG in this build takes ~180 µs for 32 bytes.
    randomBytes: secureRandomBytes,

    sha256: hashes.sha256,
    sha256Incremental: hashes.sha256Incremental,
    hmacSha256: hashes.hmacSha256,
    hkdfSha256: hashes.hkdfSha256,

    x25519PublicKey(privateKey) {
      assertLength(privateKey, 32, "privateKey");
      return lib.crypto_scalarmult_base(privateKey);
    },
    x25519GenerateKeyPair() {
      const privateKey = secureRandomBytes(32);
      return { privateKey, publicKey: lib.crypto_scalarmult_base(privateKey) };
    },
    x25519(ours, theirPublicKey) {
      assertLength(ours.privateKey, 32, "ours.privateKey");
      assertLength(ours.publicKey, 32, "ours.publicKey");
      assertLength(theirPublicKey, 32, "theirPublicKey");
      try {
        return lib.crypto_scalarmult(ours.privateKey, theirPublicKey);
      } catch {
        // With lengths checked, crypto_scalarmult fails ("weak public key") only for a low-order
        // point, whose X25519 output is all zeros (RFC 7748 §6.1). The protocol rejects it.
        return new Uint8Array(32);
      }
    },

    ed25519PublicKey(seed) {
      assertLength(seed, 32, "seed");
      return lib.crypto_sign_seed_keypair(seed).publicKey;
    },
    ed25519GenerateKeyPair() {
      const seed = secureRandomBytes(32);
      const { publicKey, privateKey } = lib.crypto_sign_seed_keypair(seed);
      privateKey.fill(0);
      return { privateKey: seed, publicKey };
    },
    ed25519Sign(keyPair, message) {
      assertLength(keyPair.privateKey, 32, "keyPair.privateKey");
      assertLength(keyPair.publicKey, 32, "keyPair.publicKey");
      assertBytes(message, "message");
      const seed = keyPair.privateKey;
      const expanded = expandedSigningKeys.get(seed, () => lib.crypto_sign_seed_keypair(seed).privateKey);
      return lib.crypto_sign_detached(message, expanded);
    },
    ed25519Verify(publicKey, message, signature) {
      assertLength(publicKey, 32, "publicKey");
      assertBytes(message, "message");
      assertBytes(signature, "signature");
      // A wrong-length signature is attacker input like any other bad signature: a sentinel.
      if (signature.length !== 64) return false;
      // libsodium's verify is the reference the others match: S < L (RFC 8032 §5.1.7), A
      // canonical and not of small order, R not of small order, cofactorless equation.
      return lib.crypto_sign_verify_detached(signature, message, publicKey);
    },

    aeadEncrypt(key, nonce, plaintext, aad) {
      assertLength(key, 32, "key");
      assertLength(nonce, 12, "nonce");
      assertBytes(plaintext, "plaintext");
      assertBytes(aad, "aad");
      return lib.crypto_aead_chacha20poly1305_ietf_encrypt(plaintext, aad, null, nonce, key);
    },
    aeadDecrypt(key, nonce, ciphertext, aad) {
      assertLength(key, 32, "key");
      assertLength(nonce, 12, "nonce");
      assertBytes(ciphertext, "ciphertext");
      assertBytes(aad, "aad");
      if (ciphertext.length < TAG_LENGTH) return null;
      try {
        return lib.crypto_aead_chacha20poly1305_ietf_decrypt(null, ciphertext, aad, nonce, key);
      } catch {
        // After the checks above the only failure is a tag mismatch (RFC 8439 §2.8).
        return null;
      }
    },

    mlkemKeyPairFromSeed: (seed) => mlkem.keyPairFromSeed(seed),
    mlkemEncapsulate: (publicKey, randomness) => mlkem.encapsulate(publicKey, randomness),
    mlkemDecapsulate: (secretKey, ciphertext) => mlkem.decapsulate(secretKey, ciphertext),
  };
}
