/**
 * `IndexedDbStore`: the `Store` contract for browsers over one IndexedDB database with one object
 * store keyed by `[namespace, key]`. IndexedDB gives the atomicity (one readwrite transaction
 * per batch) and the ordering (array keys compare element-wise, strings by UTF-16 code units —
 * exactly `Store.list`'s order), so this file only maps calls onto requests.
 *
 * The package builds without the DOM library, so the few IndexedDB shapes used are declared
 * here structurally; a browser's `indexedDB` and fake-indexeddb's both fit.
 */
import { assertListArgs, assertLocation, copyWrites } from "./key-value-index.js";
import type { Store, StoreWrite } from "./store.js";
import { StoreError, StoreErrorCode, storeClosed, storeTakenOver } from "./store-error.js";
import { WriterView } from "./writer-view.js";

/**
 * An event-handler property. The parameter is `never` so the DOM's `(this: X, ev: E) => any`
 * handlers are assignable here (a parameterless type would reject them); we never read the event.
 */
type Handler = ((event: never) => unknown) | null;

/** The parts of `IDBRequest` this store uses. */
interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: Handler;
  onerror: Handler;
}

/** The parts of `IDBObjectStore` this store uses. */
interface IdbObjectStore {
  get(key: unknown): IdbRequest<unknown>;
  getAll(query: unknown): IdbRequest<unknown[]>;
  getAllKeys(query: unknown, count?: number): IdbRequest<unknown[]>;
  put(value: unknown, key: unknown): IdbRequest<unknown>;
  delete(key: unknown): IdbRequest<unknown>;
}

/** The parts of `IDBTransaction` this store uses. */
interface IdbTransaction {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStore;
  abort(): void;
  oncomplete: Handler;
  onerror: Handler;
  onabort: Handler;
}

/** The parts of `IDBDatabase` this store uses. */
interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(names: string | string[], mode: "readonly" | "readwrite", options?: { durability: "strict" }): IdbTransaction;
  close(): void;
  onversionchange: Handler;
}

/** The parts of `IDBFactory` (`globalThis.indexedDB`) this store uses. */
export interface IdbFactoryLike {
  open(name: string, version: number): IdbRequest<IdbDatabase> & { onupgradeneeded: Handler; onblocked: Handler };
}

/** The parts of the `IDBKeyRange` class this store uses. */
export interface IdbKeyRangeLike {
  bound(lower: unknown, upper: unknown, lowerOpen?: boolean, upperOpen?: boolean): unknown;
}

/** The part of the Web Locks API (`navigator.locks`) this store uses. */
export interface LockManagerLike {
  request(
    name: string,
    options: { mode: "exclusive"; ifAvailable?: boolean; steal?: boolean },
    callback: (lock: unknown) => Promise<unknown>,
  ): Promise<unknown>;
}

/** Options for {@link IndexedDbStore.open}. */
export interface IndexedDbStoreOptions {
  /**
   * Web Locks, to keep a second tab out while this one has the database open. Default:
   * `globalThis.navigator?.locks`; where there is none, the writer generation (`claimStore`)
   * still refuses every batch of a writer that was claimed over.
   */
  readonly locks?: LockManagerLike;
  /**
   * Take the Web Lock even if another tab holds it (its writer is then claimed over and its next
   * batch rejects `ERR_STORE_TAKEN_OVER`). For a "use Parley in this tab" button. Default false:
   * a held lock rejects `ERR_STORE_LOCKED`.
   */
  readonly steal?: boolean;
  /** The IndexedDB factory. Default: `globalThis.indexedDB`. Tests pass fake-indexeddb's. */
  readonly indexedDB?: IdbFactoryLike;
  /** The `IDBKeyRange` class belonging to that factory. Default: `globalThis.IDBKeyRange`. */
  readonly keyRange?: IdbKeyRangeLike;
}

/** Schema version; bump with an upgrade step in `open` when the layout changes. 2 added `meta`. */
const DB_VERSION = 2;
/** The entries; keys are `[namespace, key]` arrays, values `Uint8Array`s. */
const ENTRIES = "entries";
/** The store's own records (the writer generation), apart from the entries so no namespace can collide. */
const META = "meta";
/** The key in `META` of the newest writer's generation number. */
const WRITER = "writer";
/** Web Lock name prefix; the database name follows. */
const LOCK_PREFIX = "parley-store:";

const ioError = (what: string, cause: unknown) => new StoreError(StoreErrorCode.Io, `IndexedDB ${what} failed`, { cause });

/** Resolves with the request's result, rejects with ERR_STORE_IO. */
function settle<T>(request: IdbRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(ioError(what, request.error));
  });
}

/** Resolves when the transaction commits; rejects with ERR_STORE_IO when it aborts (nothing of it applied). */
function committed(transaction: IdbTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(ioError("transaction", transaction.error));
  });
}

