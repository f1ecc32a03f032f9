/**
 * Blob ids with an upload (PUT or PATCH) in progress in this process: one upload of a blob at a
 * time per process. Backends whose uploads other nodes may also take add their own cross-node
 * guard (the store's compare-and-set, a database lock).
 */

/** The uploads this process is running, by blob id. */
export class UploadClaims {
  readonly #uploading = new Set<string>();

  /** True while an upload of `blobId` is in progress here. */
  has(blobId: string): boolean {
    return this.#uploading.has(blobId);
  }

  /** Claims `blobId`; false when another upload of it is in progress here. Pair with {@link release}. */
  claim(blobId: string): boolean {
    if (this.#uploading.has(blobId)) return false;
    this.#uploading.add(blobId);
    return true;
  }

  /** Ends the claim of {@link claim}. */
  release(blobId: string): void {
    this.#uploading.delete(blobId);
  }
}
