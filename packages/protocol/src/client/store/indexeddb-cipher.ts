/**
 * How `IndexedDbStore` keeps entries unreadable at rest (spec/ratchet.md §8): WebCrypto keys
 * that never leave the browser's key store, entry locations that are HMACs instead of names, and
 * values sealed with AES-256-GCM bound to their location. Also the stored key record: the keys
 * themselves as non-extractable `CryptoKey`s (structured clone keeps them non-extractable), or,
 * with a passphrase, wrapped under a PBKDF2-derived key.
 *
 * An entry's IndexedDB key is `[H("ns", ns), H("group", ns, group), H("key", ns, key)]`, each a
 * 128-bit HMAC-SHA256 in hex, where `group` is the key up to and including its first "/" (""
 * if none). The group level keeps `list(ns, "contact/")` a range read rather than a scan of the
 * namespace; it also means the database shows how many entries each group (e.g. each
 * conversation's messages) holds, and every value's length. Its value is
 * `iv[12] ‖ AES-GCM(key units u32le ‖ key as UTF-16LE ‖ value)` with the location as AD, so an
 * entry moved to another location fails to open.
 */
import { concatBytes, secureRandomBytes } from "../../crypto/bytes.js";
import { type Passphrase, passphraseBytes } from "./passphrase.js";
import { StoreError, StoreErrorCode } from "./store-error.js";

/** An opaque WebCrypto key (`CryptoKey`); the package builds without the DOM library. */
export type CryptoKeyLike = object;

/** The part of WebCrypto's `SubtleCrypto` used here (a browser's and Node's both fit). */
export interface SubtleLike {
  generateKey(algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  importKey(format: "raw", data: Uint8Array, algorithm: object, extractable: boolean, usages: string[]): Promise<unknown>;
  deriveKey(algorithm: object, base: CryptoKeyLike, derived: object, extractable: boolean, usages: string[]): Promise<unknown>;
  wrapKey(format: "raw", key: CryptoKeyLike, wrappingKey: CryptoKeyLike, algorithm: object): Promise<ArrayBuffer>;
  unwrapKey(
    format: "raw",
    wrapped: Uint8Array,
    unwrappingKey: CryptoKeyLike,
    unwrapAlgorithm: object,
    keyAlgorithm: object,
    extractable: boolean,
    usages: string[],
  ): Promise<unknown>;
  encrypt(algorithm: object, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  decrypt(algorithm: object, key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
  sign(algorithm: "HMAC", key: CryptoKeyLike, data: Uint8Array): Promise<ArrayBuffer>;
}

/**
 * PBKDF2-HMAC-SHA256 iterations for new passphrase stores: OWASP's 2023 figure for this hash.
 * PBKDF2 because it is the only password KDF WebCrypto has (scrypt or Argon2 would need wasm or
 * slow JS in every browser); recorded per store, so raising it affects new stores only.
 */
export const DEFAULT_PBKDF2_ITERATIONS = 600_000;
/** Most iterations a stored record may ask for: a hostile record must not hang the tab for hours. */
export const MAX_PBKDF2_ITERATIONS = 10_000_000;
/** PBKDF2 salt, 128 bits (NIST SP 800-132). */
const SALT_BYTES = 16;
/** AES-GCM IV, random per value: with 2^32 values per key the collision chance stays below 2^-32 (SP 800-38D §8.3). */
const IV_BYTES = 12;
/** Location hashes are HMAC-SHA256 cut to 128 bits: collision-free for any store a device holds. */
const LOCATION_BYTES = 16;
/** Key record format version. */
const RECORD_VERSION = 1;
/**
 * Namespace and group hashes remembered per store (they are in the database anyway): saves two of
 * the three HMACs per call. Cleared when full, so a store with many groups costs at most this much.
 */
const LOCATION_CACHE_ENTRIES = 4096;

const AES = { name: "AES-GCM", length: 256 } as const;
const HMAC = { name: "HMAC", hash: "SHA-256", length: 256 } as const;
const ENTRY_USAGES = ["encrypt", "decrypt"];
const LOCATION_USAGES = ["sign"];
const utf8 = (text: string) => new TextEncoder().encode(text);
/** AD of each wrapped key: a wrapped HMAC key cannot be unwrapped as the AES key or vice versa. */
const WRAP_AD = { aes: utf8("Parley IndexedDB store v1 entry key"), hmac: utf8("Parley IndexedDB store v1 location key") };

/** The stored key record: the keys themselves, or wrapped under a passphrase. */
export type KeyRecord =
  | { readonly v: 1; readonly kind: "device"; readonly aes: CryptoKeyLike; readonly hmac: CryptoKeyLike }
  | {
      readonly v: 1;
      readonly kind: "passphrase";
      readonly salt: Uint8Array;
      readonly iterations: number;
      readonly aes: Uint8Array;
      readonly hmac: Uint8Array;
    };

/** Throws `RangeError` unless `iterations` is a PBKDF2 count this store accepts. */
export function assertIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBKDF2_ITERATIONS)
    throw new RangeError(`kdfIterations must be an integer from 1 to ${MAX_PBKDF2_ITERATIONS}`);
}

/** UTF-16LE code units: keys may hold lone surrogates, which UTF-8 would replace. */
function utf16(text: string): Uint8Array {
  const out = new Uint8Array(2 * text.length);
  for (let i = 0; i < text.length; i++) {
    out[2 * i] = text.charCodeAt(i) & 0xff;
    out[2 * i + 1] = text.charCodeAt(i) >>> 8;
  }
  return out;
}

/** A length-prefixed field, so concatenated fields cannot be re-split differently. */
function field(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + bytes.length);
  new DataView(out.buffer).setUint32(0, bytes.length, true);
  out.set(bytes, 4);
  return out;
}

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

