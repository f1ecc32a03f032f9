// The persisted session-repair limit (spec/client.md §4): once per interval per authenticated
// device, not again until a message arrives on a session newer than the repair, and kept in the
// store so a restart (a new client on the same store) does not forget it.
import { describe, expect, test } from "vitest";
import type { SessionState } from "../ratchet/session-state.js";
import { SessionRecord } from "../session/record.js";
import { mayRepair, REPAIR_INTERVAL_MS, rearmWrite, repairWrite } from "./repair-limit.js";
import { MemoryStore } from "./store/memory-store.js";

const alice = { userId: new Uint8Array(16).fill(1), deviceId: 1 };
const aliceTablet = { userId: new Uint8Array(16).fill(1), deviceId: 2 };
const base = (n: number) => new Uint8Array(32).fill(n);
/** A record whose sessions are known only by base key (all the limit looks at). */
const recordWith = (...keys: number[]) =>
  new SessionRecord(
    { baseKey: base(keys[0] as number) } as SessionState,
    keys.slice(1).map((k) => ({ baseKey: base(k) }) as SessionState),
  );

describe("repair limit", () => {
  test("a first repair is allowed; the next needs a message on a new session and the interval", async () => {
    const store = new MemoryStore();
    const t0 = 1_000_000;
    expect(await mayRepair(store, alice, t0)).toBe(true);
    await store.batch([repairWrite(alice, t0, recordWith(7, 8))]);
    // Not re-armed: however long after.
    expect(await mayRepair(store, alice, t0 + 100 * REPAIR_INTERVAL_MS)).toBe(false);
    // A message on a session the repair already knew (a replay of old mail) does not re-arm it.
    expect(await rearmWrite(store, alice, base(8))).toBeUndefined();
    // One on a new session does.
    const rearm = await rearmWrite(store, alice, base(9));
    expect(rearm).toBeDefined();
    await store.batch([rearm as NonNullable<typeof rearm>]);
    expect(await rearmWrite(store, alice, base(9))).toBeUndefined(); // already armed: no write
    expect(await mayRepair(store, alice, t0 + REPAIR_INTERVAL_MS - 1)).toBe(false);
    expect(await mayRepair(store, alice, t0 + REPAIR_INTERVAL_MS)).toBe(true);
  });

  test("the limit is per device, kept as one store entry (a restart: tests/e2e/client-forged-envelope.test.ts)", async () => {
    const store = new MemoryStore();
    await store.batch([repairWrite(alice, 0, undefined)]);
    expect(await mayRepair(store, aliceTablet, 1)).toBe(true);
    expect(await mayRepair(store, alice, 1)).toBe(false);
    expect((await store.list("repairs")).length).toBe(1);
  });

  test("with no session at repair time, any later session re-arms it", async () => {
    const store = new MemoryStore();
    await store.batch([repairWrite(alice, 0, SessionRecord.empty())]);
    expect(await rearmWrite(store, alice, base(1))).toBeDefined();
  });
});
