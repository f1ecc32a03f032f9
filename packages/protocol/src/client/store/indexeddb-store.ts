/**
 * `IndexedDbStore`: the `Store` contract for browsers over one IndexedDB database, encrypted at
 * rest (`indexeddb-cipher.ts`: HMAC-named locations, AES-GCM values, non-extractable WebCrypto
 * keys, optionally wrapped under a passphrase). IndexedDB gives the atomicity (one readwrite
 * transaction per batch); this file orders batches, checks the writer generation inside each
 * batch's transaction (`claim`), and holds a Web Lock per database while open.
 *
 * Object stores: `sealed` (the entries), `meta` (the key record and the writer generation), and
 * `entries` only in databases from schema 1, which kept values in the clear: they are encrypted
 * into `sealed` when such a database is first opened, and `entries` is emptied.
 */
import {
  assertIterations,
  DEFAULT_PBKDF2_ITERATIONS,
  type EntryCipher,
  keyGroup,
  newKeyRecord,
  type SubtleLike,
  unlock,
} from "./indexeddb-cipher.js";
import {
  committed,
  type IdbDatabase,
  type IdbFactoryLike,
  type IdbKeyRangeLike,
  type IdbTransaction,
  ioError,
  settle,
} from "./indexeddb-requests.js";
import { assertListArgs, assertLocation, copyWrites } from "./key-value-index.js";
import { type Passphrase, passphraseBytes } from "./passphrase.js";
import type { Store, StoreWrite } from "./store.js";
import { StoreError, StoreErrorCode, storeClosed, storeTakenOver } from "./store-error.js";
import { type LockManagerLike, takeWebLock } from "./web-lock.js";
import { WriterView } from "./writer-view.js";

export type { SubtleLike } from "./indexeddb-cipher.js";
export type { IdbFactoryLike, IdbKeyRangeLike } from "./indexeddb-requests.js";
export type { LockManagerLike } from "./web-lock.js";

/** Options for {@link IndexedDbStore.open}. */
export interface IndexedDbStoreOptions {
  /** The IndexedDB factory. Default: `globalThis.indexedDB`. Tests pass fake-indexeddb's. */
  readonly indexedDB?: IdbFactoryLike;
  /** The `IDBKeyRange` class belonging to that factory. Default: `globalThis.IDBKeyRange`. */
  readonly keyRange?: IdbKeyRangeLike;
  /**
   * Wraps the store's keys under this passphrase (PBKDF2-SHA256, then AES-GCM key wrapping), so
   * a copy of the browser profile alone does not open it. Without one, the keys are
   * non-extractable WebCrypto keys kept in the database: script cannot read them out, but
   * anything that runs script in this origin, or reads the profile with the browser's own key
   * store, can use them. Fixed when the store is created.
   */
  readonly passphrase?: Passphrase;
  /** PBKDF2 iterations for a store created with a passphrase. Default 600,000; lower only in tests. */
  readonly kdfIterations?: number;
  /** WebCrypto. Default: `globalThis.crypto.subtle`. */
  readonly subtle?: SubtleLike;
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
}

/** Schema version; bump with an upgrade step in `open` when the layout changes. 2: encrypted `sealed`, `meta`. */
const DB_VERSION = 2;
/** The encrypted entries; keys are `[namespace, group, key]` HMACs (`indexeddb-cipher.ts`). */
const SEALED = "sealed";
/** The store's own records, apart from the entries so no namespace can collide with them. */
const META = "meta";
/** Schema 1's plaintext entries, keyed `[namespace, key]`; only ever read to be encrypted. */
const LEGACY = "entries";
/** `META` key of the key record. */
const KEYS = "keys";
/** `META` key of the newest writer's generation number. */
const WRITER = "writer";
/** Web Lock name prefix; the database name follows. */
const LOCK_PREFIX = "parley-store:";

/** The `META` record under `key`, or undefined. */
async function readMeta(db: IdbDatabase, key: string): Promise<unknown> {
  return settle(db.transaction(META, "readonly").objectStore(META).get(key), "read");
}

