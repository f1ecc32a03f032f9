/**
 * `MemoryStore`: the `Store` contract over plain Maps, for tests and for ephemeral clients that
 * must leave nothing on disk. Bytes are copied in and out so no caller can change stored data
 * behind the store's back — the same isolation the persistent stores give by construction.
 */
import { assertListArgs, assertLocation, copyBytes, copyWrites, KeyValueIndex } from "./key-value-index.js";
import type { Store, StoreWrite } from "./store.js";
import { storeClosed, storeTakenOver } from "./store-error.js";
import { WriterView } from "./writer-view.js";

/**
 * A `Store` held in memory. Batches are atomic because they are checked whole, then applied
 * synchronously; nothing survives the process.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * await put(store, "contacts", "alice", bytes);
 * await store.list("contacts"); // [["alice", bytes]]
 * ```
 */
export class MemoryStore implements Store {
  readonly #index = new KeyValueIndex();
  #closed = false;
  /** The newest claim's number; a view holding an older one is stale. */
  #generation = 0;

  async get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    assertLocation(namespace, key);
    if (this.#closed) throw storeClosed();
    const value = this.#index.get(namespace, key);
    return value === undefined ? undefined : copyBytes(value);
  }

  async list(namespace: string, prefix?: string): Promise<Array<[key: string, value: Uint8Array]>> {
    assertListArgs(namespace, prefix);
    if (this.#closed) throw storeClosed();
    return this.#index.list(namespace, prefix).map(([key, value]) => [key, copyBytes(value)]);
  }

  async batch(writes: readonly StoreWrite[]): Promise<void> {
    const owned = copyWrites(writes);
    if (this.#closed) throw storeClosed();
    this.#index.apply(owned);
  }

  /** Makes the caller the only writer; batches through earlier claims reject `ERR_STORE_TAKEN_OVER`. */
  async claim(): Promise<Store> {
    if (this.#closed) throw storeClosed();
    const generation = ++this.#generation;
    return new WriterView(this, async (writes) => {
      const owned = copyWrites(writes);
      if (this.#closed) throw storeClosed();
      // Checked and applied in one synchronous step: nothing can claim in between.
      if (generation !== this.#generation) throw storeTakenOver();
      this.#index.apply(owned);
    });
  }

  /** True when no entry is stored. */
  async isEmpty(): Promise<boolean> {
    if (this.#closed) throw storeClosed();
    return this.#index.size === 0;
  }

  /** Drops the data; later calls reject with `ERR_STORE_CLOSED`. Closing twice is harmless. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#index.clear();
  }
}
