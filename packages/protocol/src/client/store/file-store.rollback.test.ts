/**
 * FileStore refuses to reopen at an older state (ERR_STORE_ROLLBACK): a log truncated at a record
 * boundary, an older copy of the log put back, the anchor file removed, an older copy of the
 * whole directory when the anchor lives elsewhere. And what it must still accept: a torn last
 * group (the anchor is only advanced after the log's sync), a crash mid-compaction, re-keying,
 * and a store from before anchors existed.
 */
import { copyFile, mkdtemp, readFile, rm, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createNodeProvider } from "../../crypto/node.js";
import { HEADER_BYTES, HEADER_FIELDS_BYTES } from "./file-constants.js";
import { decodeHeader, encodeHeader } from "./file-header.js";
import { deriveStoreKeys, keyCheckValue, passphraseBytes } from "./file-keys.js";
import { FileStore, type FileStoreOptions, fileAnchor } from "./file-store.js";
import { put } from "./store.js";
import { StoreError, type StoreErrorCode } from "./store-error.js";

const TEST_KDF = { N: 16, r: 8, p: 1 };
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "parley-rollback-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const open = (dir: string, options: Partial<FileStoreOptions> = {}) => FileStore.open(dir, { passphrase: "p", kdf: TEST_KDF, ...options });
const logPath = (dir: string) => join(dir, "store.log");
const anchorPath = (dir: string) => join(dir, "store.anchor");
const value = (i: number) => new Uint8Array(40).fill(i);

async function expectCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  const error = await promise.then(
    () => expect.unreachable(`expected ${code}`),
    (e: unknown) => e,
  );
  expect(StoreError.is(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

function recordOffsets(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const offsets: number[] = [];
  for (let pos = HEADER_BYTES; pos < file.length; pos += 20 + 12 + view.getUint32(pos, true)) offsets.push(pos);
  return offsets;
}

async function keys(dir: string, options: Partial<FileStoreOptions> = {}): Promise<string[]> {
  const store = await open(dir, options);
  try {
    return (await store.list("ns")).map(([key]) => key);
  } finally {
    await store.close();
  }
}

describe("rollback is refused", () => {
  it("a log cut at a record boundary (acknowledged batches dropped) is refused with ERR_STORE_ROLLBACK", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    for (let i = 0; i < 4; i++) await put(store, "ns", `k${i}`, value(i));
    await store.close();
    const file = new Uint8Array(await readFile(logPath(dir)));
    const offsets = recordOffsets(file);
    for (const cut of [offsets[3] as number, offsets[1] as number, HEADER_BYTES]) {
      await writeFile(logPath(dir), file.subarray(0, cut));
      await expectCode(open(dir), "ERR_STORE_ROLLBACK");
    }
    await writeFile(logPath(dir), file);
    expect(await keys(dir)).toEqual(["k0", "k1", "k2", "k3"]);
  });

  it("an older copy of the log put back (anchor kept) is refused, also across a compaction", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await put(store, "ns", "k0", value(0));
    await store.close();
    const older = await readFile(logPath(dir));
    const again = await open(dir, { compactMinBytes: 0 });
    for (let i = 1; i < 10; i++) await put(again, "ns", "k1", value(i));
    await again.batch([]);
    expect(again.stats.compactions).toBeGreaterThan(0);
    await again.close();
    await writeFile(logPath(dir), older);
    await expectCode(open(dir), "ERR_STORE_ROLLBACK");
  });

  it("a deleted anchor file is refused, not taken as a fresh start", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await put(store, "ns", "k0", value(0));
    await store.close();
    await unlink(anchorPath(dir));
    await expectCode(open(dir), "ERR_STORE_ROLLBACK");
  });

  it("an older copy of the whole directory opens when the anchor is inside it (the documented limit), and is refused with an anchor kept elsewhere", async () => {
    const dir = await tempDir();
    const elsewhere = join(await tempDir(), "parley.anchor");
    const store = await open(dir, { anchor: fileAnchor(elsewhere) });
    await put(store, "ns", "k0", value(0));
    await store.close();
    const backup = await tempDir();
    await copyFile(logPath(dir), join(backup, "store.log"));
    const reopened = await open(dir, { anchor: fileAnchor(elsewhere) });
    await put(reopened, "ns", "k1", value(1));
    await reopened.close();
    await copyFile(join(backup, "store.log"), logPath(dir));
    await expectCode(open(dir, { anchor: fileAnchor(elsewhere) }), "ERR_STORE_ROLLBACK");

    // The same copy-back with the default anchor in the directory goes unnoticed: both are old.
    const plain = await tempDir();
    const first = await open(plain);
    await put(first, "ns", "k0", value(0));
    await first.close();
    const copy = await tempDir();
    for (const name of ["store.log", "store.anchor"]) await copyFile(join(plain, name), join(copy, name));
    const second = await open(plain);
    await put(second, "ns", "k1", value(1));
    await second.close();
    for (const name of ["store.log", "store.anchor"]) await copyFile(join(copy, name), join(plain, name));
    expect(await keys(plain)).toEqual(["k0"]);
  });

  it("an anchor from another store (other key) does not vouch for this one", async () => {
    const one = await tempDir();
    const two = await tempDir();
    for (const dir of [one, two]) {
      const store = await open(dir, { passphrase: dir });
      await put(store, "ns", "k", value(1));
      await store.close();
    }
    await copyFile(anchorPath(two), anchorPath(one));
    await expectCode(open(one, { passphrase: one }), "ERR_STORE_ROLLBACK");
  });
});

