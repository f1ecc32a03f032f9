/**
 * Attachments in the client (spec/attachments.md §7, spec/client.md §10): sending a file
 * (encrypt in chunks with a fresh key, upload to the relay's blob store with resumable PATCH
 * requests, progress persisted in the store, then send the pointer as an attachment content),
 * and receiving one (a streaming, chunk-verified download with HTTP Range resumption, and a
 * save-to-file that moves the file into place only after the digest matched).
 *
 * A file is never held whole: the plaintext is read in pieces, encrypted chunk by chunk, and sent
 * in segments of UPLOAD_SEGMENT_BYTES; a download decrypts as bytes arrive. Blob HTTP goes to the
 * relay's own origin (ws → http, wss → https) with the `fetch` the client was given.
 */

import { type AttachmentPointer, writeAttachmentFields } from "../attachment/pointer.js";
import { makeImagePreview } from "../attachment/preview.js";
import {
  ATTACHMENT_KEY_BYTES,
  AttachmentDecryptor,
  AttachmentEncryptor,
  attachmentLayout,
  ENCRYPTED_CHUNK_BYTES,
} from "../attachment/stream.js";
import { bytesToHex as hex } from "../crypto/bytes.js";
import { randomBytes } from "../deps.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import type { BlobGrantedFrame } from "../wire/frames.js";
import { describeSource, type FileSource, nodeFs, readSource, rereadable, sourceSize } from "./attachment-source.js";
import type { ClientContext } from "./context.js";
import type { AttachmentInfo, ChatMessage } from "./conversation.js";
import { newContent, sendContent } from "./outgoing.js";
import { type Contact, decodeRecord, encodeRecord } from "./records.js";
import type { StoreWrite } from "./store/store.js";

/** Ciphertext bytes per PATCH request: big enough to amortise a round trip and an fsync, small enough to resend. */
export const UPLOAD_SEGMENT_BYTES = 4 * 1024 * 1024;
/** Failed requests in a row (no progress in between) before an upload or download gives up. */
const MAX_HTTP_RETRIES = 8;
/** Store namespace of unfinished uploads: upload id → UploadRecord. */
export const UPLOADS_NS = "attachment-uploads";

export type { FileSource };

/** Upload progress: ciphertext bytes the relay holds durably, of the blob's total. */
export interface UploadProgress {
  readonly uploadId: string;
  readonly uploaded: number;
  readonly total: number;
}

/** Options of `sendFile`. */
export interface SendFileOptions {
  readonly caption?: string;
  /** Default: the File's type, else guessed from the name, else `application/octet-stream`. */
  readonly contentType?: string;
  /** Default: the File's or path's base name, else `file`. */
  readonly fileName?: string;
  /** Plaintext bytes: required for a ReadableStream or async iterable, checked against a Blob or file. */
  readonly size?: number;
  readonly width?: number;
  readonly height?: number;
  readonly durationMs?: number;
  /** A ThumbHash to send; `false` for none. Default: made from images where the platform can (spec §6). */
  readonly preview?: Uint8Array | false;
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Stops the upload (the promise rejects with the reason); the upload stays resumable. */
  readonly signal?: AbortSignal;
}

/** Options of `openAttachment` / `saveAttachment`. */
export interface DownloadOptions {
  readonly signal?: AbortSignal;
  /** Refuse (ERR_LIMIT_EXCEEDED) attachments larger than this many plaintext bytes. Default: no limit beyond the protocol's. */
  readonly maxSize?: number;
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

/** A ReadableStream that is also async-iterable in every runtime. */
export type AttachmentStream = ReadableStream<Uint8Array> & AsyncIterable<Uint8Array>;

/** Sends the pointer of an uploaded (or forwarded) attachment to a conversation. GC extends this to groups. */
export type SendPointer = (conversationId: string, body: AttachmentPointer, writes: StoreWrite[]) => Promise<ChatMessage>;

interface HttpOptions {
  readonly relayUrl: string;
  readonly fetch?: typeof fetch;
}

const BLOB_ID = /^[0-9a-f]{32}$/;

/** The relay's HTTP origin for its WebSocket URL (ws → http, wss → https). */
export function blobBaseUrl(relayUrl: string): string {
  const url = new URL(relayUrl);
  if (url.protocol === "ws:") url.protocol = "http:";
  else if (url.protocol === "wss:") url.protocol = "https:";
  return url.origin;
}

/** True when `value` looks like an attachment pointer (forwarding) rather than a file source. */
function isPointer(value: unknown): value is AttachmentInfo {
  return typeof value === "object" && value !== null && "blobId" in value && "key" in value && "digest" in value;
}

function abortError(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException("aborted", "AbortError");
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal));
    };
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function retryDelay(attempt: number): number {
  return Math.min(100 * 2 ** attempt, 5_000);
}

