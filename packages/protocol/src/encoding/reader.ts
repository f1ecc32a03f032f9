/**
 * Bounds-checked binary reader. Every read past the end, every bad length prefix and every
 * invalid UTF-8 string throws ParleyError(ERR_INVALID_ENCODING), never a RangeError or a
 * hang: decoders built on it can be fed arbitrary bytes (they are fuzzed for exactly that).
 */

import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

export class ByteReader {
  private offset = 0;
  private readonly view: DataView;

  /** @param what names the structure being read, for error messages. */
  constructor(
    private readonly input: Uint8Array,
    private readonly what: string,
  ) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  /** Bytes not yet read. */
  get remaining(): number {
    return this.input.length - this.offset;
  }

  /** Bytes read so far (to slice the signed prefix of a structure). */
  get position(): number {
    return this.offset;
  }

  private take(n: number): number {
    if (n > this.remaining) throw invalidEncoding(`${this.what} is truncated`);
    const at = this.offset;
    this.offset += n;
    return at;
  }

  u8(): number {
    return this.view.getUint8(this.take(1));
  }

  u16(): number {
    return this.view.getUint16(this.take(2));
  }

  u32(): number {
    return this.view.getUint32(this.take(4));
  }

  /** 64-bit unsigned; values above 2^53 − 1 are rejected as invalid encodings. */
  u64(): number {
    const at = this.take(8);
    const high = this.view.getUint32(at);
    if (high > 0x1f_ffff) throw invalidEncoding(`${this.what} has a 64-bit value out of range`);
    return high * 0x1_0000_0000 + this.view.getUint32(at + 4);
  }

  /** Exactly `n` bytes, copied (the result never aliases the input). */
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.input.slice(at, at + n);
  }

  /** Everything not yet read. */
  rest(): Uint8Array {
    return this.bytes(this.remaining);
  }

  /** u16-length-prefixed bytes, at most `max` long. */
  bytes16(max = 0xffff): Uint8Array {
    const n = this.u16();
    if (n > max) throw invalidEncoding(`${this.what} has a field longer than ${max} bytes`);
    return this.bytes(n);
  }

  /** u32-length-prefixed bytes, at most `max` long. */
  bytes32(max: number): Uint8Array {
    const n = this.u32();
    if (n > max) throw invalidEncoding(`${this.what} has a field longer than ${max} bytes`);
    return this.bytes(n);
  }

  string16(max = 0xffff): string {
    return this.decodeUtf8(this.bytes16(max));
  }

  string32(max: number): string {
    return this.decodeUtf8(this.bytes32(max));
  }

  private decodeUtf8(raw: Uint8Array): string {
    try {
      return utf8.decode(raw);
    } catch {
      throw invalidEncoding(`${this.what} has a string that is not valid UTF-8`);
    }
  }

  /** Reads a version byte and rejects any other value than `expected`. */
  version(expected: number): void {
    const v = this.u8();
    if (v !== expected) throw unsupportedVersion(this.what, v);
  }

  /** Asserts the whole input was consumed: trailing bytes are an encoding error, not ignored. */
  end(): void {
    if (this.remaining !== 0) throw invalidEncoding(`${this.what} has ${this.remaining} trailing bytes`);
  }
}

function unsupportedVersion(what: string, version: number): ParleyError {
  return new ParleyError(ErrorCode.UnsupportedVersion, `${what} has unsupported version ${version}`);
}
