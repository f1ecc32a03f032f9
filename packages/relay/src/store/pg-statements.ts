/**
 * The SQL of the PostgreSQL store's hot paths, as named prepared statements (parsed and
 * planned once per connection). Batches travel as arrays and are expanded with `unnest`, so a
 * batch of any size, or a fan-out to thousands of devices, is a fixed number of statements.
 */

import type { QueryConfig } from "pg";

const named = (name: string, text: string): Omit<QueryConfig, "values"> => ({ name: `parley_${name}`, text });

/**
 * Locks the named mailboxes that have a device, in key order (two batches naming the same
 * mailboxes never deadlock). The lock is held until commit, so enqueues to one mailbox
 * serialise and commit in the order of the seqs they take.
 */
export const LOCK_MAILBOXES = named(
  "lock_mailboxes",
  "SELECT mb.user_id, mb.device_id, mb.last_seq FROM mailboxes mb " +
    "JOIN unnest($1::bytea[], $2::int[]) AS k(user_id, device_id) ON mb.user_id = k.user_id AND mb.device_id = k.device_id " +
    "WHERE mb.present ORDER BY mb.user_id, mb.device_id FOR UPDATE OF mb",
);

/**
 * After the lock (a fresh snapshot): the depth of each mailbox (kind 'depth'), and which of the
 * batch's ids are already known — queued (kind 'queued') or remembered (kind 'remembered').
 */
export const MAILBOX_STATE = named(
  "mailbox_state",
  "SELECT 'depth' AS kind, m.user_id, m.device_id, NULL::bytea AS message_id, count(*)::int AS depth FROM messages m " +
    "JOIN unnest($1::bytea[], $2::int[]) AS k(user_id, device_id) ON m.user_id = k.user_id AND m.device_id = k.device_id " +
    "GROUP BY m.user_id, m.device_id " +
    "UNION ALL " +
    "SELECT CASE WHEN s.forget_at IS NULL THEN 'queued' ELSE 'remembered' END, s.user_id, s.device_id, s.message_id, 0 FROM seen_ids s " +
    "JOIN unnest($3::bytea[], $4::int[], $5::bytea[]) AS k(user_id, device_id, message_id) " +
    "ON s.user_id = k.user_id AND s.device_id = k.device_id AND s.message_id = k.message_id",
);

/** `$1` fresh shared-payload ids. */
export const PAYLOAD_IDS = named("payload_ids", "SELECT nextval('shared_payload_ids') AS id FROM generate_series(1, $1::int)");

/** Stores the accepted rows of a batch, their payloads and ids, and the mailboxes' new last seqs. */
export const INSERT_BATCH = named(
  "insert_batch",
  "WITH p AS (INSERT INTO shared_payloads (payload_id, payload, refs) SELECT * FROM unnest($1::bigint[], $2::bytea[], $3::int[])), " +
    "m AS (INSERT INTO messages (user_id, device_id, seq, message_id, envelope, received_at, expires_at, payload_id) " +
    "SELECT * FROM unnest($4::bytea[], $5::int[], $6::bigint[], $7::bytea[], $8::bytea[], $9::bigint[], $10::bigint[], $11::bigint[])), " +
    "s AS (INSERT INTO seen_ids (user_id, device_id, message_id) SELECT * FROM unnest($4::bytea[], $5::int[], $7::bytea[]) " +
    "ON CONFLICT (user_id, device_id, message_id) DO UPDATE SET forget_at = NULL) " +
    "UPDATE mailboxes mb SET last_seq = k.last_seq FROM unnest($12::bytea[], $13::int[], $14::bigint[]) AS k(user_id, device_id, last_seq) " +
    "WHERE mb.user_id = k.user_id AND mb.device_id = k.device_id",
);