function relayError(status: number, what: string, reason: string): ParleyError {
  return new ParleyError(ErrorCode.Relay, `${what}: the relay answered HTTP ${status}`, { reason });
}

/** A thrown value that is worth retrying: a network failure (fetch's TypeError, a cut body), not our own errors. */
function transient(error: unknown, signal?: AbortSignal): boolean {
  if (signal?.aborted) return false;
  return !(error instanceof ParleyError) && !(error instanceof RangeError);
}

/**
 * The attachment half of a ParleyClient: uploads with resumption, downloads with verification.
 * `sendPointer` is how a finished pointer reaches a conversation (1:1 here; groups extend it).
 */
export class Attachments {
  private readonly base: string;
  private readonly fetch: typeof fetch;

  constructor(
    private readonly ctx: ClientContext,
    http: HttpOptions,
    private readonly sendPointer: SendPointer,
  ) {
    this.base = blobBaseUrl(http.relayUrl);
    const f = http.fetch ?? globalThis.fetch;
    if (typeof f !== "function") throw new TypeError("attachments need fetch (pass options.fetch)");
    this.fetch = f.bind(globalThis);
  }

  /**
   * Encrypts and uploads `source`, then sends its pointer to `conversationId`; resolves with the
   * message once queued. A pointer (an `AttachmentInfo` from a message) is forwarded as is: no
   * upload. If the upload fails or is aborted, it stays listed in `pendingUploads()`.
   */
  async sendFile(conversationId: string, source: FileSource | AttachmentInfo, options: SendFileOptions = {}): Promise<ChatMessage> {
    if (isPointer(source)) {
      const { blobId, key, digest, size, contentType, fileName, ...rest } = source;
      const body: AttachmentPointer = { ...rest, blobId, key, digest, size, contentType, fileName, caption: options.caption ?? "" };
      writeAttachmentFields(new ByteWriter(), body);
      return this.sendPointer(conversationId, body, []);
    }
    options.signal?.throwIfAborted();
    const size = await sourceSize(source, options.size);
    const { fileName, contentType } = describeSource(source, options);
    const preview =
      options.preview === false ? undefined : options.preview ? { hash: options.preview } : await this.previewOf(source, contentType);
    const meta = {
      contentType,
      fileName,
      caption: options.caption ?? "",
      ...(options.width !== undefined ? { width: options.width } : preview?.width ? { width: preview.width } : {}),
      ...(options.height !== undefined ? { height: options.height } : preview?.height ? { height: preview.height } : {}),
      ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
      ...(preview?.hash ? { preview: preview.hash } : {}),
    };
    const key = randomBytes(this.ctx.deps, ATTACHMENT_KEY_BYTES);
    const layout = attachmentLayout(size);
    // Checked before anything is uploaded: a pointer that cannot be encoded fails here, not after.
    writeAttachmentFields(new ByteWriter(), { ...meta, blobId: "0".repeat(32), key, digest: new Uint8Array(32), size });
    const record: UploadRecord = {
      id: hex(randomBytes(this.ctx.deps, 16)),
      conversationId,
      key,
      size,
      encryptedSize: layout.encryptedSize,
      offset: 0,
      ...(typeof source === "string" ? { path: source } : {}),
      meta,
      createdAt: this.ctx.now(),
    };
    await this.save(record);
    return this.complete(record, source, options);
  }

