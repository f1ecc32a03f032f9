/**
 * Blob bytes on disk: one file per blob under `<data>/blobs/`, named by its id. Two ways in:
 *
 * - A single PUT is atomic: it writes a temporary file with a unique name opened exclusively
 *   (`wx`, never truncating another upload's file), fsyncs it and publishes it with `link`, so a
 *   blob is either complete or absent after a crash; leftover temporary files are removed at
 *   start-up.
 * - A resumable upload appends to `<id>.upload` (see resumable-upload.ts). The store records how
 *   many of its bytes are durable; bytes past that offset (written, never recorded) are cut off
 *   when the file is opened again. At the declared size the file is published under the blob's id.
 *
 * One upload of a blob at a time per process: callers `claim` the id first (a second upload is
 * refused at once). The relay never looks inside: blobs are ciphertext the client encrypted.
 */

import { randomBytes } from "node:crypto";
import { constants, createReadStream, type ReadStream } from "node:fs";
import { type FileHandle, link, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { asStorageError } from "../store/storage-error.js";
import { freeBytes } from "../store/storage-health.js";
import type { StorageStatus } from "../store/store.js";
import type { BlobStorage, BlobWriteResult, ByteRange, PartialUpload } from "./blob-storage.js";

export type { BlobWriteResult } from "./blob-storage.js";

const ID = /^[0-9a-f]{32}$/;
const TEMP_SUFFIX = ".part";
const PARTIAL_SUFFIX = ".upload";

/** Maps file-system errors (whose messages name the path, and the id is a capability) to StorageError. */
async function guarded<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw asStorageError(error) ?? error;
  }
}

/** The file of a resumable upload, open for appending at its durable offset. */
export class PartialFile implements PartialUpload {
  #position: number;

  constructor(
    readonly handle: FileHandle,
    offset: number,
  ) {
    this.#position = offset;
  }

  /** Bytes in the file (durable or not). */
  get length(): number {
    return this.#position;
  }

  /** Appends `chunk`. */
  async write(chunk: Uint8Array): Promise<void> {
    await guarded(async () => {
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await this.handle.write(chunk, done, chunk.length - done, this.#position + done);
        done += bytesWritten;
      }
    });
    this.#position += chunk.length;
  }

  /** Makes everything written so far durable; returns its length. */
  async sync(): Promise<number> {
    await guarded(() => this.handle.sync());
    return this.#position;
  }

  /** Closes the file. */
  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}

/** A directory of blob files. */
export class BlobFiles implements BlobStorage {
  readonly kind = "directory";
  /** Blob ids with an upload (PUT or PATCH) in progress in this process. */
  readonly #uploading = new Set<string>();

  constructor(readonly dir: string) {}

  /** Creates the directory and removes temporary files of single uploads a crash interrupted. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) if (name.endsWith(TEMP_SUFFIX)) await rm(join(this.dir, name), { force: true });
  }

  /**
   * Removes files the store no longer accounts for (a crash between deleting a record and its
   * file, or between publishing a single upload and recording it): every blob or partial file
   * for which `keep(blobId, partial)` is false. Run at start-up, before requests are served.
   */
  async removeOrphans(keep: (blobId: string, partial: boolean) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for (const name of await readdir(this.dir)) {
      const partial = name.endsWith(PARTIAL_SUFFIX);
      const blobId = partial ? name.slice(0, -PARTIAL_SUFFIX.length) : name;
      if (!ID.test(blobId) || (await keep(blobId, partial))) continue;
      await rm(join(this.dir, name), { force: true });
      removed++;
    }
    return removed;
  }

  /** True while an upload of `blobId` is in progress. */
  uploading(blobId: string): boolean {
    return this.#uploading.has(blobId);
  }

