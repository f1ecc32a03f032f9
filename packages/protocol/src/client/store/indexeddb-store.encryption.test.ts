/**
 * IndexedDbStore at rest (spec/ratchet.md §8: stored state MUST be encrypted): the raw database
 * holds no stored value, key or namespace in the clear; the data keys are non-extractable
 * WebCrypto keys (Node's real `crypto.subtle`, cloned by fake-indexeddb as a browser clones
 * them); a passphrase wraps them, and a wrong one is refused with ERR_STORE_PASSPHRASE; entries
 * cannot be swapped; and a database written in the clear by an older version is encrypted on open.
 */
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, it } from "vitest";
import { IndexedDbStore, type IndexedDbStoreOptions } from "./indexeddb-store.js";
import { put } from "./store.js";
import { StoreError, type StoreErrorCode } from "./store-error.js";

type Factory = InstanceType<typeof IDBFactory>;
/** Few PBKDF2 rounds for tests; the default is checked below. */
const TEST_ITERATIONS = 1_000;
const open = (indexedDB: Factory, options: Partial<IndexedDbStoreOptions> = {}) =>
  IndexedDbStore.open("parley", { indexedDB, keyRange: IDBKeyRange, ...options });

async function expectCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  const error = await promise.then(
    () => expect.unreachable(`expected ${code}`),
    (e: unknown) => e,
  );
  expect(StoreError.is(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

// biome-ignore lint/suspicious/noExplicitAny: the raw fake-indexeddb request types are not needed here
function request(r: { result: any; error: unknown; onsuccess: unknown; onerror: unknown }): Promise<any> {
  return new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error);
  });
}

/** Every key and value of every object store of the database, as IndexedDB holds them. */
async function rawContents(indexedDB: Factory, name = "parley"): Promise<unknown[]> {
  const db = await request(indexedDB.open(name));
  const out: unknown[] = [];
  for (const storeName of Array.from(db.objectStoreNames)) {
    const objectStore = db.transaction(storeName, "readonly").objectStore(storeName);
    out.push(...(await request(objectStore.getAllKeys())), ...(await request(objectStore.getAll())));
  }
  db.close();
  return out;
}

/** Every byte string reachable in `value` (typed arrays, ArrayBuffers, strings as UTF-8 and UTF-16LE). */
function byteStrings(value: unknown, out: Uint8Array[] = []): Uint8Array[] {
  if (value instanceof Uint8Array) out.push(value);
  else if (value instanceof ArrayBuffer) out.push(new Uint8Array(value));
  else if (typeof value === "string") {
    out.push(new TextEncoder().encode(value));
    out.push(new Uint8Array(Uint16Array.from(value, (c) => c.charCodeAt(0)).buffer));
  } else if (Array.isArray(value)) for (const item of value) byteStrings(item, out);
  else if (typeof value === "object" && value !== null) for (const item of Object.values(value)) byteStrings(item, out);
  return out;
}

function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}

const seed = Uint8Array.from({ length: 32 }, (_, i) => (i * 37 + 11) & 0xff);
const secretText = new TextEncoder().encode("meet me at the old mill at noon");
const needles = [
  seed,
  secretText,
  new TextEncoder().encode("account-seed"),
  new TextEncoder().encode("identity"),
  new TextEncoder().encode("mill-contact/"),
];

async function writeSecrets(store: IndexedDbStore): Promise<void> {
  await put(store, "identity", "account-seed", seed);
  await put(store, "messages", "mill-contact/0001", secretText);
  await put(store, "messages", "mill-contact/0002", secretText);
}

