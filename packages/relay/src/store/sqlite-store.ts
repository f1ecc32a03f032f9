/**
 * The default Store: one SQLite file (better-sqlite3) in the data directory. Calls run
 * synchronously inside the promise, each in its own transaction; `enqueue` takes a whole
 * group-commit batch, so one fsync covers every send of an event-loop turn.
 */

import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { prepareDatabase } from "./sqlite-schema.js";
import { asStorageError } from "./storage-error.js";
import { StorageHealth } from "./storage-health.js";
import type {
  AccountRecord,
  BlobQuota,
  BlobRecord,
  DeviceListResult,
  DeviceListUpdate,
  DeviceRecord,
  EnqueueOutcome,
  EnqueueReport,
  ExpiryNotice,
  Mailbox,
  MailboxAck,
  NewMessage,
  PreKeyCounts,
  PreKeyUpload,
  QueuedMessage,
  SharedPayload,
  Store,
  TakenBundle,
} from "./store.js";

type Row = Record<string, unknown>;
const bytes = (value: unknown): Uint8Array => {
  const b = value as Buffer;
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};
const hex = (value: Uint8Array): string => Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString("hex");

function toAccount(row: Row): AccountRecord {
  return {
    userId: bytes(row.user_id),
    accountKey: bytes(row.account_key),
    deviceList: bytes(row.device_list),
    listSequence: row.list_sequence as number,
    deviceIds: JSON.parse(row.device_ids as string) as number[],
    handle: (row.handle as string | null) ?? undefined,
    tokenHash: row.token_hash ? bytes(row.token_hash) : undefined,
    sealedOpen: row.sealed_open === 1,
  };
}

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /**
   * How long after an ack or expiry deleted messages the WAL is checkpointed and truncated, so
   * the deleted ciphertext leaves the WAL file (ms, default {@link WAL_CLEAR_DELAY_MS}).
   */
  readonly walClearDelayMs?: number;
}

/**
 * Default delay before deleted ciphertext is cleared from the WAL: short enough that an
 * acknowledged message is gone from disk within seconds, long enough that a busy relay
 * checkpoints about once a second rather than once per ack batch.
 */
export const WAL_CLEAR_DELAY_MS = 1000;