/** A mailbox's rows after `$3`, oldest first, each completed by its shared payload. */
export const FETCH_MESSAGES = named(
  "fetch_messages",
  "SELECT m.seq, m.message_id, m.envelope, m.received_at, p.payload FROM messages m " +
    "LEFT JOIN shared_payloads p ON p.payload_id = m.payload_id " +
    "WHERE m.user_id = $1 AND m.device_id = $2 AND m.seq > $3 ORDER BY m.seq LIMIT $4",
);

/**
 * Release of deleted rows' payloads, as a CTE over `d` (deleted rows with `payload_id`): the
 * row taking a payload's count to 0 also empties it (the emptied row is deleted later).
 */
const RELEASE_PAYLOADS =
  "r AS (UPDATE shared_payloads p SET refs = p.refs - c.n, payload = CASE WHEN p.refs - c.n <= 0 THEN '\\x'::bytea ELSE p.payload END " +
  "FROM (SELECT payload_id, count(*)::int AS n FROM d WHERE payload_id IS NOT NULL GROUP BY payload_id) c WHERE p.payload_id = c.payload_id)";

/**
 * Deletes acknowledged rows of every ack of a batch in one statement (`$4` is each id's ack
 * index), remembers their ids until `$5`, releases their payloads; one row per ack that deleted any.
 */
export const ACK = named(
  "ack",
  "WITH a AS (SELECT * FROM unnest($1::bytea[], $2::int[], $3::bytea[], $4::int[]) AS a(user_id, device_id, message_id, ack_index)), " +
    "d AS (DELETE FROM messages m USING a WHERE m.user_id = a.user_id AND m.device_id = a.device_id AND m.message_id = a.message_id " +
    "RETURNING m.user_id, m.device_id, m.message_id, m.payload_id, a.ack_index), " +
    "s AS (INSERT INTO seen_ids (user_id, device_id, message_id, forget_at) SELECT user_id, device_id, message_id, $5 FROM d " +
    "ON CONFLICT (user_id, device_id, message_id) DO UPDATE SET forget_at = excluded.forget_at), " +
    `${RELEASE_PAYLOADS} ` +
    "SELECT ack_index, count(*)::int AS deleted FROM d GROUP BY ack_index",
);

/** Expires up to 10,000 rows past `$1`: ids remembered until `$2`, one notice per mailbox; returns the mailboxes. */
export const EXPIRE_MESSAGES = named(
  "expire_messages",
  "WITH e AS (SELECT user_id, device_id, seq FROM messages WHERE expires_at <= $1 ORDER BY expires_at LIMIT 10000 FOR UPDATE SKIP LOCKED), " +
    "d AS (DELETE FROM messages m USING e WHERE m.user_id = e.user_id AND m.device_id = e.device_id AND m.seq = e.seq " +
    "RETURNING m.user_id, m.device_id, m.message_id, m.payload_id, m.received_at), " +
    "s AS (INSERT INTO seen_ids (user_id, device_id, message_id, forget_at) SELECT user_id, device_id, message_id, $2 FROM d " +
    "ON CONFLICT (user_id, device_id, message_id) DO UPDATE SET forget_at = excluded.forget_at), " +
    "n AS (INSERT INTO expiry_notices (user_id, device_id, count, first_at, last_at) " +
    "SELECT user_id, device_id, count(*), min(received_at), max(received_at) FROM d GROUP BY user_id, device_id " +
    "ON CONFLICT (user_id, device_id) DO UPDATE SET count = expiry_notices.count + excluded.count, " +
    "first_at = least(expiry_notices.first_at, excluded.first_at), last_at = greatest(expiry_notices.last_at, excluded.last_at)), " +
    `${RELEASE_PAYLOADS} ` +
    "SELECT DISTINCT user_id, device_id FROM d",
);

