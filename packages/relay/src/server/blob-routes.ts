/**
 * HTTP routes for blobs (spec/relay.md §9). With `Authorization: Bearer <capability>` from
 * `blob_ticket`: `PUT /blobs/<id>` uploads a whole blob at once; `PATCH /blobs/<id>` appends at
 * `Upload-Offset` (resumable upload) and `HEAD /blobs/<id>` tells how far an upload got.
 * Without: `GET`/`HEAD /blobs/<id>` for anyone who knows the id (128 random bits, shared inside
 * encrypted messages), whole or one `Range` (206). Bodies are opaque ciphertext; nothing here
 * logs a blob id or capability.
 */

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";
import { isOffsetContentType, parseBearer, parseByteCount, parseRange } from "../blobs/blob-headers.js";
import { appendUpload, completeUpload } from "../blobs/resumable-upload.js";
import type { RelayContext } from "../context.js";
import { sameHash } from "../handlers/common.js";
import { asStorageError } from "../store/storage-error.js";
import type { BlobRecord } from "../store/store.js";

const PATH = /^\/blobs\/([0-9a-f]{32})$/;

function reply(res: ServerResponse, status: number, body: Record<string, unknown>, headers: OutgoingHttpHeaders = {}): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
  res.end(JSON.stringify(body));
}

/** A refusal answered before the body was read: the body is drained, not stored. */
function refuse(res: ServerResponse, req: IncomingMessage, status: number, code: string, headers: OutgoingHttpHeaders = {}): void {
  reply(res, status, { error: code }, headers);
  req.resume();
}

/** 409 for a PATCH: the client's offset is not the stored one (or another upload runs); tells the stored offset. */
function offsetConflict(res: ServerResponse, req: IncomingMessage, offset: number): void {
  refuse(res, req, 409, "CONFLICT", { "upload-offset": String(offset) });
}

/** Handles a blob request; returns false when the path is not a blob path. */
export async function handleBlobRequest(ctx: RelayContext, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const match = PATH.exec(path);
  if (!match) return false;
  const blobId = match[1] as string;
  switch (req.method) {
    case "GET":
      await serveBlob(ctx, blobId, req, res);
      break;
    case "HEAD":
      if (req.headers.authorization === undefined) await serveBlob(ctx, blobId, req, res);
      else await uploadStatus(ctx, blobId, req, res);
      break;
    case "PUT":
      await putBlob(ctx, blobId, req, res);
      break;
    case "PATCH":
      await patchBlob(ctx, blobId, req, res);
      break;
    default:
      refuse(res, req, 405, "BAD_REQUEST", { allow: "GET, HEAD, PUT, PATCH" });
  }
  return true;
}

/** The blob's record when the request carries its capability, else undefined. */
async function authorized(ctx: RelayContext, blobId: string, req: IncomingMessage): Promise<BlobRecord | undefined> {
  const capability = parseBearer(req.headers.authorization);
  const record = await ctx.store.getBlob(blobId);
  if (!record || !capability || !sameHash(ctx.deps.crypto.sha256(capability), record.capabilityHash)) return undefined;
  return record;
}

/** An upload may proceed: not complete, ticket unexpired. */
const open = (ctx: RelayContext, record: BlobRecord) => record.size === undefined && record.ticketExpiresAt > ctx.now();

/** A complete blob past its lifetime (gone for everyone until the sweep deletes it). */
const expired = (ctx: RelayContext, record: BlobRecord) => record.size !== undefined && (record.expiresAt ?? 0) <= ctx.now();

/** Where progress extends the ticket to: one ticket lifetime from now, at most maxBlobUploadMs after it was granted. */
function extendedTicket(ctx: RelayContext, record: BlobRecord): number {
  const granted = record.createdAt ?? record.ticketExpiresAt - ctx.limits.blobTicketLifetimeMs;
  return Math.min(ctx.now() + ctx.limits.blobTicketLifetimeMs, granted + ctx.limits.maxBlobUploadMs);
}

function finishParams(ctx: RelayContext, record: BlobRecord) {
  return {
    files: ctx.blobs,
    store: ctx.store,
    blobId: record.blobId,
    declaredSize: record.maxSize,
    blobExpiry: () => ctx.now() + ctx.limits.blobLifetimeMs,
  };
}

/**
 * Completes an upload whose bytes all became durable but whose completion a restart cut off
 * (the caller holds the claim). Returns the record as it is now.
 */