/** Opens (creating if needed) the store at `path` (`":memory:"` for tests). */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): Store {
  const db = new Database(path);
  prepareDatabase(db);
  // Deleted rows are zeroed in place (secure_delete), but their earlier versions stay in WAL
  // frames until a checkpoint copies the pages back and the WAL is truncated. A TRUNCATE
  // checkpoint shortly after each deletion bounds how long acknowledged ciphertext stays on disk.
  let walTimer: NodeJS.Timeout | undefined;
  const clearWal = () => {
    walTimer = undefined;
    try {
      if (db.open) db.pragma("wal_checkpoint(TRUNCATE)");
    } catch {
      // Busy or out of space: the next deletion schedules another try.
    }
  };
  const scheduleWalClear = () => {
    if (walTimer || path === ":memory:") return;
    walTimer = setTimeout(clearWal, options.walClearDelayMs ?? WAL_CLEAR_DELAY_MS);
    walTimer.unref();
  };
  const q = (sql: string) => db.prepare(sql);
  const s = {
    account: q("SELECT * FROM accounts WHERE user_id = ?"),
    accountByHandle: q("SELECT * FROM accounts WHERE handle = ?"),
    insertAccount: q(
      "INSERT INTO accounts (user_id, account_key, device_list, list_sequence, device_ids) VALUES (?, ?, ?, ?, ?) " +
        "ON CONFLICT (user_id) DO UPDATE SET device_list = excluded.device_list, list_sequence = excluded.list_sequence, device_ids = excluded.device_ids",
    ),
    device: q("SELECT * FROM devices WHERE user_id = ? AND device_id = ?"),
    upsertDevice: q(
      "INSERT INTO devices (user_id, device_id, certificate, signing_key) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (user_id, device_id) DO UPDATE SET certificate = excluded.certificate, signing_key = excluded.signing_key, " +
        "signed_prekey = CASE WHEN devices.signing_key = excluded.signing_key THEN devices.signed_prekey ELSE NULL END",
    ),
    deleteDevice: q("DELETE FROM devices WHERE user_id = ? AND device_id = ?"),
    deleteOneTime: q("DELETE FROM one_time_prekeys WHERE user_id = ? AND device_id = ?"),
    deleteKem: q("DELETE FROM kem_prekeys WHERE user_id = ? AND device_id = ?"),
    deleteMail: q("DELETE FROM messages WHERE user_id = ? AND device_id = ?"),
    deleteNotice: q("DELETE FROM expiry_notices WHERE user_id = ? AND device_id = ?"),
    deletePush: q("DELETE FROM push_subscriptions WHERE user_id = ? AND device_id = ?"),
    deletePushIf: q("DELETE FROM push_subscriptions WHERE user_id = ? AND device_id = ? AND endpoint = ?"),
    getPush: q("SELECT endpoint, p256dh, auth FROM push_subscriptions WHERE user_id = ? AND device_id = ?"),
    setPush: q(
      "INSERT INTO push_subscriptions (user_id, device_id, endpoint, p256dh, auth) " +
        "SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?) " +
        "ON CONFLICT (user_id, device_id) DO UPDATE SET endpoint = excluded.endpoint, p256dh = excluded.p256dh, auth = excluded.auth",
    ),
    insertSetting: q("INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING"),
    setting: q("SELECT value FROM settings WHERE name = ?"),
    setHandle: q("UPDATE accounts SET handle = ? WHERE user_id = ?"),
    setToken: q("UPDATE accounts SET token_hash = ?, sealed_open = ? WHERE user_id = ?"),
    setSigned: q("UPDATE devices SET signed_prekey = ? WHERE user_id = ? AND device_id = ?"),
    putOneTime: q("INSERT OR REPLACE INTO one_time_prekeys (user_id, device_id, key_id, record) VALUES (?, ?, ?, ?)"),
    putKem: q("INSERT OR REPLACE INTO kem_prekeys (user_id, device_id, key_id, last_resort, record) VALUES (?, ?, ?, ?, ?)"),
    dropLastResort: q("DELETE FROM kem_prekeys WHERE user_id = ? AND device_id = ? AND last_resort = 1"),
    countOneTime: q("SELECT count(*) AS n FROM one_time_prekeys WHERE user_id = ? AND device_id = ?"),
    countKem: q("SELECT count(*) AS n FROM kem_prekeys WHERE user_id = ? AND device_id = ? AND last_resort = 0"),
    firstOneTime: q("SELECT key_id, record FROM one_time_prekeys WHERE user_id = ? AND device_id = ? ORDER BY key_id LIMIT 1"),
    deleteOneTimeKey: q("DELETE FROM one_time_prekeys WHERE user_id = ? AND device_id = ? AND key_id = ?"),
    firstKem: q("SELECT key_id, record FROM kem_prekeys WHERE user_id = ? AND device_id = ? AND last_resort = ? ORDER BY key_id LIMIT 1"),
    deleteKemKey: q("DELETE FROM kem_prekeys WHERE user_id = ? AND device_id = ? AND last_resort = 0 AND key_id = ?"),
    seen: q("SELECT 1 FROM seen_ids WHERE user_id = ? AND device_id = ? AND message_id = ?"),
    // One statement per mailbox and one per message keeps a large batch (a fan-out to thousands
    // of mailboxes, all in one transaction) short: existence and depth together, then the insert
    // that skips remembered ids itself.
    mailboxState: q(
      "SELECT EXISTS (SELECT 1 FROM devices WHERE user_id = ? AND device_id = ?) AS present, " +
        "(SELECT count(*) FROM messages WHERE user_id = ? AND device_id = ?) AS n",
    ),
    insertUnseen: q(
      "INSERT OR IGNORE INTO messages (user_id, device_id, message_id, envelope, received_at, expires_at, payload_id) " +
        "SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM seen_ids WHERE user_id = ? AND device_id = ? AND message_id = ?)",
    ),
    insertPayload: q("INSERT INTO shared_payloads (payload) VALUES (?)"),
    // A shared payload goes with the last message that names it (ack, expiry, device removal).
    dropPayloadIfUnused: q(
      "DELETE FROM shared_payloads WHERE payload_id = ? AND NOT EXISTS (SELECT 1 FROM messages WHERE payload_id = shared_payloads.payload_id)",
    ),
    mailboxPayloads: q("SELECT DISTINCT payload_id FROM messages WHERE user_id = ? AND device_id = ? AND payload_id IS NOT NULL"),
    depth: q("SELECT count(*) AS n FROM messages WHERE user_id = ? AND device_id = ?"),
    fetch: q(
      "SELECT m.seq, m.message_id, m.envelope, m.received_at, p.payload FROM messages m LEFT JOIN shared_payloads p ON p.payload_id = m.payload_id " +
        "WHERE m.user_id = ? AND m.device_id = ? AND m.seq > ? ORDER BY m.seq LIMIT ?",
    ),
    deleteMessage: q("DELETE FROM messages WHERE user_id = ? AND device_id = ? AND message_id = ? RETURNING payload_id"),
    remember: q("INSERT OR REPLACE INTO seen_ids (user_id, device_id, message_id, forget_at) VALUES (?, ?, ?, ?)"),
    // An ack whose every id the relay delivered on this connection: two statements for the batch.
    rememberSeqs: q(
      "INSERT OR REPLACE INTO seen_ids (user_id, device_id, message_id, forget_at) SELECT user_id, device_id, message_id, ? FROM messages " +
        "WHERE seq IN (SELECT value FROM json_each(?)) AND user_id = ? AND device_id = ?",
    ),
    deleteSeqs: q(
      "DELETE FROM messages WHERE seq IN (SELECT value FROM json_each(?)) AND user_id = ? AND device_id = ? RETURNING payload_id",
    ),
    // Rows in `seq` order are in expiry order (one lifetime for every message), so the sweep
    // reads from the oldest and stops at the first row still alive: no expiry index to maintain.
    oldest: q("SELECT seq, user_id, device_id, message_id, received_at, expires_at, payload_id FROM messages ORDER BY seq"),
    deleteSeq: q("DELETE FROM messages WHERE seq = ?"),
    bumpNotice: q(
      "INSERT INTO expiry_notices (user_id, device_id, count, first_at, last_at) VALUES (?, ?, 1, ?, ?) " +
        "ON CONFLICT (user_id, device_id) DO UPDATE SET count = count + 1, first_at = min(first_at, excluded.first_at), last_at = max(last_at, excluded.last_at)",
    ),
    notice: q("SELECT count, first_at, last_at FROM expiry_notices WHERE user_id = ? AND device_id = ?"),
    purge: q("DELETE FROM seen_ids WHERE forget_at <= ?"),
    insertBlob: q("INSERT INTO blobs (blob_id, capability_hash, max_size, ticket_expires_at, owner, created_at) VALUES (?, ?, ?, ?, ?, ?)"),
    blobUsage: q(
      "SELECT count(*) FILTER (WHERE size IS NULL) AS tickets, coalesce(sum(coalesce(size, max_size)), 0) AS bytes FROM blobs " +
        "WHERE owner = ? AND ((size IS NULL AND ticket_expires_at > ?) OR (size IS NOT NULL AND expires_at > ?))",
    ),
    blob: q("SELECT * FROM blobs WHERE blob_id = ?"),
    completeBlob: q("UPDATE blobs SET size = ?, expires_at = ? WHERE blob_id = ? AND size IS NULL"),
    setBlobOffset: q(
      "UPDATE blobs SET upload_offset = ?, ticket_expires_at = max(ticket_expires_at, ?) WHERE blob_id = ? AND size IS NULL AND upload_offset = ?",
    ),
    expiredBlobs: q("SELECT blob_id FROM blobs WHERE (size IS NULL AND ticket_expires_at <= ?) OR expires_at <= ?"),
    deleteBlob: q("DELETE FROM blobs WHERE blob_id = ?"),
  };

  const counts = (m: Mailbox): PreKeyCounts => ({
    oneTime: (s.countOneTime.get(m.userId, m.deviceId) as Row).n as number,
    kem: (s.countKem.get(m.userId, m.deviceId) as Row).n as number,
  });

  const removeDevice = (userId: Uint8Array, deviceId: number): void => {
    const payloads = (s.mailboxPayloads.all(userId, deviceId) as Row[]).map((r) => r.payload_id as number);
    for (const stmt of [s.deleteDevice, s.deleteOneTime, s.deleteKem, s.deleteMail, s.deleteNotice, s.deletePush])
      stmt.run(userId, deviceId);
    for (const id of payloads) s.dropPayloadIfUnused.run(id);
  };

  const saveDeviceList = db.transaction((u: DeviceListUpdate): DeviceListResult => {
    const row = s.account.get(u.userId) as Row | undefined;
    const existing = row ? toAccount(row) : undefined;
    if (existing) {
      const same =
        u.sequence === existing.listSequence && Buffer.compare(Buffer.from(u.deviceList), Buffer.from(existing.deviceList)) === 0;
      if (u.sequence < existing.listSequence || (u.sequence === existing.listSequence && !(same && u.device))) return { ok: false };
    }
    const removed = (existing?.deviceIds ?? []).filter((id) => !u.deviceIds.includes(id));
    for (const id of removed) removeDevice(u.userId, id);
    s.insertAccount.run(u.userId, u.accountKey, u.deviceList, u.sequence, JSON.stringify(u.deviceIds));
    if (u.device) s.upsertDevice.run(u.userId, u.device.deviceId, u.device.certificate, u.device.signingKey);
    return { ok: true, removed };
  });

  const putPreKeys = db.transaction((m: Mailbox, upload: PreKeyUpload, maxStored: number): boolean => {
    if (upload.signedPreKey) s.setSigned.run(upload.signedPreKey, m.userId, m.deviceId);
    for (const k of upload.oneTime) s.putOneTime.run(m.userId, m.deviceId, k.id, k.record);
    for (const k of upload.kemOneTime) s.putKem.run(m.userId, m.deviceId, k.id, 0, k.record);
    if (upload.kemLastResort) {
      s.dropLastResort.run(m.userId, m.deviceId);
      s.putKem.run(m.userId, m.deviceId, upload.kemLastResort.id, 1, upload.kemLastResort.record);
    }
    const after = counts(m);
    if (after.oneTime > maxStored || after.kem > maxStored) throw new TooManyPreKeys();
    return true;
  });

  const takeBundle = db.transaction((m: Mailbox, consumeOneTime: boolean): TakenBundle | undefined => {
    const device = s.device.get(m.userId, m.deviceId) as Row | undefined;
    if (!device?.signed_prekey) return undefined;
    const oneTime = consumeOneTime ? (s.firstOneTime.get(m.userId, m.deviceId) as Row | undefined) : undefined;
    const lastResort = () => s.firstKem.get(m.userId, m.deviceId, 1) as Row | undefined;
    const firstKemOneTime = () => s.firstKem.get(m.userId, m.deviceId, 0) as Row | undefined;
    let kemOneTime = consumeOneTime ? firstKemOneTime() : undefined;
    let kem = kemOneTime ?? lastResort();
    if (!kem && !consumeOneTime) kem = kemOneTime = firstKemOneTime();
    if (!kem) return undefined;
    if (oneTime) s.deleteOneTimeKey.run(m.userId, m.deviceId, oneTime.key_id);
    if (kemOneTime) s.deleteKemKey.run(m.userId, m.deviceId, kemOneTime.key_id);
    return {
      deviceId: m.deviceId,
      certificate: bytes(device.certificate),
      signedPreKey: bytes(device.signed_prekey),
      oneTimePreKey: oneTime ? bytes(oneTime.record) : undefined,
      kemPreKey: bytes(kem.record),
      remaining: counts(m),
    };
  });

  const enqueue = db.transaction((batch: readonly NewMessage[], maxDepth: number): EnqueueReport => {
    const seqs: number[] = new Array(batch.length).fill(0);
    // Depth and existence are read once per mailbox per batch, then tracked locally.
    const depths = new Map<string, number | null>();
    // Each shared payload is stored once, with the first of its messages that is stored at all.
    const payloadIds = new Map<SharedPayload, number>();
    const payloadId = (shared: SharedPayload | undefined): number | null => {
      if (!shared) return null;
      let id = payloadIds.get(shared);
      if (id === undefined) {
        id = Number(s.insertPayload.run(shared.bytes).lastInsertRowid);
        payloadIds.set(shared, id);
      }
      return id;
    };
    const outcomes = batch.map((m, i): EnqueueOutcome => {
      const key = `${hex(m.userId)}.${m.deviceId}`;
      let depth = depths.get(key);
      if (depth === undefined) {
        const state = s.mailboxState.get(m.userId, m.deviceId, m.userId, m.deviceId) as Row;
        depth = state.present ? (state.n as number) : null;
        depths.set(key, depth);
      }
      if (depth === null) return "no_mailbox";
      // A remembered id is a duplicate even in a full mailbox.
      if (depth >= maxDepth) return s.seen.get(m.userId, m.deviceId, m.messageId) ? "duplicate" : "queue_full";
      // Ignored when the id is remembered (acknowledged or expired) or still queued: a duplicate either way.
      const { changes, lastInsertRowid } = s.insertUnseen.run(
        m.userId,
        m.deviceId,
        m.messageId,
        m.envelope,
        m.receivedAt,
        m.expiresAt,
        payloadId(m.shared),
        m.userId,
        m.deviceId,
        m.messageId,
      );
      if (changes === 0) return "duplicate";
      seqs[i] = Number(lastInsertRowid);
      depths.set(key, depth + 1);
      return "ok";
    });
    // A payload stored for a message that turned out a duplicate (INSERT OR IGNORE) and no other.
    for (const id of payloadIds.values()) s.dropPayloadIfUnused.run(id);
    return { outcomes, seqs };
  });

  // Prepared once: acks switch the durability level around their own transaction (see `ack` below).
  const syncNormal = db.prepare("PRAGMA synchronous = NORMAL");
  const syncFull = db.prepare("PRAGMA synchronous = FULL");
  const ack = db.transaction((acks: readonly MailboxAck[], forgetAt: number): number[] =>
    acks.map(({ mailbox: m, messageIds, seqs }) => {
      if (seqs && seqs.length === messageIds.length && seqs.every((seq) => seq > 0)) {
        const list = JSON.stringify(seqs);
        s.rememberSeqs.run(forgetAt, list, m.userId, m.deviceId);
        const rows = s.deleteSeqs.all(list, m.userId, m.deviceId) as Row[];
        for (const id of new Set(rows.map((r) => r.payload_id).filter((id) => id !== null))) s.dropPayloadIfUnused.run(id);
        return rows.length;
      }
      let deleted = 0;
      for (const id of messageIds) {
        const row = s.deleteMessage.get(m.userId, m.deviceId, id) as Row | undefined;
        if (row) {
          deleted++;
          s.remember.run(m.userId, m.deviceId, id, forgetAt);
          if (row.payload_id !== null) s.dropPayloadIfUnused.run(row.payload_id);
        }
      }
      return deleted;
    }),
  );

  const expireMessages = db.transaction((now: number, forgetAt: number): Mailbox[] => {
    const affected = new Map<string, Mailbox>();
    const expired: Row[] = [];
    for (const row of s.oldest.iterate() as IterableIterator<Row>) {
      if ((row.expires_at as number) > now || expired.length >= EXPIRE_BATCH) break;
      expired.push(row);
    }
    for (const row of expired) {
      const mailbox = { userId: bytes(row.user_id), deviceId: row.device_id as number };
      s.deleteSeq.run(row.seq);
      if (row.payload_id !== null) s.dropPayloadIfUnused.run(row.payload_id);
      s.remember.run(row.user_id, row.device_id, row.message_id, forgetAt);
      s.bumpNotice.run(row.user_id, row.device_id, row.received_at, row.received_at);
      affected.set(`${hex(mailbox.userId)}.${mailbox.deviceId}`, mailbox);
    }
    return [...affected.values()];
  });

  const takeNotice = db.transaction((m: Mailbox): ExpiryNotice | undefined => {
    const row = s.notice.get(m.userId, m.deviceId) as Row | undefined;
    if (!row) return undefined;
    s.deleteNotice.run(m.userId, m.deviceId);
    return { count: row.count as number, firstAt: row.first_at as number, lastAt: row.last_at as number };
  });

  const expireBlobs = db.transaction((now: number): string[] => {
    const ids = (s.expiredBlobs.all(now, now) as Row[]).map((r) => r.blob_id as string);
    for (const id of ids) s.deleteBlob.run(id);
    return ids;
  });

  const createBlob = db.transaction((b: BlobRecord, quota: BlobQuota): "ok" | "quota_exceeded" => {
    if (b.owner) {
      const usage = s.blobUsage.get(b.owner, quota.now, quota.now) as Row;
      if ((usage.tickets as number) + 1 > quota.maxOpenTickets || (usage.bytes as number) + b.maxSize > quota.maxBytes)
        return "quota_exceeded";
    }
    s.insertBlob.run(b.blobId, b.capabilityHash, b.maxSize, b.ticketExpiresAt, b.owner ?? null, b.createdAt ?? quota.now);
    return "ok";
  });

  // Every call maps storage failures (full disk, I/O errors) to a typed StorageError and
  // records them for `health`; a later successful call clears an I/O failure.
  const health = new StorageHealth(path === ":memory:" || path === "" ? undefined : dirname(resolve(path)));
  const run = async <T>(fn: () => T): Promise<T> => {
    try {
      const result = fn();
      health.succeeded();
      return result;
    } catch (error) {
      const storage = asStorageError(error);
      if (!storage) throw error;
      health.failed(storage);
      throw storage;
    }
  };

  return {
    getAccount: (userId) => run(() => ((r) => (r ? toAccount(r) : undefined))(s.account.get(userId) as Row | undefined)),
    getDevice: (m) =>
      run(() => {
        const r = s.device.get(m.userId, m.deviceId) as Row | undefined;
        return r
          ? ({
              userId: m.userId,
              deviceId: m.deviceId,
              certificate: bytes(r.certificate),
              signingKey: bytes(r.signing_key),
            } as DeviceRecord)
          : undefined;
      }),
    saveDeviceList: (u) => run(() => saveDeviceList(u)),
    claimHandle: (userId, handle) =>
      run(() => {
        const holder = s.accountByHandle.get(handle) as Row | undefined;
        if (holder) return Buffer.compare(holder.user_id as Buffer, Buffer.from(userId)) === 0;
        return s.setHandle.run(handle, userId).changes > 0;
      }),
    lookupHandle: (handle) => run(() => ((r) => (r ? toAccount(r) : undefined))(s.accountByHandle.get(handle) as Row | undefined)),
    setDeliveryToken: (userId, tokenHash, open) =>
      run(() => {
        s.setToken.run(tokenHash ?? null, open ? 1 : 0, userId);
      }),
    putPreKeys: (m, upload, maxStored) =>
      run(() => {
        try {
          return putPreKeys(m, upload, maxStored);
        } catch (e) {
          if (e instanceof TooManyPreKeys) return false;
          throw e;
        }
      }),
    countPreKeys: (m) => run(() => counts(m)),
    takeBundle: (m, consumeOneTime = true) => run(() => takeBundle(m, consumeOneTime)),
    enqueue: (batch, maxDepth) => run(() => enqueue(batch, maxDepth).outcomes),
    enqueueReporting: (batch, maxDepth) => run(() => enqueue(batch, maxDepth)),
    enqueueMany: (payload, messages, maxDepth) =>
      run(
        () =>
          enqueue(
            messages.map((m) => ({ ...m, shared: payload })),
            maxDepth,
          ).outcomes,
      ),
    fetchMessages: (m, afterSeq, limit) =>
      run(() =>
        (s.fetch.all(m.userId, m.deviceId, afterSeq, limit) as Row[]).map(
          (r): QueuedMessage => ({
            seq: r.seq as number,
            messageId: bytes(r.message_id),
            // A fan-out's row holds the device's start of the envelope; the shared payload completes it.
            envelope: r.payload ? new Uint8Array(Buffer.concat([r.envelope as Buffer, r.payload as Buffer])) : bytes(r.envelope),
            receivedAt: r.received_at as number,
          }),
        ),
      ),
    // Acks commit without an fsync of their own: delivery is at-least-once and clients
    // de-duplicate, so an ack lost in a crash only means the message is delivered again; the
    // next send commit (synchronous=FULL) makes the WAL, this transaction included, durable.
    // At low load this halves the fsyncs on the delivery path.
    ack: (acks, forgetAt) =>
      run(() => {
        syncNormal.run();
        try {
          const deleted = ack(acks, forgetAt);
          if (deleted.some((n) => n > 0)) scheduleWalClear();
          return deleted;
        } finally {
          syncFull.run();
        }
      }),
    queueDepth: (m) => run(() => (s.depth.get(m.userId, m.deviceId) as Row).n as number),
    expireMessages: (now, forgetAt) =>
      run(() => {
        const affected = expireMessages(now, forgetAt);
        if (affected.length > 0) scheduleWalClear();
        return affected;
      }),
    takeExpiryNotice: (m) => run(() => takeNotice(m)),
    purgeDedupe: (now) =>
      run(() => {
        s.purge.run(now);
      }),
    createBlob: (b, quota) => run(() => createBlob(b, quota)),
    getBlob: (blobId) =>
      run(() => {
        const r = s.blob.get(blobId) as Row | undefined;
        if (!r) return undefined;
        return {
          blobId,
          capabilityHash: bytes(r.capability_hash),
          maxSize: r.max_size as number,
          ticketExpiresAt: r.ticket_expires_at as number,
          size: (r.size as number | null) ?? undefined,
          expiresAt: (r.expires_at as number | null) ?? undefined,
          owner: r.owner ? bytes(r.owner) : undefined,
          uploadOffset: r.upload_offset as number,
          createdAt: (r.created_at as number | null) ?? undefined,
        } satisfies BlobRecord;
      }),
    completeBlob: (blobId, size, expiresAt) => run(() => s.completeBlob.run(size, expiresAt, blobId).changes > 0),
    setBlobOffset: (blobId, from, to, ticketExpiresAt) => run(() => s.setBlobOffset.run(to, ticketExpiresAt, blobId, from).changes > 0),
    expireBlobs: (now) => run(() => expireBlobs(now)),
    setPushSubscription: (m, sub) =>
      run(() => s.setPush.run(m.userId, m.deviceId, sub.endpoint, sub.p256dh, sub.auth, m.userId, m.deviceId).changes > 0),
    getPushSubscription: (m) =>
      run(() => {
        const r = s.getPush.get(m.userId, m.deviceId) as Row | undefined;
        return r ? { endpoint: r.endpoint as string, p256dh: bytes(r.p256dh), auth: bytes(r.auth) } : undefined;
      }),
    deletePushSubscription: (m, endpoint) =>
      run(() => {
        if (endpoint === undefined) s.deletePush.run(m.userId, m.deviceId);
        else s.deletePushIf.run(m.userId, m.deviceId, endpoint);
      }),
    claimSetting: (name, value) =>
      run(() => {
        s.insertSetting.run(name, value);
        return bytes((s.setting.get(name) as Row).value);
      }),
    health: (minFreeBytes) => health.check(minFreeBytes),
    close: () =>
      run(() => {
        if (walTimer) {
          clearTimeout(walTimer);
          clearWal();
        }
        if (db.open) db.close();
      }),
  };
}

class TooManyPreKeys extends Error {}

/** Most messages one sweep expires (the next sweep takes the rest). */
const EXPIRE_BATCH = 10_000;
