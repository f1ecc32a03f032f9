/**
 * The SQLite schema and connection settings of the relay store. WAL with synchronous=FULL makes
 * every committed transaction durable across a power cut or kill -9 (the commit fsyncs the WAL);
 * secure_delete=ON zeroes deleted rows and freed pages, so acknowledged ciphertext does not stay
 * in the file (the store's checkpoint then clears it from the WAL).
 */

import type Database from "better-sqlite3";

/** Bumped when the schema changes; stored in `user_version`. */
export const SCHEMA_VERSION = 5;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (
  user_id BLOB PRIMARY KEY,
  account_key BLOB NOT NULL,
  device_list BLOB NOT NULL,
  list_sequence INTEGER NOT NULL,
  device_ids TEXT NOT NULL,
  handle TEXT UNIQUE,
  token_hash BLOB,
  sealed_open INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS devices (
  user_id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  certificate BLOB NOT NULL,
  signing_key BLOB NOT NULL,
  signed_prekey BLOB,
  PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS one_time_prekeys (
  user_id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (user_id, device_id, key_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS kem_prekeys (
  user_id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  key_id INTEGER NOT NULL,
  last_resort INTEGER NOT NULL,
  record BLOB NOT NULL,
  PRIMARY KEY (user_id, device_id, last_resort, key_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  message_id BLOB NOT NULL,
  envelope BLOB NOT NULL,
  received_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL,
  payload_id INTEGER,
  UNIQUE (user_id, device_id, message_id)
);
CREATE INDEX IF NOT EXISTS messages_by_mailbox ON messages (user_id, device_id, seq);
CREATE INDEX IF NOT EXISTS messages_by_payload ON messages (payload_id) WHERE payload_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS shared_payloads (
  payload_id INTEGER PRIMARY KEY,
  payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_ids (
  user_id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  message_id BLOB NOT NULL,
  forget_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id, message_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS seen_ids_by_forget ON seen_ids (forget_at);
CREATE TABLE IF NOT EXISTS expiry_notices (
  user_id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  count INTEGER NOT NULL,
  first_at INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
  blob_id TEXT PRIMARY KEY,
  capability_hash BLOB NOT NULL,
  max_size INTEGER NOT NULL,
  ticket_expires_at INTEGER NOT NULL,
  size INTEGER,
  expires_at INTEGER,
  owner BLOB,
  upload_offset INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_by_owner ON blobs (owner);
CREATE TABLE IF NOT EXISTS push_subscriptions (
  user_id BLOB NOT NULL,
  device_id INTEGER NOT NULL,
  endpoint TEXT NOT NULL,
  p256dh BLOB NOT NULL,
  auth BLOB NOT NULL,
  PRIMARY KEY (user_id, device_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS settings (
  name TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
`;

/** Applies pragmas and creates the schema; throws if the file has a newer schema. */
export function prepareDatabase(db: Database.Database): void {
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = FULL");
  db.pragma("foreign_keys = OFF");
  // ON, not FAST: FAST leaves freed overflow pages (envelopes over ~4 KB) unzeroed in the file.
  db.pragma("secure_delete = ON");
  db.pragma("busy_timeout = 5000");
  const version = db.pragma("user_version", { simple: true }) as number;
  if (version > SCHEMA_VERSION) throw new Error(`store schema ${version} is newer than this relay (${SCHEMA_VERSION})`);
  // Version 2 added the blob's owner (for per-account quotas); blobs of version 1 have none.
  // Version 3 added resumable uploads: the durable offset, and when the ticket was granted
  // (bounds how long progress keeps a ticket alive); older tickets have no grant time.
  const blobColumns = (db.pragma("table_info(blobs)") as { name: string }[]).map((c) => c.name);
  if (blobColumns.length > 0) {
    for (const [column, type] of [
      ["owner", "BLOB"],
      ["upload_offset", "INTEGER NOT NULL DEFAULT 0"],
      ["created_at", "INTEGER"],
    ] as const)
      if (!blobColumns.includes(column)) db.exec(`ALTER TABLE blobs ADD COLUMN ${column} ${type}`);
  }
  // Version 3 added shared payloads of multi-recipient sends: a message row may name one.
  const messageColumns = db.pragma("table_info(messages)") as { name: string }[];
  if (messageColumns.length > 0 && !messageColumns.some((c) => c.name === "payload_id")) {
    db.exec("ALTER TABLE messages ADD COLUMN payload_id INTEGER");
  }
  // Version 5 added Web Push subscriptions and relay settings (the VAPID key): new tables only.
  db.exec(SCHEMA);
  // Version 4 expires messages in `seq` order and dropped the expiry index (one B-tree less per message).
  db.exec("DROP INDEX IF EXISTS messages_by_expiry");
  db.pragma(`user_version = ${SCHEMA_VERSION}`);
}
