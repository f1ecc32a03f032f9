// The relay's VAPID key lives in the store: generated on first start, the same after a restart,
// and the same on every relay sharing one store (SQLite file, and PostgreSQL when available,
// where nodes starting together race for it). A push signed by a restarted relay still verifies
// with the key clients subscribed with.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createRelay, type Relay } from "../src/relay.js";
import { openPostgresStore } from "../src/store/pg-store.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import type { Store } from "../src/store/store.js";
import { deps } from "./identities.js";
import { adminQuery, describePg, postgresAvailable, randomSchema, TEST_PG_URL } from "./pg-test-support.js";

const dir = mkdtempSync(join(tmpdir(), "parley-vapid-"));
const schemas: string[] = [];
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (postgresAvailable) for (const schema of schemas) await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
});

async function relayOn(store: Store): Promise<Relay> {
  return createRelay({ store, blobDir: join(dir, "blobs"), relayId: "http://relay.test", deps });
}

describe("VAPID key", () => {
  it("is generated on first start and kept across a restart (SQLite)", async () => {
    const path = join(dir, "restart.sqlite");
    const first = await relayOn(openSqliteStore(path));
    const key = first.context.push.vapidPublicKey;
    expect(key).toHaveLength(65);
    expect(key[0]).toBe(4);
    await first.shutdown();
    const second = await relayOn(openSqliteStore(path));
    expect(second.context.push.vapidPublicKey).toEqual(key);
    await second.shutdown();
    const elsewhere = await relayOn(openSqliteStore(join(dir, "other.sqlite")));
    expect(elsewhere.context.push.vapidPublicKey).not.toEqual(key);
    await elsewhere.shutdown();
  });

  it("is shared by two relays on one SQLite file", async () => {
    const path = join(dir, "shared.sqlite");
    const [a, b] = await Promise.all([relayOn(openSqliteStore(path)), relayOn(openSqliteStore(path))]);
    expect(a.context.push.vapidPublicKey).toEqual(b.context.push.vapidPublicKey);
    await Promise.all([a.shutdown(), b.shutdown()]);
  });
});

describePg("VAPID key on PostgreSQL", () => {
  it("is the same on every node of a cluster starting together, and after they restart", async () => {
    const schema = randomSchema();
    schemas.push(schema);
    const url = `${TEST_PG_URL}?schema=${schema}`;
    const nodes = await Promise.all([1, 2, 3].map(async () => relayOn(await openPostgresStore(url, { poolSize: 2 }))));
    const key = nodes[0]?.context.push.vapidPublicKey;
    for (const node of nodes) expect(node.context.push.vapidPublicKey).toEqual(key);
    await Promise.all(nodes.map((n) => n.shutdown()));
    const restarted = await relayOn(await openPostgresStore(url, { poolSize: 2 }));
    expect(restarted.context.push.vapidPublicKey).toEqual(key);
    await restarted.shutdown();
  });
});
