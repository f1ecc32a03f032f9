/**
 * The in-memory side of S3 blob storage (s3-blob-storage.ts): the one-part buffer of an upload,
 * a resumable upload that sends full parts as they fill and stores its tail and manifest at each
 * checkpoint, and a reader cut to the asked range.
 */

import type { Readable } from "node:stream";
import type { PartialUpload } from "./blob-storage.js";
import type { Manifest, S3BlobStorage } from "./s3-blob-storage.js";

/** Bytes per multipart part: S3's minimum for every part but the last. One is buffered per upload. */
export const PART_BYTES = 5 * 1024 * 1024;

/** Total size of `parts`. */
export const sum = (parts: readonly { size: number }[]) => parts.reduce((total, part) => total + part.size, 0);

/** `length` bytes of `source` after skipping `skip`; the source is closed at the end. */
export async function* exactly(source: Readable, skip: number, length: number): AsyncGenerator<Uint8Array> {
  let toSkip = skip;
  let left = length;
  try {
    for await (const chunk of source as AsyncIterable<Uint8Array>) {
      let piece = chunk;
      if (toSkip > 0) {
        const dropped = Math.min(toSkip, piece.length);
        piece = piece.subarray(dropped);
        toSkip -= dropped;
      }
      if (piece.length === 0) continue;
      const taken = piece.subarray(0, left);
      left -= taken.length;
      yield taken;
      if (left === 0) return;
    }
  } finally {
    source.destroy();
  }
}

/** Bytes waiting to fill a part. */
export class PartBuffer {
  #chunks: Uint8Array[] = [];
  #length = 0;

  get length(): number {
    return this.#length;
  }

  add(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.#chunks.push(bytes);
    this.#length += bytes.length;
  }

  /** Removes and returns the first `n` buffered bytes. */
  take(n: number): Uint8Array {
    const all = Buffer.concat(this.#chunks, this.#length);
    const rest = all.subarray(n);
    this.#chunks = rest.length > 0 ? [rest] : [];
    this.#length = rest.length;
    return all.subarray(0, n);
  }
}

/** A resumable upload into a multipart upload: full parts go up as they fill, `sync` stores the tail and manifest. */
export class S3PartialUpload implements PartialUpload {
  readonly #buffer = new PartBuffer();
  #accepted: number;
  #manifest: Manifest;

  constructor(
    private readonly storage: S3BlobStorage,
    private readonly blobId: string,
    manifest: Manifest,
    tail: Uint8Array,
    private readonly declaredSize: number,
  ) {
    this.#manifest = manifest;
    this.#buffer.add(tail);
    this.#accepted = sum(manifest.parts) + tail.length;
  }

  get length(): number {
    return this.#accepted;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#buffer.add(chunk);
    this.#accepted += chunk.length;
    while (this.#buffer.length >= PART_BYTES) await this.storage.uploadPartOf(this.blobId, this.#manifest, this.#buffer.take(PART_BYTES));
  }

  async sync(): Promise<number> {
    // At the declared size the short rest is the last part; before it, it is stored as the tail.
    if (this.#accepted === this.declaredSize && this.#buffer.length > 0)
      await this.storage.uploadPartOf(this.blobId, this.#manifest, this.#buffer.take(this.#buffer.length));
    const tail = this.#buffer.take(this.#buffer.length);
    this.#buffer.add(tail);
    this.#manifest = await this.storage.saveProgress(this.blobId, this.#manifest, tail);
    return this.#accepted;
  }

  async close(): Promise<void> {}
}
