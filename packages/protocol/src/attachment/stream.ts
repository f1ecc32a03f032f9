/**
 * Attachment encryption (spec/attachments.md): a file is padded to a Padmé size bucket, cut into
 * 64 KiB chunks and each chunk sealed with ChaCha20-Poly1305 under a key derived from the file's
 * fresh 32-byte key, the nonce carrying the chunk's counter and a last-chunk flag (the STREAM
 * construction of Hoang, Reyhanitabar, Rogaway and Vizár, as in age and Tink). The SHA-256 of the
 * whole ciphertext is computed as it goes. Both directions are incremental state machines: the
 * caller feeds bytes in pieces of any size and never holds more than a chunk or two.
 *
 * Pure: no I/O, no randomness (the file key is an argument), no clock.
 */

import { equalBytes } from "../crypto/bytes.js";
import type { Sha256Hasher } from "../crypto/provider.js";
import type { Deps } from "../deps.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { LABEL_ATTACHMENT } from "../labels.js";
import { ATTACHMENT_CHUNK_BYTES, MAX_ATTACHMENT_BYTES, MIN_ATTACHMENT_PADDED_BYTES } from "../limits.js";

/** Length of an attachment's file key, and of its digest. */
export const ATTACHMENT_KEY_BYTES = 32;
/** The Poly1305 tag after each chunk. */
export const ATTACHMENT_TAG_BYTES = 16;
/** A full encrypted chunk: 64 KiB of ciphertext and its tag. */
export const ENCRYPTED_CHUNK_BYTES = ATTACHMENT_CHUNK_BYTES + ATTACHMENT_TAG_BYTES;
/** Length of the nonce prefix derived with the chunk key. */
const NONCE_PREFIX_BYTES = 7;

/** Sizes of one attachment, all determined by its plaintext size. */
export interface AttachmentLayout {
  /** Plaintext bytes. */
  readonly size: number;
  /** Plaintext bytes after padding (a Padmé bucket, at least MIN_ATTACHMENT_PADDED_BYTES). */
  readonly paddedSize: number;
  /** Chunks (the last one may be short). */
  readonly chunkCount: number;
  /** Bytes of the blob: paddedSize plus one tag per chunk. */
  readonly encryptedSize: number;
}

/** The keys a file key expands to (spec/attachments.md §3). */
export interface AttachmentStreamKeys {
  /** ChaCha20-Poly1305 key of every chunk. */
  readonly chunkKey: Uint8Array;
  /** First 7 bytes of every chunk's nonce. */
  readonly noncePrefix: Uint8Array;
}

function corrupt(what: string): ParleyError {
  return new ParleyError(ErrorCode.AttachmentCorrupt, `attachment is corrupt: ${what}`);
}

function checkSize(size: number): void {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError("attachment size must be a non-negative integer");
  if (size > MAX_ATTACHMENT_BYTES) throw new ParleyError(ErrorCode.LimitExceeded, `attachments are at most ${MAX_ATTACHMENT_BYTES} bytes`);
}

/** Number of bits needed to write `n` (n ≥ 1), exactly (no floating-point logarithms). */
function bitLength(n: number): number {
  let bits = 0;
  let rest = n;
  while (rest >= 1) {
    rest = Math.floor(rest / 2);
    bits++;
  }
  return bits;
}

/**
 * Padmé (Nikitin et al., PETS 2019) of a length L ≥ 1: L rounded up so only its top
 * ⌊log2 ⌊log2 L⌋⌋ + 1 bits may be non-zero. Leaks O(log log L) bits; overhead ≤ 12%.
 */
export function padme(length: number): number {
  if (!Number.isSafeInteger(length) || length < 1) throw new RangeError("padme needs a positive integer");
  const e = bitLength(length) - 1;
  const s = bitLength(e);
  const step = 2 ** Math.max(e - s, 0);
  return Math.ceil(length / step) * step;
}

