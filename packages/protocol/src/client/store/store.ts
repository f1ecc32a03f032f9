/**
 * The storage interface the client SDK persists everything through: identity keys, prekeys,
 * session records, contacts, conversations, messages and the outbox. It is a namespaced
 * key-value store of byte strings with atomic batches — small enough that an adapter for any
 * platform is a few dozen lines (memory, encrypted file, IndexedDB ship with the library).
 *
 * Atomicity is what the client relies on: for example "store the new session record, delete
 * the consumed prekeys and append the received message" is one batch, so a crash can never
 * leave a session advanced past a message that was not saved.
 */

import { StoreError, StoreErrorCode } from "./store-error.js";

/** One write in a batch: a put, or a delete when `value` is undefined. */
export interface StoreWrite {
  readonly namespace: string;
  readonly key: string;
  readonly value: Uint8Array | undefined;
}

/**
 * A namespaced key-value store of byte strings.
 *
 * Guarantees every implementation gives (and the client relies on):
 * - Batches apply and become durable in call order: after a crash the store holds an unbroken
 *   run of the earliest batches, never a later one without an earlier one.
 * - Reads see every batch whose promise has resolved; a pending batch may or may not show.
 * - `close` waits for pending batches; closing twice is harmless.
 * - Keys and namespaces are arbitrary JS strings (lone surrogates included).
 * - One writer. Two writers on one store would advance the same sessions from the same state
 *   and encrypt with the same message keys. The built-in stores enforce it (see
 *   {@link claimStore}): `FileStore` takes a lock file (a second open rejects `ERR_STORE_LOCKED`);
 *   `IndexedDbStore` takes a Web Lock per database where `navigator.locks` exists (a second tab
 *   rejects `ERR_STORE_LOCKED` unless it opens with `steal: true`); and in every store a writer
 *   claims the store by bumping a writer generation that each batch checks in the same atomic
 *   commit, so every batch of a writer claimed over rejects `ERR_STORE_TAKEN_OVER` and writes
 *   nothing. `ParleyClient.create`/`open` claim the store they are given. Your own store can
 *   implement `claim` to get the same protection.
 */
export interface Store {
  /** The value under (namespace, key), or undefined. */
  get(namespace: string, key: string): Promise<Uint8Array | undefined>;
  /** All entries of a namespace whose key starts with `prefix` (default: all), ordered by key (UTF-16 code unit order). */
  list(namespace: string, prefix?: string): Promise<Array<[key: string, value: Uint8Array]>>;
  /**
   * Applies every write, all or nothing: after a crash at any point, either all of them or
   * none of them are visible when the store is opened again. Resolves once durable.
   */
  batch(writes: readonly StoreWrite[]): Promise<void>;
  /**
   * Flushes and releases the store; later calls reject with `ERR_STORE_CLOSED`. Idempotent:
   * every call returns the same promise, and closing a store that failed or was taken over is safe.
   */
  close(): Promise<void>;
  /**
   * Optional. Makes the caller this store's only writer: bumps the store's writer generation and
   * returns a view whose batches commit only while that generation is still the newest, checked
   * atomically with the writes. Batches through any older view (or an older claim in another tab
   * or process) then reject `ERR_STORE_TAKEN_OVER` and write nothing. Reads and `close` go to the
   * store itself. Use {@link claimStore} rather than calling this directly.
   */
  claim?(): Promise<Store>;
  /** Optional. True when the store holds no entries at all (e.g. "no account here yet"). */
  isEmpty?(): Promise<boolean>;
}

/**
 * Claims `store` for one writer (see {@link Store.claim}) and returns the store to write through.
 * A store without `claim` is returned as it is: it must then keep to one writer by itself.
 * `onTakenOver` runs once, the first time a batch is refused because another writer claimed the
 * store — the moment to stop sending.
 *
 * @example
 * ```ts
 * const writer = await claimStore(await IndexedDbStore.open("parley"), (e) => showBanner(e.message));
 * ```
 */
export async function claimStore(store: Store, onTakenOver?: (error: StoreError) => void): Promise<Store> {
  if (typeof store.claim !== "function") return store;
  const view = await store.claim();
  if (onTakenOver === undefined) return view;
  let told = false;
  return {
    get: (namespace, key) => view.get(namespace, key),
    list: (namespace, prefix) => view.list(namespace, prefix),
    batch: async (writes) => {
      try {
        await view.batch(writes);
      } catch (error) {
        if (!told && StoreError.is(error, StoreErrorCode.TakenOver)) {
          told = true;
          onTakenOver(error);
        }
        throw error;
      }
    },
    close: () => view.close(),
    ...(view.claim ? { claim: () => (view.claim as () => Promise<Store>)() } : {}),
    ...(view.isEmpty ? { isEmpty: () => (view.isEmpty as () => Promise<boolean>)() } : {}),
  };
}

/** Convenience: one put. */
export function put(store: Store, namespace: string, key: string, value: Uint8Array): Promise<void> {
  return store.batch([{ namespace, key, value }]);
}

/** Convenience: one delete. */
export function remove(store: Store, namespace: string, key: string): Promise<void> {
  return store.batch([{ namespace, key, value: undefined }]);
}
