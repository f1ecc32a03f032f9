/**
 * The text form of a QR payload, for people who cannot scan: base64url without padding
 * (RFC 4648 §5), the same text the QR code holds. `parseCodeText` takes what someone pasted
 * (spaces and line breaks ignored) and returns the bytes, or undefined when it is not base64url.
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const VALUES = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));
/** Longest text accepted, far above any payload Parley shows (a link approval is under 1 KB). */
export const MAX_CODE_TEXT = 8192;

export function codeText(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] ?? 0;
    const b = bytes[i + 1] ?? 0;
    const c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    const left = bytes.length - i;
    out += ALPHABET[(n >> 18) & 63];
    out += ALPHABET[(n >> 12) & 63];
    if (left > 1) out += ALPHABET[(n >> 6) & 63];
    if (left > 2) out += ALPHABET[n & 63];
  }
  return out;
}

export function parseCodeText(text: string): Uint8Array | undefined {
  const clean = text.replace(/\s+/g, "").replace(/=+$/, "");
  if (clean.length === 0 || clean.length > MAX_CODE_TEXT || clean.length % 4 === 1) return undefined;
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const ch of clean) {
    const v = VALUES.get(ch);
    if (v === undefined) return undefined;
    value = ((value << 6) | v) & 0x3fff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (value >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, so every byte string has exactly one text form.
  if ((value & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
