/**
 * Browser-safe entry of the client storage layer: the `Store` contract, its error type, and the
 * memory and IndexedDB implementations. The encrypted `FileStore` is Node-only (node:fs) and is
 * deliberately not reachable from here; Node code imports it from `file-store.js`.
 */

export {
  type IdbFactoryLike,
  type IdbKeyRangeLike,
  IndexedDbStore,
  type IndexedDbStoreOptions,
  type LockManagerLike,
  type SubtleLike,
} from "./indexeddb-store.js";
export { MemoryStore } from "./memory-store.js";
export type { Passphrase } from "./passphrase.js";
export { claimStore, put, remove, type Store, type StoreWrite } from "./store.js";
export { StoreError, StoreErrorCode } from "./store-error.js";