/**
 * Layout of an attachment of `size` plaintext bytes. Throws RangeError for a size that is not a
 * non-negative integer and ERR_LIMIT_EXCEEDED beyond MAX_ATTACHMENT_BYTES.
 */
export function attachmentLayout(size: number): AttachmentLayout {
  checkSize(size);
  const paddedSize = padme(Math.max(size, MIN_ATTACHMENT_PADDED_BYTES));
  const chunkCount = Math.ceil(paddedSize / ATTACHMENT_CHUNK_BYTES);
  return { size, paddedSize, chunkCount, encryptedSize: paddedSize + chunkCount * ATTACHMENT_TAG_BYTES };
}

/** Plaintext length of chunk `index` of `layout` (every chunk is full but the last). */
export function chunkPlaintextLength(layout: AttachmentLayout, index: number): number {
  return index < layout.chunkCount - 1 ? ATTACHMENT_CHUNK_BYTES : layout.paddedSize - (layout.chunkCount - 1) * ATTACHMENT_CHUNK_BYTES;
}

/** chunkKey ‖ noncePrefix = HKDF-SHA256(ikm = fileKey, salt = empty, info = "Parley/v1/attachment", 39). */
export function attachmentStreamKeys(deps: Deps, fileKey: Uint8Array): AttachmentStreamKeys {
  if (!(fileKey instanceof Uint8Array) || fileKey.length !== ATTACHMENT_KEY_BYTES) throw new RangeError("attachment key must be 32 bytes");
  const okm = deps.crypto.hkdfSha256(fileKey, new Uint8Array(0), LABEL_ATTACHMENT, 32 + NONCE_PREFIX_BYTES);
  return { chunkKey: okm.slice(0, 32), noncePrefix: okm.slice(32) };
}

/** Nonce of chunk `index`: noncePrefix (7) ‖ u32 index (big-endian) ‖ u8 last (1 for the final chunk, else 0). */
export function chunkNonce(noncePrefix: Uint8Array, index: number, last: boolean): Uint8Array {
  return new ByteWriter(12)
    .bytes(noncePrefix)
    .u32(index)
    .u8(last ? 1 : 0)
    .finish();
}

/**
 * Decrypts one encrypted chunk on its own (random access, e.g. a video player seeking): the
 * plaintext of chunk `index`, padding included, or ERR_ATTACHMENT_CORRUPT. Whole-file digest
 * checking is the streaming decryptor's job.
 */
export function decryptAttachmentChunk(
  deps: Deps,
  keys: AttachmentStreamKeys,
  layout: AttachmentLayout,
  index: number,
  encryptedChunk: Uint8Array,
): Uint8Array {
  if (!Number.isInteger(index) || index < 0 || index >= layout.chunkCount) throw new RangeError("chunk index out of range");
  if (encryptedChunk.length !== chunkPlaintextLength(layout, index) + ATTACHMENT_TAG_BYTES) throw corrupt("chunk has the wrong length");
  const nonce = chunkNonce(keys.noncePrefix, index, index === layout.chunkCount - 1);
  const plaintext = deps.crypto.aeadDecrypt(keys.chunkKey, nonce, encryptedChunk, new Uint8Array(0));
  if (!plaintext) throw corrupt(`chunk ${index} does not authenticate`);
  return plaintext;
}

const EMPTY = new Uint8Array(0);

/**
 * Encrypts one attachment incrementally. Feed exactly `size` plaintext bytes through `update`
 * (any split), then drain `finish()`; every call returns the encrypted chunks completed so far,
 * in order, and their concatenation is the blob. `digest()` is the blob's SHA-256 once `finish`
 * is drained.
 *
 * @example
 * ```ts
 * const enc = new AttachmentEncryptor(deps, fileKey, file.length);
 * const parts = [...enc.update(file), ...enc.finish()];
 * const digest = enc.digest();
 * ```
 */
