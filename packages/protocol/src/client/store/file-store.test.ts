/**
 * FileStore beyond the shared contract: passphrase and KDF handling, what the file does and does
 * not reveal, record binding (order, file), the lock, torn-tail recovery at every byte, refusal
 * of mid-log damage, compaction, group commit and re-keying.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { HEADER_BYTES as HEADER_SIZE } from "./file-constants.js";
import { DEFAULT_SCRYPT, FileStore, type FileStoreOptions } from "./file-store.js";
import { put, remove } from "./store.js";
import { StoreError, type StoreErrorCode } from "./store-error.js";

/** Cheap scrypt for tests; one test below checks that the default is the strong one. */
const TEST_KDF = { N: 16, r: 8, p: 1 };
const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "parley-file-store-"));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

/** Offsets of the records in a store file, read straight from the frame lengths (no decryption). */
function recordOffsets(file: Uint8Array): number[] {
  const view = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const offsets: number[] = [];
  for (let pos = HEADER_SIZE; pos < file.length; pos += 20 + 12 + view.getUint32(pos, true)) offsets.push(pos);
  return offsets;
}

const PASSPHRASE = "correct horse battery staple";
const open = (dir: string, options: Partial<FileStoreOptions> = {}) =>
  FileStore.open(dir, { passphrase: PASSPHRASE, kdf: TEST_KDF, ...options });
