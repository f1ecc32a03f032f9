/**
 * Length hiding for content plaintexts (spec/content.md §Padding): the encoded content is
 * followed by 0x80 and zero bytes up to a Padmé bucket (Nikitin et al., PETS 2019), which
 * leaks O(log log L) bits of the length L with at most ~12% overhead, and never less than
 * MIN_PADDED_LENGTH so short messages (reactions, receipts, "ok") all look alike.
 */

import { invalidEncoding } from "../errors.js";

/** Smallest padded content length in bytes. */
export const MIN_PADDED_LENGTH = 64;

/** The padded length for `length` bytes of content plus the 0x80 marker. */
export function paddedLength(length: number): number {
  const l = Math.max(length + 1, MIN_PADDED_LENGTH);
  const e = Math.floor(Math.log2(l));
  const s = Math.floor(Math.log2(e)) + 1;
  const lastBits = e - s;
  const mask = 2 ** lastBits - 1;
  return Math.ceil(l / (mask + 1)) * (mask + 1);
}

/** Appends 0x80 and zeros up to `paddedLength(content.length)`. */
export function pad(content: Uint8Array): Uint8Array {
  const out = new Uint8Array(paddedLength(content.length));
  out.set(content);
  out[content.length] = 0x80;
  return out;
}

/** Strips the padding: the content ends at the last 0x80 byte; everything after it must be zero. */
export function unpad(padded: Uint8Array): Uint8Array {
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (end < 0 || padded[end] !== 0x80) throw invalidEncoding("content padding is malformed");
  return padded.subarray(0, end);
}
