/**
 * Append-only binary writer for the protocol's big-endian encodings (spec/README.md §1 Notation).
 * Grows one buffer geometrically so encoders do not allocate per field.
 */

const utf8 = new TextEncoder();

/** Throws RangeError unless `value` is an integer in 0 … max: a silent wrap would encode another number. */
function checkUnsigned(value: number, max: number, name: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`${name} value out of range: ${value}`);
}

export class ByteWriter {
  private buffer: Uint8Array;
  private view: DataView;
  private length = 0;

  constructor(initialCapacity = 256) {
    this.buffer = new Uint8Array(initialCapacity);
    this.view = new DataView(this.buffer.buffer);
  }

  private reserve(n: number): number {
    const start = this.length;
    const needed = start + n;
    if (needed > this.buffer.length) {
      let capacity = this.buffer.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.buffer.subarray(0, start));
      this.buffer = grown;
      this.view = new DataView(grown.buffer);
    }
    this.length = needed;
    return start;
  }

  u8(value: number): this {
    checkUnsigned(value, 0xff, "u8");
    const at = this.reserve(1);
    this.view.setUint8(at, value);
    return this;
  }

  u16(value: number): this {
    checkUnsigned(value, 0xffff, "u16");
    const at = this.reserve(2);
    this.view.setUint16(at, value);
    return this;
  }

  u32(value: number): this {
    checkUnsigned(value, 0xffff_ffff, "u32");
    const at = this.reserve(4);
    this.view.setUint32(at, value);
    return this;
  }

  /** 64-bit unsigned from a JS number (≤ 2^53 − 1, which covers millisecond timestamps). */
  u64(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError("u64 value must be a safe non-negative integer");
    const at = this.reserve(8);
    this.view.setUint32(at, Math.floor(value / 0x1_0000_0000));
    this.view.setUint32(at + 4, value >>> 0);
    return this;
  }

  /** Raw bytes with no length prefix (fixed-size fields, or the rest of a structure). */
  bytes(value: Uint8Array): this {
    // Reserve first: it may replace this.buffer, which must be read after it.
    const at = this.reserve(value.length);
    this.buffer.set(value, at);
    return this;
  }

  /** Bytes with a u16 length prefix. */
  bytes16(value: Uint8Array): this {
    if (value.length > 0xffff) throw new RangeError("value too long for a u16 length");
    return this.u16(value.length).bytes(value);
  }

  /** Bytes with a u32 length prefix. */
  bytes32(value: Uint8Array): this {
    return this.u32(value.length).bytes(value);
  }

  /** UTF-8 string with a u16 length prefix. */
  string16(value: string): this {
    return this.bytes16(utf8.encode(value));
  }

  /** UTF-8 string with a u32 length prefix. */
  string32(value: string): this {
    return this.bytes32(utf8.encode(value));
  }

  /** Bytes written so far, as a fresh array of exactly that length. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
