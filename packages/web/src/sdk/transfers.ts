/**
 * Uploads and downloads of attachments for the views: progress in the store's `transfers`
 * slice (so it survives re-renders and remounts), cancellation through AbortSignals kept here,
 * outside React. Everything goes through the SDK: `client.sendFile` (with the image's or video's
 * dimensions, duration and ThumbHash measured by the browser), `resumeUpload`/`discardUpload`,
 * and `client.openAttachment`, whose stream hands out only verified bytes. Downloaded files are
 * kept in a small in-memory cache (never persisted) so a row that scrolls back into view shows
 * its image without downloading it again. Videos stream through the service worker
 * (sw/media-stream.ts): this module answers the worker's requests with the SDK's stream.
 */
import { type AttachmentPointer, decodeAttachmentPointer } from "@parley/protocol";
import type { ChatMessage, ParleyClient, SendFileOptions } from "@parley/protocol/client";
import { rgbaToThumbHash } from "thumbhash";
import type { MediaAnswer, MediaRequest } from "../sw/media-stream.js";
import { describeError } from "./errors.js";
import type { ParleyStore, Transfer } from "./store.js";

// The same values as sw/media-stream.ts (not imported: the worker bundle must share no chunk with the app).
const MEDIA_PATH = "/parley-media/";
const MEDIA_REQUEST: MediaRequest["type"] = "parley-media-request";

/** Images up to this size download by themselves when shown; larger ones wait for a click. */
export const AUTO_DOWNLOAD_BYTES = 16 * 1024 * 1024;
/** Bytes of downloaded files kept in memory for re-display. */
const CACHE_BYTES = 96 * 1024 * 1024;
/** Longest wait for a video's metadata when measuring it before sending. */
const VIDEO_META_TIMEOUT_MS = 5_000;

interface Upload {
  readonly conversationId: string;
  file?: File;
  controller: AbortController;
  uploadId?: string;
}

const uploads = new Map<string, Upload>();
const downloads = new Map<string, { promise: Promise<Blob>; controller: AbortController }>();
/** Streams being read by the service worker, per message: controller → bytes so far. */
const streams = new Map<string, Map<AbortController, number>>();
const cache = new Map<string, Blob>();
let cacheBytes = 0;
let uploadSeq = 0;
/** Uploads started before this page loaded are the SDK's leftovers; later ones are tracked here. */
const pageLoadedAt = Date.now();

function clientOf(store: ParleyStore): ParleyClient {
  const client = store.client;
  if (!client) throw new Error("no account is open");
  return client;
}

// ---------------------------------------------------------------- uploads

/** The transfers key of an upload shown in a conversation's upload tray. */
export function isUploadKey(key: string): boolean {
  return key.startsWith("up:");
}

/** Encrypts, uploads and sends each file to the conversation, one after another; progress goes to the store. */
export function sendFiles(store: ParleyStore, conversationId: string, files: readonly File[]): void {
  const keys = files.map((file) => {
    const key = `up:${++uploadSeq}`;
    uploads.set(key, { conversationId, file, controller: new AbortController() });
    store.setTransfer(key, { direction: "up", loaded: 0, total: file.size, state: "active", conversationId, fileName: file.name });
    return key;
  });
  void (async () => {
    for (const key of keys) await runUpload(store, key, false);
  })();
}

async function runUpload(store: ParleyStore, key: string, resume: boolean): Promise<void> {
  const upload = uploads.get(key);
  const file = upload?.file;
  if (!upload || !file) return;
  const base = store.getSnapshot().transfers[key];
  if (!base || (base.state !== "active" && !resume)) return;
  const set = (patch: Partial<Transfer>) => {
    const now = store.getSnapshot().transfers[key];
    if (now) store.setTransfer(key, { ...now, ...patch });
  };
  set({ state: "active", loaded: resume ? base.loaded : 0 });
  const { signal } = upload.controller;
  try {
    const options: SendFileOptions = {
      signal,
      onProgress: (p) => {
        upload.uploadId = p.uploadId;
        set({ loaded: Math.round((p.uploaded / Math.max(p.total, 1)) * file.size), total: file.size, uploadId: p.uploadId });
      },
    };
    const client = clientOf(store);
    let message: ChatMessage;
    if (resume && upload.uploadId) {
      message = await client.resumeUpload(upload.uploadId, file, options);
    } else {
      const meta = file.type.startsWith("video/") ? await videoMeta(file) : {};
      signal.throwIfAborted();
      message = await client.sendFile(upload.conversationId, file, { ...options, ...meta });
    }
    remember(message.id, file);
    uploads.delete(key);
    store.setTransfer(key, undefined);
  } catch (error) {
    const cancelled = signal.aborted;
    set(cancelled ? { state: "cancelled" } : { state: "failed", error: describeError(error) });
  }
}