const logPath = (dir: string) => join(dir, "store.log");
const anchorPath = (dir: string) => join(dir, "store.anchor");
const value = (i: number) => new Uint8Array(40).fill(i);

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.unreachable("expected a rejection"),
    (error: unknown) => error,
  );
}
async function expectCode(promise: Promise<unknown>, code: StoreErrorCode): Promise<void> {
  const error = await rejection(promise);
  expect(StoreError.is(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
}

/**
 * A store in a fresh directory holding keys k0..k{n-1}, one batch (one record) each, closed; and
 * its rollback anchor as it was before the last batch — what a crash that tore the last batch
 * leaves (the anchor advances only after the log's sync), so tests that tear it put that back.
 */
async function storeWithRecords(n: number): Promise<{ dir: string; file: Uint8Array; offsets: number[]; anchorBeforeLast: Uint8Array }> {
  const dir = await tempDir();
  const store = await open(dir);
  let anchorBeforeLast = new Uint8Array(0);
  for (let i = 0; i < n; i++) {
    if (i === n - 1) anchorBeforeLast = new Uint8Array(await readFile(anchorPath(dir)));
    await put(store, "ns", `k${i}`, value(i));
  }
  await store.close();
  const file = new Uint8Array(await readFile(logPath(dir)));
  return { dir, file, offsets: recordOffsets(file), anchorBeforeLast };
}

/** Keys present in the store at `dir`, after opening it. */
async function keysAfterOpen(dir: string): Promise<string[]> {
  const store = await open(dir);
  try {
    return (await store.list("ns")).map(([key]) => key);
  } finally {
    await store.close();
  }
}

describe("passphrase and KDF", () => {
  it("rejects a wrong passphrase with ERR_STORE_PASSPHRASE and stays openable with the right one", async () => {
    const { dir } = await storeWithRecords(2);
    await expectCode(open(dir, { passphrase: "wrong" }), "ERR_STORE_PASSPHRASE");
    await expectCode(open(dir, { passphrase: new Uint8Array([1]) }), "ERR_STORE_PASSPHRASE");
    expect(await keysAfterOpen(dir)).toEqual(["k0", "k1"]);
  });

  it("treats canonically equivalent passphrases (NFC) as the same", async () => {
    const dir = await tempDir();
    await (await open(dir, { passphrase: "caf\u00e9" })).close();
    await (await open(dir, { passphrase: "cafe\u0301" })).close();
  });

  it("refuses bad options with TypeError/RangeError", async () => {
    const dir = await tempDir();
    await expect(open(dir, { passphrase: "" })).rejects.toThrow(RangeError);
    await expect(open(dir, { passphrase: 42 as unknown as string })).rejects.toThrow(TypeError);
    await expect(open(dir, { kdf: { N: 1000, r: 8, p: 1 } })).rejects.toThrow(RangeError);
    await expect(open(dir, { kdf: { N: 2 ** 20, r: 16, p: 1 } })).rejects.toThrow(/1 GiB/);
    await expect(open(dir, { compactMinBytes: -1 })).rejects.toThrow(RangeError);
  });

  it("creates stores with scrypt N=2^17, r=8, p=1 by default, recorded in the header", async () => {
    expect(DEFAULT_SCRYPT).toEqual({ N: 2 ** 17, r: 8, p: 1 });
    const dir = await tempDir();
    const store = await FileStore.open(dir, { passphrase: PASSPHRASE });
    await store.close();
    const header = await readFile(logPath(dir));
    expect([header[10], header[11], header[12]]).toEqual([17, 8, 1]);
  });

  it("runs an existing store with the header's parameters, not the options'", async () => {
    const { dir } = await storeWithRecords(1);
    // Were the option used, this would take seconds and 1 GiB; the header says N=16.
    const store = await open(dir, { kdf: { N: 2 ** 20, r: 8, p: 1 } });
    expect(await store.get("ns", "k0")).toEqual(value(0));
    await store.close();
  });
});

describe("file contents", () => {
  it("never contains a stored value, key or namespace in plaintext, before or after compaction", async () => {
    const marker = "PLAINTEXT-MARKER-7f3a";
    const dir = await tempDir();
    const store = await open(dir, { compactMinBytes: 0 });
    await put(store, `ns-${marker}`, `key-${marker}`, new TextEncoder().encode(`value-${marker}`));
    for (let i = 0; i < 20; i++) await put(store, "other", "k", value(i)); // forces compactions
    expect(store.stats.compactions).toBeGreaterThan(0);
    await store.close();
    for (const name of await readdir(dir)) {
      const bytes = await readFile(join(dir, name));
      for (const encoding of ["utf8", "utf16le"] as const) expect(bytes.includes(Buffer.from("MARKER-7f3a", encoding))).toBe(false);
    }
  });

  it("reports a damaged header as ERR_STORE_CORRUPT, not as a wrong passphrase", async () => {
    const { dir, file } = await storeWithRecords(1);
    for (const offset of [0, 9, 10, 20, 40, 60, 90]) {
      const damaged = file.slice();
      damaged[offset] = (damaged[offset] as number) ^ 1;
      await writeFile(logPath(dir), damaged);
      await expectCode(open(dir), "ERR_STORE_CORRUPT");
    }
    await writeFile(logPath(dir), file.subarray(0, HEADER_SIZE - 1));
    await expectCode(open(dir), "ERR_STORE_CORRUPT");
  });

  it("refuses a newer format version with ERR_STORE_UNSUPPORTED", async () => {
    const { dir, file } = await storeWithRecords(1);
    const newer = file.slice();
    newer[8] = 2;
    await writeFile(logPath(dir), newer);
    await expectCode(open(dir), "ERR_STORE_UNSUPPORTED");
  });

  it("refuses records that were reordered", async () => {
    const { dir, file, offsets } = await storeWithRecords(3);
    const [a, b, c] = offsets as [number, number, number];
    const swapped = new Uint8Array([...file.subarray(0, a), ...file.subarray(b, c), ...file.subarray(a, b), ...file.subarray(c)]);
    await writeFile(logPath(dir), swapped);
    await expectCode(open(dir), "ERR_STORE_CORRUPT");
  });

  it("does not apply a record from an earlier log file of the same store (same keys, other file id)", async () => {
    const { dir, file: before, offsets } = await storeWithRecords(2); // k0, k1 = value(1): records 0 and 1
    const store = await open(dir, { compactMinBytes: 0 });
    await put(store, "ns", "k1", value(7)); // the log now exceeds twice the live data: compaction
    await store.batch([]); // queued behind the compaction, which runs after the put resolved
    expect(store.stats.compactions).toBe(1);
    await store.close();
    const after = new Uint8Array(await readFile(logPath(dir)));
    expect(recordOffsets(after)).toHaveLength(1);
    // The old record 1 sits where the new log's record 1 would: only the file id in the AD tells them apart.
    await writeFile(logPath(dir), new Uint8Array([...after, ...before.subarray(offsets[1])]));
    const reopened = await open(dir);
    expect(await reopened.get("ns", "k1")).toEqual(value(7));
    await reopened.close();
    expect((await readFile(logPath(dir))).length).toBe(after.length);
  });
});

describe("lock", () => {
  const lockContent = (pid: number, boot?: string) => {
    const ownBoot = (() => {
      try {
        return spawnSync("cat", ["/proc/sys/kernel/random/boot_id"]).stdout.toString().trim();
      } catch {
        return "";
      }
    })();
    return `parley-store-lock 1\npid ${pid}\nhost ${hostname()}\nboot ${boot ?? ownBoot}\ntoken t\n`;
  };

  it("refuses a second open of the same directory with ERR_STORE_LOCKED until the first closes", async () => {
    const dir = await tempDir();
    const first = await open(dir);
    await expectCode(open(dir), "ERR_STORE_LOCKED");
    await first.close();
    await (await open(dir)).close();
  });

  it("refuses a lock held by another live process", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "store.lock"), lockContent(process.ppid));
    await expectCode(open(dir), "ERR_STORE_LOCKED");
  });

  it("refuses a lock it cannot read (it might be live)", async () => {
    const dir = await tempDir();
    await writeFile(join(dir, "store.lock"), "garbage");
    await expectCode(open(dir), "ERR_STORE_LOCKED");
  });

  it("takes over a stale lock from a dead process, and one from an earlier boot", async () => {
    const dir = await tempDir();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid as number;
    await writeFile(join(dir, "store.lock"), lockContent(dead));
    const store = await open(dir);
    expect(await readFile(join(dir, "store.lock"), "utf8")).toContain(`pid ${process.pid}\n`);
    await store.close();
    await expect(readdir(dir)).resolves.toEqual(["store.anchor", "store.log"]); // lock released, nothing left over
    if (lockContent(1).includes("boot \n")) return; // no boot id on this platform
    await writeFile(join(dir, "store.lock"), lockContent(process.ppid, "00000000-0000-0000-0000-000000000000"));
    await (await open(dir)).close();
  });
});

