/**
 * Safety numbers (spec/safety-numbers.md): 60 digits two users compare, in person or by QR
 * code, to know no one sits between them. They cover each side's account key, so they stay
 * the same when a user adds a device and change when an account key changes.
 *
 * fingerprint(key, userId) = H^5200 where H^0 = SHA-256(0x00 0x01 ‖ "Parley/v1/fingerprint" ‖ key ‖ userId)
 * and H^(i+1) = SHA-256(H^i ‖ key); its first 30 bytes give 6 groups of 5 digits.
 */

import { concatBytes, equalBytes } from "./crypto/bytes.js";
import type { Deps } from "./deps.js";
import { ByteReader } from "./encoding/reader.js";
import { invalidEncoding } from "./errors.js";
import { LABEL_FINGERPRINT } from "./labels.js";
import { SAFETY_NUMBER_ITERATIONS } from "./limits.js";

const FINGERPRINT_VERSION = new Uint8Array([0x00, 0x01]);
const QR_VERSION = 1;
/** Length of the QR payload: version ‖ local fingerprint ‖ remote fingerprint. */
export const SAFETY_QR_LENGTH = 1 + 32 + 32;

/** One party's identity as safety numbers see it. */
export interface SafetyParty {
  readonly accountKey: Uint8Array;
  readonly userId: Uint8Array;
}

export interface SafetyNumber {
  /** 60 digits, the same on both sides. */
  readonly digits: string;
  /** `digits` in 12 groups of 5, separated by spaces, for display. */
  readonly display: string;
  /** Bytes to show as a QR code; the other side scans it with `compareSafetyQr`. */
  readonly qrPayload: Uint8Array;
}

/** The 32-byte iterated fingerprint hash of one party. */
export function fingerprint(deps: Deps, party: SafetyParty): Uint8Array {
  let hash = deps.crypto.sha256(concatBytes(FINGERPRINT_VERSION, LABEL_FINGERPRINT, party.accountKey, party.userId));
  const buffer = new Uint8Array(32 + party.accountKey.length);
  buffer.set(party.accountKey, 32);
  for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) {
    buffer.set(hash, 0);
    hash = deps.crypto.sha256(buffer);
  }
  return hash;
}

/** 30 digits from a fingerprint: six 5-byte big-endian chunks, each mod 100000. */
export function fingerprintDigits(hash: Uint8Array): string {
  let out = "";
  for (let i = 0; i < 6; i++) {
    let value = 0;
    for (let j = 0; j < 5; j++) value = value * 256 + (hash[i * 5 + j] ?? 0);
    out += String(value % 100000).padStart(5, "0");
  }
  return out;
}

/** The safety number between `local` and `remote`; both sides compute the same digits. */
export function safetyNumber(deps: Deps, local: SafetyParty, remote: SafetyParty): SafetyNumber {
  const localHash = fingerprint(deps, local);
  const remoteHash = fingerprint(deps, remote);
  const parts = [fingerprintDigits(localHash), fingerprintDigits(remoteHash)].sort();
  const digits = parts.join("");
  const display = digits.match(/.{5}/g)?.join(" ") ?? digits;
  const qrPayload = concatBytes(new Uint8Array([QR_VERSION]), localHash, remoteHash);
  return { digits, display, qrPayload };
}

/**
 * Compares a QR payload scanned from the other device with ours: true when it shows the same
 * two fingerprints (theirs as local, ours as remote). Throws ERR_INVALID_ENCODING on bad input.
 */
export function compareSafetyQr(ours: SafetyNumber, scanned: Uint8Array): boolean {
  const r = new ByteReader(scanned, "safety number QR payload");
  if (r.u8() !== QR_VERSION) throw invalidEncoding("safety number QR payload has an unknown version");
  const theirLocal = r.bytes(32);
  const theirRemote = r.bytes(32);
  r.end();
  return equalBytes(theirLocal, ours.qrPayload.subarray(33, 65)) && equalBytes(theirRemote, ours.qrPayload.subarray(1, 33));
}
