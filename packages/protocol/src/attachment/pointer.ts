/**
 * The attachment pointer (spec/attachments.md §6, spec/content.md kind 9): where a blob is, the
 * key that opens it, its digest and size, how to show it (type, name, caption, dimensions,
 * duration, a ThumbHash preview). Its fields are the body of an attachment content, and the
 * same fields behind a version byte are the standalone pointer a group state keeps as its avatar.
 * Encoding, decoding and the decode-time checks (VAL-A01…A06) live here.
 */

import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { PROTOCOL_VERSION } from "../labels.js";
import {
  MAX_ATTACHMENT_BYTES,
  MAX_ATTACHMENT_POINTER_BYTES,
  MAX_ATTACHMENT_PREVIEW_BYTES,
  MAX_SHORT_STRING_BYTES,
  MAX_TEXT_BYTES,
} from "../limits.js";
import { ATTACHMENT_KEY_BYTES, attachmentLayout } from "./stream.js";

/** Everything a recipient needs to fetch, decrypt, check and show one attachment. */
export interface AttachmentPointer {
  /** The relay's blob id (32 lower-case hex digits for blobs this SDK uploads). */
  readonly blobId: string;
  /** The file key (32 bytes): only ever sent end-to-end encrypted. */
  readonly key: Uint8Array;
  /** SHA-256 of the whole blob (the ciphertext). */
  readonly digest: Uint8Array;
  /** Plaintext bytes. */
  readonly size: number;
  readonly contentType: string;
  readonly fileName: string;
  readonly caption: string;
  /** Bytes of the blob (padded ciphertext); when present it equals `attachmentLayout(size).encryptedSize`. */
  readonly encryptedSize?: number;
  /** Image or video dimensions in pixels (both or neither). */
  readonly width?: number;
  readonly height?: number;
  /** Audio or video duration in milliseconds. */
  readonly durationMs?: number;
  /** A ThumbHash (https://evanw.github.io/thumbhash/) of the image or first frame, 1–64 bytes. */
  readonly preview?: Uint8Array;
}

/** Flag bits of the optional-field block. */
const FLAG_ENCRYPTED_SIZE = 1;
const FLAG_DIMENSIONS = 2;
const FLAG_DURATION = 4;
const FLAG_PREVIEW = 8;
const KNOWN_FLAGS = FLAG_ENCRYPTED_SIZE | FLAG_DIMENSIONS | FLAG_DURATION | FLAG_PREVIEW;
const U32_MAX = 0xffff_ffff;

function checkString(value: string, max: number, name: string): void {
  if (typeof value !== "string") throw new TypeError(`${name} must be a string`);
  if (new TextEncoder().encode(value).length > max) throw new ParleyError(ErrorCode.LimitExceeded, `${name} is longer than ${max} bytes`);
}

function checkU32(value: number, min: number, name: string): void {
  if (!Number.isInteger(value) || value < min || value > U32_MAX)
    throw new RangeError(`${name} must be an integer from ${min} to ${U32_MAX}`);
}

/** Writes the pointer's fields (the attachment content's body). Throws RangeError/TypeError/ERR_LIMIT_EXCEEDED on bad fields. */
export function writeAttachmentFields(w: ByteWriter, p: AttachmentPointer): void {
  checkString(p.blobId, MAX_SHORT_STRING_BYTES, "blob id");
  checkString(p.contentType, MAX_SHORT_STRING_BYTES, "content type");
  checkString(p.fileName, MAX_SHORT_STRING_BYTES, "file name");
  checkString(p.caption, MAX_TEXT_BYTES, "caption");
  if (
    !(p.key instanceof Uint8Array) ||
    p.key.length !== ATTACHMENT_KEY_BYTES ||
    !(p.digest instanceof Uint8Array) ||
    p.digest.length !== 32
  )
    throw new RangeError("attachment key and digest are 32 bytes");
  const layout = attachmentLayout(p.size);
  let flags = 0;
  if (p.encryptedSize !== undefined) {
    if (p.encryptedSize !== layout.encryptedSize) throw new RangeError("encryptedSize does not match the attachment's size");
    flags |= FLAG_ENCRYPTED_SIZE;
  }
  if (p.width !== undefined || p.height !== undefined) {
    if (p.width === undefined || p.height === undefined) throw new RangeError("width and height go together");
    checkU32(p.width, 1, "width");
    checkU32(p.height, 1, "height");
    flags |= FLAG_DIMENSIONS;
  }
  if (p.durationMs !== undefined) {
    checkU32(p.durationMs, 0, "durationMs");
    flags |= FLAG_DURATION;
  }
  if (p.preview !== undefined) {
    if (!(p.preview instanceof Uint8Array) || p.preview.length < 1) throw new RangeError("preview must be 1 or more bytes");
    if (p.preview.length > MAX_ATTACHMENT_PREVIEW_BYTES)
      throw new ParleyError(ErrorCode.LimitExceeded, `previews are at most ${MAX_ATTACHMENT_PREVIEW_BYTES} bytes`);
    flags |= FLAG_PREVIEW;
  }
  w.string16(p.blobId).bytes(p.key).bytes(p.digest).u64(p.size);
  w.string16(p.contentType).string16(p.fileName).string32(p.caption);
  // The optional block is absent when no optional field is set: such pointers encode exactly as
  // before the block existed.
  if (flags === 0) return;
  w.u8(flags);
  if (flags & FLAG_ENCRYPTED_SIZE) w.u64(layout.encryptedSize);
  if (flags & FLAG_DIMENSIONS) w.u32(p.width as number).u32(p.height as number);
  if (flags & FLAG_DURATION) w.u32(p.durationMs as number);
  if (flags & FLAG_PREVIEW) w.u8((p.preview as Uint8Array).length).bytes(p.preview as Uint8Array);
}

