/**
 * The few file-system moves the encrypted store is built from, each with its durability rule:
 * positional writes that finish, directory syncs that make renames stick, and the sweep of
 * leftovers a crash can leave in the store directory. Node-only.
 */
import { type FileHandle, open, readdir, stat, unlink } from "node:fs/promises";
import { join } from "node:path";
import { ANCHOR_NAME, LOCK_NAME, LOG_NAME, TEMP_SUFFIX } from "./file-constants.js";
import { storeTakenOver } from "./store-error.js";

/** True when `error` is a Node system error with this `code` (ENOENT, EEXIST, ...). */
export function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

/** Writes all of `bytes` at `position` (a write may accept fewer bytes than asked). */
export async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/**
 * Makes creations and renames in `dir` durable: until the directory is synced, a power cut can
 * bring back the old name. Windows cannot open a directory (and NTFS journals its metadata).
 */
export async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Deletes what an interrupted compaction or creation (`store.log.*.tmp`), anchor creation
 * (`.store.anchor.*.tmp`) or lock takeover (`store.lock.*.stale`) left behind. Only under the lock: another opener's files are in flux.
 */
export async function removeLeftovers(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    const tempLog = name.startsWith(`${LOG_NAME}.`) && name.endsWith(TEMP_SUFFIX);
    const setAsideLock = name.startsWith(`${LOCK_NAME}.`) && name.endsWith(".stale");
    const tempAnchor = name.startsWith(`.${ANCHOR_NAME}.`) && name.endsWith(TEMP_SUFFIX);
    if (tempLog || setAsideLock || tempAnchor) await unlink(join(dir, name)).catch(() => {});
  }
}

/**
 * Throws `ERR_STORE_TAKEN_OVER` when the file at `path` is no longer the one `handle` appends to,
 * or has grown past `length` behind the writer's back: another process got past the lock (a lock
 * file deleted by hand) and wrote. A backstop, not a lock: two writers checking at the same
 * instant both pass.
 */
export async function assertLogIsOurs(path: string, handle: FileHandle, length: number): Promise<void> {
  const [onDisk, ours] = await Promise.all([stat(path).catch(() => undefined), handle.stat()]);
  if (onDisk === undefined || onDisk.ino !== ours.ino || onDisk.dev !== ours.dev || ours.size !== length) throw storeTakenOver();
}
