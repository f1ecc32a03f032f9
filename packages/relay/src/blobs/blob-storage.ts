/**
 * The blob-byte storage the HTTP routes use, whatever holds the bytes: a local directory
 * (blob-files.ts), PostgreSQL chunks shared by a cluster (pg-blob-storage.ts) or an
 * S3-compatible bucket (s3-blob-storage.ts). Blob metadata (ticket, durable offset, completion)
 * stays in the relay Store; this holds only ciphertext bytes, keyed by blob id.
 *
 * Rules every backend keeps: a single PUT is all or nothing (a blob is complete or absent); a
 * resumable upload's durable offset is what the backend has committed, and bytes past the offset
 * the Store recorded are dropped when the upload is opened again; a published blob becomes
 * visible at once and whole; reads stream a range without loading the whole blob.
 */

import type { Readable } from "node:stream";
import type { StorageStatus } from "../store/store.js";

/** The outcome of writing a blob. */
export type BlobWriteResult =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly reason: "too_large" | "conflict" };

/** An inclusive byte range of a blob. */
export interface ByteRange {
  readonly start: number;
  readonly end: number;
}

/** A resumable upload open for appending at its durable offset. */
export interface PartialUpload {
  /** Bytes accepted so far (durable or not). */
  readonly length: number;
  /** Appends `chunk`. */
  write(chunk: Uint8Array): Promise<void>;
  /**
   * Makes accepted bytes durable and returns the durable length. A backend that stores in
   * fixed parts may keep a short tail back until more arrives; the caller records only what
   * this returns.
   */
  sync(): Promise<number>;
  /** Releases what the upload holds (bytes not synced are dropped). */
  close(): Promise<void>;
}

/** Where blob bytes live. */
export interface BlobStorage {
  /** "directory", "postgres" or "s3" (for logs and metrics; never a URL). */
  readonly kind: string;
  /** Prepares the storage (directory, tables, bucket check) and removes leftovers of interrupted single uploads. */
  init(): Promise<void>;
  /**
   * Removes bytes the store no longer accounts for: every blob or partial upload for which
   * `keep(blobId, partial)` is false. Run at start-up, before requests are served.
   */
  removeOrphans(keep: (blobId: string, partial: boolean) => Promise<boolean>): Promise<number>;
  /**
   * Claims `blobId` for one upload; false when another upload of it is in progress (in this
   * process, or on another node for a shared backend that can lock). Pair with {@link release}.
   */
  claim(blobId: string): Promise<boolean>;
  /** Ends the claim of {@link claim}. */
  release(blobId: string): Promise<void>;
  /**
   * Writes `chunks` as blob `blobId` in one go (the caller holds the claim), refusing more than
   * `maxSize` bytes (nothing kept), and refusing with "conflict" when it already exists.
   * Storage failures throw a StorageError.
   */
  write(blobId: string, chunks: AsyncIterable<Uint8Array>, maxSize: number): Promise<BlobWriteResult>;
  /**
   * Opens the resumable upload of `blobId` (the caller holds the claim) at `offset`, the durable
   * offset the store recorded, for a blob of `declaredSize` bytes. Bytes past `offset` are
   * dropped. Undefined when fewer than `offset` bytes are stored (the caller starts over).
   */
  openPartial(blobId: string, offset: number, declaredSize: number): Promise<PartialUpload | undefined>;
  /**
   * Publishes the resumable upload of `blobId` (`size` durable bytes) as the blob, replacing
   * stale bytes no record refers to. Idempotent. False when neither holds `size` bytes.
   */
  publishPartial(blobId: string, size: number): Promise<boolean>;
  /** Deletes the resumable upload of `blobId`. */
  removePartial(blobId: string): Promise<void>;
  /** A stream of the blob's bytes (or of `range`), or undefined if there is no such blob. */
  read(blobId: string, range?: ByteRange): Promise<{ stream: Readable; size: number } | undefined>;
  /** The blob's stored size, or undefined if there is no such blob. */
  size(blobId: string): Promise<number | undefined>;
  /** Deletes the blob and any resumable upload of it. */
  remove(blobId: string): Promise<void>;
  /** Free bytes for new blobs, or undefined when the backend cannot tell (then no reserve is checked). */
  freeBytes(): Promise<number | undefined>;
  /** "full" below `minFreeBytes` free, "failing" after an I/O failure until a call succeeds. */
  health(minFreeBytes: number): Promise<StorageStatus>;
  /** Releases connections. */
  close(): Promise<void>;
}