/** The stored key record, or `fresh()` stored if there is none yet (atomically: two tabs creating at once agree). */
async function keyRecord(db: IdbDatabase, fresh: () => Promise<unknown>): Promise<unknown> {
  const existing = await readMeta(db, KEYS);
  if (existing !== undefined) return existing;
  const candidate = await fresh();
  const transaction = db.transaction(META, "readwrite", { durability: "strict" });
  const done = committed(transaction);
  const meta = transaction.objectStore(META);
  const raced = await settle(meta.get(KEYS), "read");
  if (raced === undefined) meta.put(candidate, KEYS);
  await done;
  return raced ?? candidate;
}

/** Encrypts schema 1's plaintext entries into `sealed` and empties `entries`, in one transaction. */
async function migrateLegacy(db: IdbDatabase, cipher: EntryCipher): Promise<void> {
  if (!db.objectStoreNames.contains(LEGACY)) return;
  const legacy = db.transaction(LEGACY, "readonly").objectStore(LEGACY);
  const [keys, values] = await Promise.all([settle(legacy.getAllKeys(), "read"), settle(legacy.getAll(), "read")]);
  if (keys.length === 0) return;
  const sealed: Array<[unknown, Uint8Array]> = [];
  for (const [i, compound] of keys.entries()) {
    const [namespace, key] = Array.isArray(compound) ? compound : [];
    const value = values[i];
    if (typeof namespace !== "string" || typeof key !== "string" || !(value instanceof Uint8Array))
      throw new StoreError(StoreErrorCode.Corrupt, "IndexedDB entry from schema 1 is malformed");
    const location = await cipher.locate(namespace, key);
    sealed.push([location, await cipher.seal(location, key, value)]);
  }
  const transaction = db.transaction([LEGACY, SEALED], "readwrite", { durability: "strict" });
  const done = committed(transaction);
  for (const [location, value] of sealed) transaction.objectStore(SEALED).put(value, location);
  transaction.objectStore(LEGACY).clear();
  await done;
}

/**
 * A `Store` in an IndexedDB database, for browsers, encrypted at rest. One tab at a time: see
 * `Store` ("One writer") — a second tab's `open` rejects `ERR_STORE_LOCKED` where Web Locks
 * exist, and in any case a tab claimed over cannot write (`ERR_STORE_TAKEN_OVER`).
 *
 * @example
 * ```ts
 * const store = await IndexedDbStore.open("parley", { passphrase });
 * await put(store, "contacts", "alice", bytes);
 * ```
 */
