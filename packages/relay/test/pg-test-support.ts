/**
 * Test support for the PostgreSQL store: `describePg` runs a suite only when the shared test
 * server answers — skipping it with the reason locally, failing loudly when CI is set.
 */

import pg from "pg";
import { describe, it } from "vitest";
import { TEST_PG_URL } from "./pg-test-store.js";

export { adminQuery, randomSchema, TEST_PG_URL } from "./pg-test-store.js";

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
