/**
 * The few IndexedDB shapes `IndexedDbStore` uses, declared structurally (the package builds
 * without the DOM library; a browser's `indexedDB` and fake-indexeddb's both fit), and the two
 * ways a request or transaction is turned into a promise.
 */
import { StoreError, StoreErrorCode } from "./store-error.js";

/**
 * An event-handler property. The parameter is `never` so the DOM's `(this: X, ev: E) => any`
 * handlers are assignable here (a parameterless type would reject them); we never read the event.
 */
export type Handler = ((event: never) => unknown) | null;

/** The parts of `IDBRequest` the store uses. */
export interface IdbRequest<T> {
  readonly result: T;
  readonly error: unknown;
  onsuccess: Handler;
  onerror: Handler;
}

/** The parts of `IDBObjectStore` the store uses. */
export interface IdbObjectStore {
  get(key: unknown): IdbRequest<unknown>;
  getAll(query?: unknown): IdbRequest<unknown[]>;
  getAllKeys(query?: unknown, count?: number): IdbRequest<unknown[]>;
  put(value: unknown, key: unknown): IdbRequest<unknown>;
  delete(key: unknown): IdbRequest<unknown>;
  clear(): IdbRequest<unknown>;
}

/** The parts of `IDBTransaction` the store uses. */
export interface IdbTransaction {
  readonly error: unknown;
  objectStore(name: string): IdbObjectStore;
  abort(): void;
  oncomplete: Handler;
  onerror: Handler;
  onabort: Handler;
}

/** The parts of `IDBDatabase` the store uses. */
export interface IdbDatabase {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(names: string | string[], mode: "readonly" | "readwrite", options?: { durability: "strict" }): IdbTransaction;
  close(): void;
  onversionchange: Handler;
}

/** The parts of `IDBFactory` (`globalThis.indexedDB`) the store uses. */
export interface IdbFactoryLike {
  open(name: string, version: number): IdbRequest<IdbDatabase> & { onupgradeneeded: Handler; onblocked: Handler };
}

/** The parts of the `IDBKeyRange` class the store uses. */
export interface IdbKeyRangeLike {
  bound(lower: unknown, upper: unknown, lowerOpen?: boolean, upperOpen?: boolean): unknown;
}

export const ioError = (what: string, cause: unknown) => new StoreError(StoreErrorCode.Io, `IndexedDB ${what} failed`, { cause });

/** Resolves with the request's result, rejects with ERR_STORE_IO. */
export function settle<T>(request: IdbRequest<T>, what: string): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(ioError(what, request.error));
  });
}

/** Resolves when the transaction commits; rejects with ERR_STORE_IO when it aborts (nothing of it applied). */
export function committed(transaction: IdbTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    transaction.oncomplete = () => resolve();
    transaction.onabort = () => reject(ioError("transaction", transaction.error));
  });
}
