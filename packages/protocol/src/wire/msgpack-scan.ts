/**
 * A structural check of msgpack bytes run before msgpackr sees them, so only plain msgpack any
 * implementation reads gets through: no extension types (msgpackr's records, dates, typed
 * arrays, references), string map keys only, valid UTF-8 strings, bounded nesting, and exactly
 * one value with no trailing bytes. It walks the bytes once and allocates nothing per element,
 * so arbitrary input costs time linear in its length and never a deep recursion.
 */

import { invalidEncoding } from "../errors.js";

/** Deepest nesting any frame needs (frame → array → map → field) with room to spare. */
export const MAX_MSGPACK_DEPTH = 8;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** Throws ERR_INVALID_ENCODING unless `bytes` is exactly one plain msgpack value within the rules above. */
export function scanMsgpack(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;

  const need = (n: number): void => {
    if (n > bytes.length - pos) throw invalidEncoding("msgpack value is truncated");
  };
  const u8 = (): number => {
    need(1);
    return view.getUint8(pos++);
  };
  const u16 = (): number => {
    need(2);
    const n = view.getUint16(pos);
    pos += 2;
    return n;
  };
  const u32 = (): number => {
    need(4);
    const n = view.getUint32(pos);
    pos += 4;
    return n;
  };
  const skip = (n: number): void => {
    need(n);
    pos += n;
  };
  const str = (n: number): void => {
    need(n);
    try {
      utf8.decode(bytes.subarray(pos, pos + n));
    } catch {
      throw invalidEncoding("msgpack string is not valid UTF-8");
    }
    pos += n;
  };
  const items = (count: number, perItem: number, depth: number, asMap: boolean): void => {
    if (depth > MAX_MSGPACK_DEPTH) throw invalidEncoding("msgpack nesting is too deep");
    // Each element takes at least one byte, so a count larger than what is left is a lie.
    if (count * perItem > bytes.length - pos) throw invalidEncoding("msgpack length exceeds the input");
    for (let i = 0; i < count; i++) {
      if (asMap) value(depth, true);
      value(depth, false);
    }
  };

  function value(depth: number, asKey: boolean): void {
    const b = u8();
    if (b >= 0xa0 && b <= 0xbf) {
      str(b & 0x1f);
      return;
    }
    if (b === 0xd9) {
      str(u8());
      return;
    }
    if (b === 0xda) {
      str(u16());
      return;
    }
    if (b === 0xdb) {
      str(u32());
      return;
    }
    if (asKey) throw invalidEncoding("msgpack map keys must be strings");
    if (b <= 0x7f || b >= 0xe0) return;
    if (b >= 0x80 && b <= 0x8f) {
      items(b & 0x0f, 2, depth + 1, true);
      return;
    }
    if (b >= 0x90 && b <= 0x9f) {
      items(b & 0x0f, 1, depth + 1, false);
      return;
    }
    switch (b) {
      case 0xc0: // nil
      case 0xc2: // false
      case 0xc3: // true
        return;
      case 0xc4:
        skip(u8());
        return;
      case 0xc5:
        skip(u16());
        return;
      case 0xc6:
        skip(u32());
        return;
      case 0xcc:
      case 0xd0:
        skip(1);
        return;
      case 0xcd:
      case 0xd1:
        skip(2);
        return;
      case 0xca:
      case 0xce:
      case 0xd2:
        skip(4);
        return;
      case 0xcb:
      case 0xcf:
      case 0xd3:
        skip(8);
        return;
      case 0xdc:
        items(u16(), 1, depth + 1, false);
        return;
      case 0xdd:
        items(u32(), 1, depth + 1, false);
        return;
      case 0xde:
        items(u16(), 2, depth + 1, true);
        return;
      case 0xdf:
        items(u32(), 2, depth + 1, true);
        return;
      default:
        // 0xc1 (never used) and every extension type (0xc7–0xc9, 0xd4–0xd8).
        throw invalidEncoding("msgpack extension types are not allowed");
    }
  }

  value(0, false);
  if (pos !== bytes.length) throw invalidEncoding("trailing bytes after the msgpack value");
}