/** Stops an upload; it stays resumable (the relay keeps what it got). */
export function cancelUpload(key: string): void {
  uploads.get(key)?.controller.abort(new DOMException("Upload cancelled", "AbortError"));
}

/** True when the upload can continue: its file is still at hand and the SDK knows it. */
export function canResume(key: string): boolean {
  const upload = uploads.get(key);
  return upload?.file !== undefined && upload.uploadId !== undefined;
}

/** Continues a cancelled or failed upload from where the relay got to. */
export function resumeUpload(store: ParleyStore, key: string): void {
  const upload = uploads.get(key);
  if (!upload) return;
  upload.controller = new AbortController();
  void runUpload(store, key, true);
}

/**
 * Resumes an upload left from an earlier visit with its file picked again. The file must have
 * the same name and size (the SDK checks the size; the name guards against picking another file).
 */
export function resumeWithFile(store: ParleyStore, key: string, file: File): string | undefined {
  const upload = uploads.get(key);
  const transfer = store.getSnapshot().transfers[key];
  if (!upload || !transfer) return "This upload is gone.";
  if (file.size !== transfer.total || (transfer.fileName && file.name !== transfer.fileName))
    return `That is not the same file: pick ${transfer.fileName ?? "the file"} (${humanSize(transfer.total)}).`;
  upload.file = file;
  resumeUpload(store, key);
  return undefined;
}

/** Forgets an unfinished upload (here and in the SDK). */
export async function discardUpload(store: ParleyStore, key: string): Promise<void> {
  const upload = uploads.get(key);
  const uploadId = upload?.uploadId ?? store.getSnapshot().transfers[key]?.uploadId;
  upload?.controller.abort();
  uploads.delete(key);
  store.setTransfer(key, undefined);
  if (uploadId) await clientOf(store).discardUpload(uploadId);
}

/**
 * Lists the SDK's unfinished uploads of a conversation (from before a reload) in the tray, as
 * cancelled: their file is gone from memory, so they can only be discarded.
 */
export async function loadPendingUploads(store: ParleyStore, conversationId: string): Promise<void> {
  const pending = await clientOf(store).pendingUploads();
  const known = new Set(Object.values(store.getSnapshot().transfers).map((t) => t.uploadId));
  for (const record of pending) {
    if (record.conversationId !== conversationId || known.has(record.id) || record.createdAt >= pageLoadedAt) continue;
    const key = `up:${++uploadSeq}`;
    uploads.set(key, { conversationId, controller: new AbortController(), uploadId: record.id });
    store.setTransfer(key, {
      direction: "up",
      loaded: Math.round((record.offset / Math.max(record.encryptedSize, 1)) * record.size),
      total: record.size,
      state: "cancelled",
      conversationId,
      fileName: record.meta.fileName,
      uploadId: record.id,
    });
  }
}

// ---------------------------------------------------------------- measuring media

/** A video's dimensions, duration and a ThumbHash of its first frame, measured by the browser (empty when it cannot). */
export async function videoMeta(file: Blob): Promise<Pick<SendFileOptions, "width" | "height" | "durationMs" | "preview">> {
  const url = URL.createObjectURL(file);
  const video = document.createElement("video");
  video.muted = true;
  video.preload = "auto";
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("timeout")), VIDEO_META_TIMEOUT_MS);
      video.addEventListener("loadeddata", () => {
        clearTimeout(timer);
        resolve();
      });
      video.addEventListener("error", () => {
        clearTimeout(timer);
        reject(new Error("undecodable"));
      });
      video.src = url;
    });
    const width = video.videoWidth;
    const height = video.videoHeight;
    const out: { width?: number; height?: number; durationMs?: number; preview?: Uint8Array } = {};
    if (width > 0 && height > 0) {
      out.width = width;
      out.height = height;
      const preview = frameHash(video, width, height);
      if (preview) out.preview = preview;
    }
    if (Number.isFinite(video.duration) && video.duration > 0) out.durationMs = Math.round(video.duration * 1000);
    return out;
  } catch {
    return {};
  } finally {
    video.removeAttribute("src");
    video.load();
    URL.revokeObjectURL(url);
  }
}

function frameHash(video: HTMLVideoElement, width: number, height: number): Uint8Array | undefined {
  const scale = Math.min(1, 100 / Math.max(width, height));
  const w = Math.max(1, Math.round(width * scale));
  const h = Math.max(1, Math.round(height * scale));
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const context = canvas.getContext("2d");
  if (!context) return undefined;
  context.drawImage(video, 0, 0, w, h);
  return rgbaToThumbHash(w, h, context.getImageData(0, 0, w, h).data);
}

// ---------------------------------------------------------------- downloads

