/**
 * Test support for the PostgreSQL store that connects to nothing on import: the shared test
 * server's URL, random schema names, an admin query, and the store the handler-level tests
 * run on (in-memory SQLite, or PostgreSQL with `PARLEY_TEST_STORE=postgres`).
 */

import { randomBytes } from "node:crypto";
import pg from "pg";
import { openPostgresStore } from "../src/store/pg-store.js";
import { openSqliteStore } from "../src/store/sqlite-store.js";
import type { Store } from "../src/store/store.js";

/** The shared test server (trust auth, database `test`); PARLEY_TEST_PG overrides it. */
export const TEST_PG_URL = process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

/** A schema name no other test run uses. */
export function randomSchema(prefix = "parley_test"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** Runs `sql` on the test server on a connection of its own. */
export async function adminQuery(sql: string, values: unknown[] = []): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: TEST_PG_URL, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  await client.connect();
  try {
    return await client.query(sql, values);
  } finally {
    await client.end();
  }
}

/** How long the handler harness waits after a frame for deliveries from a PostgreSQL store. */
export const POSTGRES_SETTLE_MS = 40;

/**
 * The store handler-level tests run on: in-memory SQLite, or with `PARLEY_TEST_STORE=postgres`
 * a PostgreSQL store in a fresh schema of the test server. `dispose` (after the store is
 * closed) drops that schema.
 */
export async function openTestStore(): Promise<{ store: Store; settleMs: number; dispose(): Promise<void> }> {
  if (process.env.PARLEY_TEST_STORE !== "postgres")
    return { store: openSqliteStore(":memory:"), settleMs: 0, dispose: async () => undefined };
  const schema = randomSchema("parley_handler");
  const store = await openPostgresStore(TEST_PG_URL, { schema, poolSize: 4 });
  // The delivery pump's round trips to the server outlast the harness's wait for the handler.
  return { store, settleMs: POSTGRES_SETTLE_MS, dispose: async () => void (await adminQuery(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)) };
}