/**
 * Reads the pointer's fields; the optional block is read when bytes remain, so the caller must
 * have bounded `r` to the pointer (the content's end). Throws ERR_INVALID_ENCODING.
 */
export function readAttachmentFields(r: ByteReader): AttachmentPointer {
  const blobId = r.string16(MAX_SHORT_STRING_BYTES);
  const key = r.bytes(ATTACHMENT_KEY_BYTES);
  const digest = r.bytes(32);
  const size = r.u64();
  // VAL-A02: a size beyond the protocol's maximum is refused before anything is fetched.
  if (size > MAX_ATTACHMENT_BYTES) throw invalidEncoding("attachment size exceeds MAX_ATTACHMENT_BYTES");
  const contentType = r.string16(MAX_SHORT_STRING_BYTES);
  const fileName = r.string16(MAX_SHORT_STRING_BYTES);
  const caption = r.string32(MAX_TEXT_BYTES);
  const pointer: { -readonly [K in keyof AttachmentPointer]: AttachmentPointer[K] } = {
    blobId,
    key,
    digest,
    size,
    contentType,
    fileName,
    caption,
  };
  if (r.remaining === 0) return pointer;
  const flags = r.u8();
  // VAL-A01: a present block sets at least one flag, and only known ones (canonical encoding).
  if (flags === 0 || (flags & ~KNOWN_FLAGS) !== 0) throw invalidEncoding("attachment optional-field flags are invalid");
  if (flags & FLAG_ENCRYPTED_SIZE) {
    const encryptedSize = r.u64();
    // VAL-A03: the stated blob length is the one the size implies.
    if (encryptedSize !== attachmentLayout(size).encryptedSize) throw invalidEncoding("attachment encrypted size does not match its size");
    pointer.encryptedSize = encryptedSize;
  }
  if (flags & FLAG_DIMENSIONS) {
    const width = r.u32();
    const height = r.u32();
    // VAL-A04: dimensions are at least one pixel.
    if (width === 0 || height === 0) throw invalidEncoding("attachment dimensions are zero");
    pointer.width = width;
    pointer.height = height;
  }
  if (flags & FLAG_DURATION) pointer.durationMs = r.u32();
  if (flags & FLAG_PREVIEW) {
    const length = r.u8();
    // VAL-A05: a preview is 1 to MAX_ATTACHMENT_PREVIEW_BYTES bytes.
    if (length === 0 || length > MAX_ATTACHMENT_PREVIEW_BYTES) throw invalidEncoding("attachment preview length is invalid");
    pointer.preview = r.bytes(length);
  }
  return pointer;
}

/**
 * A standalone pointer: u8 version ‖ the fields (e.g. a group avatar). ERR_LIMIT_EXCEEDED when
 * longer than MAX_ATTACHMENT_POINTER_BYTES (keep the caption and names short).
 */
export function encodeAttachmentPointer(pointer: AttachmentPointer): Uint8Array {
  const w = new ByteWriter().u8(PROTOCOL_VERSION);
  writeAttachmentFields(w, pointer);
  const out = w.finish();
  if (out.length > MAX_ATTACHMENT_POINTER_BYTES)
    throw new ParleyError(ErrorCode.LimitExceeded, `an attachment pointer is at most ${MAX_ATTACHMENT_POINTER_BYTES} bytes`);
  return out;
}

/** Decodes a standalone pointer. ERR_INVALID_ENCODING / ERR_UNSUPPORTED_VERSION. */
export function decodeAttachmentPointer(bytes: Uint8Array): AttachmentPointer {
  // VAL-A06: a standalone pointer is at most MAX_ATTACHMENT_POINTER_BYTES.
  if (bytes.length > MAX_ATTACHMENT_POINTER_BYTES) throw invalidEncoding("attachment pointer is too large");
  const r = new ByteReader(bytes, "attachment pointer");
  r.version(PROTOCOL_VERSION);
  const pointer = readAttachmentFields(r);
  r.end();
  return pointer;
}