export class IndexedDbStore implements Store {
  readonly #db: IdbDatabase;
  readonly #keyRange: IdbKeyRangeLike;
  readonly #cipher: EntryCipher;
  readonly #releaseLock: () => Promise<void>;
  readonly #inFlight = new Set<Promise<unknown>>();
  /** Resolves once the latest batch has created its transaction: batches are created, so applied, in call order. */
  #lastCreated: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(db: IdbDatabase, keyRange: IdbKeyRangeLike, cipher: EntryCipher, releaseLock: () => Promise<void>) {
    this.#db = db;
    this.#keyRange = keyRange;
    this.#cipher = cipher;
    this.#releaseLock = releaseLock;
    // Another tab wants to upgrade or delete the database: get out of its way; calls then reject ERR_STORE_CLOSED.
    db.onversionchange = () => void this.close();
  }

  /**
   * Opens (creating if needed) the database `name`. Rejects with `ERR_STORE_LOCKED` (open in
   * another tab), `ERR_STORE_PASSPHRASE` (wrong, missing or unexpected passphrase),
   * `ERR_STORE_UNSUPPORTED` (a newer schema), `ERR_STORE_IO` when IndexedDB refuses (e.g.
   * private mode); `TypeError`/`RangeError` for bad options.
   */
  static async open(name: string, options: IndexedDbStoreOptions = {}): Promise<IndexedDbStore> {
    if (typeof name !== "string" || name === "") throw new TypeError("name must be a non-empty string");
    const ambient = globalThis as {
      indexedDB?: IdbFactoryLike;
      IDBKeyRange?: IdbKeyRangeLike;
      crypto?: { subtle?: SubtleLike };
      navigator?: { locks?: LockManagerLike };
    };
    const factory = options.indexedDB ?? ambient.indexedDB;
    const keyRange = options.keyRange ?? ambient.IDBKeyRange;
    const subtle = options.subtle ?? ambient.crypto?.subtle;
    if (factory === undefined || keyRange === undefined)
      throw new TypeError("no IndexedDB here: pass options.indexedDB and options.keyRange");
    if (subtle === undefined) throw new TypeError("no WebCrypto here (it needs a secure context): pass options.subtle");
    const iterations = options.kdfIterations ?? DEFAULT_PBKDF2_ITERATIONS;
    assertIterations(iterations);
    if (options.passphrase !== undefined) passphraseBytes(options.passphrase).fill(0); // type and emptiness checks, now
    const locks = options.locks ?? ambient.navigator?.locks;
    const releaseLock = locks === undefined ? async () => {} : await takeWebLock(locks, LOCK_PREFIX + name, options.steal === true);
    let db: IdbDatabase | undefined;
    try {
      db = await openDatabase(factory, name);
      const opened = db;
      const keks = new Map();
      const record = await keyRecord(opened, () => newKeyRecord(subtle, options.passphrase, iterations, keks));
      const cipher = await unlock(subtle, record, options.passphrase, keks);
      await migrateLegacy(opened, cipher);
      return new IndexedDbStore(opened, keyRange, cipher, releaseLock);
    } catch (error) {
      db?.close();
      await releaseLock();
      throw error;
    }
  }

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    assertLocation(namespace, key);
    this.#assertOpen();
    return this.#run(
      (async () => {
        const location = await this.#cipher.locate(namespace, key);
        const sealed = await settle(this.#sealed("readonly").get(location), "get");
        if (sealed === undefined) return undefined;
        const entry = await this.#cipher.open(location, sealed);
        if (entry.key !== key) throw new StoreError(StoreErrorCode.Corrupt, "IndexedDB entry is under the wrong location");
        return entry.value;
      })(),
    );
  }

  async list(namespace: string, prefix = ""): Promise<Array<[key: string, value: Uint8Array]>> {
    assertListArgs(namespace, prefix);
    this.#assertOpen();
    return this.#run(
      (async () => {
        // A prefix with a "/" fixes the key's group, so only that group is read; otherwise the whole namespace.
        const ns = await this.#cipher.namespace(namespace);
        const range = prefix.includes("/")
          ? ((group) => this.#keyRange.bound([ns, group], [ns, group, []]))(await this.#cipher.group(namespace, keyGroup(prefix)))
          : this.#keyRange.bound([ns], [ns, []]);
        const sealed = this.#sealed("readonly");
        // One transaction, two requests: both see the same snapshot, in the same key order.
        const [locations, values] = await Promise.all([settle(sealed.getAllKeys(range), "list"), settle(sealed.getAll(range), "list")]);
        const found: Array<[string, Uint8Array]> = [];
        for (const [i, location] of locations.entries()) {
          if (!Array.isArray(location)) throw new StoreError(StoreErrorCode.Corrupt, "IndexedDB entry has a malformed key");
          const { key, value } = await this.#cipher.open(location as string[], values[i]);
          if (key.startsWith(prefix)) found.push([key, value]);
        }
        // Keys are unique, so the comparator never returns 0; `<` on strings is code-unit order.
        return found.sort((a, b) => (a[0] < b[0] ? -1 : 1));
      })(),
    );
  }

  /** All writes in one readwrite transaction (durability "strict" where supported); resolves on `complete`. */
  batch(writes: readonly StoreWrite[]): Promise<void> {
    return this.#batch(writes, undefined);
  }

  /** Checks, then runs the batch tracked by `close`, which waits for it. */
  async #batch(writes: readonly StoreWrite[], generation: number | undefined): Promise<void> {
    const owned = copyWrites(writes);
    this.#assertOpen();
    if (owned.length === 0) return;
    return this.#run(this.#commit(owned, generation));
  }

  /**
   * Makes the caller the only writer (see `Store.claim`): bumps the generation record in one
   * transaction (IndexedDB serialises it against every other tab's), and every batch of the
   * returned view checks it in its own transaction.
   */
  async claim(): Promise<Store> {
    this.#assertOpen();
    const transaction = this.#transaction(META);
    const meta = transaction.objectStore(META);
    const done = this.#run(committed(transaction));
    const current = await this.#run(settle(meta.get(WRITER), "claim"));
    const generation = (typeof current === "number" ? current : 0) + 1;
    meta.put(generation, WRITER);
    await done;
    return new WriterView(this, (batch) => this.#batch(batch, generation));
  }

  /** True when no entry is stored. */
  async isEmpty(): Promise<boolean> {
    this.#assertOpen();
    const keys = await this.#run(settle(this.#sealed("readonly").getAllKeys(undefined, 1), "isEmpty"));
    return keys.length === 0;
  }

  async #commit(owned: readonly StoreWrite[], generation: number | undefined): Promise<void> {
    const previous = this.#lastCreated;
    let created = () => {};
    this.#lastCreated = new Promise((resolve) => {
      created = resolve;
    });
    let transaction: IdbTransaction;
    let operations: Array<[location: string[], sealed: Uint8Array | undefined]>;
    try {
      // Encrypt first (WebCrypto is async, and a transaction commits once it has nothing pending), then wait our turn.
      operations = await Promise.all(
        owned.map(async ({ namespace, key, value }) => {
          const location = await this.#cipher.locate(namespace, key);
          return [location, value === undefined ? undefined : await this.#cipher.seal(location, key, value)] as [
            string[],
            Uint8Array | undefined,
          ];
        }),
      );
      await previous;
      transaction = this.#transaction(generation === undefined ? SEALED : [SEALED, META]);
    } finally {
      created();
    }
    const done = committed(transaction);
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
      const sealed = transaction.objectStore(SEALED);
      // A failing request aborts the transaction and `done` reports it: no per-request handlers needed.
      for (const [location, value] of operations) {
        if (value === undefined) sealed.delete(location);
        else sealed.put(value, location);
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

  /**
   * Waits for running operations, then closes the database and releases the Web Lock. Later
   * calls reject with `ERR_STORE_CLOSED`; every call returns the same promise.
   */
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

  /** A readwrite transaction. Only from operations `close` waits for (or after `#assertOpen`). */
  #transaction(names: string | string[]): IdbTransaction {
    // The options argument is ignored by browsers that predate it, which is the fallback we want.
    return this.#db.transaction(names, "readwrite", { durability: "strict" });
  }

  /** The entries in a read transaction. Only from operations `close` waits for. */
  #sealed(mode: "readonly"): ReturnType<IdbTransaction["objectStore"]> {
    return this.#db.transaction(SEALED, mode).objectStore(SEALED);
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

/** Opens the database at `DB_VERSION`, creating the object stores it lacks. */
function openDatabase(factory: IdbFactoryLike, name: string): Promise<IdbDatabase> {
  const request = factory.open(name, DB_VERSION);
  request.onupgradeneeded = () => {
    for (const store of [SEALED, META]) if (!request.result.objectStoreNames.contains(store)) request.result.createObjectStore(store);
  };
  return new Promise<IdbDatabase>((resolve, reject) => {
    request.onblocked = () => {}; // a tab still on schema 1 closes on its versionchange event
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => {
      const error = request.error as { name?: unknown } | null;
      if (error?.name === "VersionError")
        reject(new StoreError(StoreErrorCode.Unsupported, "IndexedDB database is from a newer version", { cause: error }));
      else reject(ioError("open", error));
    };
  });
}
