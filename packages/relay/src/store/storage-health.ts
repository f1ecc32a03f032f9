/**
 * Whether a store's storage can take writes, for `/healthz`: free space of its directory
 * (statfs, so a nearly full disk shows before writes fail) and the last storage failure a call
 * hit. A full-disk failure clears once free space is back above the reserve; an I/O failure
 * clears on the next successful call.
 */

import { statfs } from "node:fs/promises";
import type { StorageError } from "./storage-error.js";
import type { StorageStatus } from "./store.js";

/** Free bytes available to the relay in the file system holding `dir`, or undefined if unknown. */
export async function freeBytes(dir: string): Promise<number | undefined> {
  try {
    const info = await statfs(dir);
    return info.bavail * info.bsize;
  } catch {
    return undefined;
  }
}

/** Storage status of one directory. */
export class StorageHealth {
  #failure: StorageError["kind"] | undefined;

  /** `dir` undefined: an in-memory store (no free-space check). */
  constructor(private readonly dir: string | undefined) {}

  failed(error: StorageError): void {
    this.#failure = error.kind;
  }

  succeeded(): void {
    if (this.#failure === "io") this.#failure = undefined;
  }

  async check(minFreeBytes: number): Promise<StorageStatus> {
    const free = this.dir === undefined ? undefined : await freeBytes(this.dir);
    if (free !== undefined && free < minFreeBytes) return "full";
    if (this.#failure === "full") {
      // Space is back above the reserve (or cannot be measured): let writes prove it.
      this.#failure = undefined;
    }
    return this.#failure === "io" ? "failing" : "ok";
  }
}
