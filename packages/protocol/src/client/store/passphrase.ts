/**
 * A store passphrase as callers give it (text or bytes) and as the stores use it (bytes the
 * caller cannot reach, so they can be wiped). Shared by the file store (scrypt) and the
 * IndexedDB store (PBKDF2); browser-safe.
 */

/** A passphrase as given by the caller: text (NFC-normalised, UTF-8) or raw bytes. */
export type Passphrase = string | Uint8Array;

/**
 * The passphrase as bytes the caller cannot reach (so they can be wiped). Text is NFC-normalised
 * first so the same passphrase typed on two platforms gives the same key. Throws `TypeError` for
 * other types and `RangeError` for an empty passphrase, which would make the encryption moot.
 */
export function passphraseBytes(passphrase: Passphrase): Uint8Array {
  let bytes: Uint8Array;
  if (typeof passphrase === "string") bytes = new TextEncoder().encode(passphrase.normalize("NFC"));
  else if (passphrase instanceof Uint8Array) bytes = new Uint8Array(passphrase);
  else throw new TypeError("passphrase must be a string or a Uint8Array");
  if (bytes.length === 0) throw new RangeError("passphrase must not be empty");
  return bytes;
}
