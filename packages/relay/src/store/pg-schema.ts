/**
 * The PostgreSQL schema of the relay store and its versioned migrations. Every node runs
 * `migrate` on start: one transaction under a transaction-scoped advisory lock creates the
 * schema if missing and applies the migrations not yet recorded in `schema_migrations`, so
 * nodes starting together need no coordination and a second start changes nothing.
 */

import type { PoolClient } from "pg";

/** One schema change, applied once per schema in version order. */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/**
 * The migrations, oldest first. Append only: a released migration is never edited.
 *
 * Version 1 notes:
 * - `mailboxes` holds each mailbox's seq counter. An enqueue locks the row, so enqueues to one
 *   mailbox commit in seq order and a reader fetching `seq > afterSeq` never skips a row. The
 *   row outlives its device (`present` false), so a re-added device continues its seqs.
 * - `seen_ids` holds every id of a mailbox: queued (`forget_at` NULL) or remembered after an
 *   ack or expiry until `forget_at`; its primary key is the dedupe.
 * - `shared_payloads.refs` counts the queued rows naming a payload; the row that takes it to 0
 *   also empties the payload, and `purgeDedupe`/`expireMessages` delete emptied rows.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "relay store",
    sql: `
CREATE TABLE accounts (
  user_id bytea PRIMARY KEY,
  account_key bytea NOT NULL,
  device_list bytea NOT NULL,
  list_sequence bigint NOT NULL,
  device_ids integer[] NOT NULL,
  handle text UNIQUE,
  token_hash bytea,
  sealed_open boolean NOT NULL DEFAULT false
);
CREATE TABLE devices (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  certificate bytea NOT NULL,
  signing_key bytea NOT NULL,
  signed_prekey bytea,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE mailboxes (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  present boolean NOT NULL,
  last_seq bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE one_time_prekeys (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  key_id integer NOT NULL,
  record bytea NOT NULL,
  PRIMARY KEY (user_id, device_id, key_id)
);
CREATE TABLE kem_prekeys (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  key_id integer NOT NULL,
  last_resort boolean NOT NULL,
  record bytea NOT NULL,
  PRIMARY KEY (user_id, device_id, last_resort, key_id)
);
CREATE SEQUENCE shared_payload_ids;
CREATE TABLE shared_payloads (
  payload_id bigint PRIMARY KEY,
  payload bytea NOT NULL,
  refs integer NOT NULL
);
CREATE INDEX shared_payloads_unused ON shared_payloads (payload_id) WHERE refs <= 0;
CREATE TABLE messages (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  seq bigint NOT NULL,
  message_id bytea NOT NULL,
  envelope bytea NOT NULL,
  received_at bigint NOT NULL,
  expires_at bigint NOT NULL,
  payload_id bigint,
  PRIMARY KEY (user_id, device_id, seq),
  UNIQUE (user_id, device_id, message_id)
);
CREATE INDEX messages_by_expiry ON messages (expires_at);
CREATE TABLE seen_ids (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  message_id bytea NOT NULL,
  forget_at bigint,
  PRIMARY KEY (user_id, device_id, message_id)
);
CREATE INDEX seen_ids_by_forget ON seen_ids (forget_at) WHERE forget_at IS NOT NULL;
CREATE TABLE expiry_notices (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  count integer NOT NULL,
  first_at bigint NOT NULL,
  last_at bigint NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE blobs (
  blob_id text PRIMARY KEY,
  capability_hash bytea NOT NULL,
  max_size bigint NOT NULL,
  ticket_expires_at bigint NOT NULL,
  size bigint,
  expires_at bigint,
  owner bytea,
  upload_offset bigint NOT NULL DEFAULT 0,
  created_at bigint
);
CREATE INDEX blobs_by_owner ON blobs (owner);
CREATE INDEX blobs_by_ticket_expiry ON blobs (ticket_expires_at) WHERE size IS NULL;
CREATE INDEX blobs_by_expiry ON blobs (expires_at);
`,
  },
  {
    version: 2,
    name: "web push subscriptions and relay settings",
    sql: `
CREATE TABLE push_subscriptions (
  user_id bytea NOT NULL,
  device_id integer NOT NULL,
  endpoint text NOT NULL,
  p256dh bytea NOT NULL,
  auth bytea NOT NULL,
  PRIMARY KEY (user_id, device_id)
);
CREATE TABLE settings (
  name text PRIMARY KEY,
  value bytea NOT NULL
);
`,
  },
];

/** The newest schema version this relay knows. */
export const PG_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Checks a schema name (lower-case letters, digits, `_`; at most 63), so it needs no quoting anywhere. */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new RangeError(`PostgreSQL schema "${schema}" must be 1-63 lower-case letters, digits or "_", not starting with a digit`);
  return schema;
}

/**
 * Creates `schema` if missing and applies pending migrations, in one transaction under an
 * advisory lock keyed by the schema name (concurrent starts wait for the first, then find
 * nothing to do). `client` must not be in a transaction. Throws if the schema is newer than
 * this relay.
 */
export async function migrate(client: PoolClient, schema: string): Promise<void> {
  checkSchemaName(schema);
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`parley-relay-migrations:${schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await client.query(`SET LOCAL search_path TO ${schema}`);
    await client.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const applied = await client.query<{ version: number }>("SELECT version FROM schema_migrations");
    const done = new Set(applied.rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...done);
    if (newest > PG_SCHEMA_VERSION) throw new Error(`store schema ${newest} is newer than this relay (${PG_SCHEMA_VERSION})`);
    for (const migration of MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await client.query(migration.sql);
      await client.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [migration.version, migration.name]);
    }
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
