/**
 * `FileStore`: the encrypted, crash-safe `Store` for Node — one directory holding an append-only
 * log of encrypted batch records, a lock file, and (briefly, during compaction) a temp file.
 * Node-only (node:fs); deliberately not re-exported from this folder's browser-safe index.
 *
 * - Open: lock, derive keys from the passphrase (scrypt, parameters from the header), replay the
 *   log into a `KeyValueIndex`, cut a torn tail (`file-replay.ts` decides what is torn), and
 *   refuse a log older than its rollback anchor says (`file-anchor.ts`, ERR_STORE_ROLLBACK).
 * - Batch: each batch is one record; batches queued while a sync is in flight are committed
 *   together (one write, one fdatasync: group commit), then the anchor advances (one more small
 *   write and sync). A batch resolves only after both, and only then is it visible to
 *   `get`/`list`, so reads never show data a crash could take back.
 * - Compaction: once the log is twice the live data, the live entries go to a temp file that is
 *   synced and renamed over the log, then the directory is synced. A crash leaves the old or the
 *   new log, each complete; leftover temp files are deleted on open.
 * - A failed write or sync closes the store (ERR_STORE_IO): appending after an unknown partial
 *   write could turn a torn tail into mid-log corruption.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { joinBytes, wipe } from "../../crypto/bytes.js";
import { createNodeProvider } from "../../crypto/node.js";
import type { CryptoProvider } from "../../crypto/provider.js";
import { Anchor, fileAnchor, pendingAnchor } from "./file-anchor.js";
import {
  ANCHOR_NAME,
  COMPACT_RATIO,
  DEFAULT_COMPACT_MIN_BYTES,
  DEFAULT_SCRYPT,
  GROUP_COMMIT_MAX_BYTES,
  HEADER_BYTES,
  LOCK_NAME,
  LOG_NAME,
  SALT_BYTES,
  type ScryptParams,
} from "./file-constants.js";
import { assertScryptParams } from "./file-header.js";
import { assertLogIsOurs, removeLeftovers, syncDirectory, writeFully } from "./file-io.js";
import { deriveStoreKeys, type Passphrase, passphraseBytes, wipeStoreKeys } from "./file-keys.js";
import { StoreLock } from "./file-lock.js";
import { type LogFile, type LogSecrets, loadLog, writeFreshLog } from "./file-log-file.js";
import { encodeBatch, sealRecord } from "./file-record.js";
import type { FileStoreOptions, FileStoreStats } from "./file-store-options.js";
import { assertListArgs, assertLocation, copyBytes, copyWrites, KeyValueIndex } from "./key-value-index.js";
import type { Store, StoreWrite } from "./store.js";
import { StoreError, StoreErrorCode, storeClosed, storeTakenOver } from "./store-error.js";
import { WriterView } from "./writer-view.js";

export { fileAnchor, type StoreAnchor } from "./file-anchor.js";
export { DEFAULT_SCRYPT, type ScryptParams } from "./file-constants.js";
export type { Passphrase } from "./file-keys.js";
export type { FileStoreOptions, FileStoreStats } from "./file-store-options.js";

interface Pending {
  /**
   * A batch (its owned writes and plaintext; none for an empty batch; the claim it was made
   * under, if any) or a passphrase change.
   */
  readonly work:
    | { readonly writes: StoreWrite[]; readonly plaintext: Uint8Array | undefined; readonly generation?: number }
    | { readonly rekey: LogSecrets };
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * An encrypted `Store` in a directory, for Node. See the file comment for the design.
 *
 * @example
 * ```ts
 * const store = await FileStore.open("/home/me/.parley", { passphrase });
 * await put(store, "contacts", "alice", bytes); // durable when it resolves
 * await store.close();
 * ```
 */
export class FileStore implements Store {
  readonly #dir: string;
  readonly #crypto: CryptoProvider;
  readonly #lock: StoreLock;
  readonly #index: KeyValueIndex;
  readonly #newKdf: ScryptParams;
  readonly #compactMinBytes: number;
  readonly #anchor: Anchor;
  #log: LogFile;
  #queue: Pending[] = [];
  #draining: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #failure: StoreError | undefined;
  #released: Promise<void> | undefined;
  /** After a failed compaction, wait for this log size before trying again. */
  #nextCompactionAt = 0;
  #syncs = 0;
  #compactions = 0;
  /** The newest claim's number (`claim`); batches of an older claim are refused. */
  #generation = 0;

