/**
 * Test support for the PostgreSQL store: the shared test server's URL, a random schema name per
 * test file, and `describePg`, which runs a suite only when the server answers — skipping it
 * with the reason locally, failing loudly when CI is set.
 */

import { randomBytes } from "node:crypto";
import pg from "pg";
import { describe, it } from "vitest";

/** The shared test server (trust auth, database `test`); PARLEY_TEST_PG overrides it. */
export const TEST_PG_URL = process.env.PARLEY_TEST_PG ?? "postgres://postgres@127.0.0.1:5432/test";

/** A schema name no other test run uses. */
export function randomSchema(prefix = "parley_test"): string {
  return `${prefix}_${randomBytes(6).toString("hex")}`;
}

/** Why the server cannot be used, or undefined when it answers. */
async function unavailableReason(url: string): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on("error", () => undefined);
  try {
    await client.connect();
    await client.query("SELECT 1");
    return undefined;
  } catch (error) {
    return `PostgreSQL at ${url} does not answer (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const reason = await unavailableReason(TEST_PG_URL);

/** `describe` when the test server answers; otherwise a skipped suite (or, with CI set, a failing test). */
export function describePg(name: string, suite: () => void): void {
  if (reason === undefined) {
    describe(name, suite);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it("needs PostgreSQL", () => {
        throw new Error(`${reason}; CI must run the PostgreSQL store tests`);
      });
    });
    return;
  }
  describe.skip(`${name} (skipped: ${reason})`, suite);
}

/** Whether the shared test server answered. */
export const postgresAvailable = reason === undefined;

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
