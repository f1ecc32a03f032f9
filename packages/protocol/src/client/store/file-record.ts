/**
 * One record of the encrypted log: the frame (length, its complement, nonce, ChaCha20-Poly1305
 * ciphertext) and the batch encoding inside it. Pure functions over bytes; `file-replay.ts` walks
 * a whole file with them.
 *
 * Frame: `len u32le ‖ ~len u32le ‖ seq u64le ‖ groupOffset u32le ‖ nonce[12] ‖ ciphertext ‖ tag[16]`,
 * `len` = ciphertext + tag. AD = file id ‖ seq ‖ group offset: a record only decrypts with its own
 * position in its own file, so records cannot be reordered, dropped from the middle, or spliced in
 * from another store or an earlier log of this one. seq is also in clear so that a reader hunting
 * past damage can check a record it finds without guessing its position.
 *
 * Batch plaintext: `type u8 (1) ‖ count u32le ‖ count × write`, where a write is
 * `op u8 (1 put, 0 delete) ‖ ns ‖ key ‖ [value]`, strings as `units u32le ‖ UTF-16LE code units`
 * (not UTF-8: JS strings may hold lone surrogates, and the store must give back what it was given)
 * and the value as `length u32le ‖ bytes`.
 */
import type { CryptoProvider } from "../../crypto/provider.js";
import { FRAME_PREFIX_BYTES, MAX_RECORD_PLAINTEXT, NONCE_BYTES, TAG_BYTES } from "./file-constants.js";
import { copyBytes, putSize } from "./key-value-index.js";
import type { StoreWrite } from "./store.js";

const RECORD_BATCH = 1;
const OP_DELETE = 0;
const OP_PUT = 1;
/** Type byte and count. */
const BATCH_HEADER_BYTES = 5;

/** Encoded size of one write (a delete is a put without the value and its length). */
function writeSize({ namespace, key, value }: StoreWrite): number {
  return value === undefined ? putSize(namespace, key, new Uint8Array(0)) - 4 : putSize(namespace, key, value);
}

/** Encoded size of a batch's plaintext. */
function batchSize(writes: readonly StoreWrite[]): number {
  let size = BATCH_HEADER_BYTES;
  for (const write of writes) size += writeSize(write);
  return size;
}