describe("torn tail recovery", () => {
  it("recovers every earlier record when the log is cut at any byte of the last record", async () => {
    const { dir, file, offsets, anchorBeforeLast } = await storeWithRecords(4);
    const last = offsets[3] as number;
    await writeFile(anchorPath(dir), anchorBeforeLast);
    for (let cut = last; cut < file.length; cut++) {
      await writeFile(logPath(dir), file.subarray(0, cut));
      expect(await keysAfterOpen(dir)).toEqual(["k0", "k1", "k2"]);
      expect((await readFile(logPath(dir))).length).toBe(last); // truncated to the last good record
    }
    // And the recovered store appends cleanly after the cut.
    const store = await open(dir);
    await put(store, "ns", "k9", value(9));
    await store.close();
    expect(await keysAfterOpen(dir)).toEqual(["k0", "k1", "k2", "k9"]);
  });

  it("discards the last record when any one of its bytes is flipped", async () => {
    const { dir, file, offsets, anchorBeforeLast } = await storeWithRecords(3);
    await writeFile(anchorPath(dir), anchorBeforeLast);
    for (let at = offsets[2] as number; at < file.length; at++) {
      const damaged = file.slice();
      damaged[at] = (damaged[at] as number) ^ 0x40;
      await writeFile(logPath(dir), damaged);
      expect(await keysAfterOpen(dir)).toEqual(["k0", "k1"]);
    }
  });

  it("discards a zero-filled or garbage tail (file extended before the data landed)", async () => {
    const { dir, file } = await storeWithRecords(2);
    for (const tail of [new Uint8Array(4096), new Uint8Array(100).fill(0xa5), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 1])]) {
      await writeFile(logPath(dir), new Uint8Array([...file, ...tail]));
      expect(await keysAfterOpen(dir)).toEqual(["k0", "k1"]);
      expect((await readFile(logPath(dir))).length).toBe(file.length);
    }
  });

  it("refuses to open (ERR_STORE_CORRUPT) when any byte of an earlier record is flipped", async () => {
    const { dir, file, offsets } = await storeWithRecords(3);
    for (let at = offsets[1] as number; at < (offsets[2] as number); at++) {
      const damaged = file.slice();
      damaged[at] = (damaged[at] as number) ^ 0x40;
      await writeFile(logPath(dir), damaged);
      await expectCode(open(dir), "ERR_STORE_CORRUPT");
    }
  });
});

