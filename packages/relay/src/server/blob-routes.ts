/**
 * HTTP routes for blobs (spec/relay.md §Blobs): `PUT /blobs/<id>` with
 * `Authorization: Bearer <capability>` from `blob_ticket`, and `GET /blobs/<id>` for anyone who
 * knows the id (128 random bits, shared inside encrypted messages). Bodies are opaque ciphertext.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { RelayContext } from "../context.js";
import { sameHash } from "../handlers/common.js";
import { freeBytes } from "../store/storage-health.js";

const PATH = /^\/blobs\/([0-9a-f]{32})$/;

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** 409: the blob is uploaded already or an upload of it is in progress. The body is drained, not stored. */
function conflict(res: ServerResponse, req: IncomingMessage): void {
  reply(res, 409, { error: "CONFLICT", message: "blob already uploaded or being uploaded" });
  req.resume();
}

/** Handles a blob request; returns false when the path is not a blob path. */
export async function handleBlobRequest(ctx: RelayContext, path: string, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const match = PATH.exec(path);
  if (!match) return false;
  const blobId = match[1] as string;
  if (req.method === "GET" || req.method === "HEAD") {
    const record = await ctx.store.getBlob(blobId);
    const file = record?.size !== undefined && (record.expiresAt ?? 0) > ctx.now() ? await ctx.blobs.read(blobId) : undefined;
    if (!file) {
      reply(res, 404, { error: "NOT_FOUND" });
      return true;
    }
    res.writeHead(200, {
      "content-type": "application/octet-stream",
      "content-length": file.size,
      "cache-control": "private, max-age=86400",
    });
    if (req.method === "HEAD") {
      file.stream.destroy();
      res.end();
    } else {
      file.stream.pipe(res);
    }
    return true;
  }
  if (req.method !== "PUT") {
    reply(res, 405, { error: "BAD_REQUEST" });
    return true;
  }
  const auth = /^Bearer ([A-Za-z0-9_-]{1,100})$/.exec(req.headers.authorization ?? "");
  const record = await ctx.store.getBlob(blobId);
  const capability = auth ? Buffer.from(auth[1] as string, "base64url") : undefined;
  if (
    !record ||
    !capability ||
    !sameHash(ctx.deps.crypto.sha256(capability), record.capabilityHash) ||
    record.ticketExpiresAt <= ctx.now()
  ) {
    reply(res, 401, { error: "UNAUTHORIZED" });
    return true;
  }
  if (record.size !== undefined || ctx.blobs.uploading(blobId)) {
    conflict(res, req);
    return true;
  }
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  const limit = Math.min(record.maxSize, ctx.limits.maxBlobBytes);
  if (Number.isFinite(declared) && declared > limit) {
    reply(res, 413, { error: "BLOB_TOO_LARGE" });
    req.resume();
    return true;
  }
  const free = await freeBytes(ctx.blobs.dir);
  if (free !== undefined && free - (Number.isFinite(declared) ? declared : limit) < ctx.limits.minFreeStorageBytes) {
    reply(res, 507, { error: "STORAGE_FULL" });
    req.resume();
    return true;
  }
  const written = await ctx.blobs.write(blobId, req, limit);
  if (!written.ok) {
    if (written.reason === "conflict") conflict(res, req);
    else reply(res, 413, { error: "BLOB_TOO_LARGE" });
    return true;
  }
  if (!(await ctx.store.completeBlob(blobId, written.size, ctx.now() + ctx.limits.blobLifetimeMs))) {
    conflict(res, req);
    return true;
  }
  ctx.metrics.blobsUploaded.inc();
  reply(res, 201, { blobId, size: written.size });
  return true;
}
