/**
 * The `Store` contract, run against every implementation: reads and writes, prefix listing in
 * UTF-16 code-unit order, namespace isolation, all-or-nothing batches, copy semantics, closed
 * stores rejecting, and (for the persistent ones) data surviving a reopen.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FileStore } from "./file-store.js";
import { IndexedDbStore } from "./indexeddb-store.js";
import { MemoryStore } from "./memory-store.js";
import { claimStore, put, remove, type Store, type StoreWrite } from "./store.js";
import { StoreError } from "./store-error.js";

/** Cheap scrypt for tests only; the default is checked in file-store.test.ts. */
const TEST_KDF = { N: 16, r: 8, p: 1 };
const bytes = (...values: number[]) => new Uint8Array(values);
const text = (s: string) => new TextEncoder().encode(s);

/** Opens one store of a kind, again and again over the same backing data. */
interface Harness {
  open(): Promise<Store>;
  cleanup(): Promise<void>;
}

const kinds: ReadonlyArray<{ name: string; persistent: boolean; harness: () => Promise<Harness> }> = [
  { name: "MemoryStore", persistent: false, harness: async () => ({ open: async () => new MemoryStore(), cleanup: async () => {} }) },
  {
    name: "FileStore",
    persistent: true,
    harness: async () => {
      const dir = await mkdtemp(join(tmpdir(), "parley-contract-"));
      // compactMinBytes 0: compaction runs whenever the log doubles, so the contract covers it too.
      return {
        open: () => FileStore.open(dir, { passphrase: "contract", kdf: TEST_KDF, compactMinBytes: 0 }),
        cleanup: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "IndexedDbStore",
    persistent: true,
    harness: async () => {
      const indexedDB = new IDBFactory();
      return { open: () => IndexedDbStore.open("contract", { indexedDB, keyRange: IDBKeyRange }), cleanup: async () => {} };
    },
  },
  {
    name: "IndexedDbStore with a passphrase",
    persistent: true,
    harness: async () => {
      const indexedDB = new IDBFactory();
      const options = { indexedDB, keyRange: IDBKeyRange, passphrase: "contract", kdfIterations: 1_000 };
      return { open: () => IndexedDbStore.open("contract", options), cleanup: async () => {} };
    },
  },
];

describe.each(kinds)("$name", ({ persistent, harness }) => {
  let h: Harness;
  let store: Store;
  beforeEach(async () => {
    h = await harness();
    store = await h.open();
  });
  afterEach(async () => {
    await store.close();
    await h.cleanup();
  });

  it("get returns undefined for a missing key and the bytes put for a present one", async () => {
    expect(await store.get("ns", "k")).toBeUndefined();
    await put(store, "ns", "k", bytes(1, 2, 3));
    expect(await store.get("ns", "k")).toEqual(bytes(1, 2, 3));
    await put(store, "ns", "k", bytes(4));
    expect(await store.get("ns", "k")).toEqual(bytes(4));
  });

  it("stores an empty value as present, distinct from missing", async () => {
    await put(store, "ns", "empty", new Uint8Array(0));
    expect(await store.get("ns", "empty")).toEqual(new Uint8Array(0));
    expect(await store.list("ns")).toEqual([["empty", new Uint8Array(0)]]);
  });

  it("remove deletes, and deleting a missing key is a no-op", async () => {
    await put(store, "ns", "k", bytes(1));
    await remove(store, "ns", "k");
    expect(await store.get("ns", "k")).toBeUndefined();
    await remove(store, "ns", "never");
    expect(await store.list("ns")).toEqual([]);
  });

  it("list returns prefix matches ordered by UTF-16 code units", async () => {
    // Includes a surrogate pair, a lone surrogate, U+FFFF and a key continuing past U+FFFF.
    const keys = ["b", "a", "ab", "a/2", "a/10", "B", "é", "😀", "\ud800", "\uffff", "a\uffff", "a\uffffz", ""];
    for (const [i, key] of keys.entries()) await put(store, "ns", key, bytes(i));
    const expected = [...keys].sort();
    expect((await store.list("ns")).map(([key]) => key)).toEqual(expected);
    expect((await store.list("ns", "")).map(([key]) => key)).toEqual(expected);
    expect((await store.list("ns", "a")).map(([key]) => key)).toEqual(["a", "a/10", "a/2", "ab", "a\uffff", "a\uffffz"]);
    expect((await store.list("ns", "a\uffff")).map(([key]) => key)).toEqual(["a\uffff", "a\uffffz"]);
    expect((await store.list("ns", "\uffff")).map(([key]) => key)).toEqual(["\uffff"]);
    expect(await store.list("ns", "zz")).toEqual([]);
    expect(await store.list("ns", "a/1")).toEqual([["a/10", bytes(4)]]);
  });

  it("keeps namespaces apart, including ones that prefix each other", async () => {
    await put(store, "ns", "k", bytes(1));
    await put(store, "ns2", "k", bytes(2));
    await put(store, "", "k", bytes(3));
    expect(await store.get("ns", "k")).toEqual(bytes(1));
    expect(await store.get("ns2", "k")).toEqual(bytes(2));
    expect(await store.list("ns")).toEqual([["k", bytes(1)]]);
    expect(await store.list("")).toEqual([["k", bytes(3)]]);
    expect(await store.list("n")).toEqual([]);
    await remove(store, "ns", "k");
    expect(await store.get("ns2", "k")).toEqual(bytes(2));
  });

  it("applies a batch of puts and deletes together, later writes winning", async () => {
    await put(store, "s", "old", bytes(9));
    await store.batch([
      { namespace: "s", key: "new", value: bytes(1) },
      { namespace: "s", key: "old", value: undefined },
      { namespace: "m", key: "x", value: bytes(2) },
      { namespace: "m", key: "x", value: undefined },
      { namespace: "m", key: "y", value: undefined },
      { namespace: "m", key: "y", value: bytes(3) },
    ]);
    expect(await store.list("s")).toEqual([["new", bytes(1)]]);
    expect(await store.list("m")).toEqual([["y", bytes(3)]]);
  });

  it("rejects a batch with a malformed write and applies none of it", async () => {
    const bad = { namespace: "s", key: "b", value: "not bytes" } as unknown as StoreWrite;
    await expect(store.batch([{ namespace: "s", key: "a", value: bytes(1) }, bad])).rejects.toThrow(TypeError);
    await expect(store.batch([{ namespace: 1, key: "a", value: undefined } as unknown as StoreWrite])).rejects.toThrow(TypeError);
    await expect(store.get("s", 1 as unknown as string)).rejects.toThrow(TypeError);
    expect(await store.list("s")).toEqual([]);
  });

  it("accepts an empty batch", async () => {
    await store.batch([]);
    expect(await store.list("s")).toEqual([]);
  });

  it("copies values in and out", async () => {
    const value = bytes(1, 2, 3);
    const writes: StoreWrite[] = [{ namespace: "s", key: "k", value }];
    const pending = store.batch(writes);
    value[0] = 99; // after the call, before it resolves
    writes.length = 0;
    await pending;
    const got = (await store.get("s", "k")) as Uint8Array;
    expect(got).toEqual(bytes(1, 2, 3));
    got[1] = 99;
    const listed = await store.list("s");
    (listed[0] as [string, Uint8Array])[1][2] = 99;
    expect(await store.get("s", "k")).toEqual(bytes(1, 2, 3));
  });

  it("stores a Buffer's bytes (not its pool) and returns a plain Uint8Array", async () => {
    const pooled = Buffer.from("hello"); // a view into Node's shared 8 KiB pool
    await put(store, "s", "k", pooled);
    const got = await store.get("s", "k");
    expect(got).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(got)).toBe(false);
    expect(got).toEqual(new Uint8Array(text("hello")));
  });

  it("applies concurrent batches in call order", async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => put(store, "s", "k", bytes(i))));
    expect(await store.get("s", "k")).toEqual(bytes(49));
  });

  it("rejects every call after close with ERR_STORE_CLOSED, and closes twice harmlessly", async () => {
    await put(store, "s", "k", bytes(1));
    await store.close();
    await store.close();
    for (const call of [() => store.get("s", "k"), () => store.list("s"), () => put(store, "s", "k", bytes(2)), () => store.batch([])]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(StoreError.is(error, "ERR_STORE_CLOSED")).toBe(true);
    }
  });

  it("closes idempotently: concurrent and repeated closes all resolve, also through a claimed view and after a takeover", async () => {
    const first = await claimStore(store);
    await put(first, "s", "k", bytes(1));
    await claimStore(store); // `first` is now claimed over
    await put(first, "s", "k", bytes(2)).catch(() => undefined);
    await Promise.all([first.close(), store.close(), store.close()]);
    await first.close();
    await store.close();
    await expect(store.get("s", "k")).rejects.toThrow(/closed/);
  });

  it("tells whether it holds any entry (isEmpty), and refuses claim and isEmpty once closed", async () => {
    expect(await store.isEmpty?.()).toBe(true);
    await put(store, "s", "k", bytes(1));
    expect(await store.isEmpty?.()).toBe(false);
    await remove(store, "s", "k");
    expect(await store.isEmpty?.()).toBe(true);
    await store.close();
    const calls: Array<() => Promise<unknown> | undefined> = [() => store.isEmpty?.(), () => store.claim?.()];
    for (const call of calls) {
      const error = await Promise.resolve()
        .then(call)
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      expect(StoreError.is(error, "ERR_STORE_CLOSED")).toBe(true);
    }
  });

  it("lets batches issued before close finish", async () => {
    const pending = put(store, "s", "k", bytes(7));
    await store.close();
    await pending;
    if (persistent) {
      store = await h.open();
      expect(await store.get("s", "k")).toEqual(bytes(7));
    }
  });

  if (persistent) {
    it("keeps data across close and reopen", async () => {
      const value = text("persisted");
      await store.batch([
        { namespace: "a", key: "1", value },
        { namespace: "a", key: "2", value: bytes(2) },
        { namespace: "b", key: "\ud800x", value: bytes(3) },
      ]);
      await remove(store, "a", "2");
      await store.close();
      store = await h.open();
      expect(await store.list("a")).toEqual([["1", value]]);
      expect(await store.get("b", "\ud800x")).toEqual(bytes(3));
    });
  }
});