describe("compaction", () => {
  it("keeps every live value and bounds the log while keys are overwritten and deleted", async () => {
    const dir = await tempDir();
    const store = await open(dir, { compactMinBytes: 0 });
    const live = new Map<string, Uint8Array>();
    for (let i = 0; i < 300; i++) {
      const key = `k${i % 17}`;
      if (i % 5 === 4) {
        await remove(store, "ns", key);
        live.delete(key);
      } else {
        await put(store, "ns", key, value(i % 251));
        live.set(key, value(i % 251));
      }
      expect(store.stats.logBytes).toBeLessThanOrEqual(2 * (HEADER_SIZE + store.stats.liveBytes) + 200);
    }
    expect(store.stats.compactions).toBeGreaterThan(10);
    await store.close();
    const reopened = await open(dir);
    expect(new Map(await reopened.list("ns"))).toEqual(live);
    await reopened.close();
  });

  it("opens normally when a crash left a compaction temp file behind, and removes it", async () => {
    const { dir, file } = await storeWithRecords(3);
    // A temp log cut short, and one complete but never renamed: neither is the log.
    await writeFile(join(dir, "store.log.0123456789abcdef.tmp"), file.subarray(0, 150));
    await writeFile(join(dir, "store.log.fedcba9876543210.tmp"), file.subarray(0, HEADER_SIZE));
    expect(await keysAfterOpen(dir)).toEqual(["k0", "k1", "k2"]);
    expect((await readdir(dir)).sort()).toEqual(["store.anchor", "store.log"]);
  });
});

describe("group commit and re-keying", () => {
  it("commits concurrent batches with far fewer syncs than batches, all durable", async () => {
    const dir = await tempDir();
    const store = await open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => put(store, "ns", `k${String(i).padStart(3, "0")}`, value(i % 251))));
    expect(store.stats.syncs).toBeLessThanOrEqual(5);
    await store.close();
    expect(await keysAfterOpen(dir)).toHaveLength(200);
  });

  it("changePassphrase re-encrypts everything: the old passphrase fails, the new one opens, writes made meanwhile survive", async () => {
    const { dir } = await storeWithRecords(3);
    const store = await open(dir);
    const saltBefore = (await readFile(logPath(dir))).subarray(16, 32);
    const change = store.changePassphrase("new passphrase", { kdf: TEST_KDF });
    const during = put(store, "ns", "k3", value(3));
    await Promise.all([change, during]);
    await put(store, "ns", "k4", value(4));
    await store.close();
    expect((await readFile(logPath(dir))).subarray(16, 32)).not.toEqual(saltBefore);
    await expectCode(open(dir), "ERR_STORE_PASSPHRASE");
    const reopened = await open(dir, { passphrase: "new passphrase" });
    expect((await reopened.list("ns")).map(([key]) => key)).toEqual(["k0", "k1", "k2", "k3", "k4"]);
    await reopened.close();
  });
});
