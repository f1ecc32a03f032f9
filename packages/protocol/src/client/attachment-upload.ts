/**
 * Uploading an attachment's blob (spec/attachments.md §7): a blob ticket from the relay, then
 * the ciphertext in PATCH segments of UPLOAD_SEGMENT_BYTES from the relay's stored offset on,
 * with the progress persisted in the store (an UploadRecord) so that a dropped connection or a
 * restart resumes the upload instead of restarting it.
 *
 * The plaintext is read in pieces and encrypted chunk by chunk: a file is never held whole.
 */

import type { AttachmentPointer } from "../attachment/pointer.js";
import { AttachmentEncryptor, ENCRYPTED_CHUNK_BYTES } from "../attachment/stream.js";
import { ErrorCode, ParleyError } from "../errors.js";
import type { BlobGrantedFrame } from "../wire/frames.js";
import { BLOB_ID, type BlobHttp, blobUrl, MAX_HTTP_RETRIES, relayError, retryDelay, sleep, transient } from "./attachment-http.js";
import { type FileSource, readSource, rereadable } from "./attachment-source.js";
import type { ClientContext } from "./context.js";
import { encodeRecord } from "./records.js";

/** Ciphertext bytes per PATCH request: big enough to amortise a round trip and an fsync, small enough to resend. */
export const UPLOAD_SEGMENT_BYTES = 4 * 1024 * 1024;
/** Store namespace of unfinished uploads: upload id → UploadRecord. */
export const UPLOADS_NS = "attachment-uploads";

/** Upload progress: ciphertext bytes the relay holds durably, of the blob's total. */
export interface UploadProgress {
  readonly uploadId: string;
  readonly uploaded: number;
  readonly total: number;
}

/** A persisted unfinished upload: enough to resume after a dropped connection or a restart. */
export interface UploadRecord {
  readonly id: string;
  readonly conversationId: string;
  /** The file key (secret; the store keeps it as it keeps session keys). */
  readonly key: Uint8Array;
  readonly size: number;
  readonly encryptedSize: number;
  readonly blobId?: string;
  readonly capability?: string;
  readonly ticketExpiresAt?: number;
  /** Ciphertext bytes the relay confirmed holding. */
  readonly offset: number;
  /** Where the plaintext is, when it can be read again after a restart (a Node path). */
  readonly path?: string;
  readonly meta: Omit<AttachmentPointer, "blobId" | "key" | "digest" | "size" | "encryptedSize">;
  readonly createdAt: number;
}

/** What an upload reports to and is stopped by. */
export interface UploadControl {
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Stops the upload (it rejects with the reason); the upload stays resumable. */
  readonly signal?: AbortSignal;
}

/** Persists `record` (an upload's progress). */
export async function saveUpload(ctx: ClientContext, record: UploadRecord): Promise<void> {
  await ctx.store.batch([{ namespace: UPLOADS_NS, key: record.id, value: encodeRecord(record) }]);
}

/** A blob ticket for the record (a new one when it has none or it expired: the upload starts over). */
async function ensureTicket(ctx: ClientContext, record: UploadRecord): Promise<UploadRecord> {
  if (record.blobId && record.capability && (record.ticketExpiresAt ?? 0) > ctx.now()) return record;
  const granted = (await ctx.connection.request({ t: "blob_ticket", size: record.encryptedSize })) as BlobGrantedFrame;
  // The id goes into URLs and into the pointer every recipient checks (VAL-A07).
  if (!BLOB_ID.test(granted.blobId))
    throw new ParleyError(ErrorCode.Relay, "the relay granted a malformed blob id", { reason: "BAD_REQUEST" });
  const next: UploadRecord = {
    ...record,
    blobId: granted.blobId,
    capability: granted.capability,
    ticketExpiresAt: granted.expiresAt,
    offset: 0,
  };
  await saveUpload(ctx, next);
  return next;
}

/** The relay's stored offset for the record's blob (HEAD with the capability). */
async function storedOffset(http: BlobHttp, record: UploadRecord, signal?: AbortSignal): Promise<number> {
  const response = await http.fetch(blobUrl(http, record.blobId as string), {
    method: "HEAD",
    headers: { authorization: `Bearer ${record.capability}` },
    ...(signal ? { signal } : {}),
  });
  if (response.status === 401) throw relayError(401, "upload status", "UNAUTHORIZED");
  if (!response.ok) throw new Error(`upload status: HTTP ${response.status}`);
  return Number(response.headers.get("upload-offset") ?? Number.NaN);
}

/**
 * Uploads the blob from the relay's stored offset on, encrypting the source from its start
 * (encryption is deterministic for the key, so bytes the relay holds are recomputed and
 * skipped, not resent), and returns the blob's digest. `onRecord` sees every new state of the
 * record (ticket, offsets); each is saved in the store before the upload goes on.
 */