describe.each([
  ["a device key", {}],
  ["a passphrase", { passphrase: "correct horse", kdfIterations: TEST_ITERATIONS }],
] as const)("encrypted under %s", (_name, options) => {
  it("leaves no stored value, key or namespace in the raw database, and reads everything back", async () => {
    const indexedDB = new IDBFactory();
    const store = await open(indexedDB, options);
    await writeSecrets(store);
    for (const bytes of byteStrings(await rawContents(indexedDB)))
      for (const needle of needles) expect(contains(bytes, needle), "plaintext found in IndexedDB").toBe(false);
    await store.close();
    const again = await open(indexedDB, options);
    expect(await again.get("identity", "account-seed")).toEqual(seed);
    expect((await again.list("messages", "mill-contact/")).map(([key]) => key)).toEqual(["mill-contact/0001", "mill-contact/0002"]);
    await again.close();
  });

  it("keeps its data keys as non-extractable CryptoKeys", async () => {
    const indexedDB = new IDBFactory();
    await (await open(indexedDB, options)).close();
    const keys = (await rawContents(indexedDB)).flatMap((v) => (typeof v === "object" && v !== null ? Object.values(v) : []));
    const cryptoKeys = keys.filter((v): v is { extractable: boolean } => (v as object).constructor?.name === "CryptoKey");
    if ("passphrase" in options)
      expect(cryptoKeys).toEqual([]); // only wrapped key bytes are stored
    else {
      expect(cryptoKeys.length).toBe(2);
      for (const key of cryptoKeys) expect(key.extractable).toBe(false);
    }
  });

  it("refuses an entry moved to another key (ERR_STORE_CORRUPT), rather than returning the wrong value", async () => {
    const indexedDB = new IDBFactory();
    const store = await open(indexedDB, options);
    await put(store, "a", "one", new Uint8Array([1]));
    await put(store, "a", "two", new Uint8Array([2]));
    await store.close();
    const db = await request(indexedDB.open("parley"));
    const entries = db.transaction("sealed", "readwrite").objectStore("sealed");
    const [keys, values] = [await request(entries.getAllKeys()), await request(entries.getAll())];
    const swap = db.transaction("sealed", "readwrite").objectStore("sealed");
    swap.put(values[1], keys[0]);
    swap.put(values[0], keys[1]);
    await new Promise((resolve) => (swap.transaction.oncomplete = resolve));
    db.close();
    const again = await open(indexedDB, options);
    await expectCode(again.get("a", "one"), "ERR_STORE_CORRUPT");
    await again.close();
  });
});

describe("passphrase", () => {
  it("refuses a wrong passphrase, and a missing one, with ERR_STORE_PASSPHRASE", async () => {
    const indexedDB = new IDBFactory();
    const store = await open(indexedDB, { passphrase: "correct horse", kdfIterations: TEST_ITERATIONS });
    await put(store, "a", "k", new Uint8Array([7]));
    await store.close();
    await expectCode(open(indexedDB, { passphrase: "wrong horse", kdfIterations: TEST_ITERATIONS }), "ERR_STORE_PASSPHRASE");
    await expectCode(open(indexedDB), "ERR_STORE_PASSPHRASE");
    const again = await open(indexedDB, { passphrase: "correct horse" });
    expect(await again.get("a", "k")).toEqual(new Uint8Array([7]));
    await again.close();
  });

  it("refuses a passphrase for a store made without one", async () => {
    const indexedDB = new IDBFactory();
    await (await open(indexedDB)).close();
    await expectCode(open(indexedDB, { passphrase: "x", kdfIterations: TEST_ITERATIONS }), "ERR_STORE_PASSPHRASE");
  });

  it("refuses an empty passphrase and too few PBKDF2 iterations", async () => {
    await expect(open(new IDBFactory(), { passphrase: "" })).rejects.toThrow(RangeError);
    await expect(open(new IDBFactory(), { passphrase: "x", kdfIterations: 0 })).rejects.toThrow(RangeError);
  });
});

it("encrypts a database written in the clear by the previous version when it is opened", async () => {
  const indexedDB = new IDBFactory();
  const legacy = indexedDB.open("parley", 1);
  legacy.onupgradeneeded = () => legacy.result.createObjectStore("entries");
  const db = await request(legacy);
  const tx = db.transaction("entries", "readwrite");
  tx.objectStore("entries").put(seed, ["identity", "account-seed"]);
  tx.objectStore("entries").put(secretText, ["messages", "mill-contact/0001"]);
  await new Promise((resolve) => (tx.oncomplete = resolve));
  db.close();
  const store = await open(indexedDB);
  expect(await store.get("identity", "account-seed")).toEqual(seed);
  expect(await store.list("messages")).toEqual([["mill-contact/0001", secretText]]);
  await store.close();
  for (const bytes of byteStrings(await rawContents(indexedDB)))
    for (const needle of needles) expect(contains(bytes, needle), "plaintext left in IndexedDB").toBe(false);
});
