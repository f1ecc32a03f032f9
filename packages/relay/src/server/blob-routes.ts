/**
 * HTTP routes for blobs (spec/relay.md §Blobs): `PUT /blobs/<id>` with
 * `Authorization: Bearer <capability>` from `blob_ticket`, and `GET /blobs/<id>` for anyone who
 * knows the id (128 random bits, shared inside encrypted messages). Bodies are opaque ciphertext.
 */

import type { IncomingMessage, ServerResponse } from "node:http";
import type { RelayContext } from "../context.js";
import { sameHash } from "../handlers/common.js";

const PATH = /^\/blobs\/([0-9a-f]{32})$/;

function reply(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store" });
  res.end(JSON.stringify(body));
}

/** Handles a blob request; returns false when the path is not a blob path. */
export async function handleBlobRequest(ctx: RelayContext, req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  const match = PATH.exec(new URL(req.url ?? "/", "http://relay").pathname);
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
  if (record.size !== undefined) {
    reply(res, 409, { error: "BAD_REQUEST", message: "blob already uploaded" });
    return true;
  }
  const declared = Number(req.headers["content-length"] ?? Number.NaN);
  const limit = Math.min(record.maxSize, ctx.limits.maxBlobBytes);
  if (Number.isFinite(declared) && declared > limit) {
    reply(res, 413, { error: "BLOB_TOO_LARGE" });
    req.resume();
    return true;
  }
  const written = await ctx.blobs.write(blobId, req, limit);
  if (!written.ok) {
    reply(res, 413, { error: "BLOB_TOO_LARGE" });
    return true;
  }
  await ctx.store.completeBlob(blobId, written.size, ctx.now() + ctx.limits.blobLifetimeMs);
  ctx.metrics.blobsUploaded.inc();
  reply(res, 201, { blobId, size: written.size });
  return true;
}
