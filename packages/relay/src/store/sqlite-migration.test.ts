// A version-1 store (blobs without an owner) opens under schema 2: the owner column is added,
// old blobs keep working, and new tickets are counted against their owner's quota. A version-2
// store opens under schema 3: open tickets start resumable uploads at offset 0, and old blobs
// keep their size.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { SCHEMA_VERSION } from "./sqlite-schema.js";
import { openSqliteStore } from "./sqlite-store.js";
import type { Store } from "./store.js";

const dir = mkdtempSync(join(tmpdir(), "parley-migrate-"));
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("schema migration", () => {
  it("adds the blob owner to a version-1 store", async () => {
    const path = join(dir, "v1.sqlite");
    const v1 = new Database(path);
    v1.exec(
      "CREATE TABLE blobs (blob_id TEXT PRIMARY KEY, capability_hash BLOB NOT NULL, max_size INTEGER NOT NULL, " +
        "ticket_expires_at INTEGER NOT NULL, size INTEGER, expires_at INTEGER) WITHOUT ROWID",
    );
    v1.prepare("INSERT INTO blobs VALUES ('aa', x'00', 10, 100, 5, 1000)").run();
    v1.pragma("user_version = 1");
    v1.close();
    store = openSqliteStore(path);
    expect(await store.getBlob("aa")).toMatchObject({ size: 5 });
    const owner = new Uint8Array(32).fill(1);
    const quota = { now: 50, maxOpenTickets: 1, maxBytes: 100 };
    const ticket = { capabilityHash: new Uint8Array(32), maxSize: 10, ticketExpiresAt: 100, owner };
    expect(await store.createBlob({ blobId: "bb", ...ticket }, quota)).toBe("ok");
    expect(await store.createBlob({ blobId: "cc", ...ticket }, quota)).toBe("quota_exceeded");
    await store.close();
    store = undefined;
    const reopened = new Database(path);
    expect(reopened.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    reopened.close();
  });

  it("adds the upload offset and grant time to a version-2 store; its tickets resume from 0", async () => {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, "v2.sqlite");
    const v2 = new Database(path);
    v2.exec(
      "CREATE TABLE blobs (blob_id TEXT PRIMARY KEY, capability_hash BLOB NOT NULL, max_size INTEGER NOT NULL, " +
        "ticket_expires_at INTEGER NOT NULL, size INTEGER, expires_at INTEGER, owner BLOB) WITHOUT ROWID",
    );
    v2.prepare("INSERT INTO blobs VALUES ('done', x'00', 10, 100, 5, 1000, NULL)").run();
    v2.prepare("INSERT INTO blobs VALUES ('open', x'00', 10, 100, NULL, NULL, NULL)").run();
    v2.pragma("user_version = 2");
    v2.close();
    store = openSqliteStore(path);
    expect(await store.getBlob("done")).toMatchObject({ size: 5, uploadOffset: 0, createdAt: undefined });
    expect(await store.getBlob("open")).toMatchObject({ size: undefined, uploadOffset: 0, createdAt: undefined });
    expect(await store.setBlobOffset("open", 0, 4, 150)).toBe(true);
    expect(await store.setBlobOffset("open", 0, 8, 150)).toBe(false);
    expect(await store.setBlobOffset("done", 0, 4, 150)).toBe(false);
    expect(await store.getBlob("open")).toMatchObject({ uploadOffset: 4, ticketExpiresAt: 150 });
    // Extension only: an earlier expiry does not shorten the ticket.
    expect(await store.setBlobOffset("open", 4, 6, 120)).toBe(true);
    expect(await store.getBlob("open")).toMatchObject({ uploadOffset: 6, ticketExpiresAt: 150 });
    await store.close();
    store = undefined;
    const reopened = new Database(path);
    expect(reopened.pragma("user_version", { simple: true })).toBe(SCHEMA_VERSION);
    expect(SCHEMA_VERSION).toBe(5);
    // Version 4 expires messages in seq order: the expiry index is gone.
    expect(reopened.prepare("SELECT name FROM sqlite_master WHERE name = 'messages_by_expiry'").get()).toBeUndefined();
    reopened.close();
  });

  it("adds push subscriptions and settings to a version-4 store, keeping its accounts", async () => {
    const path = join(dir, "v4.sqlite");
    mkdirSync(dir, { recursive: true });
    const first = openSqliteStore(path);
    const userId = new Uint8Array(16).fill(1);
    await first.saveDeviceList({
      userId,
      accountKey: new Uint8Array(32),
      deviceList: new Uint8Array([1]),
      sequence: 1,
      deviceIds: [1],
      device: { userId, deviceId: 1, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) },
    });
    await first.close();
    const v4 = new Database(path);
    v4.exec("DROP TABLE push_subscriptions; DROP TABLE settings");
    v4.pragma("user_version = 4");
    v4.close();
    store = openSqliteStore(path);
    expect(await store.getAccount(userId)).toMatchObject({ deviceIds: [1] });
    const sub = { endpoint: "https://push.example/x", p256dh: new Uint8Array(65).fill(4), auth: new Uint8Array(16) };
    expect(await store.setPushSubscription({ userId, deviceId: 1 }, sub)).toBe(true);
    expect(await store.claimSetting("vapid", new Uint8Array([1]))).toEqual(new Uint8Array([1]));
    const reopened = new Database(path, { readonly: true });
    expect(reopened.pragma("user_version", { simple: true })).toBe(5);
    reopened.close();
  });
});
