/**
 * What the pure core needs from outside: the crypto provider, and optionally a source of
 * randomness and a clock. Tests and the vector generator pass a seeded `random` so every
 * output is reproducible; applications pass only `crypto`.
 */

import type { CryptoProvider, KemEncapsulation, KemKeyPair } from "./crypto/provider.js";
import type { StaticAgreementCache } from "./envelope/agreement-cache.js";
import { SecretKeyPair } from "./secrets.js";

export interface Deps {
  readonly crypto: CryptoProvider;
  /** Randomness override (deterministic tests and vectors). Default: `crypto.randomBytes`. */
  readonly random?: (n: number) => Uint8Array;
  /** Clock override in ms since the Unix epoch. Default: `Date.now`. */
  readonly now?: () => number;
  /**
   * Memory of static–static X25519 agreements for sealed envelopes (one per peer identity
   * key). Optional: without it each envelope costs one more X25519 on each side.
   */
  readonly agreements?: StaticAgreementCache;
}

/** `n` random bytes from the override or the provider. */
export function randomBytes(deps: Deps, n: number): Uint8Array {
  return deps.random ? deps.random(n) : deps.crypto.randomBytes(n);
}

/** Current time in ms. */
export function now(deps: Deps): number {
  return deps.now ? deps.now() : Date.now();
}

/** A fresh X25519 key pair; derived from `random` when given, else the provider's fast path. */
export function newX25519KeyPair(deps: Deps): SecretKeyPair {
  if (deps.random) {
    const privateKey = deps.random(32);
    return new SecretKeyPair(deps.crypto.x25519PublicKey(privateKey), privateKey);
  }
  return SecretKeyPair.from(deps.crypto.x25519GenerateKeyPair());
}

/** A fresh Ed25519 key pair; derived from `random` when given, else the provider's fast path. */
export function newEd25519KeyPair(deps: Deps): SecretKeyPair {
  if (deps.random) {
    const seed = deps.random(32);
    return new SecretKeyPair(deps.crypto.ed25519PublicKey(seed), seed);
  }
  return SecretKeyPair.from(deps.crypto.ed25519GenerateKeyPair());
}

/** A fresh ML-KEM-768 key pair from a 64-byte seed. */
export function newKemKeyPair(deps: Deps): KemKeyPair {
  return deps.crypto.mlkemKeyPairFromSeed(randomBytes(deps, 64));
}

/** ML-KEM-768 encapsulation, deterministic when `random` is given. Null on an invalid key. */
export function kemEncapsulate(deps: Deps, publicKey: Uint8Array): KemEncapsulation | null {
  return deps.random ? deps.crypto.mlkemEncapsulate(publicKey, deps.random(32)) : deps.crypto.mlkemEncapsulate(publicKey);
}