const corrupt = () => new StoreError(StoreErrorCode.Corrupt, "IndexedDB entry fails its authentication check");

/** The part of `key` that groups it (up to and including the first "/"), "" if none. */
export function keyGroup(key: string): string {
  const slash = key.indexOf("/");
  return slash < 0 ? "" : key.slice(0, slash + 1);
}

/** Seals and opens entries, and names their locations, under one store's two keys. */
export class EntryCipher {
  readonly #subtle: SubtleLike;
  readonly #aes: CryptoKeyLike;
  readonly #hmac: CryptoKeyLike;
  readonly #cache = new Map<string, Promise<string>>();

  constructor(subtle: SubtleLike, aes: CryptoKeyLike, hmac: CryptoKeyLike) {
    this.#subtle = subtle;
    this.#aes = aes;
    this.#hmac = hmac;
  }

  async #hash(label: string, ...parts: string[]): Promise<string> {
    const input = concatBytes(field(utf8(label)), ...parts.map((part) => field(utf16(part))));
    return hex(new Uint8Array(await this.#subtle.sign("HMAC", this.#hmac, input)).subarray(0, LOCATION_BYTES));
  }

  /** `#hash` through the cache (keyed by the length-prefixed parts, so distinct inputs never share an entry). */
  #cached(label: string, ...parts: string[]): Promise<string> {
    const id = [label, ...parts].map((part) => `${part.length}:${part}`).join("");
    let hash = this.#cache.get(id);
    if (hash === undefined) {
      if (this.#cache.size >= LOCATION_CACHE_ENTRIES) this.#cache.clear();
      hash = this.#hash(label, ...parts);
      hash.catch(() => this.#cache.delete(id));
      this.#cache.set(id, hash);
    }
    return hash;
  }

  /** The hashed namespace: the first element of every location in it. */
  namespace(namespace: string): Promise<string> {
    return this.#cached("ns", namespace);
  }

  /** The hashed group of `key`'s group within `namespace`. */
  group(namespace: string, group: string): Promise<string> {
    return this.#cached("group", namespace, group);
  }

  /** The IndexedDB key of (namespace, key). */
  async locate(namespace: string, key: string): Promise<[string, string, string]> {
    return Promise.all([this.namespace(namespace), this.group(namespace, keyGroup(key)), this.#hash("key", namespace, key)]);
  }

  /** `iv ‖ ciphertext` of (key, value), bound to `location`. */
  async seal(location: readonly string[], key: string, value: Uint8Array): Promise<Uint8Array> {
    const iv = secureRandomBytes(IV_BYTES);
    const plaintext = concatBytes(field(utf16(key)), value);
    const sealed = await this.#subtle.encrypt({ name: "AES-GCM", iv, additionalData: utf8(location.join(".")) }, this.#aes, plaintext);
    plaintext.fill(0);
    return concatBytes(iv, new Uint8Array(sealed));
  }

  /** The key and value sealed at `location`; `ERR_STORE_CORRUPT` if it fails to authenticate or parse. */
  async open(location: readonly string[], sealed: unknown): Promise<{ key: string; value: Uint8Array }> {
    if (!(sealed instanceof Uint8Array) || sealed.length < IV_BYTES) throw corrupt();
    let plaintext: Uint8Array;
    try {
      const iv = sealed.subarray(0, IV_BYTES);
      const additionalData = utf8(location.join("."));
      plaintext = new Uint8Array(await this.#subtle.decrypt({ name: "AES-GCM", iv, additionalData }, this.#aes, sealed.subarray(IV_BYTES)));
    } catch {
      throw corrupt();
    }
    const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
    const bytes = plaintext.length >= 4 ? view.getUint32(0, true) : Number.POSITIVE_INFINITY;
    if (bytes % 2 !== 0 || 4 + bytes > plaintext.length) throw corrupt();
    let key = "";
    for (let i = 0; i < bytes; i += 2) key += String.fromCharCode(view.getUint16(4 + i, true));
    return { key, value: plaintext.slice(4 + bytes) };
  }
}

/**
 * Wrapping keys derived during one `open`, by salt: creating a store and then unlocking the record
 * just stored would otherwise run PBKDF2 twice.
 */
export type KekCache = Map<string, Promise<CryptoKeyLike>>;

/** A new key record: fresh keys, non-extractable, or wrapped under `passphrase` with PBKDF2. */
export async function newKeyRecord(
  subtle: SubtleLike,
  passphrase: Passphrase | undefined,
  iterations: number,
  keks: KekCache,
): Promise<KeyRecord> {
  if (passphrase === undefined) {
    const [aes, hmac] = await Promise.all([subtle.generateKey(AES, false, ENTRY_USAGES), subtle.generateKey(HMAC, false, LOCATION_USAGES)]);
    return { v: RECORD_VERSION, kind: "device", aes: aes as CryptoKeyLike, hmac: hmac as CryptoKeyLike };
  }
  const salt = secureRandomBytes(SALT_BYTES);
  const kek = await wrappingKey(subtle, passphrase, salt, iterations, keks);
  // Extractable only long enough to be wrapped; the store itself uses them unwrapped as non-extractable.
  const [aes, hmac] = await Promise.all([subtle.generateKey(AES, true, ENTRY_USAGES), subtle.generateKey(HMAC, true, LOCATION_USAGES)]);
  const wrap = async (key: unknown, additionalData: Uint8Array) => {
    const iv = secureRandomBytes(IV_BYTES);
    return concatBytes(iv, new Uint8Array(await subtle.wrapKey("raw", key as CryptoKeyLike, kek, { name: "AES-GCM", iv, additionalData })));
  };
  return {
    v: RECORD_VERSION,
    kind: "passphrase",
    salt,
    iterations,
    aes: await wrap(aes, WRAP_AD.aes),
    hmac: await wrap(hmac, WRAP_AD.hmac),
  };
}

function wrappingKey(
  subtle: SubtleLike,
  passphrase: Passphrase,
  salt: Uint8Array,
  iterations: number,
  keks: KekCache,
): Promise<CryptoKeyLike> {
  const id = `${hex(salt)}:${iterations}`;
  let kek = keks.get(id);
  if (kek === undefined) {
    kek = deriveWrappingKey(subtle, passphrase, salt, iterations);
    keks.set(id, kek);
  }
  return kek;
}

async function deriveWrappingKey(subtle: SubtleLike, passphrase: Passphrase, salt: Uint8Array, iterations: number): Promise<CryptoKeyLike> {
  const bytes = passphraseBytes(passphrase);
  try {
    const base = (await subtle.importKey("raw", bytes, { name: "PBKDF2" }, false, ["deriveKey"])) as CryptoKeyLike;
    return (await subtle.deriveKey({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, base, AES, false, [
      "wrapKey",
      "unwrapKey",
    ])) as CryptoKeyLike;
  } finally {
    bytes.fill(0);
  }
}

const passphraseError = (message: string) => new StoreError(StoreErrorCode.Passphrase, message);

/**
 * The cipher for a stored key record. Rejects `ERR_STORE_PASSPHRASE` for a wrong, missing or
 * unexpected passphrase, `ERR_STORE_UNSUPPORTED` for a record this version does not know.
 */
export async function unlock(
  subtle: SubtleLike,
  record: unknown,
  passphrase: Passphrase | undefined,
  keks: KekCache = new Map(),
): Promise<EntryCipher> {
  const r = record as Partial<Record<string, unknown>> | undefined;
  if (typeof r !== "object" || r === null || r.v !== RECORD_VERSION)
    throw new StoreError(StoreErrorCode.Unsupported, "IndexedDB store keys are in a format this version does not know");
  if (r.kind === "device") {
    if (passphrase !== undefined) throw passphraseError("this IndexedDB store was made without a passphrase");
    return new EntryCipher(subtle, r.aes as CryptoKeyLike, r.hmac as CryptoKeyLike);
  }
  if (r.kind !== "passphrase" || !(r.salt instanceof Uint8Array) || !(r.aes instanceof Uint8Array) || !(r.hmac instanceof Uint8Array))
    throw new StoreError(StoreErrorCode.Unsupported, "IndexedDB store keys are in a format this version does not know");
  if (passphrase === undefined) throw passphraseError("this IndexedDB store needs its passphrase");
  const iterations = r.iterations as number;
  try {
    assertIterations(iterations);
  } catch {
    throw new StoreError(StoreErrorCode.Unsupported, "IndexedDB store keys ask for an unsupported PBKDF2 iteration count");
  }
  const kek = await wrappingKey(subtle, passphrase, r.salt, iterations, keks);
  const unwrap = async (wrapped: Uint8Array, additionalData: Uint8Array, algorithm: object, usages: string[]) => {
    try {
      const iv = wrapped.subarray(0, IV_BYTES);
      const params = { name: "AES-GCM", iv, additionalData };
      return (await subtle.unwrapKey("raw", wrapped.subarray(IV_BYTES), kek, params, algorithm, false, usages)) as CryptoKeyLike;
    } catch {
      throw passphraseError("wrong passphrase for this IndexedDB store");
    }
  };
  const aes = await unwrap(r.aes, WRAP_AD.aes, AES, ENTRY_USAGES);
  const hmac = await unwrap(r.hmac, WRAP_AD.hmac, HMAC, LOCATION_USAGES);
  return new EntryCipher(subtle, aes, hmac);
}
