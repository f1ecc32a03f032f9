/**
 * The in-memory map behind `MemoryStore` and `FileStore` (which replays its log into one), plus
 * the argument checks every store applies before touching anything. Pure data structure: no
 * I/O, no copying on the way out — the stores decide when bytes cross to the caller.
 */
import type { StoreWrite } from "./store.js";

/** Bytes a put costs in the file log's batch encoding, besides the value: op, three lengths, UTF-16 strings. */
const PUT_OVERHEAD = 13;

/** Encoded size of a put of `value` under (namespace, key); see `file-record.ts`. */
export function putSize(namespace: string, key: string, value: Uint8Array): number {
  return PUT_OVERHEAD + 2 * (namespace.length + key.length) + value.length;
}

/**
 * A plain `Uint8Array` copy of `bytes`. Not `bytes.slice()`: on a Node `Buffer` that is a view
 * sharing memory (and keeping a pooled or whole-file buffer alive), not a copy.
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}

/** Throws `TypeError` unless `namespace` and `key` are strings. */
export function assertLocation(namespace: unknown, key: unknown): void {
  if (typeof namespace !== "string") throw new TypeError("namespace must be a string");
  if (typeof key !== "string") throw new TypeError("key must be a string");
}

/** Throws `TypeError` unless `namespace` is a string and `prefix` a string or undefined. */
export function assertListArgs(namespace: unknown, prefix: unknown): void {
  if (typeof namespace !== "string") throw new TypeError("namespace must be a string");
  if (prefix !== undefined && typeof prefix !== "string") throw new TypeError("prefix must be a string");
}

/**
 * Checks every write and returns copies the caller can no longer reach, so a batch is judged
 * whole before any of it is applied and later mutation of the caller's arrays changes nothing.
 * Throws `TypeError` on the first malformed write.
 */
export function copyWrites(writes: readonly StoreWrite[]): StoreWrite[] {
  if (!Array.isArray(writes)) throw new TypeError("writes must be an array");
  return writes.map((write: StoreWrite, i) => {
    if (typeof write !== "object" || write === null) throw new TypeError(`writes[${i}] must be an object`);
    const { namespace, key, value } = write;
    assertLocation(namespace, key);
    if (value !== undefined && !(value instanceof Uint8Array)) throw new TypeError(`writes[${i}].value must be a Uint8Array or undefined`);
    return { namespace, key, value: value === undefined ? undefined : copyBytes(value) };
  });
}

/** A map of namespaces to maps of keys to values, with sorted prefix listing and a live-size tally. */
export class KeyValueIndex {
  readonly #namespaces = new Map<string, Map<string, Uint8Array>>();
  #liveBytes = 0;
  #entryCount = 0;

  /** Sum of `putSize` over every live entry: what a freshly compacted log would hold. */
  get liveBytes(): number {
    return this.#liveBytes;
  }

  /** Number of live entries across all namespaces. */
  get size(): number {
    return this.#entryCount;
  }

  /** The stored value itself (not a copy), or undefined. */
  get(namespace: string, key: string): Uint8Array | undefined {
    return this.#namespaces.get(namespace)?.get(key);
  }

  /** Entries of `namespace` whose key starts with `prefix`, sorted by UTF-16 code units (the stored values, not copies). */
  list(namespace: string, prefix = ""): Array<[string, Uint8Array]> {
    const keys = this.#namespaces.get(namespace);
    if (keys === undefined) return [];
    const found: Array<[string, Uint8Array]> = [];
    for (const entry of keys) if (entry[0].startsWith(prefix)) found.push(entry);
    // Keys are unique, so the comparator never returns 0; `<` on strings is code-unit order.
    return found.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  }

  /** Applies writes in order (later writes to the same key win). Values are kept as given: pass owned copies. */
  apply(writes: readonly StoreWrite[]): void {
    for (const { namespace, key, value } of writes) {
      let keys = this.#namespaces.get(namespace);
      const old = keys?.get(key);
      if (old !== undefined) {
        this.#liveBytes -= putSize(namespace, key, old);
        this.#entryCount--;
      }
      if (value === undefined) {
        keys?.delete(key);
        if (keys?.size === 0) this.#namespaces.delete(namespace);
        continue;
      }
      if (keys === undefined) {
        keys = new Map();
        this.#namespaces.set(namespace, keys);
      }
      keys.set(key, value);
      this.#liveBytes += putSize(namespace, key, value);
      this.#entryCount++;
    }
  }

  /** Every live entry as a put, in no particular order (compaction's input). */
  *puts(): IterableIterator<StoreWrite> {
    for (const [namespace, keys] of this.#namespaces) {
      for (const [key, value] of keys) yield { namespace, key, value };
    }
  }

  /** Drops everything (on close, so a closed store does not pin its data in memory). */
  clear(): void {
    this.#namespaces.clear();
    this.#liveBytes = 0;
    this.#entryCount = 0;
  }
}
