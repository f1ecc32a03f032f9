// A version-1 store (blobs without an owner) opens under schema 2: the owner column is added,
// old blobs keep working, and new tickets are counted against their owner's quota.
import { mkdtempSync, rmSync } from "node:fs";
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
});
