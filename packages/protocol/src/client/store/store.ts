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
 * - One writer: two processes or tabs must not open the same store at once (the file store
 *   enforces this with a lock; in browsers the app must, e.g. with `navigator.locks`).
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
  /** Flushes and releases the store; later calls reject. */
  close(): Promise<void>;
}

/** Convenience: one put. */
export function put(store: Store, namespace: string, key: string, value: Uint8Array): Promise<void> {
  return store.batch([{ namespace, key, value }]);
}

/** Convenience: one delete. */
export function remove(store: Store, namespace: string, key: string): Promise<void> {
  return store.batch([{ namespace, key, value: undefined }]);
}
