/**
 * The one interface through which the protocol touches cryptography.
 *
 * Every primitive Parley uses is here and nowhere else: the protocol core receives a
 * `CryptoProvider` and never imports a crypto package. All methods are synchronous so the
 * core stays a plain function of its inputs; providers that need asynchronous start-up
 * (libsodium's wasm) are constructed by an async factory and are synchronous afterwards.
 *
 * Conventions for every provider:
 * - Byte strings are `Uint8Array`; results are fresh arrays the caller owns.
 * - Wrong argument lengths throw `RangeError`; wrong types throw `TypeError`.
 * - Operations that fail on attacker-controlled input return a sentinel (`null` or `false`)
 *   rather than throwing, so callers decide the error code and every provider fails alike.
 */

/**
 * A raw key pair. X25519: 32-byte private scalar (unclamped bytes) and 32-byte public
 * u-coordinate. Ed25519: 32-byte seed and 32-byte public key. Every provider derives results
 * from the private half alone; the public half only saves providers a recomputation, and a
 * mismatched one is ignored rather than detected.
 */
export interface KeyPair {
  readonly publicKey: Uint8Array;
  readonly privateKey: Uint8Array;
}

/** An ML-KEM-768 key pair in FIPS 203 encodings: 1184-byte encapsulation key, 2400-byte decapsulation key. */
export interface KemKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** The result of an ML-KEM-768 encapsulation: a 1088-byte ciphertext and a 32-byte shared secret. */
export interface KemEncapsulation {
  readonly ciphertext: Uint8Array;
  readonly sharedSecret: Uint8Array;
}

/**
 * An incremental SHA-256 (FIPS 180-4): feed data with `update`, read the hash once with `digest`.
 * Equal to `sha256` of the concatenated inputs however they are split. `update` or `digest`
 * after `digest` throws (a hasher is used once).
 */
export interface Sha256Hasher {
  /** Adds `data` to the hashed input; returns the hasher for chaining. */
  update(data: Uint8Array): Sha256Hasher;
  /** The 32-byte hash of everything added. */
  digest(): Uint8Array;
}

/** Names of the built-in providers. */
export type ProviderName = "node" | "sodium" | "noble";

/**
 * Synchronous cryptographic primitives (suite PARLEY_V1: X25519, Ed25519, SHA-256,
 * HMAC-SHA256, HKDF-SHA256, ChaCha20-Poly1305 (RFC 8439), ML-KEM-768 (FIPS 203)).
 */
export interface CryptoProvider {
  /** Which implementation this is, and where ML-KEM comes from (e.g. `"node+sodium-mlkem+sodium-aead"`). */
  readonly name: string;

  /** `n` bytes from a cryptographically secure source. */
  randomBytes(n: number): Uint8Array;

  /** SHA-256 (FIPS 180-4). */
  sha256(data: Uint8Array): Uint8Array;
  /** A fresh incremental SHA-256, for inputs that never sit whole in memory (attachments). */
  sha256Incremental(): Sha256Hasher;
  /** HMAC-SHA256 (RFC 2104). Any key length. */
  hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF-SHA256 extract-and-expand (RFC 5869). `length` ≤ 8160. An empty salt means 32 zero bytes. */
  hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;

  /** X25519 public key for a 32-byte private key (RFC 7748 §6.1; clamping is applied internally). */
  x25519PublicKey(privateKey: Uint8Array): Uint8Array;
  /** A fresh random X25519 key pair. */
  x25519GenerateKeyPair(): KeyPair;
  /**
   * X25519 shared secret between our key pair and their public key (RFC 7748 §5).
   * Returns the raw 32 bytes, including the all-zero output for low-order points: the
   * protocol, not the provider, rejects that (it is a protocol error, not a provider one).
   * The key pair is passed whole so providers that need the public half to import a key
   * (node:crypto JWK) do not recompute it.
   */
  x25519(ours: KeyPair, theirPublicKey: Uint8Array): Uint8Array;

  /** Ed25519 public key for a 32-byte seed (RFC 8032 §5.1.5). */
  ed25519PublicKey(seed: Uint8Array): Uint8Array;
  /** A fresh random Ed25519 key pair. */
  ed25519GenerateKeyPair(): KeyPair;
  /** Ed25519 signature (64 bytes, RFC 8032 §5.1.6). */
  ed25519Sign(keyPair: KeyPair, message: Uint8Array): Uint8Array;
  /**
   * Ed25519 verification (RFC 8032 §5.1.7) with libsodium's strictness: non-canonical S
   * (S ≥ L), non-canonical or small-order public keys and small-order R rejected; cofactorless
   * equation. Returns false on any failure, including a signature of the wrong length (it is
   * attacker input); throws RangeError only for a public key of the wrong length.
   */
  ed25519Verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean;

  /** ChaCha20-Poly1305 (RFC 8439) with a 32-byte key and 12-byte nonce; returns ciphertext ‖ 16-byte tag. */
  aeadEncrypt(key: Uint8Array, nonce: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Uint8Array;
  /** Inverse of `aeadEncrypt`; `null` when the tag does not verify or the input is shorter than a tag. */
  aeadDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, aad: Uint8Array): Uint8Array | null;

  /** ML-KEM-768 key pair from a 64-byte seed d ‖ z (FIPS 203 ML-KEM.KeyGen_internal). */
  mlkemKeyPairFromSeed(seed: Uint8Array): KemKeyPair;
  /**
   * ML-KEM-768 encapsulation. With `randomness` (32 bytes, the message m of FIPS 203
   * ML-KEM.Encaps_internal) it is deterministic, for test vectors. Returns `null` when the
   * encapsulation key fails the FIPS 203 §7.2 modulus check; a key of the wrong length throws
   * RangeError.
   */
  mlkemEncapsulate(publicKey: Uint8Array, randomness?: Uint8Array): KemEncapsulation | null;
  /**
   * ML-KEM-768 decapsulation (implicit rejection: a bad ciphertext of the right length yields a
   * pseudo-random secret). A ciphertext or decapsulation key of the wrong length, or a key that
   * fails the FIPS 203 §7.3 hash check, throws RangeError: callers check lengths first.
   */
  mlkemDecapsulate(secretKey: Uint8Array, ciphertext: Uint8Array): Uint8Array;
}
