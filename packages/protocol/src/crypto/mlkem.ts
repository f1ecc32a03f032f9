/**
 * ML-KEM-768 back ends shared by the providers: one on @noble/post-quantum, one on libsodium.
 *
 * Both are wrapped by the same FIPS 203 input checks, done here rather than trusted to each
 * library, because the libraries disagree: @noble throws a plain `Error` for an encapsulation
 * key that fails the §7.2 modulus check and for a decapsulation key that fails the §7.3 hash
 * check, while libsodium throws "invalid usage" for the first and skips the second. Doing the
 * checks ourselves makes every provider return `null` (modulus) or throw `RangeError` (sizes,
 * hash) identically. Internal to the crypto directory: the protocol sees only `CryptoProvider`.
 */

import { sha3_256 } from "@noble/hashes/sha3.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import type sodium from "libsodium-wrappers";
import { assertLength, equalBytes, secureRandomBytes, wipe } from "./bytes.js";
import type { KemEncapsulation, KemKeyPair } from "./provider.js";

/** The libsodium-wrappers module object, once `ready` has resolved. */
export type Sodium = typeof sodium;

/** ML-KEM-768 sizes in bytes (FIPS 203 Table 3; k = 3). */
export const MLKEM768_SIZES = {
  /** d ‖ z for ML-KEM.KeyGen_internal. */
  seed: 64,
  /** Encapsulation key ek: 384k + 32. */
  publicKey: 1184,
  /** Decapsulation key dk: 768k + 96. */
  secretKey: 2400,
  /** Ciphertext c: 32(du·k + dv). */
  ciphertext: 1088,
  /** Message m of ML-KEM.Encaps_internal. */
  message: 32,
  sharedSecret: 32,
} as const;

/** Module rank of ML-KEM-768. */
const K = 3;
/** The ML-KEM prime q. */
const Q = 3329;

/** ML-KEM-768 operations with FIPS 203 input checks applied; see `CryptoProvider` for the contract. */
export interface MlKemImpl {
  /** Which library does the arithmetic; used in the provider name (`"node+sodium-mlkem"` and, with libsodium's AEAD, `"node+sodium-mlkem+sodium-aead"`). */
  readonly name: "sodium" | "noble";
  /** ML-KEM.KeyGen_internal(d, z) from the 64-byte seed d ‖ z. */
  keyPairFromSeed(seed: Uint8Array): KemKeyPair;
  /** ML-KEM.Encaps; deterministic when `randomness` (m) is given; `null` if ek fails the modulus check. */
  encapsulate(publicKey: Uint8Array, randomness?: Uint8Array): KemEncapsulation | null;
  /** ML-KEM.Decaps with implicit rejection. */
  decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}

/** What a back end must supply; it may assume every input already passed the checks. */
interface UncheckedMlKem {
  readonly name: MlKemImpl["name"];
  keygen(seed: Uint8Array): KemKeyPair;
  encapsulate(publicKey: Uint8Array, message: Uint8Array | undefined): KemEncapsulation;
  decapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
  sha3_256(data: Uint8Array): Uint8Array;
}

/**
 * FIPS 203 §7.2 step 2 (modulus check): ByteEncode12(ByteDecode12(ek[0:384k])) must equal
 * ek[0:384k], i.e. every 12-bit coefficient of t̂ is below q. Public data, so variable time is fine.
 *
 * @example
 * ```ts
 * passesModulusCheck(publicKey); // false for an ek with a coefficient ≥ 3329
 * ```
 */
export function passesModulusCheck(publicKey: Uint8Array): boolean {
  const end = 384 * K;
  for (let i = 0; i < end; i += 3) {
    const b0 = publicKey[i] as number;
    const b1 = publicKey[i + 1] as number;
    const b2 = publicKey[i + 2] as number;
    // Two little-endian 12-bit coefficients per 3 bytes (FIPS 203 Algorithm 6, d = 12).
    if ((b0 | ((b1 & 0x0f) << 8)) >= Q || ((b1 >> 4) | (b2 << 4)) >= Q) return false;
  }
  return true;
}

