/**
 * The file store's rollback anchor: a small record, kept outside the log, of the newest state the
 * store acknowledged — which log file (its random file id) and how many records of it. A log
 * that is shorter than the anchor says, or is another file than it names, is an older state put
 * back (a truncated log, an older copy, a restored backup), and reopening it would re-use message
 * keys, so open refuses it with ERR_STORE_ROLLBACK.
 *
 * Ordering keeps honest crashes from looking like rollback: the anchor advances only after the
 * log's fdatasync, so it never names records the log might lose. A compaction first writes a
 * "pending" state (the current log, and the one about to replace it), then renames, syncs the
 * directory, and writes the final state; either log satisfies a pending anchor.
 *
 * The anchor holds two slots of `SLOT_BYTES`, each with a counter and an HMAC under a key from the
 * passphrase (`StoreKeys.anchorKey`), written alternately: a torn write damages at most the slot
 * being written, and the other one still holds the previous (older, so still satisfied) state. A
 * slot that does not verify is ignored; a log whose header says "anchored" with no verifying slot
 * is refused too, so deleting the anchor does not help.
 *
 * What this cannot see: an older copy of the log together with the anchor from the same moment.
 * The default anchor lives in the store directory, so copying the whole directory back is
 * undetected; an app that keeps the anchor elsewhere (another volume, the OS keychain, a server)
 * through the `anchor` option moves that limit to wherever it keeps it.
 *
 * Slot layout (integers little-endian):
 * ```
 *  0  8  magic "PRLYANCR"        8  1  version (1)      9  7  zero
 * 16  8  counter (which slot is newer)
 * 24 16  file id                40  8  records
 * 48  1  has next (0/1)         49 15  zero
 * 64 16  next file id           80  8  next records     (a compaction in progress)
 * 88 32  HMAC-SHA256(anchor key, bytes 0..88)
 * ```
 */
