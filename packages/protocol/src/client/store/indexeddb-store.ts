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
import { StoreError, StoreErrorCode, storeClosed } from "./store-error.js";

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
  getAllKeys(query: unknown): IdbRequest<unknown[]>;
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
  transaction(names: string, mode: "readonly" | "readwrite", options?: { durability: "strict" }): IdbTransaction;
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

/** Options for {@link IndexedDbStore.open}. */
export interface IndexedDbStoreOptions {
  /** The IndexedDB factory. Default: `globalThis.indexedDB`. Tests pass fake-indexeddb's. */
  readonly indexedDB?: IdbFactoryLike;
  /** The `IDBKeyRange` class belonging to that factory. Default: `globalThis.IDBKeyRange`. */
  readonly keyRange?: IdbKeyRangeLike;
}

/** Schema version; bump with an upgrade step in `open` when the layout changes. */
const DB_VERSION = 1;
/** The one object store; keys are `[namespace, key]` arrays, values `Uint8Array`s. */
const ENTRIES = "entries";

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
  #closing: Promise<void> | undefined;

  private constructor(db: IdbDatabase, keyRange: IdbKeyRangeLike) {
    this.#db = db;
    this.#keyRange = keyRange;
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
    const request = factory.open(name, DB_VERSION);
    request.onupgradeneeded = () => {
      if (!request.result.objectStoreNames.contains(ENTRIES)) request.result.createObjectStore(ENTRIES);
    };
    const db = await new Promise<IdbDatabase>((resolve, reject) => {
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => {
        const error = request.error as { name?: unknown } | null;
        if (error?.name === "VersionError")
          reject(new StoreError(StoreErrorCode.Unsupported, "IndexedDB database is from a newer version", { cause: error }));
        else reject(ioError("open", error));
      };
    });
    return new IndexedDbStore(db, keyRange);
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
  async batch(writes: readonly StoreWrite[]): Promise<void> {
    const owned = copyWrites(writes);
    if (owned.length === 0) {
      this.#assertOpen();
      return;
    }
    const transaction = this.#transaction("readwrite");
    const done = this.#run(committed(transaction));
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
    await done;
  }

  /** Waits for running transactions, then closes the database. Later calls reject with `ERR_STORE_CLOSED`; closing twice is harmless. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await Promise.allSettled([...this.#inFlight]);
      this.#db.close();
    })();
    return this.#closing;
  }

  #assertOpen(): void {
    if (this.#closing !== undefined) throw storeClosed();
  }

  #transaction(mode: "readonly" | "readwrite"): IdbTransaction {
    this.#assertOpen();
    // The options argument is ignored by browsers that predate it, which is the fallback we want.
    return mode === "readwrite" ? this.#db.transaction(ENTRIES, mode, { durability: "strict" }) : this.#db.transaction(ENTRIES, mode);
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
