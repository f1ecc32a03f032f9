/**
 * The encrypted file store's key schedule: passphrase → scrypt (node:crypto, on libuv's thread
 * pool so the event loop keeps running) → HKDF-SHA256 → a record key and a key-check key. The
 * scrypt output and the passphrase bytes are wiped as soon as the two keys exist.
 */
import { scrypt } from "node:crypto";
import { equalBytes, wipe } from "../../crypto/bytes.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { LABEL_ANCHOR_KEY, LABEL_CHECK_KEY, LABEL_DATA_KEY, type ScryptParams } from "./file-constants.js";

/** The keys a store file is used with. Both are secrets: wipe with `wipeStoreKeys`. */
export interface StoreKeys {
  /** ChaCha20-Poly1305 key for every record. */
  readonly dataKey: Uint8Array;
  /** HMAC key for the header's key check. */
  readonly checkKey: Uint8Array;
  /** HMAC key for the rollback anchor's slots. */
  readonly anchorKey: Uint8Array;
}

export { type Passphrase, passphraseBytes } from "./passphrase.js";

/**
 * Derives the store keys from the passphrase bytes (which it wipes) and the header's salt.
 * scrypt needs 128·N·r bytes plus p blocks (RFC 7914 §5); maxmem is set to exactly that plus
 * slack, since node's 32 MiB default refuses the default parameters.
 */
export async function deriveStoreKeys(
  crypto: CryptoProvider,
  passphrase: Uint8Array,
  salt: Uint8Array,
  params: ScryptParams,
): Promise<StoreKeys> {
  const { N, r, p } = params;
  const maxmem = 128 * r * (N + p + 2) + 2 ** 20;
  let master: Uint8Array;
  try {
    master = await new Promise<Uint8Array>((resolve, reject) =>
      scrypt(passphrase, salt, 32, { N, r, p, maxmem }, (error, key) => (error === null ? resolve(key) : reject(error))),
    );
  } finally {
    wipe(passphrase);
  }
  try {
    return {
      dataKey: crypto.hkdfSha256(master, salt, LABEL_DATA_KEY, 32),
      checkKey: crypto.hkdfSha256(master, salt, LABEL_CHECK_KEY, 32),
      anchorKey: crypto.hkdfSha256(master, salt, LABEL_ANCHOR_KEY, 32),
    };
  } finally {
    wipe(master);
  }
}

/** The key-check value over the header fields (bytes 0..48). */
export function keyCheckValue(crypto: CryptoProvider, keys: StoreKeys, headerFields: Uint8Array): Uint8Array {
  return crypto.hmacSha256(keys.checkKey, headerFields);
}

/** True when `keys` came from the passphrase the header was written with (constant-time compare). */
export function keysMatchHeader(crypto: CryptoProvider, keys: StoreKeys, headerFields: Uint8Array, keyCheck: Uint8Array): boolean {
  return equalBytes(keyCheckValue(crypto, keys, headerFields), keyCheck);
}

/** Zeroes the keys. */
export function wipeStoreKeys(keys: StoreKeys): void {
  wipe(keys.dataKey, keys.checkKey, keys.anchorKey);
}
