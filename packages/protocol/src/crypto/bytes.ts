/**
 * Byte-string helpers shared by the crypto providers (and usable by the protocol core):
 * argument checks that throw the errors `provider.ts` promises, constant-time comparison,
 * concatenation, and hex for tests. Pure functions; importing this file runs nothing.
 */

import type { Sha256Hasher } from "./provider.js";

/**
 * Throws `TypeError` unless `value` is a `Uint8Array` (a Node `Buffer` counts: it is one).
 *
 * @example
 * ```ts
 * assertBytes(message, "message");
 * ```
 */
export function assertBytes(value: unknown, name: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`${name} must be a Uint8Array`);
  }
}

/**
 * Throws `TypeError` unless `value` is a `Uint8Array`, and `RangeError` unless it is exactly
 * `length` bytes long — the two errors every provider must raise for bad arguments.
 *
 * @example
 * ```ts
 * assertLength(key, 32, "key"); // RangeError: key must be 32 bytes, got 31
 * ```
 */
export function assertLength(value: unknown, length: number, name: string): asserts value is Uint8Array {
  assertBytes(value, name);
  if (value.length !== length) {
    throw new RangeError(`${name} must be ${length} bytes, got ${value.length}`);
  }
}

/**
 * Throws `TypeError` unless `value` is a number and `RangeError` unless it is an integer in
 * `[min, max]`. Used for requested output lengths.
 */
export function assertInteger(value: unknown, min: number, max: number, name: string): asserts value is number {
  if (typeof value !== "number") throw new TypeError(`${name} must be a number`);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/** `crypto.getRandomValues` refuses more than 65 536 bytes per call (WebCrypto §10.1.1). */
const GET_RANDOM_VALUES_MAX = 65_536;

/**
 * `n` bytes from `globalThis.crypto.getRandomValues`, the platform CSPRNG (Node ≥ 19 and every
 * browser), in chunks it accepts.
 *
 * @example
 * ```ts
 * const nonce = secureRandomBytes(12);
 * ```
 */
export function secureRandomBytes(n: number): Uint8Array {
  assertInteger(n, 0, Number.MAX_SAFE_INTEGER, "n");
  const out = new Uint8Array(n);
  for (let offset = 0; offset < n; offset += GET_RANDOM_VALUES_MAX) {
    globalThis.crypto.getRandomValues(out.subarray(offset, Math.min(n, offset + GET_RANDOM_VALUES_MAX)));
  }
  return out;
}

/** Concatenates byte strings into one fresh array. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  return joinBytes(parts);
}

/** `concatBytes` for an array of parts: no argument spreading, so any number of parts is fine. */
export function joinBytes(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * Compares two byte strings in time that depends only on their lengths (never on where they
 * differ), so comparing a secret against attacker input leaks nothing but the length.
 *
 * @example
 * ```ts
 * equalBytes(expectedTag, receivedTag); // boolean
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/** Overwrites each array with zeros; for intermediate secrets we allocated ourselves. */
export function wipe(...arrays: readonly Uint8Array[]): void {
  for (const array of arrays) array.fill(0);
}

/** Lower-case hex encoding (tests and debugging of public values only; never log secrets). */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = "";
  for (const byte of bytes) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Decodes hex (either case, even length); throws `RangeError` on malformed input. */
export function hexToBytes(hex: string): Uint8Array {
  if (typeof hex !== "string") throw new TypeError("hex must be a string");
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) {
    throw new RangeError("hex must be an even-length string of hex digits");
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/**
 * Values derived from a key (an imported `KeyObject`, an expanded secret key), cached by the
 * identity of the caller's key array: the protocol keeps one `Uint8Array` per long-lived key.
 * Each entry keeps a copy of the bytes and is used only while they still match, so a caller
 * that reuses an array for a different key gets a fresh derivation, never a stale one. The copy
 * adds no exposure: the cached value holds the same secret for exactly as long (until the
 * caller's array is garbage-collected). Create one per provider instance, never per module.
 *
 * @example
 * ```ts
 * const imported = new KeyedCache<KeyObject>();
 * const key = imported.get(privateKey, () => importKey(privateKey));
 * ```
 */
export class KeyedCache<V> {
  readonly #entries = new WeakMap<Uint8Array, { readonly bytes: Uint8Array; readonly value: V }>();

  /** The cached value for `bytes`, or `derive()`'s result, cached, if absent or stale. */
  get(bytes: Uint8Array, derive: () => V): V {
    const hit = this.#entries.get(bytes);
    if (hit !== undefined && equalBytes(hit.bytes, bytes)) return hit.value;
    const value = derive();
    this.#entries.set(bytes, { bytes: bytes.slice(), value });
    return value;
  }
}

/**
 * Wraps a hash state as a single-use `Sha256Hasher`: checks argument types, refuses use after
 * `digest` (a finished state cannot be extended, and silently hashing on would be a bug).
 */
export function onceHasher(update: (data: Uint8Array) => void, finish: () => Uint8Array): Sha256Hasher {
  let done = false;
  const hasher: Sha256Hasher = {
    update(data) {
      assertBytes(data, "data");
      if (done) throw new Error("SHA-256 hasher already finished");
      update(data);
      return hasher;
    },
    digest() {
      if (done) throw new Error("SHA-256 hasher already finished");
      done = true;
      return finish();
    },
  };
  return hasher;
}