function withFips203Checks(backEnd: UncheckedMlKem): MlKemImpl {
  return {
    name: backEnd.name,
    keyPairFromSeed(seed) {
      assertLength(seed, MLKEM768_SIZES.seed, "seed");
      return backEnd.keygen(seed);
    },
    encapsulate(publicKey, randomness) {
      // FIPS 203 §7.2 step 1 (type check). A wrong length is a caller bug (the protocol's
      // decoder fixes sizes), so it throws like every other length error.
      assertLength(publicKey, MLKEM768_SIZES.publicKey, "publicKey");
      if (randomness !== undefined) assertLength(randomness, MLKEM768_SIZES.message, "randomness");
      // FIPS 203 §7.2 step 2 (modulus check): a peer can send such a key, so it is a sentinel.
      if (!passesModulusCheck(publicKey)) return null;
      return backEnd.encapsulate(publicKey, randomness);
    },
    decapsulate(secretKey, ciphertext) {
      // FIPS 203 §7.3 steps 1–2 (ciphertext and decapsulation-key type checks).
      assertLength(secretKey, MLKEM768_SIZES.secretKey, "secretKey");
      assertLength(ciphertext, MLKEM768_SIZES.ciphertext, "ciphertext");
      // FIPS 203 §7.3 step 3 (hash check): H(ek) stored in dk must match the embedded ek.
      // dk is our own key, so a mismatch means corrupted storage: a bad argument, not a sentinel.
      const ek = secretKey.subarray(384 * K, 768 * K + 32);
      const storedHash = secretKey.subarray(768 * K + 32, 768 * K + 64);
      if (!equalBytes(backEnd.sha3_256(ek), storedHash)) {
        throw new RangeError("secretKey fails the FIPS 203 §7.3 hash check");
      }
      return backEnd.decapsulate(secretKey, ciphertext);
    },
  };
}

/** Returns a fresh 32-byte copy of `view` and wipes the original (which may share a larger buffer). */
function detach(view: Uint8Array): Uint8Array {
  const copy = view.slice();
  wipe(view);
  return copy;
}

/**
 * ML-KEM-768 on @noble/post-quantum (pure JS: 5–6× slower than libsodium's wasm, works everywhere).
 *
 * @example
 * ```ts
 * const kem = createNobleMlKem();
 * const { publicKey, secretKey } = kem.keyPairFromSeed(seed64);
 * ```
 */
export function createNobleMlKem(): MlKemImpl {
  return withFips203Checks({
    name: "noble",
    keygen: (seed) => ml_kem768.keygen(seed),
    encapsulate(publicKey, message) {
      const { cipherText, sharedSecret } = ml_kem768.encapsulate(publicKey, message);
      // noble returns K as a view of the 64-byte G output (its second half already wiped).
      return { ciphertext: cipherText, sharedSecret: detach(sharedSecret) };
    },
    decapsulate: (secretKey, ciphertext) => detach(ml_kem768.decapsulate(ciphertext, secretKey)),
    sha3_256: (data) => sha3_256(data),
  });
}

/**
 * ML-KEM-768 on libsodium (wasm). `lib` must be the libsodium-wrappers module after `ready`.
 *
 * @example
 * ```ts
 * const sodium = (await import("libsodium-wrappers")).default;
 * await sodium.ready;
 * const kem = createSodiumMlKem(sodium);
 * ```
 */
export function createSodiumMlKem(lib: Sodium): MlKemImpl {
  // Non-sumo builds may lack SHA3 even though the typings declare it; fall back to noble.
  const sha3 =
    typeof lib.crypto_hash_sha3256 === "function"
      ? (data: Uint8Array) => lib.crypto_hash_sha3256(data)
      : (data: Uint8Array) => sha3_256(data);
  return withFips203Checks({
    name: "sodium",
    keygen(seed) {
      const { publicKey, privateKey } = lib.crypto_kem_mlkem768_seed_keypair(seed);
      return { publicKey, secretKey: privateKey };
    },
    encapsulate(publicKey, message) {
      if (message !== undefined) return lib.crypto_kem_mlkem768_enc_deterministic(publicKey, message);
      // FIPS 203 Algorithm 20: m ← 32 random bytes, then Encaps_internal(ek, m). Drawing m from
      // getRandomValues ourselves is ~4× faster than crypto_kem_mlkem768_enc, whose RNG in this
      // wasm build costs ~180 µs per call.
      const m = secureRandomBytes(MLKEM768_SIZES.message);
      try {
        return lib.crypto_kem_mlkem768_enc_deterministic(publicKey, m);
      } finally {
        wipe(m); // m determines the shared secret
      }
    },
    decapsulate: (secretKey, ciphertext) => lib.crypto_kem_mlkem768_dec(ciphertext, secretKey),
    sha3_256: sha3,
  });
}