function remember(key: string, blob: Blob): void {
  const old = cache.get(key);
  if (old) {
    cacheBytes -= old.size;
    cache.delete(key);
  }
  if (blob.size > CACHE_BYTES / 2) return;
  cache.set(key, blob);
  cacheBytes += blob.size;
  for (const [k, b] of cache) {
    if (cacheBytes <= CACHE_BYTES) break;
    cache.delete(k);
    cacheBytes -= b.size;
  }
}

/** A downloaded (verified) file still in memory. */
export function cachedBlob(key: string): Blob | undefined {
  const blob = cache.get(key);
  if (blob) {
    // Most recently used goes last.
    cache.delete(key);
    cache.set(key, blob);
  }
  return blob;
}

/**
 * Downloads a message's attachment whole (progress under the message id), deduplicated: the
 * Blob exists only after the SDK verified the last chunk and the digest.
 */
export function downloadBlob(store: ParleyStore, message: ChatMessage): Promise<Blob> {
  const cached = cachedBlob(message.id);
  if (cached) return Promise.resolve(cached);
  const running = downloads.get(message.id);
  if (running) return running.promise;
  const attachment = message.attachment;
  if (!attachment) return Promise.reject(new Error("no attachment"));
  const controller = new AbortController();
  const promise = fetchWhole(store, message.id, attachment.contentType, attachment.size, (signal) =>
    clientOf(store).openAttachment(message, { signal }),
  );
  const entry = { promise: promise(controller.signal), controller };
  downloads.set(message.id, entry);
  entry.promise.then(
    () => downloads.delete(message.id),
    () => downloads.delete(message.id),
  );
  return entry.promise;
}

function fetchWhole(
  store: ParleyStore,
  key: string,
  contentType: string,
  size: number,
  open: (signal: AbortSignal) => ReadableStream<Uint8Array>,
): (signal: AbortSignal) => Promise<Blob> {
  return async (signal) => {
    store.setTransfer(key, { direction: "down", loaded: 0, total: size, state: "active" });
    const parts: Uint8Array[] = [];
    let loaded = 0;
    try {
      const reader = open(signal).getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parts.push(value);
        loaded += value.length;
        store.setTransfer(key, { direction: "down", loaded, total: size, state: "active" });
      }
      const blob = new Blob(parts as BlobPart[], { type: contentType });
      remember(key, blob);
      store.setTransfer(key, { direction: "down", loaded, total: size, state: "done" });
      return blob;
    } catch (error) {
      store.setTransfer(
        key,
        signal.aborted
          ? { direction: "down", loaded, total: size, state: "cancelled" }
          : { direction: "down", loaded, total: size, state: "failed", error: describeError(error) },
      );
      throw error;
    }
  };
}

/** Stops a message's download (whole-file or streamed). */
export function cancelDownload(messageId: string): void {
  downloads.get(messageId)?.controller.abort(new DOMException("Download cancelled", "AbortError"));
  for (const controller of streams.get(messageId)?.keys() ?? []) controller.abort(new DOMException("Download cancelled", "AbortError"));
}

/** Downloads (if needed) and saves the attachment with an `<a download>`: only after the SDK verified it. */
export async function saveAttachment(store: ParleyStore, message: ChatMessage): Promise<void> {
  const blob = await downloadBlob(store, message);
  saveBlob(blob, message.attachment?.fileName || "file");
}

/** Hands a Blob to the browser's downloads as `fileName`. */
export function saveBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** A group's picture (an encoded attachment pointer) as a verified Blob, cached by blob id. */
export function avatarBlob(store: ParleyStore, encoded: Uint8Array): Promise<Blob> {
  let pointer: AttachmentPointer;
  try {
    pointer = decodeAttachmentPointer(encoded);
  } catch (error) {
    return Promise.reject(error);
  }
  const key = `avatar:${pointer.blobId}`;
  const cached = cachedBlob(key);
  if (cached) return Promise.resolve(cached);
  const running = downloads.get(key);
  if (running) return running.promise;
  const controller = new AbortController();
  const promise = fetchWhole(store, key, pointer.contentType, pointer.size, (signal) =>
    clientOf(store).openAttachment(pointer, { signal }),
  )(controller.signal);
  downloads.set(key, { promise, controller });
  promise.then(
    () => downloads.delete(key),
    () => downloads.delete(key),
  );
  return promise;
}

// ---------------------------------------------------------------- streaming through the service worker

let bridged: ParleyStore | undefined;

/**
 * The URL a `<video>` streams a message's attachment from, through the service worker; undefined
 * when no worker controls the page (then download the whole file and play a blob URL).
 */
export function mediaUrl(store: ParleyStore, messageId: string): string | undefined {
  if (typeof navigator === "undefined" || !navigator.serviceWorker?.controller) return undefined;
  installMediaBridge(store);
  return `${MEDIA_PATH}${messageId}`;
}