  /** Claims `blobId` for one upload; false when another upload of it is in progress. Pair with {@link release}. */
  async claim(blobId: string): Promise<boolean> {
    if (this.#uploading.has(blobId)) return false;
    this.#uploading.add(blobId);
    return true;
  }

  /** Ends the claim of {@link claim}. */
  async release(blobId: string): Promise<void> {
    this.#uploading.delete(blobId);
  }

  /** Free bytes in the directory's file system. */
  freeBytes(): Promise<number | undefined> {
    return freeBytes(this.dir);
  }

  /** "full" when the directory's file system is below the reserve (failures show on the store's health). */
  async health(minFreeBytes: number): Promise<StorageStatus> {
    const free = await this.freeBytes();
    return free !== undefined && free < minFreeBytes ? "full" : "ok";
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  /**
   * Writes `chunks` as blob `blobId` in one go (the caller holds the claim), refusing (and
   * removing) more than `maxSize` bytes, and refusing with "conflict" when it already exists.
   * Storage failures throw a StorageError (no path in its message).
   */
  async write(blobId: string, chunks: AsyncIterable<Uint8Array>, maxSize: number): Promise<BlobWriteResult> {
    const path = this.#path(blobId);
    const temp = `${path}.${randomBytes(8).toString("hex")}${TEMP_SUFFIX}`;
    try {
      const file = await open(temp, "wx");
      let size = 0;
      try {
        for await (const chunk of chunks) {
          size += chunk.length;
          if (size > maxSize) return { ok: false, reason: "too_large" };
          await file.write(chunk);
        }
        await file.sync();
      } finally {
        await file.close().catch(() => {});
      }
      try {
        await link(temp, path);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return { ok: false, reason: "conflict" };
        throw error;
      }
      await this.#syncDir();
      return { ok: true, size };
    } catch (error) {
      // File-system errors name the path (whose id is a capability): callers log only name and code.
      throw asStorageError(error) ?? error;
    } finally {
      await rm(temp, { force: true }).catch(() => {});
    }
  }

  /**
   * Opens the partial file of `blobId` (the caller holds the claim) for appending at `offset`,
   * the durable offset the store recorded, creating it (durably) at offset 0. Bytes past `offset`
   * are cut off. Returns undefined when the file holds fewer than `offset` bytes (recorded bytes
   * lost: the caller starts the upload over).
   */
  async openPartial(blobId: string, offset: number, _declaredSize?: number): Promise<PartialFile | undefined> {
    const path = this.#partialPath(blobId);
    return guarded(async () => {
      const existed = await stat(path).then(
        () => true,
        () => false,
      );
      if (!existed && offset > 0) return undefined;
      const handle = await open(path, constants.O_RDWR | constants.O_CREAT, 0o600);
      try {
        const { size } = await handle.stat();
        if (size < offset) {
          await handle.close();
          return undefined;
        }
        if (size > offset) {
          await handle.truncate(offset);
          await handle.sync();
        }
        if (!existed) await this.#syncDir();
        return new PartialFile(handle, offset);
      } catch (error) {
        await handle.close().catch(() => {});
        throw error;
      }
    });
  }

  /**
   * Publishes the partial file of `blobId` (`size` bytes, fsynced) as the blob, replacing a stale
   * blob file no record refers to. Idempotent: after a crash between this and the store's
   * completion it finds the blob already published. False when neither file has `size` bytes.
   */
  async publishPartial(blobId: string, size: number): Promise<boolean> {
    const path = this.#path(blobId);
    const partial = this.#partialPath(blobId);
    return guarded(async () => {
      const partialSize = await stat(partial).then(
        (s) => s.size,
        () => undefined,
      );
      if (partialSize === undefined) return (await stat(path).catch(() => undefined))?.size === size;
      if (partialSize !== size) return false;
      await rm(path, { force: true });
      await link(partial, path);
      await this.#syncDir();
      await rm(partial, { force: true });
      return true;
    });
  }

  /** Deletes the partial file of `blobId`. */
  async removePartial(blobId: string): Promise<void> {
    await rm(this.#partialPath(blobId), { force: true });
  }

  /** A stream of the blob's bytes (or of `range`, inclusive), or undefined if there is no such file. */
  async read(blobId: string, range?: ByteRange): Promise<{ stream: ReadStream; size: number } | undefined> {
    const path = this.#path(blobId);
    try {
      const { size } = await stat(path);
      return { stream: createReadStream(path, range ?? {}), size };
    } catch {
      return undefined;
    }
  }

  /** The blob's size on disk, or undefined if there is no such file. */
  async size(blobId: string): Promise<number | undefined> {
    return (await stat(this.#path(blobId)).catch(() => undefined))?.size;
  }

  /** Deletes the blob's file and any partial upload of it. */
  async remove(blobId: string): Promise<void> {
    await rm(this.#path(blobId), { force: true });
    await rm(this.#partialPath(blobId), { force: true });
  }

  /** Makes new and removed directory entries durable (a published blob survives a power cut). */
  async #syncDir(): Promise<void> {
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  #path(blobId: string): string {
    if (!ID.test(blobId)) throw new RangeError("bad blob id");
    return join(this.dir, blobId);
  }

  #partialPath(blobId: string): string {
    return `${this.#path(blobId)}${PARTIAL_SUFFIX}`;
  }
}