async function recover(ctx: RelayContext, record: BlobRecord): Promise<BlobRecord> {
  if (record.size !== undefined || record.uploadOffset !== record.maxSize) return record;
  const result = await completeUpload(finishParams(ctx, record));
  if (result.outcome === "complete") ctx.metrics.blobsUploaded.inc();
  return (await ctx.store.getBlob(record.blobId)) ?? record;
}

/** `GET`/`HEAD` without a capability: the bytes of a complete blob, whole or one range. */
async function serveBlob(ctx: RelayContext, blobId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const record = await ctx.store.getBlob(blobId);
  const size = record?.size !== undefined && (record.expiresAt ?? 0) > ctx.now() ? await ctx.blobs.size(blobId) : undefined;
  if (size === undefined) {
    reply(res, 404, { error: "NOT_FOUND" });
    return;
  }
  const range = parseRange(req.headers.range, size);
  if (range === "unsatisfiable") {
    reply(res, 416, { error: "BAD_REQUEST" }, { "content-range": `bytes */${size}` });
    return;
  }
  const headers: OutgoingHttpHeaders = {
    "content-type": "application/octet-stream",
    "content-length": range ? range.end - range.start + 1 : size,
    "accept-ranges": "bytes",
    "cache-control": "private, max-age=86400",
  };
  if (range) headers["content-range"] = `bytes ${range.start}-${range.end}/${size}`;
  if (req.method === "HEAD") {
    res.writeHead(range ? 206 : 200, headers);
    res.end();
    return;
  }
  const file = await ctx.blobs.read(blobId, range);
  if (!file) {
    reply(res, 404, { error: "NOT_FOUND" });
    return;
  }
  res.writeHead(range ? 206 : 200, headers);
  file.stream.on("error", () => res.destroy());
  res.on("close", () => file.stream.destroy());
  file.stream.pipe(res);
}

/** `HEAD` with the capability: how many bytes of the upload are durably stored, and of how many. */
async function uploadStatus(ctx: RelayContext, blobId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let record = await authorized(ctx, blobId, req);
  if (!record || (record.size === undefined && !open(ctx, record))) {
    reply(res, 401, { error: "UNAUTHORIZED" });
    return;
  }
  if (expired(ctx, record)) {
    reply(res, 404, { error: "NOT_FOUND" });
    return;
  }
  if (record.size === undefined && (await ctx.blobs.claim(blobId))) {
    try {
      record = await recover(ctx, record);
    } finally {
      await ctx.blobs.release(blobId);
    }
  }
  res.writeHead(200, {
    "upload-offset": String(record.size ?? record.uploadOffset ?? 0),
    "upload-length": String(record.size ?? record.maxSize),
    "cache-control": "no-store",
  });
  res.end();
}

/** `PATCH` (REL-073): appends the body at `Upload-Offset` (which must be the stored offset); 204 with the new offset once durable. */
async function patchBlob(ctx: RelayContext, blobId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const authorizedRecord = await authorized(ctx, blobId, req);
  if (!authorizedRecord) return refuse(res, req, 401, "UNAUTHORIZED");
  if (expired(ctx, authorizedRecord)) return refuse(res, req, 404, "NOT_FOUND");
  if (authorizedRecord.size !== undefined) return offsetConflict(res, req, authorizedRecord.size);
  if (!open(ctx, authorizedRecord)) return refuse(res, req, 401, "UNAUTHORIZED");
  if (!isOffsetContentType(req.headers["content-type"])) return refuse(res, req, 415, "BAD_REQUEST");
  const offset = parseByteCount(req.headers["upload-offset"]);
  const lengthHeader = req.headers["content-length"];
  const length = parseByteCount(lengthHeader);
  if (offset === undefined || (lengthHeader !== undefined && length === undefined)) return refuse(res, req, 400, "BAD_REQUEST");
  if (authorizedRecord.maxSize > ctx.limits.maxBlobBytes) return refuse(res, req, 413, "BLOB_TOO_LARGE");
  if (!(await ctx.blobs.claim(blobId))) return offsetConflict(res, req, authorizedRecord.uploadOffset ?? 0);
  try {
    // Read again under the claim: another request may have moved the upload meanwhile.
    const fresh = await ctx.store.getBlob(blobId);
    if (!fresh) return refuse(res, req, 404, "NOT_FOUND");
    const record = await recover(ctx, fresh);
    const stored = record.size ?? record.uploadOffset ?? 0;
    if (record.size !== undefined || offset !== stored) return offsetConflict(res, req, stored);
    if (length !== undefined && offset + length > record.maxSize)
      return refuse(res, req, 413, "BLOB_TOO_LARGE", { "upload-offset": String(stored) });
    const free = await ctx.blobs.freeBytes();
    if (free !== undefined && free - (length ?? record.maxSize - offset) < ctx.limits.minFreeStorageBytes)
      return refuse(res, req, 507, "STORAGE_FULL", { "upload-offset": String(stored) });
    let result: Awaited<ReturnType<typeof appendUpload>>;
    try {
      result = await appendUpload({
        ...finishParams(ctx, record),
        offset,
        body: idleLimited(req, ctx.limits.blobUploadIdleMs),
        ticketExpiry: () => extendedTicket(ctx, record),
      });
    } catch (error) {
      // The disk filled (or failed) mid-body: what was durable stays; the client asks HEAD later.
      const storage = asStorageError(error);
      if (!storage) throw error;
      return answerMidBody(res, req, storage.kind === "full" ? 507 : 503, storage.code, {});
    }
    const at = { "upload-offset": String(result.offset) };
    switch (result.outcome) {
      case "complete":
        ctx.metrics.blobsUploaded.inc();
        res.writeHead(204, { ...at, "cache-control": "no-store" }).end();
        return;
      case "ok":
      case "interrupted":
        res.writeHead(204, { ...at, "cache-control": "no-store" }).end();
        return;
      case "too_large":
        return answerMidBody(res, req, 413, "BLOB_TOO_LARGE", at);
      case "reset":
        return offsetConflict(res, req, result.offset);
      case "gone":
        return answerMidBody(res, req, 404, "NOT_FOUND", {});
    }
  } finally {
    await ctx.blobs.release(blobId);
  }
}