/** The plaintext of a batch record. Throws `RangeError` above `MAX_RECORD_PLAINTEXT`. */
export function encodeBatch(writes: readonly StoreWrite[]): Uint8Array {
  const size = batchSize(writes);
  if (size > MAX_RECORD_PLAINTEXT) throw new RangeError(`batch too large: ${size} bytes encoded, limit ${MAX_RECORD_PLAINTEXT}`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let pos = 0;
  const putString = (text: string) => {
    view.setUint32(pos, text.length, true);
    pos += 4;
    for (let i = 0; i < text.length; i++, pos += 2) view.setUint16(pos, text.charCodeAt(i), true);
  };
  out[pos++] = RECORD_BATCH;
  view.setUint32(pos, writes.length, true);
  pos += 4;
  for (const { namespace, key, value } of writes) {
    out[pos++] = value === undefined ? OP_DELETE : OP_PUT;
    putString(namespace);
    putString(key);
    if (value !== undefined) {
      view.setUint32(pos, value.length, true);
      out.set(value, pos + 4);
      pos += 4 + value.length;
    }
  }
  return out;
}

/** The writes of a batch plaintext (values are fresh copies), or undefined if it does not parse exactly. */
export function decodeBatch(plaintext: Uint8Array): StoreWrite[] | undefined {
  const view = new DataView(plaintext.buffer, plaintext.byteOffset, plaintext.byteLength);
  let pos = 0;
  const need = (n: number) => pos + n <= plaintext.length;
  const readString = (): string | undefined => {
    if (!need(4)) return undefined;
    const units = view.getUint32(pos, true);
    pos += 4;
    if (!need(2 * units)) return undefined;
    const codes = new Array<number>(units);
    for (let i = 0; i < units; i++, pos += 2) codes[i] = view.getUint16(pos, true);
    // Chunked: String.fromCharCode(...codes) would overflow the stack for long strings.
    let text = "";
    for (let i = 0; i < units; i += 8192) text += String.fromCharCode(...codes.slice(i, i + 8192));
    return text;
  };
  if (!need(BATCH_HEADER_BYTES) || plaintext[0] !== RECORD_BATCH) return undefined;
  const count = view.getUint32(1, true);
  pos = BATCH_HEADER_BYTES;
  const writes: StoreWrite[] = [];
  for (let i = 0; i < count; i++) {
    if (!need(1)) return undefined;
    const op = plaintext[pos++];
    const namespace = readString();
    const key = readString();
    if (namespace === undefined || key === undefined) return undefined;
    if (op === OP_DELETE) {
      writes.push({ namespace, key, value: undefined });
    } else if (op === OP_PUT && need(4)) {
      const length = view.getUint32(pos, true);
      pos += 4;
      if (!need(length)) return undefined;
      writes.push({ namespace, key, value: copyBytes(plaintext.subarray(pos, pos + length)) });
      pos += length;
    } else {
      return undefined;
    }
  }
  return pos === plaintext.length ? writes : undefined;
}

/** A parsed frame prefix. */
export interface FramePrefix {
  /** Ciphertext plus tag. */
  readonly sealedLength: number;
  /** Position of the record in its file: 0, 1, 2, ... */
  readonly seq: number;
  /** Records before this one in the same group commit (0 for the first, and for every compaction record). */
  readonly groupOffset: number;
}

/** AD of a record: file id ‖ seq (u64 BE) ‖ group offset (u32 BE). The position fields are authenticated, not just framed. */
function recordAd(fileId: Uint8Array, seq: number, groupOffset: number): Uint8Array {
  const ad = new Uint8Array(fileId.length + 12);
  ad.set(fileId, 0);
  const view = new DataView(ad.buffer);
  view.setBigUint64(fileId.length, BigInt(seq), false);
  view.setUint32(fileId.length + 8, groupOffset, false);
  return ad;
}

/** The complete frame of record `seq`, `groupOffset` records into its group commit, with a fresh random nonce. */
export function sealRecord(
  crypto: CryptoProvider,
  dataKey: Uint8Array,
  fileId: Uint8Array,
  seq: number,
  groupOffset: number,
  plaintext: Uint8Array,
): Uint8Array {
  const nonce = crypto.randomBytes(NONCE_BYTES);
  const sealed = crypto.aeadEncrypt(dataKey, nonce, plaintext, recordAd(fileId, seq, groupOffset));
  const frame = new Uint8Array(FRAME_PREFIX_BYTES + NONCE_BYTES + sealed.length);
  const view = new DataView(frame.buffer);
  view.setUint32(0, sealed.length, true);
  view.setUint32(4, ~sealed.length >>> 0, true);
  view.setBigUint64(8, BigInt(seq), true);
  view.setUint32(16, groupOffset, true);
  frame.set(nonce, FRAME_PREFIX_BYTES);
  frame.set(sealed, FRAME_PREFIX_BYTES + NONCE_BYTES);
  return frame;
}

/**
 * The frame prefix at `pos`, or undefined when there is no plausible one there (too few bytes,
 * length and complement disagree, length out of range, group offset beyond the sequence number).
 * Cheap: `file-replay.ts` calls it at every offset when it hunts for records after a damaged one.
 */
export function framePrefix(view: DataView, pos: number): FramePrefix | undefined {
  if (pos + FRAME_PREFIX_BYTES > view.byteLength) return undefined;
  const sealedLength = view.getUint32(pos, true);
  if ((sealedLength ^ view.getUint32(pos + 4, true)) !== -1) return undefined;
  if (sealedLength < TAG_BYTES + BATCH_HEADER_BYTES || sealedLength > MAX_RECORD_PLAINTEXT + TAG_BYTES) return undefined;
  const seq = view.getBigUint64(pos + 8, true);
  const groupOffset = view.getUint32(pos + 16, true);
  if (seq > BigInt(Number.MAX_SAFE_INTEGER) || BigInt(groupOffset) > seq) return undefined;
  return { sealedLength, seq: Number(seq), groupOffset };
}

/** The record at `pos` — its prefix, decrypted plaintext and end offset — or undefined if it is not intact there. */
export function openRecord(
  crypto: CryptoProvider,
  dataKey: Uint8Array,
  fileId: Uint8Array,
  file: Uint8Array,
  view: DataView,
  pos: number,
): (FramePrefix & { plaintext: Uint8Array; end: number }) | undefined {
  const prefix = framePrefix(view, pos);
  if (prefix === undefined) return undefined;
  const start = pos + FRAME_PREFIX_BYTES + NONCE_BYTES;
  const end = start + prefix.sealedLength;
  if (end > file.length) return undefined;
  const nonce = file.subarray(pos + FRAME_PREFIX_BYTES, start);
  const plaintext = crypto.aeadDecrypt(dataKey, nonce, file.subarray(start, end), recordAd(fileId, prefix.seq, prefix.groupOffset));
  return plaintext === null ? undefined : { ...prefix, plaintext, end };
}
