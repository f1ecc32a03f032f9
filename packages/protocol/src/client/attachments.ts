/**
 * Attachments in the client (spec/attachments.md §7, spec/client.md §10), the part a
 * ParleyClient delegates to: sending a file (pointer built and checked, upload record persisted,
 * blob uploaded by attachment-upload.ts, then the pointer sent as an attachment content),
 * forwarding a pointer, unfinished uploads, and receiving (attachment-download.ts: a streaming,
 * chunk-verified download, and a save-to-file that moves the file into place only after the
 * digest matched).
 *
 * Blob HTTP goes to the relay's own origin (ws → http, wss → https) with the `fetch` the client
 * was given (attachment-http.ts).
 */

import { type AttachmentPointer, writeAttachmentFields } from "../attachment/pointer.js";
import { makeImagePreview } from "../attachment/preview.js";
import { ATTACHMENT_KEY_BYTES, attachmentLayout } from "../attachment/stream.js";
import { bytesToHex as hex } from "../crypto/bytes.js";
import { randomBytes } from "../deps.js";
import { ByteWriter } from "../encoding/writer.js";
import { type AttachmentStream, type DownloadOptions, openBlobStream, saveStreamToFile } from "./attachment-download.js";
import { type BlobHttp, blobHttp, type HttpOptions } from "./attachment-http.js";
import { describeSource, type FileSource, sourceSize } from "./attachment-source.js";
import { saveUpload, UPLOADS_NS, type UploadProgress, type UploadRecord, uploadBlob } from "./attachment-upload.js";
import type { ClientContext } from "./context.js";
import type { AttachmentInfo, ChatMessage } from "./conversation.js";
import { newContent, sendContent } from "./outgoing.js";
import { ownMessage, sendOwnMessage } from "./own-message.js";
import { type Contact, decodeRecord } from "./records.js";
import type { StoreWrite } from "./store/store.js";

export type { AttachmentStream, DownloadOptions } from "./attachment-download.js";
export { blobBaseUrl } from "./attachment-http.js";
export type { UploadProgress, UploadRecord } from "./attachment-upload.js";
export { UPLOAD_SEGMENT_BYTES, UPLOADS_NS } from "./attachment-upload.js";
export type { FileSource };

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

/** Sends the pointer of an uploaded (or forwarded) attachment to a conversation. GC extends this to groups. */
export type SendPointer = (conversationId: string, body: AttachmentPointer, writes: StoreWrite[]) => Promise<ChatMessage>;

/** The conversation id of an upload record made by `upload` (sent nowhere); never a real conversation id. */
const UPLOAD_ONLY = "";

/** True when `value` looks like an attachment pointer (forwarding) rather than a file source. */
function isPointer(value: unknown): value is AttachmentInfo {
  return typeof value === "object" && value !== null && "blobId" in value && "key" in value && "digest" in value;
}

/**
 * The attachment half of a ParleyClient: uploads with resumption, downloads with verification.
 * `sendPointer` is how a finished pointer reaches a conversation (1:1 here; groups extend it).
 */
export class Attachments {
  private readonly http: BlobHttp;

  constructor(
    private readonly ctx: ClientContext,
    http: HttpOptions,
    private readonly sendPointer: SendPointer,
  ) {
    this.http = blobHttp(http);
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
    const record = await this.begin(conversationId, source, options);
    const { body, writes } = await this.finish(record, source, options);
    return this.sendPointer(record.conversationId, body, writes);
  }

  /**
   * Encrypts and uploads `source` without sending it anywhere; resolves with its pointer (a group
   * picture, or a file to send later with `sendFile(conversationId, pointer)`). Not resumable
   * and never listed in `pendingUploads()`: an interrupted upload is started again.
   */
  async upload(source: FileSource, options: Omit<SendFileOptions, "caption"> = {}): Promise<AttachmentPointer> {
    const record = await this.begin(UPLOAD_ONLY, source, options);
    const { body, writes } = await this.finish(record, source, options);
    await this.ctx.store.batch(writes);
    return body;
  }

  /** Checks the pointer to be, persists the upload record. */
  private async begin(conversationId: string, source: FileSource, options: SendFileOptions): Promise<UploadRecord> {
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
    await saveUpload(this.ctx, record);
    return record;
  }

  /** Unfinished uploads (after a failure, an abort or a restart), oldest first. */
  async pendingUploads(): Promise<UploadRecord[]> {
    const all = (await this.ctx.store.list(UPLOADS_NS)).map(([, v]) => decodeRecord<UploadRecord>(v));
    return all.filter((r) => r.conversationId !== UPLOAD_ONLY).sort((a, b) => a.createdAt - b.createdAt);
  }

  /**
   * Continues an unfinished upload from the relay's stored offset and sends its message. Pass
   * the same file again unless it was a path (Node), which is read again by itself.
   */
  async resumeUpload(uploadId: string, source?: FileSource, options: Omit<SendFileOptions, "size"> = {}): Promise<ChatMessage> {
    const raw = await this.ctx.store.get(UPLOADS_NS, uploadId);
    if (!raw) throw new RangeError("no such upload");
    const record = decodeRecord<UploadRecord>(raw);
    if (record.conversationId === UPLOAD_ONLY) throw new RangeError("no such upload");
    const from = source ?? record.path;
    if (from === undefined) throw new TypeError("this upload's file must be passed again to resume it");
    await sourceSize(from, record.size);
    const { body, writes } = await this.finish(record, from, options);
    return this.sendPointer(record.conversationId, body, writes);
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
    return openBlobStream(this.ctx.deps, this.http, pointer, options);
  }

  /**
   * Downloads into `path` (Node): writes a temporary file beside it and renames it into place
   * only after the digest verified; on any failure the temporary file is removed and nothing is
   * left at `path`.
   */
  async saveToFile(pointer: AttachmentInfo | AttachmentPointer, path: string, options: DownloadOptions = {}): Promise<void> {
    await saveStreamToFile(this.ctx.deps, () => this.open(pointer, options), path);
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

  /** Uploads the blob; the pointer, and the record's removal to commit with whatever uses it. */
  private async finish(
    initial: UploadRecord,
    source: FileSource,
    options: SendFileOptions,
  ): Promise<{ body: AttachmentPointer; writes: StoreWrite[] }> {
    let record = initial;
    const digest = await uploadBlob(this.ctx, this.http, record, source, options, (next) => {
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
    return { body, writes: [{ namespace: UPLOADS_NS, key: record.id, value: undefined }] };
  }
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
  const message = ownMessage(ctx, content, contact.id, { kind: "attachment", text: caption, attachment }, "contact");
  return sendOwnMessage(ctx, message, writes, (options) => sendContent(ctx, contact, content, options));
}
