/**
 * Small handlers: `ping`, and `blob_ticket` (an upload capability for one blob, within the
 * account's quota of open tickets and reserved bytes; the bytes go over HTTP, see
 * server/blob-routes.ts).
 */

import { RelayErrorCode } from "@parley/protocol/wire";
import { RelayError } from "../relay-error.js";
import { StorageError } from "../store/storage-error.js";
import { type Handler, hex, requireDevice } from "./common.js";

/** `ping` → `pong`, allowed before authentication. */
export const handlePing: Handler<"ping"> = async (_ctx, _conn, frame) => ({ t: "pong", id: frame.id });

/** `blob_ticket`: a random blob id and a bearer capability; only the capability's hash is stored. */
export const handleBlobTicket: Handler<"blob_ticket"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  if (frame.size > ctx.limits.maxBlobBytes)
    throw new RelayError(RelayErrorCode.BlobTooLarge, `blobs are at most ${ctx.limits.maxBlobBytes} bytes`);
  // Blobs are large: refuse them while the disk is near full, so messages keep the reserve.
  const free = await ctx.blobs.freeBytes();
  if (free !== undefined && free - frame.size < ctx.limits.minFreeStorageBytes) throw new StorageError("full");
  const blobId = hex(ctx.random(16));
  const capabilityBytes = ctx.random(32);
  const expiresAt = ctx.now() + ctx.limits.blobTicketLifetimeMs;
  const created = await ctx.store.createBlob(
    {
      blobId,
      capabilityHash: ctx.deps.crypto.sha256(capabilityBytes),
      maxSize: frame.size,
      ticketExpiresAt: expiresAt,
      owner: mailbox.userId,
    },
    { now: ctx.now(), maxOpenTickets: ctx.limits.maxOpenBlobTickets, maxBytes: ctx.limits.maxBlobBytesPerAccount },
  );
  if (created !== "ok") {
    ctx.metrics.rateLimited.inc({ scope: "blob_quota" });
    throw new RelayError(
      RelayErrorCode.QuotaExceeded,
      `at most ${ctx.limits.maxOpenBlobTickets} open blob tickets and ${ctx.limits.maxBlobBytesPerAccount} blob bytes per account`,
    );
  }
  return { t: "blob_granted", id: frame.id, blobId, capability: Buffer.from(capabilityBytes).toString("base64url"), expiresAt };
};