export class AttachmentEncryptor {
  readonly layout: AttachmentLayout;
  private readonly keys: AttachmentStreamKeys;
  private readonly hasher: Sha256Hasher;
  private readonly buffer = new Uint8Array(ATTACHMENT_CHUNK_BYTES);
  private filled = 0;
  private consumed = 0;
  private index = 0;
  private finished = false;
  private result: Uint8Array | undefined;

  constructor(
    private readonly deps: Deps,
    fileKey: Uint8Array,
    size: number,
  ) {
    this.layout = attachmentLayout(size);
    this.keys = attachmentStreamKeys(deps, fileKey);
    this.hasher = deps.crypto.sha256Incremental();
  }

  /** Plaintext bytes taken so far. */
  get bytesIn(): number {
    return this.consumed;
  }

  /** Takes plaintext; returns the encrypted chunks it completed. RangeError beyond the declared size. */
  update(data: Uint8Array): Uint8Array[] {
    if (this.finished) throw new Error("attachment encryptor already finished");
    if (this.consumed + data.length > this.layout.size) throw new RangeError("more plaintext than the declared attachment size");
    this.consumed += data.length;
    const out: Uint8Array[] = [];
    let at = 0;
    // Whole chunks straight from the input, without a copy into the buffer.
    if (this.filled === 0) {
      while (data.length - at >= ATTACHMENT_CHUNK_BYTES) {
        out.push(this.seal(data.subarray(at, at + ATTACHMENT_CHUNK_BYTES)));
        at += ATTACHMENT_CHUNK_BYTES;
      }
    }
    while (at < data.length) {
      const take = Math.min(ATTACHMENT_CHUNK_BYTES - this.filled, data.length - at);
      this.buffer.set(data.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === ATTACHMENT_CHUNK_BYTES) {
        out.push(this.seal(this.buffer));
        this.filled = 0;
      }
    }
    return out;
  }

  /**
   * The remaining chunks: the partly filled one and the padding, produced lazily so a large
   * padding never sits in memory at once. RangeError if fewer bytes than declared were given.
   */
  *finish(): Generator<Uint8Array, void, undefined> {
    if (this.finished) throw new Error("attachment encryptor already finished");
    if (this.consumed !== this.layout.size) throw new RangeError("less plaintext than the declared attachment size");
    this.finished = true;
    while (this.index < this.layout.chunkCount) {
      const length = chunkPlaintextLength(this.layout, this.index);
      this.buffer.fill(0, this.filled, length);
      const chunk = this.seal(this.buffer.subarray(0, length));
      this.filled = 0;
      yield chunk;
    }
    this.result = this.hasher.digest();
  }

  /** SHA-256 of the whole blob; available once `finish()` is drained. */
  digest(): Uint8Array {
    if (!this.result) throw new Error("attachment digest is known once finish() is drained");
    return this.result.slice();
  }

  private seal(plaintext: Uint8Array): Uint8Array {
    const index = this.index++;
    if (index >= this.layout.chunkCount) throw new RangeError("attachment has more chunks than its layout");
    const nonce = chunkNonce(this.keys.noncePrefix, index, index === this.layout.chunkCount - 1);
    const chunk = this.deps.crypto.aeadEncrypt(this.keys.chunkKey, nonce, plaintext, EMPTY);
    this.hasher.update(chunk);
    return chunk;
  }
}

/** What a receiver needs to decrypt an attachment: from the attachment content (spec/content.md). */
export interface AttachmentSecrets {
  readonly key: Uint8Array;
  readonly digest: Uint8Array;
  readonly size: number;
  /** The blob's length when the sender stated it; must equal the layout's (VAL-A03). */
  readonly encryptedSize?: number;
}

/**
 * Decrypts one attachment incrementally (spec/attachments.md §5). Feed the blob's bytes in
 * order through `update` (any split); each call returns plaintext pieces from chunks whose tag
 * verified, padding removed. The final chunk's plaintext is released only after the whole
 * blob's digest matched. `finish()` then confirms the final chunk arrived. Any failure throws
 * ERR_ATTACHMENT_CORRUPT or ERR_ATTACHMENT_TRUNCATED and every later call throws it again.
 *
 * @example
 * ```ts
 * const dec = new AttachmentDecryptor(deps, { key, digest, size });
 * for await (const part of blobStream) for (const piece of dec.update(part)) show(piece);
 * dec.finish();
 * ```
 */