/** A refusal after part of the body was read: the rest is not read, so the connection closes after the answer. */
function answerMidBody(res: ServerResponse, req: IncomingMessage, status: number, code: string, headers: OutgoingHttpHeaders): void {
  res.shouldKeepAlive = false;
  res.on("finish", () => req.destroy());
  reply(res, status, { error: code }, { ...headers, connection: "close" });
}

/**
 * The request body, ended with an error when no bytes arrive for `idleMs` while the upload waits
 * for them (a silently lost client), so the upload is released and keeps what arrived.
 */
async function* idleLimited(req: IncomingMessage, idleMs: number): AsyncGenerator<Uint8Array> {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
  for (;;) {
    const timer = setTimeout(() => req.destroy(new Error("upload idle")), idleMs);
    let step: IteratorResult<Uint8Array>;
    try {
      step = await chunks.next();
    } finally {
      clearTimeout(timer);
    }
    if (step.done) return;
    yield step.value;
  }
}

/** `PUT`: the whole blob in one request, stored all or nothing. */
async function putBlob(ctx: RelayContext, blobId: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const record = await authorized(ctx, blobId, req);
  if (!record || (record.size === undefined && !open(ctx, record))) return refuse(res, req, 401, "UNAUTHORIZED");
  if (record.size !== undefined || !(await ctx.blobs.claim(blobId))) return refuse(res, req, 409, "CONFLICT");
  try {
    // A resumable upload under way owns the blob: a PUT would race its bytes.
    const fresh = await ctx.store.getBlob(blobId);
    if (!fresh || fresh.size !== undefined || (fresh.uploadOffset ?? 0) > 0) return refuse(res, req, 409, "CONFLICT");
    const declared = parseByteCount(req.headers["content-length"]);
    const limit = Math.min(record.maxSize, ctx.limits.maxBlobBytes);
    if (declared !== undefined && declared > limit) return refuse(res, req, 413, "BLOB_TOO_LARGE");
    const free = await ctx.blobs.freeBytes();
    if (free !== undefined && free - (declared ?? limit) < ctx.limits.minFreeStorageBytes) return refuse(res, req, 507, "STORAGE_FULL");
    const written = await ctx.blobs.write(blobId, req, limit);
    if (!written.ok) {
      if (written.reason === "conflict") refuse(res, req, 409, "CONFLICT");
      else reply(res, 413, { error: "BLOB_TOO_LARGE" });
      return;
    }
    if (!(await ctx.store.completeBlob(blobId, written.size, ctx.now() + ctx.limits.blobLifetimeMs))) {
      refuse(res, req, 409, "CONFLICT");
      return;
    }
    await ctx.blobs.removePartial(blobId);
    ctx.metrics.blobsUploaded.inc();
    reply(res, 201, { blobId, size: written.size });
  } finally {
    await ctx.blobs.release(blobId);
  }
}
