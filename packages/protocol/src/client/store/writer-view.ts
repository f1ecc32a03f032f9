/**
 * The store a writer gets back from `Store.claim`: reads and `close` go straight to the store,
 * batches go through a commit function that checks the writer's generation atomically with the
 * writes (each store supplies its own, since only it knows how to make the check atomic).
 */
import type { Store, StoreWrite } from "./store.js";

/** A claimed writer's view of `store`; `commit` rejects `ERR_STORE_TAKEN_OVER` once the claim is stale. */
export class WriterView implements Store {
  readonly #store: Store & { claim(): Promise<Store>; isEmpty(): Promise<boolean> };
  readonly #commit: (writes: readonly StoreWrite[]) => Promise<void>;

  constructor(
    store: Store & { claim(): Promise<Store>; isEmpty(): Promise<boolean> },
    commit: (writes: readonly StoreWrite[]) => Promise<void>,
  ) {
    this.#store = store;
    this.#commit = commit;
  }

  get(namespace: string, key: string): Promise<Uint8Array | undefined> {
    return this.#store.get(namespace, key);
  }

  list(namespace: string, prefix?: string): Promise<Array<[key: string, value: Uint8Array]>> {
    return this.#store.list(namespace, prefix);
  }

  batch(writes: readonly StoreWrite[]): Promise<void> {
    return this.#commit(writes);
  }

  /** Closes the store itself (every view of it). */
  close(): Promise<void> {
    return this.#store.close();
  }

  /** A newer claim on the same store; this view is then stale. */
  claim(): Promise<Store> {
    return this.#store.claim();
  }

  isEmpty(): Promise<boolean> {
    return this.#store.isEmpty();
  }
}
