/**
 * A structural check of msgpack bytes run before msgpackr sees them, so only plain msgpack any
 * implementation reads gets through: no extension types (msgpackr's records, dates, typed
 * arrays, references), string map keys only, no key twice in one map (another decoder might
 * keep the other copy), valid UTF-8 strings, bounded nesting, bounded map width, a bounded total
 * number of values, and exactly one value with no trailing bytes. It walks the bytes once and
 * allocates only a key index per map, so arbitrary input costs time linear in its length and never a
 * deep recursion; and since everything msgpackr would build is counted here first, the budget
 * bounds the work of the unpack that follows (issue 13, relay item 1).
 */

import { invalidEncoding } from "../errors.js";

/** Deepest nesting any frame needs (frame → array → map → field) with room to spare. */
export const MAX_MSGPACK_DEPTH = 8;
/** Most values (keys included) in one frame: a full `send` of MAX_BATCH messages needs ~9,250. */
export const MAX_MSGPACK_ELEMENTS = 12_288;
/** Most entries in one map: the widest frame has 6 fields; the rest is room for later optional ones. */
export const MAX_MSGPACK_MAP_ENTRIES = 32;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** One entry of the top-level map: its key and the byte range of its value. */
export interface MsgpackEntry {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

/**
 * Throws ERR_INVALID_ENCODING unless `bytes` is exactly one plain msgpack value within the rules
 * above. When the value is a map, returns its entries (key and value byte range) so a decoder
 * can unpack only the fields it knows; `onEntry` sees each one as soon as it is scanned (so a
 * caller still learns the early fields of input that fails later).
 */
export function scanMsgpack(bytes: Uint8Array, onEntry?: (entry: MsgpackEntry) => void): MsgpackEntry[] | undefined {
  return scanMsgpackCounted(bytes, MAX_MSGPACK_ELEMENTS, onEntry).entries;
}

/**
 * {@link scanMsgpack} with another element budget (`multi_send` has its own, derived from its
 * schema), also returning how many values the input holds, so a decoder can hold each frame
 * type to its own budget before anything is unpacked.
 */
export function scanMsgpackCounted(
  bytes: Uint8Array,
  maxElements: number,
  onEntry?: (entry: MsgpackEntry) => void,
): { entries: MsgpackEntry[] | undefined; elements: number } {
  const MAX_ELEMENTS = maxElements;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  let elements = 0;
  let topLevel: MsgpackEntry[] | undefined;
  // Length of the string just scanned (a map key's content ends at `pos`).
  let lastStringLength = 0;

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
    // ASCII (every key, most values) is valid UTF-8: a byte loop is far cheaper than a decoder call.
    let ascii = true;
    for (let i = pos; i < pos + n; i++) {
      if ((bytes[i] as number) > 0x7f) {
        ascii = false;
        break;
      }
    }
    if (!ascii) {
      try {
        utf8.decode(bytes.subarray(pos, pos + n));
      } catch {
        throw invalidEncoding("msgpack string is not valid UTF-8");
      }
    }
    pos += n;
    lastStringLength = n;
  };
  const sameBytes = (a: number, b: number, n: number): boolean => {
    for (let i = 0; i < n; i++) if (bytes[a + i] !== bytes[b + i]) return false;
    return true;
  };
  const items = (count: number, perItem: number, depth: number, asMap: boolean): void => {
    if (depth > MAX_MSGPACK_DEPTH) throw invalidEncoding("msgpack nesting is too deep");
    // Each element takes at least one byte, so a count larger than what is left is a lie.
    if (count * perItem > bytes.length - pos) throw invalidEncoding("msgpack length exceeds the input");
    if (elements + count * perItem > MAX_ELEMENTS) throw invalidEncoding("msgpack value has too many elements");
    if (!asMap) {
      for (let i = 0; i < count; i++) value(depth, false);
      return;
    }
    if (count > MAX_MSGPACK_MAP_ENTRIES) throw invalidEncoding("msgpack map has too many entries");
    // Key byte ranges of this map (at most MAX_MSGPACK_MAP_ENTRIES, so the pairwise check is cheap).
    const keyStarts: number[] = [];
    const keyEnds: number[] = [];
    const entries: MsgpackEntry[] | undefined = depth === 1 ? [] : undefined;
    for (let i = 0; i < count; i++) {
      value(depth, true);
      const keyEnd = pos;
      const keyStart = keyEnd - lastStringLength;
      for (let j = 0; j < keyStarts.length; j++) {
        const otherStart = keyStarts[j] as number;
        if ((keyEnds[j] as number) - otherStart === lastStringLength && sameBytes(otherStart, keyStart, lastStringLength)) {
          throw invalidEncoding("msgpack map has a duplicate key");
        }
      }
      keyStarts.push(keyStart);
      keyEnds.push(keyEnd);
      const start = pos;
      value(depth, false);
      if (entries) {
        const entry = { key: keyText(bytes, keyStart, keyEnd), start, end: pos };
        entries.push(entry);
        onEntry?.(entry);
      }
    }
    if (entries) topLevel = entries;
  };
  function value(depth: number, asKey: boolean): void {
    if (++elements > MAX_ELEMENTS) throw invalidEncoding("msgpack value has too many elements");
    if (pos >= bytes.length) throw invalidEncoding("msgpack value is truncated");
    const b = bytes[pos++] as number;
    // Positive and negative fixints first: the one-byte values a padding attack is made of.
    if (!asKey && (b <= 0x7f || b >= 0xe0)) return;
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
  return { entries: topLevel, elements };
}

/** A top-level key as text: ASCII (every key a frame defines) without a decoder call. */
function keyText(bytes: Uint8Array, start: number, end: number): string {
  let text = "";
  for (let i = start; i < end; i++) {
    const b = bytes[i] as number;
    if (b > 0x7f) return utf8.decode(bytes.subarray(start, end));
    text += String.fromCharCode(b);
  }
  return text;
}
