/**
 * The durable core of a resumable upload (spec/relay.md §9.3): appends one PATCH body to a
 * blob's partial upload, making progress durable (fsync or commit, then the offset committed in the store)
 * every CHECKPOINT_BYTES, at the end of the body, and when the body is cut off, so a client that
 * loses its connection resumes from what arrived. At the declared size the blob is published and
 * completed. The caller holds the blob's upload claim and has checked the capability and offset.
 */

import type { Store } from "../store/store.js";
import type { BlobStorage } from "./blob-storage.js";

/**
 * Bytes appended between durable checkpoints within one PATCH body. Bounds what a relay crash
 * (not a client disconnect, which keeps everything received) can lose of a long segment, at one
 * fsync and one small store write per 8 MiB.
 */
export const CHECKPOINT_BYTES = 8 * 1024 * 1024;

/** What {@link appendUpload} needs. */
export interface AppendParams {
  readonly files: BlobStorage;
  readonly store: Store;
  readonly blobId: string;
  /** The durable offset the PATCH starts at (already checked against the client's Upload-Offset). */
  readonly offset: number;
  /** The ticket's declared size: the upload completes exactly here. */
  readonly declaredSize: number;
  readonly body: AsyncIterable<Uint8Array>;
  /** The ticket expiry each durable step extends to (computed at the step: now + lifetime, bounded). */
  readonly ticketExpiry: () => number;
  /** The blob's expiry when it completes now. */
  readonly blobExpiry: () => number;
  readonly checkpointBytes?: number;
}

/**
 * How an append ended, with the durable offset after it:
 * "ok" (body consumed, all durable; "complete" when that reached the declared size),
 * "interrupted" (the body was cut off; what arrived is durable), "too_large" (the body ran past
 * the declared size; this PATCH's bytes past the last checkpoint are discarded), "reset" (the
 * recorded bytes were missing on disk; the upload starts over at 0), "gone" (the ticket was
 * swept or the offset moved under us; nothing more is recorded).
 */
export type AppendResult = {
  readonly outcome: "ok" | "complete" | "interrupted" | "too_large" | "reset" | "gone";
  readonly offset: number;
};

/** Appends a PATCH body; see {@link AppendResult}. Storage failures throw StorageError. */
export async function appendUpload(p: AppendParams): Promise<AppendResult> {
  const file = await p.files.openPartial(p.blobId, p.offset, p.declaredSize);
  if (!file) {
    // The recorded bytes are missing on disk: start over rather than serve a hole.
    await p.files.removePartial(p.blobId);
    await p.store.setBlobOffset(p.blobId, p.offset, 0, 0);
    return { outcome: "reset", offset: 0 };
  }
  const every = p.checkpointBytes ?? CHECKPOINT_BYTES;
  let durable = p.offset;
  const checkpoint = async (): Promise<boolean> => {
    if (file.length === durable) return true;
    const synced = await file.sync();
    if (synced === durable) return true;
    if (!(await p.store.setBlobOffset(p.blobId, durable, synced, p.ticketExpiry()))) return false;
    durable = synced;
    return true;
  };
  let outcome: AppendResult["outcome"] = "ok";
  try {
    const chunks = p.body[Symbol.asyncIterator]();
    for (;;) {
      let step: IteratorResult<Uint8Array>;
      try {
        step = await chunks.next();
      } catch {
        // The client went away (or went idle and was cut off): keep what arrived.
        outcome = "interrupted";
        break;
      }
      if (step.done) break;
      if (file.length + step.value.length > p.declaredSize) {
        outcome = "too_large";
        break;
      }
      await file.write(step.value);
      if (file.length - durable >= every && !(await checkpoint())) return await gone(p, durable);
    }
    if (outcome !== "too_large" && !(await checkpoint())) return await gone(p, durable);
  } finally {
    await file.close();
  }
  if (outcome === "ok" && durable === p.declaredSize) return completeUpload(p);
  return { outcome, offset: durable };
}

/** The ticket disappeared (swept) while the body arrived: its bytes go too. */
async function gone(p: AppendParams, offset: number): Promise<AppendResult> {
  const record = await p.store.getBlob(p.blobId);
  if (!record || record.size !== undefined) await p.files.removePartial(p.blobId);
  return { outcome: "gone", offset };
}

/**
 * Publishes a fully uploaded blob and marks it complete. Idempotent, so it also finishes an
 * upload whose last step was durable when the relay stopped before completing it.
 */
export async function completeUpload(
  p: Pick<AppendParams, "files" | "store" | "blobId" | "declaredSize" | "blobExpiry">,
): Promise<AppendResult> {
  if (!(await p.files.publishPartial(p.blobId, p.declaredSize))) {
    await p.files.remove(p.blobId);
    await p.store.setBlobOffset(p.blobId, p.declaredSize, 0, 0);
    return { outcome: "reset", offset: 0 };
  }
  await p.store.completeBlob(p.blobId, p.declaredSize, p.blobExpiry());
  return { outcome: "complete", offset: p.declaredSize };
}
