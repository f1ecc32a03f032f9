/**
 * Blob bytes on disk: one file per blob under `<data>/blobs/`. An upload is exclusive and
 * atomic: it claims the blob id in memory (a second concurrent upload is refused at once), writes
 * a temporary file with a unique name opened exclusively (`wx`, never truncating another
 * upload's file), fsyncs it, and publishes it with `link`, which fails if the blob already exists
 * (so even two relay processes on one directory cannot mix or replace bodies). A blob is either
 * complete or absent after a crash; leftover temporary files are removed at start-up. The relay
 * never looks inside: blobs are ciphertext the client encrypted.
 */

import { randomBytes } from "node:crypto";
import { createReadStream, type ReadStream } from "node:fs";
import { link, mkdir, open, readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { asStorageError } from "../store/storage-error.js";

const ID = /^[0-9a-f]{32}$/;
const TEMP_SUFFIX = ".part";

/** The outcome of writing a blob. */
export type BlobWriteResult =
  | { readonly ok: true; readonly size: number }
  | { readonly ok: false; readonly reason: "too_large" | "conflict" };

/** A directory of blob files. */
export class BlobFiles {
  /** Blob ids with an upload in progress in this process. */
  readonly #uploading = new Set<string>();

  constructor(readonly dir: string) {}

  /** Creates the directory and removes temporary files of uploads a crash interrupted. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    for (const name of await readdir(this.dir)) if (name.endsWith(TEMP_SUFFIX)) await rm(join(this.dir, name), { force: true });
  }

  /** True while an upload of `blobId` is in progress. */
  uploading(blobId: string): boolean {
    return this.#uploading.has(blobId);
  }

  /**
   * Writes `chunks` as blob `blobId`, refusing (and removing) more than `maxSize` bytes, and
   * refusing with "conflict" when another upload of it is in progress or it already exists.
   * Storage failures throw a StorageError (no path in its message).
   */
  async write(blobId: string, chunks: AsyncIterable<Uint8Array>, maxSize: number): Promise<BlobWriteResult> {
    const path = this.#path(blobId);
    if (this.#uploading.has(blobId)) return { ok: false, reason: "conflict" };
    this.#uploading.add(blobId);
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
      return { ok: true, size };
    } catch (error) {
      // File-system errors name the path (whose id is a capability): callers log only name and code.
      throw asStorageError(error) ?? error;
    } finally {
      this.#uploading.delete(blobId);
      await rm(temp, { force: true }).catch(() => {});
    }
  }

  /** A stream of the blob's bytes, or undefined if there is no such file. */
  async read(blobId: string): Promise<{ stream: ReadStream; size: number } | undefined> {
    const path = this.#path(blobId);
    try {
      const { size } = await stat(path);
      return { stream: createReadStream(path), size };
    } catch {
      return undefined;
    }
  }

  /** Deletes the blob's file. */
  async remove(blobId: string): Promise<void> {
    await rm(this.#path(blobId), { force: true });
  }

  #path(blobId: string): string {
    if (!ID.test(blobId)) throw new RangeError("bad blob id");
    return join(this.dir, blobId);
  }
}
