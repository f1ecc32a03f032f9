/**
 * Durable mailboxes of the PostgreSQL store: enqueue (a batch in one transaction of a fixed
 * number of statements), fetch, ack, expiry and dedupe. An enqueue locks its mailboxes' seq
 * rows first, then reads depths and known ids with a fresh snapshot, decides every message's
 * outcome here, and writes all accepted rows with one statement.
 */

import { ACK, EXPIRE_MESSAGES, FETCH_MESSAGES, INSERT_BATCH, LOCK_MAILBOXES, MAILBOX_STATE, PAYLOAD_IDS } from "./pg-statements.js";
import type { PgContext, Tx } from "./pg-store.js";
import type { EnqueueOutcome, ExpiryNotice, Mailbox, NewMessage, QueuedMessage, SharedPayload, Store } from "./store.js";

type MailboxMethods = Pick<
  Store,
  "enqueue" | "enqueueMany" | "fetchMessages" | "ack" | "queueDepth" | "expireMessages" | "takeExpiryNotice" | "purgeDedupe"
>;

/** A bytea value as a Uint8Array (pg gives Buffers). */
export const bytes = (value: unknown): Uint8Array => {
  const b = value as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};
const hex = (value: Uint8Array): string => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");
const mailboxKey = (userId: Uint8Array, deviceId: number): string => `${hex(userId)}.${deviceId}`;
const idKey = (userId: Uint8Array, deviceId: number, messageId: Uint8Array): string => `${mailboxKey(userId, deviceId)}.${hex(messageId)}`;

/** What the store knows about a batch's mailboxes once they are locked. */
interface BatchState {
  /** Locked mailboxes (those with a device) → { depth, last seq }. */
  readonly mailboxes: Map<string, { depth: number; lastSeq: number; userId: Uint8Array; deviceId: number }>;
  readonly queued: Set<string>;
  readonly remembered: Set<string>;
}

/** Locks the batch's mailboxes, then reads their depths and which ids they already know. */
async function readBatchState(tx: Tx, batch: readonly NewMessage[]): Promise<BatchState> {
  const distinct = new Map<string, Mailbox>();
  for (const m of batch) distinct.set(mailboxKey(m.userId, m.deviceId), m);
  const users = [...distinct.values()].map((m) => m.userId);
  const devices = [...distinct.values()].map((m) => m.deviceId);
  const locked = await tx.query({ ...LOCK_MAILBOXES, values: [users, devices] });
  const mailboxes: BatchState["mailboxes"] = new Map();
  for (const row of locked.rows) {
    const userId = bytes(row.user_id);
    mailboxes.set(mailboxKey(userId, row.device_id), { depth: 0, lastSeq: row.last_seq, userId, deviceId: row.device_id });
  }
  const queued = new Set<string>();
  const remembered = new Set<string>();
  if (mailboxes.size === 0) return { mailboxes, queued, remembered };
  const state = await tx.query({
    ...MAILBOX_STATE,
    values: [users, devices, batch.map((m) => m.userId), batch.map((m) => m.deviceId), batch.map((m) => m.messageId)],
  });
  for (const row of state.rows) {
    const userId = bytes(row.user_id);
    if (row.kind === "depth") {
      const mailbox = mailboxes.get(mailboxKey(userId, row.device_id));
      if (mailbox) mailbox.depth = row.depth;
    } else {
      (row.kind === "queued" ? queued : remembered).add(idKey(userId, row.device_id, bytes(row.message_id)));
    }
  }
  return { mailboxes, queued, remembered };
}

/** Decides each message's outcome as the SQLite store does, assigning seqs to the accepted ones. */
function decide(batch: readonly NewMessage[], state: BatchState, maxDepth: number): { outcomes: EnqueueOutcome[]; seqs: number[] } {
  const accepted = new Set<string>();
  const seqs: number[] = [];
  const outcomes = batch.map((m): EnqueueOutcome => {
    const mailbox = state.mailboxes.get(mailboxKey(m.userId, m.deviceId));
    if (!mailbox) return "no_mailbox";
    const key = idKey(m.userId, m.deviceId, m.messageId);
    // A remembered id is a duplicate even in a full mailbox.
    if (mailbox.depth >= maxDepth) return state.remembered.has(key) ? "duplicate" : "queue_full";
    if (state.queued.has(key) || state.remembered.has(key) || accepted.has(key)) return "duplicate";
    accepted.add(key);
    mailbox.depth++;
    seqs.push(++mailbox.lastSeq);
    return "ok";
  });
  return { outcomes, seqs };
}

