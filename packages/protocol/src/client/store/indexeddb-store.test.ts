/**
 * IndexedDbStore beyond the shared contract: strict-durability batch transactions, a batch that
 * fails half-way leaving nothing behind, schema-version refusal, stepping aside when another
 * connection upgrades or deletes the database, and a clear error where there is no IndexedDB.
 */
import { IDBDatabase, IDBFactory, IDBKeyRange, IDBObjectStore } from "fake-indexeddb";
import { afterEach, expect, it, vi } from "vitest";
import { IndexedDbStore } from "./indexeddb-store.js";
import { put } from "./store.js";
import { StoreError } from "./store-error.js";

const open = (indexedDB: unknown, name = "db") => IndexedDbStore.open(name, { indexedDB: indexedDB as never, keyRange: IDBKeyRange });

afterEach(() => {
  vi.restoreAllMocks();
});

it("runs each batch as one readwrite transaction with durability strict", async () => {
  const store = await open(new IDBFactory());
  const transaction = vi.spyOn(IDBDatabase.prototype, "transaction");
  await store.batch([
    { namespace: "a", key: "1", value: new Uint8Array([1]) },
    { namespace: "a", key: "2", value: undefined },
  ]);
  expect(transaction.mock.calls).toEqual([["sealed", "readwrite", { durability: "strict" }]]);
  await store.close();
});

it("applies nothing of a batch whose request throws half-way, and reports ERR_STORE_IO", async () => {
  const store = await open(new IDBFactory());
  await put(store, "a", "kept", new Uint8Array([1]));
  const realPut = IDBObjectStore.prototype.put;
  let calls = 0;
  vi.spyOn(IDBObjectStore.prototype, "put").mockImplementation(function (this: unknown, ...args: unknown[]) {
    if (++calls === 2) throw new Error("simulated DataCloneError");
    return realPut.apply(this, args);
  });
  const error = await store
    .batch([
      { namespace: "a", key: "x", value: new Uint8Array([2]) },
      { namespace: "a", key: "y", value: new Uint8Array([3]) },
    ])
    .catch((e: unknown) => e);
  expect(StoreError.is(error, "ERR_STORE_IO")).toBe(true);
  expect((await store.list("a")).map(([key]) => key)).toEqual(["kept"]);
  await store.close();
});

it("refuses a database written by a newer schema with ERR_STORE_UNSUPPORTED", async () => {
  const indexedDB = new IDBFactory();
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.open("db", 99);
    request.onsuccess = () => {
      request.result.close();
      resolve();
    };
    request.onerror = () => reject(request.error);
  });
  const error = await open(indexedDB).catch((e: unknown) => e);
  expect(StoreError.is(error, "ERR_STORE_UNSUPPORTED")).toBe(true);
});

it("closes itself when another connection deletes the database, instead of blocking it", async () => {
  const indexedDB = new IDBFactory();
  const store = await open(indexedDB);
  await put(store, "a", "k", new Uint8Array([1]));
  await new Promise<void>((resolve, reject) => {
    const request = indexedDB.deleteDatabase("db");
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
  });
  const error = await store.get("a", "k").catch((e: unknown) => e);
  expect(StoreError.is(error, "ERR_STORE_CLOSED")).toBe(true);
});

it("keeps databases of different names apart", async () => {
  const indexedDB = new IDBFactory();
  const one = await open(indexedDB, "one");
  const two = await open(indexedDB, "two");
  await put(one, "a", "k", new Uint8Array([1]));
  expect(await two.get("a", "k")).toBeUndefined();
  await Promise.all([one.close(), two.close()]);
});

it("explains that IndexedDB is missing rather than failing obscurely", async () => {
  await expect(IndexedDbStore.open("db")).rejects.toThrow(/no IndexedDB here/);
  await expect(IndexedDbStore.open("")).rejects.toThrow(TypeError);
});