/**
 * The key range of every key in `namespace` starting with `prefix`. The upper bound is the
 * prefix's successor (last code unit + 1, trailing U+FFFF dropped), exclusive; the common
 * `prefix + "\uffff"` would miss keys that continue with U+FFFF. With no successor (empty or
 * all-U+FFFF prefix) the bound is `[namespace, []]`: arrays sort above every string.
 */
function prefixRange(keyRange: IdbKeyRangeLike, namespace: string, prefix: string): unknown {
  let end = prefix.length;
  while (end > 0 && prefix.charCodeAt(end - 1) === 0xffff) end--;
  const upper = end === 0 ? [] : prefix.slice(0, end - 1) + String.fromCharCode(prefix.charCodeAt(end - 1) + 1);
  return keyRange.bound([namespace, prefix], [namespace, upper], false, true);
}

/**
 * A `Store` in an IndexedDB database, for browsers. Several tabs may open the same database;
 * IndexedDB serialises their transactions.
 *
 * @example
 * ```ts
 * const store = await IndexedDbStore.open("parley");
 * await put(store, "contacts", "alice", bytes);
 * ```
 */
export class IndexedDbStore implements Store {
  readonly #db: IdbDatabase;
  readonly #keyRange: IdbKeyRangeLike;
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #releaseLock: () => Promise<void>;
  #closing: Promise<void> | undefined;

  private constructor(db: IdbDatabase, keyRange: IdbKeyRangeLike, releaseLock: () => Promise<void>) {
    this.#db = db;
    this.#keyRange = keyRange;
    this.#releaseLock = releaseLock;
    // Another tab wants to upgrade or delete the database: get out of its way; calls then reject ERR_STORE_CLOSED.
    db.onversionchange = () => void this.close();
  }