/** Writes the accepted messages, each distinct shared payload once (only if some message of it was accepted). */
async function insertAccepted(tx: Tx, rows: readonly NewMessage[], seqs: readonly number[], state: BatchState): Promise<void> {
  const refs = new Map<SharedPayload, number>();
  for (const m of rows) if (m.shared) refs.set(m.shared, (refs.get(m.shared) ?? 0) + 1);
  const payloads = [...refs.keys()];
  const payloadIds = new Map<SharedPayload, number>();
  if (payloads.length > 0) {
    const ids = await tx.query({ ...PAYLOAD_IDS, values: [payloads.length] });
    for (const [i, payload] of payloads.entries()) payloadIds.set(payload, ids.rows[i]?.id);
  }
  const mailboxes = [...state.mailboxes.values()];
  await tx.query({
    ...INSERT_BATCH,
    values: [
      payloads.map((p) => payloadIds.get(p)),
      payloads.map((p) => p.bytes),
      payloads.map((p) => refs.get(p)),
      rows.map((m) => m.userId),
      rows.map((m) => m.deviceId),
      seqs,
      rows.map((m) => m.messageId),
      rows.map((m) => m.envelope),
      rows.map((m) => m.receivedAt),
      rows.map((m) => m.expiresAt),
      rows.map((m) => (m.shared ? payloadIds.get(m.shared) : null)),
      mailboxes.map((m) => m.userId),
      mailboxes.map((m) => m.deviceId),
      mailboxes.map((m) => m.lastSeq),
    ],
  });
}

/** The mailbox methods of a PostgreSQL store. */
export function openPgMailboxes(db: PgContext): MailboxMethods {
  const enqueue = async (batch: readonly NewMessage[], maxDepth: number): Promise<EnqueueOutcome[]> => {
    if (batch.length === 0) return [];
    return db.transaction(async (tx) => {
      const state = await readBatchState(tx, batch);
      const { outcomes, seqs } = decide(batch, state, maxDepth);
      const rows = batch.filter((_, i) => outcomes[i] === "ok");
      if (rows.length > 0) await insertAccepted(tx, rows, seqs, state);
      return outcomes;
    });
  };

  return {
    enqueue,
    enqueueMany: (payload, messages, maxDepth) =>
      enqueue(
        messages.map((m) => ({ ...m, shared: payload })),
        maxDepth,
      ),
    async fetchMessages(m, afterSeq, limit) {
      const result = await db.query({ ...FETCH_MESSAGES, values: [m.userId, m.deviceId, afterSeq, limit] });
      return result.rows.map(
        (r): QueuedMessage => ({
          seq: r.seq,
          messageId: bytes(r.message_id),
          // A fan-out's row holds the device's start of the envelope; the shared payload completes it.
          envelope: r.payload ? new Uint8Array(Buffer.concat([r.envelope, r.payload])) : bytes(r.envelope),
          receivedAt: r.received_at,
        }),
      );
    },
    async ack(acks, forgetAt) {
      const flat = acks.flatMap((a, index) => a.messageIds.map((messageId) => ({ ...a.mailbox, messageId, index })));
      const deleted = acks.map(() => 0);
      if (flat.length === 0) return deleted;
      const result = await db.query({
        ...ACK,
        values: [flat.map((a) => a.userId), flat.map((a) => a.deviceId), flat.map((a) => a.messageId), flat.map((a) => a.index), forgetAt],
      });
      for (const row of result.rows) deleted[row.ack_index] = row.deleted;
      return deleted;
    },
    async queueDepth(m) {
      const result = await db.query({
        text: "SELECT count(*)::int AS n FROM messages WHERE user_id = $1 AND device_id = $2",
        values: [m.userId, m.deviceId],
      });
      return result.rows[0]?.n ?? 0;
    },
    async expireMessages(now, forgetAt) {
      const result = await db.query({ ...EXPIRE_MESSAGES, values: [now, forgetAt] });
      await db.query({ text: "DELETE FROM shared_payloads WHERE refs <= 0" });
      return result.rows.map((r): Mailbox => ({ userId: bytes(r.user_id), deviceId: r.device_id }));
    },
    async takeExpiryNotice(m) {
      const result = await db.query({
        text: "DELETE FROM expiry_notices WHERE user_id = $1 AND device_id = $2 RETURNING count, first_at, last_at",
        values: [m.userId, m.deviceId],
      });
      const row = result.rows[0];
      return row ? ({ count: row.count, firstAt: row.first_at, lastAt: row.last_at } satisfies ExpiryNotice) : undefined;
    },
    async purgeDedupe(now) {
      await db.query({ text: "DELETE FROM seen_ids WHERE forget_at <= $1", values: [now] });
      await db.query({ text: "DELETE FROM shared_payloads WHERE refs <= 0" });
    },
  };
}
