/**
 * Blob metadata of the PostgreSQL store. A ticket is checked against its owner's quota and
 * recorded in one transaction under a lock keyed by the owner, so two nodes granting tickets
 * at once cannot together exceed it; the upload offset is a compare-and-set UPDATE.
 */

import { bytes } from "./pg-mailboxes.js";
import type { PgContext } from "./pg-store.js";
import type { BlobRecord, Store } from "./store.js";

type BlobMethods = Pick<Store, "createBlob" | "getBlob" | "completeBlob" | "setBlobOffset" | "expireBlobs">;

/** The blob methods of a PostgreSQL store. */
export function openPgBlobs(db: PgContext): BlobMethods {
  return {
    createBlob: (b, quota) =>
      db.transaction(async (tx) => {
        if (b.owner) {
          await tx.query({
            text: "SELECT pg_advisory_xact_lock(hashtextextended('parley-blob-owner:' || encode($1, 'hex'), 0))",
            values: [b.owner],
          });
          const usage = await tx.query({
            text:
              "SELECT count(*) FILTER (WHERE size IS NULL)::int AS tickets, coalesce(sum(coalesce(size, max_size)), 0)::bigint AS bytes FROM blobs " +
              "WHERE owner = $1 AND ((size IS NULL AND ticket_expires_at > $2) OR (size IS NOT NULL AND expires_at > $2))",
            values: [b.owner, quota.now],
          });
          const [{ tickets, bytes: used }] = usage.rows as [{ tickets: number; bytes: number }];
          if (tickets + 1 > quota.maxOpenTickets || used + b.maxSize > quota.maxBytes) return "quota_exceeded";
        }
        await tx.query({
          text: "INSERT INTO blobs (blob_id, capability_hash, max_size, ticket_expires_at, owner, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
          values: [b.blobId, b.capabilityHash, b.maxSize, b.ticketExpiresAt, b.owner ?? null, b.createdAt ?? quota.now],
        });
        return "ok";
      }),
    async getBlob(blobId) {
      const result = await db.query({ text: "SELECT * FROM blobs WHERE blob_id = $1", values: [blobId] });
      const r = result.rows[0];
      if (!r) return undefined;
      return {
        blobId,
        capabilityHash: bytes(r.capability_hash),
        maxSize: r.max_size,
        ticketExpiresAt: r.ticket_expires_at,
        size: r.size ?? undefined,
        expiresAt: r.expires_at ?? undefined,
        owner: r.owner ? bytes(r.owner) : undefined,
        uploadOffset: r.upload_offset,
        createdAt: r.created_at ?? undefined,
      } satisfies BlobRecord;
    },
    async completeBlob(blobId, size, expiresAt) {
      const result = await db.query({
        text: "UPDATE blobs SET size = $2, expires_at = $3 WHERE blob_id = $1 AND size IS NULL",
        values: [blobId, size, expiresAt],
      });
      return (result.rowCount ?? 0) > 0;
    },
    async setBlobOffset(blobId, from, to, ticketExpiresAt) {
      const result = await db.query({
        text:
          "UPDATE blobs SET upload_offset = $3, ticket_expires_at = greatest(ticket_expires_at, $4) " +
          "WHERE blob_id = $1 AND size IS NULL AND upload_offset = $2",
        values: [blobId, from, to, ticketExpiresAt],
      });
      return (result.rowCount ?? 0) > 0;
    },
    async expireBlobs(now) {
      const result = await db.query({
        text: "DELETE FROM blobs WHERE (size IS NULL AND ticket_expires_at <= $1) OR expires_at <= $1 RETURNING blob_id",
        values: [now],
      });
      return result.rows.map((r) => r.blob_id as string);
    },
  };
}
