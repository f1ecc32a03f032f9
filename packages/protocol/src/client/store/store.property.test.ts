/**
 * Model check: random sequences of batches, issued concurrently (so the file store
 * group-commits them), leave every store listing exactly what a plain Map model lists, for every
 * namespace and every prefix of a written key — and the persistent stores still do after reopen.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fc, test } from "@fast-check/vitest";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect } from "vitest";
import { FileStore } from "./file-store.js";
import { IndexedDbStore } from "./indexeddb-store.js";
import { MemoryStore } from "./memory-store.js";
import type { Store, StoreWrite } from "./store.js";

const TEST_KDF = { N: 16, r: 8, p: 1 };
/** The nightly script's PARLEY_FUZZ_RUNS scales these up (a tenth of it: each run opens and fsyncs real stores). */
const soakRuns = Number(process.env.PARLEY_FUZZ_RUNS ?? 0) / 10;
const NAMESPACES = ["", "a", "ab", "b"];

// Few distinct code units, so keys collide, prefix each other, and hit U+FFFF and lone surrogates.
const keyArb = fc.string({ unit: fc.constantFrom("a", "b", "é", "\ud800", "\uffff"), maxLength: 4 });
const writeArb: fc.Arbitrary<StoreWrite> = fc.record({
  namespace: fc.constantFrom(...NAMESPACES),
  key: keyArb,
  value: fc.option(fc.uint8Array({ maxLength: 12 }), { nil: undefined }),
});
const batchesArb = fc.array(fc.array(writeArb, { maxLength: 6 }), { maxLength: 12 });

type Model = Map<string, Map<string, Uint8Array>>;

function applyToModel(model: Model, batches: readonly (readonly StoreWrite[])[]): void {
  for (const batch of batches) {
    for (const { namespace, key, value } of batch) {
      const keys = model.get(namespace) ?? new Map<string, Uint8Array>();
      model.set(namespace, keys);
      if (value === undefined) keys.delete(key);
      else keys.set(key, value);
    }
  }
}

function modelList(model: Model, namespace: string, prefix: string): Array<[string, Uint8Array]> {
  return [...(model.get(namespace) ?? new Map<string, Uint8Array>())]
    .filter(([key]) => key.startsWith(prefix))
    .sort((a, b) => (a[0] < b[0] ? -1 : 1));
}

/** Every prefix of every written key, plus the empty one. */
function prefixesOf(batches: readonly (readonly StoreWrite[])[]): Set<string> {
  const prefixes = new Set([""]);
  for (const batch of batches) for (const { key } of batch) for (let i = 1; i <= key.length; i++) prefixes.add(key.slice(0, i));
  return prefixes;
}

async function expectSameAsModel(store: Store, model: Model, prefixes: ReadonlySet<string>): Promise<void> {
  for (const namespace of NAMESPACES) {
    for (const prefix of prefixes) expect(await store.list(namespace, prefix)).toEqual(modelList(model, namespace, prefix));
    for (const [key, value] of model.get(namespace) ?? []) expect(await store.get(namespace, key)).toEqual(value);
  }
}

/** A fresh backing location per run: `open` may be called again to reopen it. */
interface Backing {
  open(): Promise<Store>;
  dispose(): Promise<void>;
}

const kinds: ReadonlyArray<{ name: string; numRuns: number; backing: () => Promise<Backing> }> = [
  { name: "MemoryStore", numRuns: 100, backing: async () => ({ open: async () => new MemoryStore(), dispose: async () => {} }) },
  {
    name: "FileStore",
    numRuns: 25,
    backing: async () => {
      const dir = await mkdtemp(join(tmpdir(), "parley-model-"));
      return {
        open: () => FileStore.open(dir, { passphrase: "model", kdf: TEST_KDF, compactMinBytes: 0 }),
        dispose: () => rm(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: "IndexedDbStore",
    numRuns: 50,
    backing: async () => {
      const indexedDB = new IDBFactory();
      return { open: () => IndexedDbStore.open("model", { indexedDB, keyRange: IDBKeyRange }), dispose: async () => {} };
    },
  },
];

describe.each(kinds)("$name", ({ name, numRuns, backing }) => {
  test.prop([batchesArb], { numRuns: Math.max(numRuns, soakRuns) })(
    "matches a Map model after concurrent batches (and after reopen)",
    async (batches) => {
      const location = await backing();
      try {
        const model: Model = new Map();
        applyToModel(model, batches);
        const prefixes = prefixesOf(batches);
        let store = await location.open();
        await Promise.all(batches.map((batch) => store.batch(batch)));
        await expectSameAsModel(store, model, prefixes);
        await store.close();
        if (name !== "MemoryStore") {
          store = await location.open();
          await expectSameAsModel(store, model, prefixes);
          await store.close();
        }
      } finally {
        await location.dispose();
      }
    },
  );
});
