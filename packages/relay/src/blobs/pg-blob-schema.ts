/**
 * The PostgreSQL tables of blob bytes (pg-blob-storage.ts), versioned: `blob_schema_version`
 * holds the version, and each step below runs once, in order, inside one transaction under an
 * advisory lock, so nodes starting together migrate once and the others wait, then see it done.
 */

import type pg from "pg";

/** First key of the migration's advisory lock (the second is taken from the schema name). */
const MIGRATION_LOCK_CLASS = 0x626c6f63;

/** Schema steps; version N is reached by running steps[0..N-1]. Never edit a released step: add one. */
const STEPS: readonly ((schema: string) => string)[] = [
  (s) => `
    CREATE TABLE ${s}.blobs (
      blob_id text PRIMARY KEY,
      size bigint NOT NULL
    );
    CREATE TABLE ${s}.blob_chunks (
      blob_id text NOT NULL,
      complete boolean NOT NULL,
      start bigint NOT NULL,
      len integer NOT NULL,
      data bytea NOT NULL,
      PRIMARY KEY (blob_id, complete, start)
    );
    ALTER TABLE ${s}.blob_chunks ALTER COLUMN data SET STORAGE EXTERNAL;`,
];

/** The newest schema version. */
export const BLOB_SCHEMA_VERSION = STEPS.length;

/** A stable 32-bit key of the schema name, for its migration lock. */
function schemaKey(schema: string): number {
  let hash = 0;
  for (const char of schema) hash = (Math.imul(hash, 31) + (char.codePointAt(0) ?? 0)) | 0;
  return hash;
}

/** Creates `schema` if missing and brings its blob tables to {@link BLOB_SCHEMA_VERSION}. */
export async function migrateBlobSchema(client: pg.PoolClient, schema: string): Promise<void> {
  const s = `"${schema}"`;
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1, $2)", [MIGRATION_LOCK_CLASS, schemaKey(schema)]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.blob_schema_version (version integer NOT NULL)`);
    const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.blob_schema_version`);
    const current = rows[0]?.version ?? 0;
    if (current > BLOB_SCHEMA_VERSION)
      throw new RangeError(`blob schema version ${current} is newer than this relay (${BLOB_SCHEMA_VERSION})`);
    for (let version = current; version < BLOB_SCHEMA_VERSION; version++) await client.query((STEPS[version] as (s: string) => string)(s));
    if (rows.length === 0) await client.query(`INSERT INTO ${s}.blob_schema_version (version) VALUES ($1)`, [BLOB_SCHEMA_VERSION]);
    else await client.query(`UPDATE ${s}.blob_schema_version SET version = $1`, [BLOB_SCHEMA_VERSION]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => {});
    throw error;
  }
}