export class AttachmentDecryptor {
  readonly layout: AttachmentLayout;
  private readonly keys: AttachmentStreamKeys;
  private readonly hasher: Sha256Hasher;
  private readonly expectedDigest: Uint8Array;
  private readonly buffer = new Uint8Array(ENCRYPTED_CHUNK_BYTES);
  private filled = 0;
  private received = 0;
  private index = 0;
  private failure: ParleyError | undefined;

  constructor(
    private readonly deps: Deps,
    secrets: AttachmentSecrets,
  ) {
    if (!(secrets.digest instanceof Uint8Array) || secrets.digest.length !== ATTACHMENT_KEY_BYTES)
      throw new RangeError("attachment digest must be 32 bytes");
    this.layout = attachmentLayout(secrets.size);
    if (secrets.encryptedSize !== undefined && secrets.encryptedSize !== this.layout.encryptedSize)
      throw corrupt("its stated encrypted size does not match its size");
    this.keys = attachmentStreamKeys(deps, secrets.key);
    this.expectedDigest = secrets.digest.slice();
    this.hasher = deps.crypto.sha256Incremental();
  }

  /** Blob bytes consumed so far (where a resumed download continues). */
  get bytesIn(): number {
    return this.received;
  }

  /** True once the final chunk verified and the digest matched. */
  get complete(): boolean {
    return this.index === this.layout.chunkCount && !this.failure;
  }

  /** Takes blob bytes; returns verified plaintext pieces. */
  update(data: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure;
    try {
      return this.take(data);
    } catch (error) {
      if (error instanceof ParleyError) this.failure = error;
      throw error;
    }
  }

  /** Confirms the whole blob arrived: ERR_ATTACHMENT_TRUNCATED if the final chunk is missing. */
  finish(): void {
    if (this.failure) throw this.failure;
    if (this.index < this.layout.chunkCount) {
      this.failure = new ParleyError(ErrorCode.AttachmentTruncated, "attachment ended before its final chunk");
      throw this.failure;
    }
  }

  private take(data: Uint8Array): Uint8Array[] {
    if (this.received + data.length > this.layout.encryptedSize) throw corrupt("blob is longer than its size says");
    this.received += data.length;
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < data.length) {
      const want = chunkPlaintextLength(this.layout, this.index) + ATTACHMENT_TAG_BYTES;
      // A whole chunk in the input is opened in place; a split one is gathered in the buffer.
      if (this.filled === 0 && data.length - at >= want) {
        this.open(data.subarray(at, at + want), out);
        at += want;
        continue;
      }
      const take = Math.min(want - this.filled, data.length - at);
      this.buffer.set(data.subarray(at, at + take), this.filled);
      this.filled += take;
      at += take;
      if (this.filled === want) {
        this.filled = 0;
        this.open(this.buffer.subarray(0, want), out);
      }
    }
    return out;
  }

  private open(chunk: Uint8Array, out: Uint8Array[]): void {
    const index = this.index;
    const last = index === this.layout.chunkCount - 1;
    this.hasher.update(chunk);
    const plaintext = decryptAttachmentChunk(this.deps, this.keys, this.layout, index, chunk);
    this.index++;
    const start = index * ATTACHMENT_CHUNK_BYTES;
    const keep = Math.max(0, Math.min(plaintext.length, this.layout.size - start));
    for (let i = keep; i < plaintext.length; i++) if (plaintext[i] !== 0) throw corrupt("padding is not zero");
    if (last && !equalBytes(this.hasher.digest(), this.expectedDigest)) throw corrupt("digest does not match");
    if (keep > 0) out.push(keep === plaintext.length ? plaintext : plaintext.subarray(0, keep));
  }
}
