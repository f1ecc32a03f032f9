/**
 * Blob bytes on disk: one file per blob under `<data>/blobs/`, written to a temporary name,
 * fsynced and renamed, so a blob is either complete or absent after a crash. The relay never
 * looks inside: blobs are ciphertext the client encrypted.
 */

import { createReadStream, type ReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";

const ID = /^[0-9a-f]{32}$/;

/** The outcome of writing a blob. */
export type BlobWriteResult = { readonly ok: true; readonly size: number } | { readonly ok: false; readonly reason: "too_large" };

/** A directory of blob files. */
export class BlobFiles {
  constructor(readonly dir: string) {}

  /** Creates the directory. */
  async init(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
  }

  /** Writes `chunks` as blob `blobId`, refusing (and removing) more than `maxSize` bytes. */
  async write(blobId: string, chunks: AsyncIterable<Uint8Array>, maxSize: number): Promise<BlobWriteResult> {
    const path = this.#path(blobId);
    const temp = `${path}.part`;
    const file = await open(temp, "w");
    let size = 0;
    try {
      for await (const chunk of chunks) {
        size += chunk.length;
        if (size > maxSize) {
          await file.close();
          await rm(temp, { force: true });
          return { ok: false, reason: "too_large" };
        }
        await file.write(chunk);
      }
      await file.sync();
      await file.close();
    } catch (error) {
      await file.close().catch(() => {});
      await rm(temp, { force: true });
      throw error;
    }
    await rename(temp, path);
    return { ok: true, size };
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

  /** Deletes the blob's file (and any partial upload). */
  async remove(blobId: string): Promise<void> {
    const path = this.#path(blobId);
    await rm(path, { force: true });
    await rm(`${path}.part`, { force: true });
  }

  #path(blobId: string): string {
    if (!ID.test(blobId)) throw new RangeError("bad blob id");
    return join(this.dir, blobId);
  }
}
