// Page script for indexeddb-browser.test.ts, bundled by Vite and run in real Chromium tabs: exposes
// the IndexedDbStore steps the test drives, each returning plain JSON (error codes, not objects).
import { claimStore, IndexedDbStore, put, StoreError } from "../../../packages/protocol/src/client/store/index.ts";

const stores = new Map();
const writers = new Map();
const codeOf = (error) => (StoreError.is(error) ? error.code : `${error?.name}: ${error?.message}`);
const attempt = async (run) => {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, code: codeOf(error) };
  }
};

/** Every byte string in every object store of the database, as hex, plus whether CryptoKeys are there and extractable. */
async function rawDump(name) {
  const db = await new Promise((resolve, reject) => {
    const request = indexedDB.open(name);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
  const hex = [];
  const keys = [];
  const walk = (value) => {
    if (value instanceof CryptoKey) keys.push({ extractable: value.extractable, type: value.algorithm.name });
    else if (value instanceof Uint8Array || value instanceof ArrayBuffer)
      hex.push(Array.from(new Uint8Array(value.buffer ?? value), (b) => b.toString(16).padStart(2, "0")).join(""));
    else if (typeof value === "string")
      hex.push(Array.from(new TextEncoder().encode(value), (b) => b.toString(16).padStart(2, "0")).join(""));
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value && typeof value === "object") Object.values(value).forEach(walk);
  };
  for (const storeName of Array.from(db.objectStoreNames)) {
    const os = db.transaction(storeName, "readonly").objectStore(storeName);
    for (const request of [os.getAll(), os.getAllKeys()])
      walk(
        await new Promise((resolve, reject) => {
          request.onsuccess = () => resolve(request.result);
          request.onerror = () => reject(request.error);
        }),
      );
  }
  db.close();
  return { hex, keys };
}

window.parley = {
  hasLocks: () => typeof navigator.locks?.request === "function",
  open: (id, name, options = {}) =>
    attempt(async () => {
      stores.set(id, await IndexedDbStore.open(name, options));
    }),
  claim: (id) =>
    attempt(async () => {
      writers.set(id, await claimStore(stores.get(id)));
    }),
  put: (id, namespace, key, text) => attempt(() => put(writers.get(id) ?? stores.get(id), namespace, key, new TextEncoder().encode(text))),
  get: (id, namespace, key) =>
    attempt(async () => {
      const value = await stores.get(id).get(namespace, key);
      return value === undefined ? null : new TextDecoder().decode(value);
    }),
  close: (id) => attempt(() => stores.get(id).close()),
  rawDump,
};
