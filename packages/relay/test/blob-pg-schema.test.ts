// The PostgreSQL blob schema: nodes starting together on a new schema each migrate without
// coordination (an advisory lock serialises them; the schema is created once, at version 1), a
// node finding the schema already current changes nothing, and a schema newer than the relay is
// refused instead of being written to. Skipped locally without PostgreSQL; fails in CI.

import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { BLOB_SCHEMA_VERSION } from "../src/blobs/pg-blob-schema.js";
import { PG_URL, postgresAvailable, postgresBackend } from "./blob-backends.js";

const PG_UP = await postgresAvailable();
const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe.skipIf(!PG_UP)("PostgreSQL blob schema", () => {
  it("is created once when four nodes start together, and opening it again changes nothing", async () => {
    const backend = await postgresBackend();
    cleanups.push(() => backend.destroy());
    const nodes = await Promise.all(Array.from({ length: 4 }, () => backend.open()));
    cleanups.push(async () => {
      for (const node of nodes) await node.close();
    });
    const schema = new URL(backend.url).searchParams.get("schema") as string;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      const versions = await admin.query(`SELECT version FROM "${schema}".blob_schema_version`);
      expect(versions.rows).toEqual([{ version: BLOB_SCHEMA_VERSION }]);
      const again = await backend.open();
      await again.close();
      expect((await admin.query(`SELECT version FROM "${schema}".blob_schema_version`)).rows).toEqual([{ version: BLOB_SCHEMA_VERSION }]);
      // Written by one node, read by another.
      const body = (async function* () {
        yield new Uint8Array([1, 2, 3]);
      })();
      expect(await nodes[0]?.write("aa".repeat(16), body, 3)).toEqual({ ok: true, size: 3 });
      expect(await nodes[3]?.size("aa".repeat(16))).toBe(3);
    } finally {
      await admin.end();
    }
  });

  it("refuses a schema newer than this relay", async () => {
    const backend = await postgresBackend();
    cleanups.push(() => backend.destroy());
    const first = await backend.open();
    await first.close();
    const schema = new URL(backend.url).searchParams.get("schema") as string;
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    try {
      await admin.query(`UPDATE "${schema}".blob_schema_version SET version = $1`, [BLOB_SCHEMA_VERSION + 1]);
    } finally {
      await admin.end();
    }
    await expect(backend.open()).rejects.toThrow(/newer than this relay/);
  });
});