export async function uploadBlob(
  ctx: ClientContext,
  http: BlobHttp,
  initial: UploadRecord,
  source: FileSource,
  options: UploadControl,
  onRecord: (record: UploadRecord) => void,
): Promise<Uint8Array> {
  const signal = options.signal;
  let record = await ensureTicket(ctx, initial);
  onRecord(record);
  if (record.offset > 0 || initial.blobId) {
    try {
      record = { ...record, offset: await storedOffset(http, record, signal) };
    } catch (error) {
      if (!(ParleyError.is(error, ErrorCode.Relay) && error.reason === "UNAUTHORIZED")) throw error;
      record = await ensureTicket(ctx, { ...record, ticketExpiresAt: 0 });
    }
    onRecord(record);
  }
  let failures = 0;
  const report = () =>
    options.onProgress?.({ uploadId: record.id, uploaded: Math.min(record.offset, record.encryptedSize), total: record.encryptedSize });
  const confirm = async (offset: number) => {
    if (offset === record.offset) return;
    record = { ...record, offset };
    onRecord(record);
    await saveUpload(ctx, record);
    report();
  };
  report();

  /** Sends `segment` (blob bytes from `start`), resuming inside it after failures; false = the relay holds less than `start` (rewind). */
  const sendSegment = async (segment: Uint8Array, start: number): Promise<boolean> => {
    const end = start + segment.length;
    while (record.offset < end) {
      if (record.offset < start) return false;
      signal?.throwIfAborted();
      try {
        const response = await http.fetch(blobUrl(http, record.blobId as string), {
          method: "PATCH",
          headers: {
            authorization: `Bearer ${record.capability}`,
            "upload-offset": String(record.offset),
            "content-type": "application/offset+octet-stream",
          },
          // A plain ArrayBuffer view: what the DOM typing of fetch() accepts as a body.
          body: segment.subarray(record.offset - start) as Uint8Array<ArrayBuffer>,
          ...(signal ? { signal } : {}),
        });
        await response.body?.cancel();
        const stated = Number(response.headers.get("upload-offset") ?? Number.NaN);
        if (response.status === 204 || response.status === 409) {
          if (!Number.isSafeInteger(stated)) throw new Error("relay sent no Upload-Offset");
          if (stated > record.offset) failures = 0;
          await confirm(stated);
          continue;
        }
        if (response.status === 401) throw relayError(401, "upload", "UNAUTHORIZED");
        if (response.status === 413) throw relayError(413, "upload", "BLOB_TOO_LARGE");
        if (response.status === 404) throw relayError(404, "upload", "NOT_FOUND");
        throw new Error(`upload: HTTP ${response.status}`);
      } catch (error) {
        if (!transient(error, signal) || ++failures > MAX_HTTP_RETRIES) throw error;
        await sleep(retryDelay(failures), signal);
        // Where did the relay get to? (What it holds is durable: it fsyncs before answering.)
        try {
          await confirm(await storedOffset(http, record, signal));
        } catch (headError) {
          if (!transient(headError, signal)) throw headError;
        }
      }
    }
    return true;
  };

  // One segment buffer for the whole upload, refilled once the relay holds its bytes (a
  // request's body is never touched while it may still be read).
  const segment = new Uint8Array(UPLOAD_SEGMENT_BYTES + ENCRYPTED_CHUNK_BYTES);
  for (let pass = 0; ; pass++) {
    const encryptor = new AttachmentEncryptor(ctx.deps, record.key, record.size);
    let produced = 0;
    let pending = 0;
    let rewound = false;
    const take = async (chunks: Iterable<Uint8Array>) => {
      for (const chunk of chunks) {
        const start = produced;
        produced += chunk.length;
        if (produced <= record.offset) continue;
        const piece = start >= record.offset ? chunk : chunk.subarray(record.offset - start);
        segment.set(piece, pending);
        pending += piece.length;
        if (pending >= UPLOAD_SEGMENT_BYTES) await flush();
      }
    };
    const flush = async () => {
      if (pending === 0 || rewound) return;
      const start = produced - pending;
      const length = pending;
      pending = 0;
      if (!(await sendSegment(segment.subarray(0, length), start))) rewound = true;
    };
    let readBytes = 0;
    for await (const piece of readSource(source)) {
      signal?.throwIfAborted();
      readBytes += piece.length;
      if (readBytes > record.size) throw new RangeError("the file grew while it was being sent");
      await take(encryptor.update(piece));
      if (rewound) break;
    }
    if (!rewound) {
      if (readBytes !== record.size) throw new RangeError("the file shrank while it was being sent");
      await take(encryptor.finish());
      await flush();
    }
    if (!rewound && record.offset === record.encryptedSize) return encryptor.digest();
    if (!rereadable(source) || pass >= 2)
      throw new ParleyError(ErrorCode.Relay, "the relay lost part of the upload", { reason: "CONFLICT" });
  }
}
