// The SQLite store on its own: data survives reopening the file, enqueue outcomes, ack and
// dedupe windows, expiry notices, atomic bundle takes and device removal.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite-store.js";
import type { NewMessage, Store } from "./store.js";

const userId = new Uint8Array(16).fill(3);
const mailbox = { userId, deviceId: 1 };
const id = (n: number) => new Uint8Array(16).fill(n);
const message = (n: number, at = 1000): NewMessage => ({
  ...mailbox,
  messageId: id(n),
  envelope: new Uint8Array([n]),
  receivedAt: at,
  expiresAt: at + 100,
});

let dir: string | undefined;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function withDevice(s: Store): Promise<void> {
  const r = await s.saveDeviceList({
    userId,
    accountKey: new Uint8Array(32),
    deviceList: new Uint8Array([1]),
    sequence: 1,
    deviceIds: [1],
    device: { userId, deviceId: 1, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) },
  });
  expect(r.ok).toBe(true);
}

describe("sqlite store", () => {
  it("keeps queued messages across reopening the file", async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-store-"));
    const path = join(dir, "relay.sqlite");
    store = openSqliteStore(path);
    await withDevice(store);
    expect(await store.enqueue([message(1), message(2)], 10)).toEqual(["ok", "ok"]);
    await store.close();
    store = openSqliteStore(path);
    expect((await store.fetchMessages(mailbox, 0, 10)).map((m) => m.messageId[0])).toEqual([1, 2]);
  });

  it("reports duplicates, full queues and unknown mailboxes per message", async () => {
    store = openSqliteStore(":memory:");
    await withDevice(store);
    const other = { ...message(9), deviceId: 2 };
    expect(await store.enqueue([message(1), message(1), message(2), message(3), other], 2)).toEqual([
      "ok",
      "duplicate",
      "ok",
      "queue_full",
      "no_mailbox",
    ]);
  });

  it("acks only the named mailbox, and remembers acked ids until forgetAt", async () => {
    store = openSqliteStore(":memory:");
    await withDevice(store);
    await store.enqueue([message(1)], 10);
    expect(await store.ack([{ mailbox: { userId, deviceId: 2 }, messageIds: [id(1)] }], 5000)).toEqual([0]);
    expect(await store.ack([{ mailbox, messageIds: [id(1), id(7)] }], 5000)).toEqual([1]);
    expect(await store.enqueue([message(1)], 10)).toEqual(["duplicate"]);
    await store.purgeDedupe(5000);
    expect(await store.enqueue([message(1)], 10)).toEqual(["ok"]);
  });

  it("expires messages into one notice per mailbox, taken once", async () => {
    store = openSqliteStore(":memory:");
    await withDevice(store);
    await store.enqueue([message(1, 1000), message(2, 1050)], 10);
    expect(await store.expireMessages(1099, 9999)).toHaveLength(0);
    expect(await store.expireMessages(1150, 9999)).toEqual([mailbox]);
    expect(await store.takeExpiryNotice(mailbox)).toEqual({ count: 2, firstAt: 1000, lastAt: 1050 });
    expect(await store.takeExpiryNotice(mailbox)).toBeUndefined();
    expect(await store.enqueue([message(2)], 10)).toEqual(["duplicate"]);
  });

  it("deletes a removed device's mailbox and refuses an older device list", async () => {
    store = openSqliteStore(":memory:");
    await withDevice(store);
    await store.enqueue([message(1)], 10);
    const base = { userId, accountKey: new Uint8Array(32), deviceList: new Uint8Array([2]) };
    expect(await store.saveDeviceList({ ...base, sequence: 1, deviceIds: [2] })).toEqual({ ok: false });
    expect(await store.saveDeviceList({ ...base, sequence: 2, deviceIds: [2] })).toEqual({ ok: true, removed: [1] });
    expect(await store.queueDepth(mailbox)).toBe(0);
    expect(await store.getDevice(mailbox)).toBeUndefined();
  });
});