  /**
   * Opens (creating if needed) the database `name`. Rejects with `ERR_STORE_UNSUPPORTED` when the
   * database was made by a newer schema, `ERR_STORE_IO` when IndexedDB refuses (e.g. private mode).
   */
  static async open(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    if (typeof name !== "string" || name === "") throw new TypeError("name must be a non-empty string");
    const ambient = globalThis as { indexedDB?: IdbFactoryLike; IDBKeyRange?: IdbKeyRangeLike };
    const factory = options.indexedDB ?? ambient.indexedDB;
    const keyRange = options.keyRange ?? ambient.IDBKeyRange;
    if (factory === undefined || keyRange === undefined)
      throw new TypeError("no IndexedDB here: pass options.indexedDB and options.keyRange");
    const locks = options.locks ?? (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
    const releaseLock = locks === undefined ? async () => {} : await takeWebLock(locks, LOCK_PREFIX + name, options.steal === true);
    const request = factory.open(name, DB_VERSION);
    request.onupgradeneeded = () => {
      for (const name of [ENTRIES, META]) if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name);
    };
    const db = await new Promise<IdbDatabase>((resolve, reject) => {
      request.onblocked = () => {}; // an older tab still has v1 open; its onversionchange closes it
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        const error = request.error as { name?: unknown } | null;
        if (error?.name === "VersionError")
          reject(new StoreError(StoreErrorCode.Unsupported, "IndexedDB database is from a newer version", { cause: error }));
        else reject(ioError("open", error));
      };
    }).catch(async (error: unknown) => {
      await releaseLock();
      throw error;
    });
    return new IndexedDbStore(db, keyRange, releaseLock);
  }

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    assertLocation(namespace, key);
    const value = await this.#run(settle(this.#entries("readonly").get([namespace, key]), "get"));
    return value === undefined ? undefined : asBytes(value);
  }

  async list(namespace: string, prefix = ""): Promise<Array<[key: string, value: Uint8Array]>> {
    assertListArgs(namespace, prefix);
    const entries = this.#entries("readonly");
    const range = prefixRange(this.#keyRange, namespace, prefix);
    // One transaction, two requests: both see the same snapshot, in the same key order.
    const [keys, values] = await this.#run(Promise.all([settle(entries.getAllKeys(range), "list"), settle(entries.getAll(range), "list")]));
    return keys.map((compound, i) => {
      const key = Array.isArray(compound) ? compound[1] : undefined;
      if (typeof key !== "string") throw new StoreError(StoreErrorCode.Corrupt, "IndexedDB entry has a malformed key");
      return [key, asBytes(values[i])];
    });
  }

  /** All writes in one readwrite transaction (durability "strict" where supported); resolves on `complete`. */
  batch(writes: readonly StoreWrite[]): Promise<void> {
    return this.#batch(writes, undefined);
  }

  /**
   * Makes the caller the only writer (see `Store.claim`): bumps the generation record in one
   * transaction (IndexedDB serialises it against every other tab's), and every batch of the
   * returned view checks it in its own transaction.
   */
  async claim(): Promise<Store> {
    const transaction = this.#transaction("readwrite", META);
    const meta = transaction.objectStore(META);
    const done = this.#run(committed(transaction));
    const current = await settle(meta.get(WRITER), "claim");
    const generation = (typeof current === "number" ? current : 0) + 1;
    meta.put(generation, WRITER);
    await done;
    return new WriterView(this, (batch) => this.#batch(batch, generation));
  }

  /** True when no entry is stored. */
  async isEmpty(): Promise<boolean> {
    const keys = await this.#run(settle(this.#entries("readonly").getAllKeys(this.#keyRange.bound([""], [[]]), 1), "isEmpty"));
    return keys.length === 0;
  }

  async #batch(writes: readonly StoreWrite[], generation: number | undefined): Promise<void> {
    const owned = copyWrites(writes);
    if (owned.length === 0) {
      this.#assertOpen();
      return;
    }
    const transaction = this.#transaction("readwrite", generation === undefined ? ENTRIES : [ENTRIES, META]);
    const done = this.#run(committed(transaction));
    let takenOver = false;
    if (generation !== undefined) {
      // Requests run in order, and the transaction cannot commit before this handler ran: an abort here undoes the puts below.
      const check = transaction.objectStore(META).get(WRITER);
      check.onsuccess = () => {
        if (check.result === generation) return;
        takenOver = true;
        transaction.abort();
      };
    }
    try {
      const entries = transaction.objectStore(ENTRIES);
      for (const { namespace, key, value } of owned) {
        // A failing request aborts the transaction and `done` reports it: no per-request handlers needed.
        if (value === undefined) entries.delete([namespace, key]);
        else entries.put(value, [namespace, key]);
      }
    } catch (error) {
      // A synchronous throw would otherwise let the requests made so far auto-commit: half a batch.
      transaction.abort();
      await done.catch(() => {});
      throw ioError("batch", error);
    }
    try {
      await done;
    } catch (error) {
      if (takenOver) throw storeTakenOver();
      throw error;
    }
  }

  /** Waits for running transactions, then closes the database. Later calls reject with `ERR_STORE_CLOSED`; closing twice is harmless. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      this.#db.close();
      await this.#releaseLock();
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw storeClosed();
  }

  #transaction(mode: "readonly" | "readwrite", names: string | string[] = ENTRIES): IdbTransaction {
    this.#assertOpen();
    // The options argument is ignored by browsers that predate it, which is the fallback we want.
    return mode === "readwrite" ? this.#db.transaction(names, mode, { durability: "strict" }) : this.#db.transaction(names, mode);
  }

  #entries(mode: "readonly" | "readwrite"): IdbObjectStore {
    return this.#transaction(mode).objectStore(ENTRIES);
  }

  /** Tracks `operation` so `close` can wait for it. */
  async #run<T>(operation: Promise<T>): Promise<T> {
    this.#inFlight.add(operation);
    try {
      return await operation;
    } finally {
      this.#inFlight.delete(operation);
    }
  }
}

/** A stored value as bytes; anything else means the database was written by something else. */
function asBytes(value: unknown): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new StoreError(StoreErrorCode.Corrupt, "IndexedDB entry is not a byte string");
  return value;
}

/**
 * Takes the exclusive Web Lock `name` for as long as the store is open; returns its release.
 * Without `steal` a held lock rejects `ERR_STORE_LOCKED` at once (`ifAvailable`) rather than
 * waiting for the other tab to close. A stolen lock needs nothing here: the thief claims the
 * store, and this tab's next batch rejects `ERR_STORE_TAKEN_OVER`.
 */
async function takeWebLock(locks: LockManagerLike, name: string, steal: boolean): Promise<() => Promise<void>> {
  let unblock = () => {};
  const held = new Promise<void>((resolve) => {
    unblock = resolve;
  });
  let request: Promise<unknown> = Promise.resolve();
  const granted = await new Promise<boolean>((resolve, reject) => {
    request = locks
      .request(name, steal ? { mode: "exclusive", steal: true } : { mode: "exclusive", ifAvailable: true }, async (lock) => {
        resolve(lock !== null && lock !== undefined);
        if (lock !== null && lock !== undefined) await held;
      })
      // Rejections after the grant (AbortError when stolen) are expected; before it they are real.
      .catch((error: unknown) => reject(ioError("Web Lock request", error)));
  });
  // Resolves once the lock is really free, so a close followed at once by an open finds it free.
  const release = async () => {
    unblock();
    await request;
  };
  if (!granted) {
    throw new StoreError(
      StoreErrorCode.Locked,
      "the IndexedDB store is open in another tab or window; close it there, or open with steal: true",
    );
  }
  return release;
}
