// The SQLite store: the shared Store contract (store-contract.ts) on a fresh file per test, and
// what only a file shows: queued messages survive reopening it.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { openSqliteStore } from "./sqlite-store.js";
import type { NewMessage, Store } from "./store.js";
import { describeStoreContract } from "./store-contract.js";

// A file rather than ":memory:", so the contract can count shared payload rows from outside.
describeStoreContract("sqlite", async () => {
  const dir = mkdtempSync(join(tmpdir(), "parley-store-"));
  const path = join(dir, "relay.sqlite");
  const store = openSqliteStore(path);
  return {
    store,
    async sharedPayloads() {
      const db = new Database(path, { readonly: true });
      try {
        return (db.prepare("SELECT count(*) AS n FROM shared_payloads").get() as { n: number }).n;
      } finally {
        db.close();
      }
    },
    async close() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

const userId = new Uint8Array(16).fill(3);
const mailbox = { userId, deviceId: 1 };
const message = (n: number): NewMessage => ({
  ...mailbox,
  messageId: new Uint8Array(16).fill(n),
  envelope: new Uint8Array([n]),
  receivedAt: 1000,
  expiresAt: 1100,
});

let dir: string | undefined;
let store: Store | undefined;
afterEach(async () => {
  await store?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("sqlite store file", () => {
  it("keeps queued messages across reopening the file", async () => {
    dir = mkdtempSync(join(tmpdir(), "parley-store-"));
    const path = join(dir, "relay.sqlite");
    store = openSqliteStore(path);
    const device = { userId, deviceId: 1, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) };
    const saved = await store.saveDeviceList({
      userId,
      accountKey: new Uint8Array(32),
      deviceList: new Uint8Array([1]),
      sequence: 1,
      deviceIds: [1],
      device,
    });
    expect(saved.ok).toBe(true);
    expect(await store.enqueue([message(1), message(2)], 10)).toEqual(["ok", "ok"]);
    await store.close();
    store = openSqliteStore(path);
    expect((await store.fetchMessages(mailbox, 0, 10)).map((m) => m.messageId[0])).toEqual([1, 2]);
  });
});
