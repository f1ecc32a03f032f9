// Shared payloads in the SQLite file (schema 3): a fan-out whose insert fails part-way leaves no
// row and no payload, and a version-2 file (messages without payload_id) is migrated in place.
// How fan-outs share, deliver and release one payload is in the Store contract (store-contract.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "./sqlite-schema.js";
import { openSqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

const userId = new Uint8Array(16).fill(3);
const deviceIds = [1, 2, 3];
const id = (n: number) => new Uint8Array(16).fill(n);

let dir: string;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  rmSync(dir, { recursive: true, force: true });
});

async function open(): Promise<{ store: Store; path: string }> {
  dir = mkdtempSync(join(tmpdir(), "parley-shared-"));
  const path = join(dir, "relay.sqlite");
  store = openSqliteStore(path);
  for (const deviceId of deviceIds) {
    const device = { userId, deviceId, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) };
    await store.saveDeviceList({ userId, accountKey: new Uint8Array(32), deviceList: new Uint8Array([1]), sequence: 1, deviceIds, device });
  }
  return { store, path };
}

function count(path: string, sql: string): number {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare(sql).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

const payload = new Uint8Array(500).fill(0xab);
const fanOut = (first = 1, at = 1000) =>
  deviceIds.map((deviceId, i) => ({
    userId,
    deviceId,
    messageId: id(first + i),
    envelope: new Uint8Array([1, 4, deviceId]),
    receivedAt: at,
    expiresAt: at + 100,
  }));

describe("one transaction per batch", () => {
  it("stores no row and no payload of a fan-out when one of its rows fails", async () => {
    const { store, path } = await open();
    // A trigger that fails the third device's insert, as a full disk or an I/O error would.
    const db = new Database(path);
    db.exec("CREATE TRIGGER fail_third AFTER INSERT ON messages WHEN NEW.device_id = 3 BEGIN SELECT RAISE(ABORT, 'injected failure'); END");
    db.close();
    await expect(store.enqueueMany({ bytes: payload }, fanOut(), 100)).rejects.toThrow(/injected failure/);
    expect(count(path, "SELECT count(*) AS n FROM messages")).toBe(0);
    expect(count(path, "SELECT count(*) AS n FROM shared_payloads")).toBe(0);
  });
});

describe("schema 2 → 3", () => {
  it("adds payload_id to the messages of a version-2 file; its queued rows still deliver", async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-shared-"));
    const path = join(dir, "v2.sqlite");
    const v2 = new Database(path);
    v2.exec(
      "CREATE TABLE messages (seq INTEGER PRIMARY KEY AUTOINCREMENT, user_id BLOB NOT NULL, device_id INTEGER NOT NULL, " +
        "message_id BLOB NOT NULL, envelope BLOB NOT NULL, received_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, " +
        "UNIQUE (user_id, device_id, message_id))",
    );
    v2.prepare(
      "INSERT INTO messages (user_id, device_id, message_id, envelope, received_at, expires_at) VALUES (?, 1, ?, x'0102', 1, 2)",
    ).run(userId, id(1));
    v2.pragma("user_version = 2");
    v2.close();
    store = openSqliteStore(path);
    expect((await store.fetchMessages({ userId, deviceId: 1 }, 0, 10))[0]?.envelope).toEqual(new Uint8Array([1, 2]));
    await store.close();
    store = undefined;
    const reopened = new Database(path, { readonly: true });
    expect(reopened.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect((reopened.pragma("table_info(messages)") as { name: string }[]).map((c) => c.name)).toContain("payload_id");
    reopened.close();
  });
});
