// The prekey bookkeeping behind top-ups, rotation and retention, at its limits (N and N+1):
// which one-time keys the relay still holds, when retired and handed-out keys go, and the
// local cap per kind. End-to-end behaviour against the relay is in tests/e2e/client-prekeys.
import { describe, expect, it } from "vitest";
import { createProvider } from "../crypto/select.js";
import { decodeSignedPreKey } from "../keys/prekeys.js";
import { LocalDevice } from "./local-device.js";
import { KEM_PREKEY_BATCH, ONE_TIME_PREKEY_BATCH } from "./local-prekeys.js";
import { MAX_LOCAL_ONE_TIME_PREKEYS, PREKEY_RETENTION_MS } from "./prekey-maintenance.js";
import { MemoryStore } from "./store/memory-store.js";

const crypto = await createProvider("node");
const T0 = 1_800_000_000_000;

async function device(clock: { now: number }) {
  const deps = { crypto, now: () => clock.now };
  const { device: local, writes } = LocalDevice.create(deps, "A");
  const store = new MemoryStore();
  await store.batch(writes);
  return { deps, local, store };
}

describe("local prekeys", () => {
  it("a new device holds the target of each kind, one signed and one last-resort key", async () => {
    const { local } = await device({ now: T0 });
    const upload = local.preKeys.fullUpload();
    expect(upload.oneTimePreKeys).toHaveLength(ONE_TIME_PREKEY_BATCH);
    expect(upload.kemPreKeys).toHaveLength(KEM_PREKEY_BATCH + 1);
    expect(upload.signedPreKey).toBeDefined();
    expect(local.preKeys.outstandingOneTime()).toEqual({ oneTime: ONE_TIME_PREKEY_BATCH, kem: KEM_PREKEY_BATCH });
  });

  it("marks as handed out all but the relay's count of highest ids (N held, N+1 handed out)", async () => {
    const { local } = await device({ now: T0 });
    local.preKeys.markHandedOut({ oneTime: 60, kem: 9 }, T0);
    expect(local.preKeys.outstandingOneTime()).toEqual({ oneTime: 60, kem: 9 });
    // The lowest ids went first: id 40 is handed out, id 41 still held, and both still open messages.
    expect(local.preKeys.fullUpload().oneTimePreKeys.map((r) => r[4])).toEqual(Array.from({ length: 60 }, (_, i) => 41 + i));
    expect(local.preKeys.lookup.oneTimePreKey(40)).toBeDefined();
  });

  it("deletes handed-out keys at the retention (kept at N − 1 ms, gone at N)", async () => {
    const { local } = await device({ now: T0 });
    local.preKeys.markHandedOut({ oneTime: 60, kem: 9 }, T0);
    expect(local.preKeys.pruneExpired(T0 + PREKEY_RETENTION_MS - 1, PREKEY_RETENTION_MS, MAX_LOCAL_ONE_TIME_PREKEYS)).toEqual([]);
    const deletes = local.preKeys.pruneExpired(T0 + PREKEY_RETENTION_MS, PREKEY_RETENTION_MS, MAX_LOCAL_ONE_TIME_PREKEYS);
    expect(deletes).toHaveLength(40 + (KEM_PREKEY_BATCH - 9));
    expect(deletes.every((w) => w.value === undefined)).toBe(true);
    expect(local.preKeys.lookup.oneTimePreKey(40)).toBeUndefined();
    expect(local.preKeys.lookup.oneTimePreKey(41)).toBeDefined();
  });

  it("keeps at most the cap of one-time keys per kind (N kept, N+1 drops the longest handed out)", async () => {
    const clock = { now: T0 };
    const { deps, local } = await device(clock);
    local.preKeys.markHandedOut({ oneTime: 0, kem: KEM_PREKEY_BATCH }, T0);
    clock.now = T0 + 1;
    local.preKeys.generateOneTimePreKeys(deps, { oneTime: 1, kem: 0 });
    const cap = ONE_TIME_PREKEY_BATCH + 1;
    expect(local.preKeys.pruneExpired(clock.now, PREKEY_RETENTION_MS, cap)).toEqual([]);
    const deletes = local.preKeys.pruneExpired(clock.now, PREKEY_RETENTION_MS, cap - 1);
    expect(deletes.map((w) => w.key)).toEqual(["o:1"]);
  });

  it("rotation keeps the old signed and last-resort keys until the retention, then deletes them", async () => {
    const clock = { now: T0 };
    const { deps, local } = await device(clock);
    clock.now = T0 + 1000;
    const rotation = local.preKeys.newRotation(deps);
    expect(rotation.signedId).toBe(2);
    local.preKeys.completeRotation(rotation.signedId, clock.now);
    expect(decodeSignedPreKey(local.preKeys.fullUpload().signedPreKey ?? new Uint8Array()).id).toBe(2);
    expect(local.preKeys.currentPreKeysCreatedAt()).toBe(T0 + 1000);
    expect(local.preKeys.lookup.signedPreKey(1)).toBeDefined();
    expect(local.preKeys.lookup.kemPreKey(1)).toBeDefined();
    expect(local.preKeys.pruneExpired(clock.now + PREKEY_RETENTION_MS - 1, PREKEY_RETENTION_MS, MAX_LOCAL_ONE_TIME_PREKEYS)).toEqual([]);
    const deletes = local.preKeys.pruneExpired(clock.now + PREKEY_RETENTION_MS, PREKEY_RETENTION_MS, MAX_LOCAL_ONE_TIME_PREKEYS);
    expect(deletes.map((w) => w.key).sort()).toEqual(["k:1", "s:1"]);
    expect(local.preKeys.lookup.signedPreKey(1)).toBeUndefined();
    expect(local.preKeys.lookup.signedPreKey(2)).toBeDefined();
  });

  it("survives a reload: marks and the current keys come back from the store", async () => {
    const clock = { now: T0 };
    const { deps, local, store } = await device(clock);
    await store.batch(local.preKeys.markHandedOut({ oneTime: 10, kem: 10 }, T0));
    const rotation = local.preKeys.newRotation(deps);
    await store.batch(rotation.writes);
    await store.batch(local.preKeys.completeRotation(rotation.signedId, T0));
    const again = await LocalDevice.load(crypto, store);
    expect(again?.preKeys.outstandingOneTime()).toEqual({ oneTime: 10, kem: 10 });
    const sorted = (upload: ReturnType<LocalDevice["preKeys"]["fullUpload"]> | undefined) => ({
      signed: upload?.signedPreKey,
      oneTime: upload?.oneTimePreKeys.map((r) => Buffer.from(r).toString("hex")).sort(),
      kem: upload?.kemPreKeys.map((r) => Buffer.from(r).toString("hex")).sort(),
    });
    expect(sorted(again?.preKeys.fullUpload())).toEqual(sorted(local.preKeys.fullUpload()));
  });
});