/** Deletes the removed devices `$2` of user `$1` with their mailboxes' rows, prekeys, notices and push subscriptions. */
export const REMOVE_DEVICES = named(
  "remove_devices",
  "WITH d AS (DELETE FROM messages WHERE user_id = $1 AND device_id = ANY($2::int[]) RETURNING payload_id), " +
    `${RELEASE_PAYLOADS}, ` +
    "dev AS (DELETE FROM devices WHERE user_id = $1 AND device_id = ANY($2::int[])), " +
    "ot AS (DELETE FROM one_time_prekeys WHERE user_id = $1 AND device_id = ANY($2::int[])), " +
    "kem AS (DELETE FROM kem_prekeys WHERE user_id = $1 AND device_id = ANY($2::int[])), " +
    "nt AS (DELETE FROM expiry_notices WHERE user_id = $1 AND device_id = ANY($2::int[])), " +
    "ps AS (DELETE FROM push_subscriptions WHERE user_id = $1 AND device_id = ANY($2::int[])), " +
    "s AS (DELETE FROM seen_ids WHERE user_id = $1 AND device_id = ANY($2::int[]) AND forget_at IS NULL) " +
    "UPDATE mailboxes SET present = false WHERE user_id = $1 AND device_id = ANY($2::int[])",
);

/**
 * Takes a bundle in one statement. The one-time keys are picked `FOR UPDATE SKIP LOCKED` and
 * deleted, so two nodes taking at once never hand out the same key. No one-time X25519 key is
 * consumed when no ML-KEM key can go with it. `$3`: consume one-time keys.
 */
export const TAKE_BUNDLE = named(
  "take_bundle",
  "WITH dev AS (SELECT certificate, signed_prekey FROM devices WHERE user_id = $1 AND device_id = $2 AND signed_prekey IS NOT NULL), " +
    "lr AS (SELECT record FROM kem_prekeys WHERE user_id = $1 AND device_id = $2 AND last_resort ORDER BY key_id LIMIT 1), " +
    "kem_pick AS (SELECT key_id FROM kem_prekeys WHERE user_id = $1 AND device_id = $2 AND NOT last_resort " +
    "AND EXISTS (SELECT 1 FROM dev) AND ($3::boolean OR NOT EXISTS (SELECT 1 FROM lr)) ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED), " +
    "kem_taken AS (DELETE FROM kem_prekeys k USING kem_pick p WHERE k.user_id = $1 AND k.device_id = $2 AND NOT k.last_resort " +
    "AND k.key_id = p.key_id RETURNING k.record), " +
    "ot_pick AS (SELECT key_id FROM one_time_prekeys WHERE user_id = $1 AND device_id = $2 AND $3::boolean AND EXISTS (SELECT 1 FROM dev) " +
    "AND (EXISTS (SELECT 1 FROM kem_pick) OR EXISTS (SELECT 1 FROM lr)) ORDER BY key_id LIMIT 1 FOR UPDATE SKIP LOCKED), " +
    "ot_taken AS (DELETE FROM one_time_prekeys o USING ot_pick p WHERE o.user_id = $1 AND o.device_id = $2 AND o.key_id = p.key_id RETURNING o.record) " +
    "SELECT dev.certificate, dev.signed_prekey, (SELECT record FROM ot_taken) AS one_time, " +
    "coalesce((SELECT record FROM kem_taken), (SELECT record FROM lr)) AS kem, " +
    "(SELECT count(*)::int FROM one_time_prekeys WHERE user_id = $1 AND device_id = $2) - (SELECT count(*)::int FROM ot_taken) AS one_time_left, " +
    "(SELECT count(*)::int FROM kem_prekeys WHERE user_id = $1 AND device_id = $2 AND NOT last_resort) - (SELECT count(*)::int FROM kem_taken) AS kem_left " +
    "FROM dev",
);

/** One-time prekeys left for a device. */
export const COUNT_PREKEYS = named(
  "count_prekeys",
  "SELECT (SELECT count(*)::int FROM one_time_prekeys WHERE user_id = $1 AND device_id = $2) AS one_time, " +
    "(SELECT count(*)::int FROM kem_prekeys WHERE user_id = $1 AND device_id = $2 AND NOT last_resort) AS kem",
);