describe("what still opens", () => {
  it("a torn last group: the anchor had not advanced past the last synced group", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    for (let i = 0; i < 3; i++) await put(store, "ns", `k${i}`, value(i));
    await store.close();
    const anchorBefore = await readFile(anchorPath(dir));
    const again = await open(dir);
    await put(again, "ns", "k3", value(3));
    await again.close();
    const file = new Uint8Array(await readFile(logPath(dir)));
    const last = recordOffsets(file).at(-1) as number;
    // A crash mid-append of k3's group: its record is cut, and the anchor still names the state before it.
    await writeFile(logPath(dir), file.subarray(0, last + 10));
    await writeFile(anchorPath(dir), anchorBefore);
    expect(await keys(dir)).toEqual(["k0", "k1", "k2"]);
  });

  it("a store changed to a new passphrase opens with it, and the anchor follows the new key", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await put(store, "ns", "k0", value(0));
    await store.changePassphrase("new", { kdf: TEST_KDF });
    await put(store, "ns", "k1", value(1));
    await store.close();
    expect(await keys(dir, { passphrase: "new" })).toEqual(["k0", "k1"]);
    await expectCode(open(dir), "ERR_STORE_PASSPHRASE");
  });

  it("a store from before anchors (no anchor, header flag clear) opens and becomes anchored", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await put(store, "ns", "k0", value(0));
    await store.close();
    // Turn it into a version-1 store without an anchor: clear the flag byte and fix the header checksum and key check.
    await writeFile(logPath(dir), await withoutAnchorFlag(new Uint8Array(await readFile(logPath(dir))), "p"));
    await unlink(anchorPath(dir));
    expect(await keys(dir)).toEqual(["k0"]);
    await unlink(anchorPath(dir));
    await expectCode(open(dir), "ERR_STORE_ROLLBACK");
  });
});

/** The log as a store from before anchors wrote it: header flag byte clear, key check and checksum redone. */
async function withoutAnchorFlag(file: Uint8Array, passphrase: string): Promise<Uint8Array> {
  const crypto = createNodeProvider();
  const header = decodeHeader(file, crypto.sha256);
  const keys = await deriveStoreKeys(crypto, passphraseBytes(passphrase), header.salt, header.kdf);
  const fields = header.fields.slice();
  fields[13] = 0;
  const out = file.slice();
  out.set(encodeHeader(fields, keyCheckValue(crypto, keys, fields), crypto.sha256), 0);
  expect(out.length).toBeGreaterThan(HEADER_FIELDS_BYTES);
  return out;
}
