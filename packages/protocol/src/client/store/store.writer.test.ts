/**
 * One writer per store: `claimStore` makes its caller the only writer, and every batch of a
 * writer that was claimed over fails with ERR_STORE_TAKEN_OVER and writes nothing — for two
 * IndexedDbStores on one database (two tabs), for two claims of one store object, and for a
 * FileStore whose lock file was removed by hand so a second opener got in. Web Locks, where the
 * platform has them, refuse the second tab outright (ERR_STORE_LOCKED) unless it steals.
 */
import { mkdtemp, rm, unlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, describe, expect, it } from "vitest";
import { FileStore } from "./file-store.js";
import { IndexedDbStore, type IndexedDbStoreOptions } from "./indexeddb-store.js";
import { MemoryStore } from "./memory-store.js";
import { claimStore, put, type Store } from "./store.js";
import { StoreError, type StoreErrorCode } from "./store-error.js";

const TEST_KDF = { N: 16, r: 8, p: 1 };
const bytes = (...values: number[]) => new Uint8Array(values);
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  const error = await promise.then(
    () => expect.unreachable(`expected ${code}`),
    (e: unknown) => e,
  );
  expect(StoreError.is(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

const openIdb = (indexedDB: InstanceType<typeof IDBFactory>, options: Partial<IndexedDbStoreOptions> = {}) =>
  IndexedDbStore.open("parley", { indexedDB, keyRange: IDBKeyRange, ...options });

describe("IndexedDbStore: two tabs on one database", () => {
  it("the second claim takes over: the first writer's batches fail with ERR_STORE_TAKEN_OVER and write nothing", async () => {
    const indexedDB = new IDBFactory();
    const tabA = await openIdb(indexedDB);
    const tabB = await openIdb(indexedDB);
    const writerA = await claimStore(tabA);
    await put(writerA, "sessions", "bob", bytes(1));
    const writerB = await claimStore(tabB);
    await expectCode(put(writerA, "sessions", "bob", bytes(2)), "ERR_STORE_TAKEN_OVER");
    await expectCode(put(writerA, "sessions", "carol", bytes(3)), "ERR_STORE_TAKEN_OVER");
    expect(await tabB.get("sessions", "bob")).toEqual(bytes(1));
    expect(await tabB.get("sessions", "carol")).toBeUndefined();
    await put(writerB, "sessions", "bob", bytes(4));
    expect(await tabA.get("sessions", "bob")).toEqual(bytes(4));
    await Promise.all([tabA.close(), tabB.close()]);
  });

  it("the generation survives a reopen: a writer from before the reopen's claim is refused", async () => {
    const indexedDB = new IDBFactory();
    const old = await claimStore(await openIdb(indexedDB));
    const reopened = await openIdb(indexedDB);
    await claimStore(reopened);
    await expectCode(put(old, "a", "k", bytes(1)), "ERR_STORE_TAKEN_OVER");
    expect(await reopened.get("a", "k")).toBeUndefined();
    await Promise.all([old.close(), reopened.close()]);
  });

  it("calls onTakenOver once, with the error", async () => {
    const indexedDB = new IDBFactory();
    const seen: unknown[] = [];
    const writerA = await claimStore(await openIdb(indexedDB), (error) => seen.push(error));
    const tabB = await openIdb(indexedDB);
    await claimStore(tabB);
    await expectCode(put(writerA, "a", "k", bytes(1)), "ERR_STORE_TAKEN_OVER");
    await expectCode(put(writerA, "a", "k", bytes(1)), "ERR_STORE_TAKEN_OVER");
    expect(seen).toHaveLength(1);
    expect(StoreError.is(seen[0], "ERR_STORE_TAKEN_OVER")).toBe(true);
    await Promise.all([writerA.close(), tabB.close()]);
  });

  it("with Web Locks, a second tab is refused with ERR_STORE_LOCKED until the first closes, or steals with steal: true", async () => {
    const locks = new FakeLockManager();
    const indexedDB = new IDBFactory();
    const tabA = await openIdb(indexedDB, { locks });
    await expectCode(openIdb(indexedDB, { locks }), "ERR_STORE_LOCKED");
    await tabA.close();
    const tabB = await openIdb(indexedDB, { locks });
    const writerB = await claimStore(tabB);
    const tabC = await openIdb(indexedDB, { locks, steal: true });
    await claimStore(tabC);
    await expectCode(put(writerB, "a", "k", bytes(1)), "ERR_STORE_TAKEN_OVER");
    await Promise.all([tabB.close(), tabC.close()]);
  });
});

describe("one store object, two claims", () => {
  it.each<[string, () => Promise<Store>]>([
    ["MemoryStore", async () => new MemoryStore()],
    [
      "FileStore",
      async () => {
        const dir = await mkdtemp(join(tmpdir(), "parley-writer-"));
        dirs.push(dir);
        return FileStore.open(dir, { passphrase: "p", kdf: TEST_KDF });
      },
    ],
  ])("%s: the older claim's batches fail with ERR_STORE_TAKEN_OVER", async (_name, make) => {
    const store = await make();
    const first = await claimStore(store);
    await put(first, "a", "k", bytes(1));
    const second = await claimStore(store);
    await expectCode(put(first, "a", "k", bytes(2)), "ERR_STORE_TAKEN_OVER");
    expect(await store.get("a", "k")).toEqual(bytes(1));
    await put(second, "a", "k", bytes(3));
    expect(await second.get("a", "k")).toEqual(bytes(3));
    await store.close();
  });
});

describe("FileStore across opens", () => {
  it("a second open of the directory is refused with ERR_STORE_LOCKED", async () => {
    const dir = await mkdtemp(join(tmpdir(), "parley-writer-"));
    dirs.push(dir);
    const first = await FileStore.open(dir, { passphrase: "p", kdf: TEST_KDF });
    await expectCode(FileStore.open(dir, { passphrase: "p", kdf: TEST_KDF }), "ERR_STORE_LOCKED");
    await first.close();
  });

  it("when the lock file is deleted by hand and a second opener claims the store, the first one's next batch fails with ERR_STORE_TAKEN_OVER", async () => {
    const dir = await mkdtemp(join(tmpdir(), "parley-writer-"));
    dirs.push(dir);
    const first = await claimStore(await FileStore.open(dir, { passphrase: "p", kdf: TEST_KDF }));
    await put(first, "a", "k", bytes(1));
    await unlink(join(dir, "store.lock"));
    const secondStore = await FileStore.open(dir, { passphrase: "p", kdf: TEST_KDF });
    const second = await claimStore(secondStore);
    await expectCode(put(first, "a", "k", bytes(2)), "ERR_STORE_TAKEN_OVER");
    await put(second, "a", "j", bytes(3));
    await Promise.all([first.close(), second.close()]);
    const reopened = await FileStore.open(dir, { passphrase: "p", kdf: TEST_KDF });
    expect(await reopened.list("a")).toEqual([
      ["j", bytes(3)],
      ["k", bytes(1)],
    ]);
    await reopened.close();
  });
});

describe("stores without claim", () => {
  it("claimStore hands back a store that has no claim method unchanged", async () => {
    const inner = new MemoryStore();
    const custom: Store = {
      get: (n, k) => inner.get(n, k),
      list: (n, p) => inner.list(n, p),
      batch: (w) => inner.batch(w),
      close: () => inner.close(),
    };
    expect(await claimStore(custom)).toBe(custom);
  });
});

/**
 * The part of the Web Locks API the store uses, with its semantics (`ifAvailable` grants null
 * when held; `steal` takes the lock and aborts the holder's request), for Node, which has none.
 */
class FakeLockManager {
  readonly #held = new Map<string, (reason: unknown) => void>();

  request<T>(
    name: string,
    options: { mode?: "exclusive"; ifAvailable?: boolean; steal?: boolean },
    callback: (lock: { name: string } | null) => Promise<T>,
  ): Promise<T> {
    if (this.#held.has(name) && options.steal) {
      const abort = this.#held.get(name) as (reason: unknown) => void;
      this.#held.delete(name);
      abort(Object.assign(new Error("lock stolen"), { name: "AbortError" }));
    }
    if (this.#held.has(name)) {
      if (options.ifAvailable) return callback(null);
      return Promise.reject(new Error("waiting is not modelled"));
    }
    return new Promise<T>((resolve, reject) => {
      this.#held.set(name, reject);
      callback({ name }).then(
        (result) => {
          if (this.#held.get(name) === reject) this.#held.delete(name);
          resolve(result);
        },
        (error: unknown) => {
          if (this.#held.get(name) === reject) this.#held.delete(name);
          reject(error);
        },
      );
    });
  }
}