  private constructor(
    dir: string,
    crypto: CryptoProvider,
    lock: StoreLock,
    index: KeyValueIndex,
    log: LogFile,
    newKdf: ScryptParams,
    compactMinBytes: number,
    anchor: Anchor,
  ) {
    this.#dir = dir;
    this.#crypto = crypto;
    this.#lock = lock;
    this.#index = index;
    this.#log = log;
    this.#newKdf = newKdf;
    this.#compactMinBytes = compactMinBytes;
    this.#anchor = anchor;
  }

  /**
   * Opens the store in `dir`, creating the directory and an empty store if there is none.
   * Rejects with `ERR_STORE_LOCKED` (open elsewhere), `ERR_STORE_PASSPHRASE`, `ERR_STORE_CORRUPT`,
   * `ERR_STORE_ROLLBACK` (older than acknowledged) or `ERR_STORE_UNSUPPORTED`; with
   * `TypeError`/`RangeError` for bad options.
   */
  static async open(dir: string, options: FileStoreOptions): Promise<FileStore> {
    if (typeof dir !== "string" || dir === "") throw new TypeError("dir must be a non-empty path");
    if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
    const newKdf = options.kdf ?? DEFAULT_SCRYPT;
    assertScryptParams(newKdf);
    const compactMinBytes = options.compactMinBytes ?? DEFAULT_COMPACT_MIN_BYTES;
    if (!Number.isSafeInteger(compactMinBytes) || compactMinBytes < 0)
      throw new RangeError("compactMinBytes must be a non-negative integer");
    const crypto = options.crypto ?? createNodeProvider();
    const passphrase = passphraseBytes(options.passphrase);

    let lock: StoreLock;
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      lock = await StoreLock.acquire(join(dir, LOCK_NAME));
    } catch (error) {
      wipe(passphrase);
      throw error;
    }
    let anchor: Anchor | undefined;
    let store: FileStore | undefined;
    try {
      await removeLeftovers(dir);
      anchor = await Anchor.load(options.anchor ?? fileAnchor(join(dir, ANCHOR_NAME)), crypto);
      const index = new KeyValueIndex();
      // Creating a log: the anchor names it before it exists under its name (no current log yet: a zero file id).
      const log = await loadLog(dir, crypto, passphrase, newKdf, index, pendingAnchor(anchor, { fileId: new Uint8Array(16), records: 0 }));
      store = new FileStore(dir, crypto, lock, index, log, newKdf, compactMinBytes, anchor);
      anchor.verify(log.keys.anchorKey, log, log.anchored);
      // A log from before anchors is rewritten with its header flag set (and anchored by the compaction).
      if (!log.anchored) await store.#compact(undefined);
      else if (!anchor.names(log)) await anchor.write(log.keys.anchorKey, { fileId: log.fileId, records: log.records });
      return store;
    } catch (error) {
      wipe(passphrase);
      if (store !== undefined) await store.#release().catch(() => {});
      else {
        await anchor?.close().catch(() => {});
        await lock.release().catch(() => {});
      }
      throw error;
    }
  }

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    assertLocation(namespace, key);
    this.#assertUsable();
    const value = this.#index.get(namespace, key);
    return value === undefined ? undefined : copyBytes(value);
  }

  async list(namespace: string, prefix?: string): Promise<Array<[key: string, value: Uint8Array]>> {
    assertListArgs(namespace, prefix);
    this.#assertUsable();
    return this.#index.list(namespace, prefix).map(([key, value]) => [key, copyBytes(value)]);
  }

  /** Appends the batch as one encrypted record; resolves after fdatasync. Rejects with `RangeError` above 64 MiB encoded. */
  async batch(writes: readonly StoreWrite[]): Promise<void> {
    const owned = copyWrites(writes);
    this.#assertUsable();
    const plaintext = owned.length === 0 ? undefined : encodeBatch(owned);
    return this.#enqueue({ writes: owned, plaintext });
  }

  /**
   * Makes the caller the only writer (see `Store.claim`). Other `FileStore`s are kept out by the
   * lock; this also appends a record, so a process that got past the lock (a lock file deleted by
   * hand) sees the log change under it and stops (`ERR_STORE_TAKEN_OVER`) instead of interleaving.
   */
  async claim(): Promise<Store> {
    this.#assertUsable();
    const generation = ++this.#generation;
    await this.#enqueue({ writes: [], plaintext: encodeBatch([]), generation });
    return new WriterView(this, async (writes) => {
      const owned = copyWrites(writes);
      this.#assertUsable();
      const plaintext = owned.length === 0 ? undefined : encodeBatch(owned);
      return this.#enqueue({ writes: owned, plaintext, generation });
    });
  }

  /** True when no entry is stored. */
  async isEmpty(): Promise<boolean> {
    this.#assertUsable();
    return this.#index.size === 0;
  }

  /**
   * Re-encrypts the whole store under a new passphrase (fresh salt; scrypt parameters from
   * `kdf`, else those given to `open`, else the defaults), by compaction: on a crash the store
   * opens with either the old or the new passphrase, never neither.
   */
  async changePassphrase(newPassphrase: Passphrase, options: { readonly kdf?: ScryptParams } = {}): Promise<void> {
    const kdf = options.kdf ?? this.#newKdf;
    assertScryptParams(kdf);
    const bytes = passphraseBytes(newPassphrase);
    try {
      this.#assertUsable();
    } catch (error) {
      wipe(bytes);
      throw error;
    }
    const salt = this.#crypto.randomBytes(SALT_BYTES);
    const keys = await deriveStoreKeys(this.#crypto, bytes, salt, kdf);
    try {
      this.#assertUsable();
    } catch (error) {
      wipeStoreKeys(keys);
      throw error;
    }
    return this.#enqueue({ rekey: { salt, kdf, keys } });
  }

  /** Waits for queued batches, then releases the file and the lock. Later calls reject with `ERR_STORE_CLOSED`; closing twice is harmless. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      while (this.#draining !== undefined) await this.#draining;
      await this.#release();
    })();
    return this.#closing;
  }

  /** Counters for monitoring and tests. */
  get stats(): FileStoreStats {
    return { logBytes: this.#log.length, liveBytes: this.#index.liveBytes, syncs: this.#syncs, compactions: this.#compactions };
  }

  #assertUsable(): void {
    if (this.#failure !== undefined) throw this.#failure;
    if (this.#closing !== undefined) throw storeClosed();
  }

  #enqueue(work: Pending["work"]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ work, resolve, reject });
      this.#draining ??= this.#drain();
    });
  }

  /** Runs queued work in order until the queue is empty. Only this loop touches the log and the index. */
  async #drain(): Promise<void> {
    // One microtask's grace: batches issued in the same tick join the first group.
    await Promise.resolve();
    try {
      while (this.#queue.length > 0 && this.#failure === undefined) {
        const head = this.#queue[0] as Pending;
        if ("rekey" in head.work) {
          this.#queue.shift();
          await this.#rekey(head, head.work.rekey);
          continue;
        }
        const group = this.#refuseStale(this.#takeGroup());
        if (group.length === 0) continue;
        try {
          await this.#commit(group);
        } catch (error) {
          await this.#fail(error, group);
          return;
        }
        for (const item of group) item.resolve();
        await this.#maybeCompact();
      }
    } finally {
      this.#draining = undefined;
    }
  }

  /** Leading batches of the queue, up to `GROUP_COMMIT_MAX_BYTES` of plaintext (at least one). */
  #takeGroup(): Pending[] {
    let bytes = 0;
    let count = 0;
    for (const item of this.#queue) {
      if (!("writes" in item.work)) break;
      bytes += item.work.plaintext?.length ?? 0;
      if (count > 0 && bytes > GROUP_COMMIT_MAX_BYTES) break;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  /** Rejects (and drops) the batches made under a claim that a newer claim replaced. */
  #refuseStale(group: Pending[]): Pending[] {
    return group.filter((item) => {
      const generation = "writes" in item.work ? item.work.generation : undefined;
      if (generation === undefined || generation === this.#generation) return true;
      if ("writes" in item.work && item.work.plaintext !== undefined) wipe(item.work.plaintext);
      item.reject(storeTakenOver());
      return false;
    });
  }

  /** One write and one sync for the whole group, then the index. */
  async #commit(group: readonly Pending[]): Promise<void> {
    const log = this.#log;
    await assertLogIsOurs(join(this.#dir, LOG_NAME), log.handle, log.length);
    const frames: Uint8Array[] = [];
    for (const { work } of group) {
      if (!("writes" in work) || work.plaintext === undefined) continue;
      frames.push(sealRecord(this.#crypto, log.keys.dataKey, log.fileId, log.records + frames.length, frames.length, work.plaintext));
      wipe(work.plaintext);
    }
    if (frames.length > 0) {
      const bytes = joinBytes(frames);
      await writeFully(log.handle, bytes, log.length);
      await log.handle.datasync();
      this.#syncs++;
      log.length += bytes.length;
      log.records += frames.length;
      // Only after the sync: the anchor must never name records a crash could take back.
      await this.#anchor.write(log.keys.anchorKey, { fileId: log.fileId, records: log.records });
    }
    for (const { work } of group) if ("writes" in work) this.#index.apply(work.writes);
  }

  async #maybeCompact(): Promise<void> {
    const size = this.#log.length;
    if (size < this.#compactMinBytes || size < this.#nextCompactionAt || size <= COMPACT_RATIO * (HEADER_BYTES + this.#index.liveBytes))
      return;
    try {
      await this.#compact(undefined);
    } catch {
      // The old log is intact (or #compact failed the store); retry after another minimum's growth.
      this.#nextCompactionAt = size + Math.max(this.#compactMinBytes, DEFAULT_COMPACT_MIN_BYTES);
    }
  }

  async #rekey(item: Pending, rekey: LogSecrets): Promise<void> {
    try {
      await this.#compact(rekey);
      item.resolve();
    } catch (error) {
      wipeStoreKeys(rekey.keys);
      // Before the switch the old passphrase stays in force and the store stays open; after it, #failure says why it closed.
      item.reject(
        this.#failure ??
          (StoreError.is(error) ? error : new StoreError(StoreErrorCode.Io, "re-encrypting the store failed", { cause: error })),
      );
    }
  }

  /**
   * Writes the live entries to a fresh log (new file id; new keys when re-keying), syncs it and
   * renames it over the old one. Before the rename, failure leaves the old log in charge; after
   * it, only the directory sync remains, and its failure fails the store.
   */
  async #compact(rekey: LogSecrets | undefined): Promise<void> {
    const old = this.#log;
    const fresh = await writeFreshLog(this.#dir, this.#crypto, rekey ?? old, this.#index.puts(), pendingAnchor(this.#anchor, old));
    this.#log = fresh;
    this.#compactions++;
    if (rekey !== undefined) wipeStoreKeys(old.keys);
    await old.handle.close().catch(() => {});
    try {
      await syncDirectory(this.#dir);
      await this.#anchor.write(fresh.keys.anchorKey, { fileId: fresh.fileId, records: fresh.records });
    } catch (error) {
      // Until the rename is durable a power cut brings back the old log, without the batches we would ack next.
      await this.#fail(error, []);
      throw error;
    }
  }

  /**
   * Closes the store after an I/O failure (ERR_STORE_IO) or a takeover (ERR_STORE_TAKEN_OVER):
   * rejects `inFlight` and everything queued with that error.
   */
  async #fail(cause: unknown, inFlight: readonly Pending[]): Promise<void> {
    const takenOver = StoreError.is(cause, StoreErrorCode.TakenOver);
    this.#failure ??= takenOver
      ? cause
      : new StoreError(StoreErrorCode.Io, "writing the store failed; it is closed — open it again to continue", { cause });
    for (const item of [...inFlight, ...this.#queue.splice(0)]) item.reject(this.#failure);
    // Best effort: cut a partly written group so the file ends at the last synced record — never
    // when another writer owns the file: its records follow ours.
    if (!takenOver) await this.#log.handle.truncate(this.#log.length).catch(() => {});
    await this.#release();
  }

  /** Closes the log, releases the lock, wipes the keys and drops the index. Once. */
  #release(): Promise<void> {
    this.#released ??= (async () => {
      this.#index.clear();
      wipeStoreKeys(this.#log.keys);
      await this.#log.handle.close().catch(() => {});
      await this.#anchor.close().catch(() => {});
      await this.#lock.release();
    })();
    return this.#released;
  }
}