  /** Unfinished uploads (after a failure, an abort or a restart), oldest first. */
  async pendingUploads(): Promise<UploadRecord[]> {
    const all = (await this.ctx.store.list(UPLOADS_NS)).map(([, v]) => decodeRecord<UploadRecord>(v));
    return all.sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * Continues an unfinished upload from the relay's stored offset and sends its message. Pass
   * the same file again unless it was a path (Node), which is read again by itself.
   */
  async resumeUpload(uploadId: string, source?: FileSource, options: Omit<SendFileOptions, "size"> = {}): Promise<ChatMessage> {
    const raw = await this.ctx.store.get(UPLOADS_NS, uploadId);
    if (!raw) throw new RangeError("no such upload");
    const record = decodeRecord<UploadRecord>(raw);
    const from = source ?? record.path;
    if (from === undefined) throw new TypeError("this upload's file must be passed again to resume it");
    await sourceSize(from, record.size);
    return this.complete(record, from, options);
  }

  /** Forgets an unfinished upload (the relay sweeps its partial blob when the ticket expires). */
  async discardUpload(uploadId: string): Promise<void> {
    await this.ctx.store.batch([{ namespace: UPLOADS_NS, key: uploadId, value: undefined }]);
  }

  /**
   * The attachment's plaintext as a stream: each piece comes from a chunk whose tag verified,
   * the final piece only after the blob's digest matched; errors are ERR_ATTACHMENT_CORRUPT,
   * ERR_ATTACHMENT_TRUNCATED or ERR_RELAY (blob missing, relay failing). A dropped connection
   * is resumed with an HTTP Range request. Nothing is fetched until the stream is read.
   */
  open(pointer: AttachmentInfo | AttachmentPointer, options: DownloadOptions = {}): AttachmentStream {
    if (!BLOB_ID.test(pointer.blobId)) throw invalidEncoding("blob id is not 32 lower-case hex digits");
    if (options.maxSize !== undefined && pointer.size > options.maxSize)
      throw new ParleyError(ErrorCode.LimitExceeded, "attachment is larger than maxSize");
    const decryptor = new AttachmentDecryptor(this.ctx.deps, pointer);
    const url = `${this.base}/blobs/${pointer.blobId}`;
    const signal = options.signal;
    let body: ReadableStreamDefaultReader<Uint8Array> | undefined;
    let skip = 0;
    let failures = 0;
    const connect = async (): Promise<ReadableStreamDefaultReader<Uint8Array> | "end"> => {
      const offset = decryptor.bytesIn;
      const response = await this.fetch(url, { headers: offset > 0 ? { range: `bytes=${offset}-` } : {}, ...(signal ? { signal } : {}) });
      if (response.status === 416) {
        await response.body?.cancel();
        return "end";
      }
      if (response.status === 404) throw relayError(404, "attachment blob", "NOT_FOUND");
      if (response.status !== 200 && response.status !== 206) {
        await response.body?.cancel();
        if (response.status >= 500) throw new Error(`relay answered HTTP ${response.status}`);
        throw relayError(response.status, "attachment blob", "BAD_REQUEST");
      }
      // A relay that ignores Range sends the whole blob again: skip what we already have.
      skip = response.status === 200 ? offset : 0;
      if (!response.body) return "end";
      return response.body.getReader();
    };
    const stream = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          for (;;) {
            if (signal?.aborted) throw abortError(signal);
            let step: Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>["read"]>>;
            try {
              if (!body) {
                const opened = await connect();
                if (opened === "end") {
                  decryptor.finish();
                  controller.close();
                  return;
                }
                body = opened;
              }
              step = await body.read();
            } catch (error) {
              body = undefined;
              if (!transient(error, signal) || ++failures > MAX_HTTP_RETRIES) throw error;
              await sleep(retryDelay(failures), signal);
              continue;
            }
            if (step.done) {
              body = undefined;
              // The response ended where its length said: a blob shorter than the pointer's is truncated.
              decryptor.finish();
              controller.close();
              return;
            }
            let data = step.value;
            if (skip > 0) {
              const drop = Math.min(skip, data.length);
              skip -= drop;
              data = data.subarray(drop);
            }
            const pieces = decryptor.update(data);
            failures = 0;
            for (const piece of pieces) controller.enqueue(piece);
            if (pieces.length > 0) return;
          }
        },
        cancel: async () => {
          await body?.cancel().catch(() => undefined);
        },
      },
      { highWaterMark: 2 },
    );
    return asyncIterable(stream);
  }

  /**
   * Downloads into `path` (Node): writes a temporary file beside it and renames it into place
   * only after the digest verified; on any failure the temporary file is removed and nothing is
   * left at `path`.
   */
  async saveToFile(pointer: AttachmentInfo | AttachmentPointer, path: string, options: DownloadOptions = {}): Promise<void> {
    const fs = nodeFs();
    const temp = `${path}.${hex(randomBytes(this.ctx.deps, 6))}.part`;
    const handle = await fs.open(temp, "wx");
    let closed = false;
    try {
      for await (const piece of this.open(pointer, options)) await handle.write(piece);
      await handle.sync();
      await handle.close();
      closed = true;
      await fs.rename(temp, path);
    } catch (error) {
      if (!closed) await handle.close().catch(() => undefined);
      await fs.rm(temp, { force: true });
      throw error;
    }
  }

  // ---- upload internals ---------------------------------------------------------------

  private async save(record: UploadRecord): Promise<void> {
    await this.ctx.store.batch([{ namespace: UPLOADS_NS, key: record.id, value: encodeRecord(record) }]);
  }

  private async previewOf(
    source: FileSource,
    contentType: string,
  ): Promise<{ hash?: Uint8Array; width?: number; height?: number } | undefined> {
    if (!contentType.startsWith("image/")) return undefined;
    if (typeof source !== "string" && !(typeof Blob !== "undefined" && source instanceof Blob)) return undefined;
    try {
      return await makeImagePreview(source);
    } catch {
      return undefined; // A preview is a nicety: an image the platform cannot decode is sent without one.
    }
  }

  private async complete(initial: UploadRecord, source: FileSource, options: SendFileOptions): Promise<ChatMessage> {
    let record = initial;
    const digest = await this.upload(record, source, options, (next) => {
      record = next;
    });
    const body: AttachmentPointer = {
      ...record.meta,
      blobId: record.blobId as string,
      key: record.key,
      digest,
      size: record.size,
      encryptedSize: record.encryptedSize,
    };
    // The upload record goes in the same batch that queues the message.
    return this.sendPointer(record.conversationId, body, [{ namespace: UPLOADS_NS, key: record.id, value: undefined }]);
  }

  /** A blob ticket for the record (a new one when it has none or it expired: the upload starts over). */
  private async ensureTicket(record: UploadRecord): Promise<UploadRecord> {
    if (record.blobId && record.capability && (record.ticketExpiresAt ?? 0) > this.ctx.now()) return record;
    const granted = (await this.ctx.connection.request({ t: "blob_ticket", size: record.encryptedSize })) as BlobGrantedFrame;
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
    await this.save(next);
    return next;
  }

  /** The relay's stored offset for the record's blob (HEAD with the capability). */
  private async storedOffset(record: UploadRecord, signal?: AbortSignal): Promise<number> {
    const response = await this.fetch(`${this.base}/blobs/${record.blobId}`, {
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
   * skipped, not resent), and returns the blob's digest.
   */
  private async upload(
    initial: UploadRecord,
    source: FileSource,
    options: SendFileOptions,
    onRecord: (record: UploadRecord) => void,
  ): Promise<Uint8Array> {
    const signal = options.signal;
    let record = await this.ensureTicket(initial);
    onRecord(record);
    if (record.offset > 0 || initial.blobId) {
      try {
        record = { ...record, offset: await this.storedOffset(record, signal) };
      } catch (error) {
        if (!(ParleyError.is(error, ErrorCode.Relay) && error.reason === "UNAUTHORIZED")) throw error;
        record = await this.ensureTicket({ ...record, ticketExpiresAt: 0 });
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
      await this.save(record);
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
          const response = await this.fetch(`${this.base}/blobs/${record.blobId}`, {
            method: "PATCH",
            headers: {
              authorization: `Bearer ${record.capability}`,
              "upload-offset": String(record.offset),
              "content-type": "application/offset+octet-stream",
            },
            body: segment.subarray(record.offset - start),
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
            await confirm(await this.storedOffset(record, signal));
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
      const encryptor = new AttachmentEncryptor(this.ctx.deps, record.key, record.size);
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
}

/** Adds `Symbol.asyncIterator` where a runtime's ReadableStream lacks it (Safari, older Chrome). */
function asyncIterable(stream: ReadableStream<Uint8Array>): AttachmentStream {
  if (Symbol.asyncIterator in (stream as object)) return stream as AttachmentStream;
  Object.defineProperty(stream, Symbol.asyncIterator, {
    value: async function* () {
      const reader = stream.getReader();
      try {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          yield value;
        }
      } finally {
        reader.releaseLock();
      }
    },
  });
  return stream as AttachmentStream;
}

/**
 * The 1:1 way a pointer reaches a conversation: an attachment content to the contact, the
 * message stored with it (and `writes`, e.g. the finished upload's removal) in one batch.
 */
export async function sendPointerToContact(
  ctx: ClientContext,
  contact: Contact,
  pointer: AttachmentPointer,
  writes: StoreWrite[],
): Promise<ChatMessage> {
  const content = newContent(ctx, { kind: "attachment", ...pointer });
  const { caption, ...attachment } = pointer;
  const message: ChatMessage = {
    id: hex(content.id),
    contactId: contact.id,
    sender: ctx.me,
    senderDevice: ctx.local.device.deviceId,
    outgoing: true,
    kind: "attachment",
    text: caption,
    attachment,
    sentAt: content.sentAt,
    receivedAt: ctx.arrivalTime(),
    deleted: false,
    reactions: {},
    status: "pending",
  };
  await sendContent(ctx, contact, content, {
    messageRef: { contactId: contact.id, id: message.id },
    writes: [...ctx.newMessageWrites(message), ...writes],
  });
  ctx.emit("message", message);
  return message;
}