import { type FileHandle, open, readFile, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { bytesToHex, equalBytes, secureRandomBytes } from "../../crypto/bytes.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { FILE_ID_BYTES } from "./file-constants.js";
import { isErrno, syncDirectory, writeFully } from "./file-io.js";
import type { BeforeRename } from "./file-log-file.js";
import { StoreError, StoreErrorCode } from "./store-error.js";

/**
 * Where the anchor is kept. `save` must be durable when it resolves and atomic (after a crash,
 * `load` returns the old or the new bytes). `FileStore` writes one 120-byte slot at a time, so
 * the default file anchor needs only sector-sized atomicity, and each save differs from the last
 * in one slot.
 */
export interface StoreAnchor {
  /** The bytes last saved, or undefined if none were. */
  load(): Promise<Uint8Array | undefined>;
  /** Stores `bytes` (always `ANCHOR_BYTES` long) durably. */
  save(bytes: Uint8Array): Promise<void>;
  /** Releases what `save` keeps open. */
  close?(): Promise<void>;
}

/** One slot's size; the anchor is two of them. */
export const SLOT_BYTES = 120;
/** The whole anchor. */
export const ANCHOR_BYTES = 2 * SLOT_BYTES;
const MAGIC = /* @__PURE__ */ new TextEncoder().encode("PRLYANCR");
const VERSION = 1;
const MAC_OFFSET = 88;

/** A log state: which file, how many records. */
export interface LogPosition {
  readonly fileId: Uint8Array;
  readonly records: number;
}

/** What a slot vouches for: the current log, and during a compaction the one replacing it. */
export interface AnchorState extends LogPosition {
  readonly next?: LogPosition;
}

const rollback = (why: string) =>
  new StoreError(StoreErrorCode.Rollback, `the store is older than the state it last acknowledged (${why}); it was not opened`);

function encodeSlot(crypto: CryptoProvider, key: Uint8Array, counter: number, state: AnchorState): Uint8Array {
  const slot = new Uint8Array(SLOT_BYTES);
  const view = new DataView(slot.buffer);
  slot.set(MAGIC, 0);
  slot[8] = VERSION;
  view.setBigUint64(16, BigInt(counter), true);
  slot.set(state.fileId, 24);
  view.setBigUint64(40, BigInt(state.records), true);
  if (state.next !== undefined) {
    slot[48] = 1;
    slot.set(state.next.fileId, 64);
    view.setBigUint64(80, BigInt(state.next.records), true);
  }
  slot.set(crypto.hmacSha256(key, slot.subarray(0, MAC_OFFSET)), MAC_OFFSET);
  return slot;
}

/** The slot's counter and state if it verifies under `key`, else undefined. */
function decodeSlot(crypto: CryptoProvider, key: Uint8Array, slot: Uint8Array): { counter: number; state: AnchorState } | undefined {
  if (slot.length !== SLOT_BYTES || !equalBytes(slot.subarray(0, 8), MAGIC) || slot[8] !== VERSION) return undefined;
  if (!equalBytes(crypto.hmacSha256(key, slot.subarray(0, MAC_OFFSET)), slot.subarray(MAC_OFFSET))) return undefined;
  const view = new DataView(slot.buffer, slot.byteOffset, slot.byteLength);
  const position = (at: number): LogPosition => ({
    fileId: slot.slice(at, at + FILE_ID_BYTES),
    records: Number(view.getBigUint64(at + 16, true)),
  });
  const current = position(24);
  const state = slot[48] === 1 ? { ...current, next: position(64) } : current;
  return { counter: Number(view.getBigUint64(16, true)), state };
}

const satisfies = (log: LogPosition, anchor: LogPosition) => equalBytes(log.fileId, anchor.fileId) && log.records >= anchor.records;

/** The anchor of one open store: its stored bytes and the counter of the newest slot written. */
export class Anchor {
  readonly #store: StoreAnchor;
  readonly #crypto: CryptoProvider;
  #bytes: Uint8Array;
  #counter = 0;
  /** What the newest verifying slot says, once `verify` ran. */
  #latest: AnchorState | undefined;

  private constructor(store: StoreAnchor, crypto: CryptoProvider, bytes: Uint8Array) {
    this.#store = store;
    this.#crypto = crypto;
    this.#bytes = bytes;
  }

  /** Reads the stored anchor (none yet reads as two empty slots). */
  static async load(store: StoreAnchor, crypto: CryptoProvider): Promise<Anchor> {
    const stored = await store.load();
    const bytes = new Uint8Array(ANCHOR_BYTES);
    if (stored !== undefined && stored.length === ANCHOR_BYTES) bytes.set(stored);
    return new Anchor(store, crypto, bytes);
  }

  /**
   * Throws ERR_STORE_ROLLBACK unless `log` is at or past the newest state a slot verifying under
   * `key` vouches for. A log from before anchors (`anchored` false) with no verifying slot passes.
   */
  verify(key: Uint8Array, log: LogPosition, anchored: boolean): void {
    let newest: { counter: number; state: AnchorState } | undefined;
    for (const at of [0, SLOT_BYTES]) {
      const slot = decodeSlot(this.#crypto, key, this.#bytes.subarray(at, at + SLOT_BYTES));
      if (slot !== undefined && (newest === undefined || slot.counter > newest.counter)) newest = slot;
    }
    if (newest === undefined) {
      if (anchored) throw rollback("its anchor is missing or does not verify");
      return;
    }
    this.#counter = newest.counter;
    this.#latest = newest.state;
    const { state } = newest;
    if (satisfies(log, state) || (state.next !== undefined && satisfies(log, state.next))) return;
    const sameFile = equalBytes(log.fileId, state.fileId) || (state.next !== undefined && equalBytes(log.fileId, state.next.fileId));
    throw rollback(sameFile ? "its log is shorter than acknowledged" : "its log is not the one last written");
  }

  /** True when the newest slot already says exactly `log`, with no compaction pending. */
  names(log: LogPosition): boolean {
    const latest = this.#latest;
    return latest !== undefined && latest.next === undefined && latest.records === log.records && equalBytes(latest.fileId, log.fileId);
  }

  /** Durably records `state` (MAC under `key`) in the older slot. */
  async write(key: Uint8Array, state: AnchorState): Promise<void> {
    const counter = this.#counter + 1;
    const bytes = this.#bytes.slice();
    bytes.set(encodeSlot(this.#crypto, key, counter, state), (counter % 2) * SLOT_BYTES);
    await this.#store.save(bytes);
    this.#bytes = bytes;
    this.#counter = counter;
    this.#latest = state;
  }

  async close(): Promise<void> {
    await this.#store.close?.();
  }
}

/**
 * An anchor in the file at `path` — by default `store.anchor` in the store directory; pass
 * `fileAnchor(pathElsewhere)` as `FileStoreOptions.anchor` to keep it out of reach of whoever can
 * copy the store directory back. Created atomically (temp file, sync, rename, directory sync);
 * afterwards each save rewrites only the bytes that changed (one slot) and syncs.
 */
export function fileAnchor(path: string): StoreAnchor {
  if (typeof path !== "string" || path === "") throw new TypeError("anchor path must be a non-empty path");
  let handle: FileHandle | undefined;
  let last: Uint8Array | undefined;
  return {
    async load() {
      try {
        last = new Uint8Array(await readFile(path));
      } catch (error) {
        if (!isErrno(error, "ENOENT")) throw error;
        last = undefined;
      }
      return last;
    },
    async save(bytes) {
      if (last === undefined || last.length !== bytes.length) {
        const temp = join(dirname(path), `.${basename(path)}.${bytesToHex(secureRandomBytes(8))}.tmp`);
        const created = await open(temp, "wx", 0o600);
        try {
          await writeFully(created, bytes, 0);
          await created.datasync();
        } finally {
          await created.close();
        }
        await rename(temp, path).catch(async (error: unknown) => {
          await unlink(temp).catch(() => {});
          throw error;
        });
        await syncDirectory(dirname(path));
        await handle?.close().catch(() => {});
        handle = undefined;
      } else {
        let first = 0;
        while (first < bytes.length && bytes[first] === last[first]) first++;
        let end = bytes.length;
        while (end > first && bytes[end - 1] === last[end - 1]) end--;
        if (first < end) {
          handle ??= await open(path, "r+");
          await writeFully(handle, bytes.subarray(first, end), first);
          await handle.datasync();
        }
      }
      last = bytes.slice();
    },
    async close() {
      await handle?.close().catch(() => {});
      handle = undefined;
    },
  };
}

/** The hook that records "`current`, or the fresh log about to replace it" in the anchor before the rename. */
export function pendingAnchor(anchor: Anchor, current: { readonly fileId: Uint8Array; readonly records: number }): BeforeRename {
  return (fresh) =>
    anchor.write(fresh.keys.anchorKey, {
      fileId: current.fileId,
      records: current.records,
      next: { fileId: fresh.fileId, records: fresh.records },
    });
}