/** Answers the service worker's requests for media streams (once per page). */
function installMediaBridge(store: ParleyStore): void {
  if (bridged === store) return;
  const first = bridged === undefined;
  bridged = store;
  if (!first) return;
  navigator.serviceWorker.addEventListener("message", (event: MessageEvent) => {
    const data = event.data as MediaRequest | undefined;
    const port = event.ports[0];
    if (data?.type !== MEDIA_REQUEST || !port || !bridged) return;
    answerMedia(bridged, data.id, port);
  });
}

function answerMedia(store: ParleyStore, id: string, port: MessagePort): void {
  const message = store.getSnapshot().messagesById[id];
  const attachment = message?.attachment;
  if (!message || !attachment) {
    port.postMessage({ error: "no such attachment" } satisfies MediaAnswer);
    return;
  }
  const controller = new AbortController();
  const live = streams.get(id) ?? new Map<AbortController, number>();
  live.set(controller, 0);
  streams.set(id, live);
  const size = attachment.size;
  // A player may open several requests (ranges): the transfer is active while any is, at the furthest one's bytes.
  const report = (ended?: Transfer) => {
    if (ended?.state === "failed") store.setTransfer(id, ended);
    else if (live.size > 0) store.setTransfer(id, { direction: "down", loaded: Math.max(...live.values()), total: size, state: "active" });
    else if (ended) store.setTransfer(id, ended);
  };
  let loaded = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, c) {
      loaded += chunk.length;
      if (live.has(controller)) live.set(controller, loaded);
      report();
      c.enqueue(chunk);
    },
  });
  const source = clientOf(store).openAttachment(message, { signal: controller.signal });
  report();
  // Nothing is fetched until the worker's response is read.
  source.pipeTo(counter.writable, { signal: controller.signal }).then(
    () => {
      live.delete(controller);
      report({ direction: "down", loaded, total: size, state: "done" });
    },
    (error: unknown) => {
      live.delete(controller);
      // The player stopping its request (a seek, leaving the page) is not a failure: a ParleyError is.
      const code = (error as { code?: unknown } | null)?.code;
      const failed = typeof code === "string" && !controller.signal.aborted;
      report(
        failed
          ? { direction: "down", loaded, total: size, state: "failed", error: describeError(error) }
          : { direction: "down", loaded, total: size, state: "cancelled" },
      );
    },
  );
  try {
    const answer: MediaAnswer = { stream: counter.readable, contentType: attachment.contentType, size };
    port.postMessage(answer, [counter.readable as unknown as Transferable]);
  } catch {
    // This browser cannot transfer streams: the worker answers 502 and the player falls back to a blob.
    controller.abort();
    port.postMessage({ error: "streams cannot be transferred here" } satisfies MediaAnswer);
  }
}

// ---------------------------------------------------------------- formatting

/** "532 B", "1.4 KB", "12 MB", "1.1 GB". */
export function humanSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** "0:07", "12:30", "1:02:03". */
export function humanDuration(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** A short type label: the file's extension, else the content type's subtype ("PDF", "ZIP"). */
export function typeLabel(fileName: string, contentType: string): string {
  const ext = fileName.includes(".") ? fileName.split(".").pop() : undefined;
  const label = ext && ext.length <= 5 ? ext : (contentType.split("/")[1] ?? "file").split(/[+;.-]/)[0];
  return (label || "file").toUpperCase();
}

// ---------------------------------------------------------------- group pictures

/** Longest side of a group picture as sent (it is shown small). */
const GROUP_PICTURE_SIDE = 512;

/**
 * Makes `file` the group's picture: scaled down in the browser, uploaded encrypted and set as the
 * group's avatar (`groups.setPicture`), without a message in the conversation.
 */
export async function setGroupPicture(store: ParleyStore, conversationId: string, file: File): Promise<void> {
  const client = clientOf(store);
  const picture = await scaledPicture(file);
  // Uploaded on its own and set as the group's picture: nothing is posted in the conversation.
  const info = await client.groups.setPicture(conversationId, picture, { fileName: "group-picture.jpg" });
  if (info.avatar) remember(`avatar:${decodeAttachmentPointer(info.avatar).blobId}`, picture);
}

/** The image scaled to at most GROUP_PICTURE_SIDE a side, as a JPEG (the original if the browser cannot). */
async function scaledPicture(file: File): Promise<Blob> {
  try {
    const bitmap = await createImageBitmap(file);
    const scale = Math.min(1, GROUP_PICTURE_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = new OffscreenCanvas(Math.max(1, Math.round(bitmap.width * scale)), Math.max(1, Math.round(bitmap.height * scale)));
    canvas.getContext("2d")?.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    return await canvas.convertToBlob({ type: "image/jpeg", quality: 0.85 });
  } catch {
    return file;
  }
}
