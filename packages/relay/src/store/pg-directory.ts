/**
 * The directory of the PostgreSQL store: accounts, devices, handles, delivery tokens and
 * prekeys. Read-modify-write steps of one account (device lists, prekey uploads with their
 * maxStored check) run under a transaction-scoped advisory lock keyed by the user, so two nodes
 * applying them at once serialise; a handle is claimed by one UPDATE against its UNIQUE index.
 */

import { bytes } from "./pg-mailboxes.js";
import { COUNT_PREKEYS, REMOVE_DEVICES, TAKE_BUNDLE } from "./pg-statements.js";
import type { PgContext, Tx } from "./pg-store.js";
import type { AccountRecord, DeviceListResult, DeviceListUpdate, Mailbox, PreKeyUpload, Store } from "./store.js";

type DirectoryMethods = Pick<
  Store,
  | "getAccount"
  | "getDevice"
  | "saveDeviceList"
  | "claimHandle"
  | "lookupHandle"
  | "setDeliveryToken"
  | "putPreKeys"
  | "countPreKeys"
  | "takeBundle"
>;

type Row = Record<string, unknown>;

/** SQLSTATE unique_violation. */
const UNIQUE_VIOLATION = "23505";

function toAccount(row: Row): AccountRecord {
  return {
    userId: bytes(row.user_id),
    accountKey: bytes(row.account_key),
    deviceList: bytes(row.device_list),
    listSequence: row.list_sequence as number,
    deviceIds: row.device_ids as number[],
    handle: (row.handle as string | null) ?? undefined,
    tokenHash: row.token_hash ? bytes(row.token_hash) : undefined,
    sealedOpen: row.sealed_open === true,
  };
}

/** Serialises this transaction with every other one of the same user (released at commit). */
async function lockUser(tx: Tx, userId: Uint8Array): Promise<void> {
  await tx.query({ text: "SELECT pg_advisory_xact_lock(hashtextextended('parley-user:' || encode($1, 'hex'), 0))", values: [userId] });
}

async function saveDeviceList(tx: Tx, u: DeviceListUpdate): Promise<DeviceListResult> {
  await lockUser(tx, u.userId);
  const current = await tx.query({ text: "SELECT * FROM accounts WHERE user_id = $1", values: [u.userId] });
  const existing = current.rows[0] ? toAccount(current.rows[0]) : undefined;
  if (existing) {
    const same = u.sequence === existing.listSequence && Buffer.compare(Buffer.from(u.deviceList), Buffer.from(existing.deviceList)) === 0;
    if (u.sequence < existing.listSequence || (u.sequence === existing.listSequence && !(same && u.device))) return { ok: false };
  }
  const removed = (existing?.deviceIds ?? []).filter((id) => !u.deviceIds.includes(id));
  if (removed.length > 0) {
    // Wait for enqueues to these mailboxes to commit, so the removal (a fresh snapshot) sees their rows.
    await tx.query({
      text: "SELECT 1 FROM mailboxes WHERE user_id = $1 AND device_id = ANY($2::int[]) ORDER BY device_id FOR UPDATE",
      values: [u.userId, removed],
    });
    await tx.query({ ...REMOVE_DEVICES, values: [u.userId, removed] });
  }
  await tx.query({
    text:
      "INSERT INTO accounts (user_id, account_key, device_list, list_sequence, device_ids) VALUES ($1, $2, $3, $4, $5) " +
      "ON CONFLICT (user_id) DO UPDATE SET device_list = excluded.device_list, list_sequence = excluded.list_sequence, device_ids = excluded.device_ids",
    values: [u.userId, u.accountKey, u.deviceList, u.sequence, [...u.deviceIds]],
  });
  if (u.device) {
    await tx.query({
      text:
        "WITH mb AS (INSERT INTO mailboxes (user_id, device_id, present) VALUES ($1, $2, true) " +
        "ON CONFLICT (user_id, device_id) DO UPDATE SET present = true) " +
        "INSERT INTO devices (user_id, device_id, certificate, signing_key) VALUES ($1, $2, $3, $4) " +
        "ON CONFLICT (user_id, device_id) DO UPDATE SET certificate = excluded.certificate, signing_key = excluded.signing_key, " +
        "signed_prekey = CASE WHEN devices.signing_key = excluded.signing_key THEN devices.signed_prekey ELSE NULL END",
      values: [u.userId, u.device.deviceId, u.device.certificate, u.device.signingKey],
    });
  }
  return { ok: true, removed };
}

/** Stores an upload; false (rolled back by the caller's transaction) when a kind would exceed maxStored. */
async function putPreKeys(tx: Tx, m: Mailbox, upload: PreKeyUpload, maxStored: number): Promise<boolean> {
  await lockUser(tx, m.userId);
  if (upload.signedPreKey)
    await tx.query({
      text: "UPDATE devices SET signed_prekey = $3 WHERE user_id = $1 AND device_id = $2",
      values: [m.userId, m.deviceId, upload.signedPreKey],
    });
  if (upload.oneTime.length > 0)
    await tx.query({
      text:
        "INSERT INTO one_time_prekeys (user_id, device_id, key_id, record) SELECT $1, $2, * FROM unnest($3::int[], $4::bytea[]) " +
        "ON CONFLICT (user_id, device_id, key_id) DO UPDATE SET record = excluded.record",
      values: [m.userId, m.deviceId, upload.oneTime.map((k) => k.id), upload.oneTime.map((k) => k.record)],
    });
  const kem = [...upload.kemOneTime.map((k) => ({ ...k, lastResort: false }))];
  if (upload.kemLastResort) {
    await tx.query({
      text: "DELETE FROM kem_prekeys WHERE user_id = $1 AND device_id = $2 AND last_resort",
      values: [m.userId, m.deviceId],
    });
    kem.push({ ...upload.kemLastResort, lastResort: true });
  }
  if (kem.length > 0)
    await tx.query({
      text:
        "INSERT INTO kem_prekeys (user_id, device_id, key_id, last_resort, record) SELECT $1, $2, * FROM unnest($3::int[], $4::boolean[], $5::bytea[]) " +
        "ON CONFLICT (user_id, device_id, last_resort, key_id) DO UPDATE SET record = excluded.record",
      values: [m.userId, m.deviceId, kem.map((k) => k.id), kem.map((k) => k.lastResort), kem.map((k) => k.record)],
    });
  const counts = await tx.query({ ...COUNT_PREKEYS, values: [m.userId, m.deviceId] });
  const [after] = counts.rows;
  return after !== undefined && after.one_time <= maxStored && after.kem <= maxStored;
}

/** Thrown inside a transaction to roll it back; caught by the method. */
class Refused extends Error {}

/** The directory methods of a PostgreSQL store. */
export function openPgDirectory(db: PgContext): DirectoryMethods {
  const account = async (column: "user_id" | "handle", value: unknown): Promise<AccountRecord | undefined> => {
    const result = await db.query({ text: `SELECT * FROM accounts WHERE ${column} = $1`, values: [value] });
    return result.rows[0] ? toAccount(result.rows[0]) : undefined;
  };
  return {
    getAccount: (userId) => account("user_id", userId),
    lookupHandle: (handle) => account("handle", handle),
    async getDevice(m) {
      const result = await db.query({
        text: "SELECT certificate, signing_key FROM devices WHERE user_id = $1 AND device_id = $2",
        values: [m.userId, m.deviceId],
      });
      const row = result.rows[0];
      return row
        ? { userId: m.userId, deviceId: m.deviceId, certificate: bytes(row.certificate), signingKey: bytes(row.signing_key) }
        : undefined;
    },
    saveDeviceList: (update) => db.transaction((tx) => saveDeviceList(tx, update)),
    async claimHandle(userId, handle) {
      try {
        const result = await db.query({ text: "UPDATE accounts SET handle = $2 WHERE user_id = $1", values: [userId, handle] });
        return (result.rowCount ?? 0) > 0;
      } catch (error) {
        if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return false;
        throw error;
      }
    },
    async setDeliveryToken(userId, tokenHash, open) {
      await db.query({
        text: "UPDATE accounts SET token_hash = $2, sealed_open = $3 WHERE user_id = $1",
        values: [userId, tokenHash ?? null, open],
      });
    },
    async putPreKeys(m, upload, maxStored) {
      try {
        return await db.transaction(async (tx) => {
          if (!(await putPreKeys(tx, m, upload, maxStored))) throw new Refused();
          return true;
        });
      } catch (error) {
        if (error instanceof Refused) return false;
        throw error;
      }
    },
    async countPreKeys(m) {
      const result = await db.query({ ...COUNT_PREKEYS, values: [m.userId, m.deviceId] });
      const [row] = result.rows;
      return { oneTime: row?.one_time ?? 0, kem: row?.kem ?? 0 };
    },
    async takeBundle(m, consumeOneTime = true) {
      const result = await db.query({ ...TAKE_BUNDLE, values: [m.userId, m.deviceId, consumeOneTime] });
      const row = result.rows[0];
      if (!row?.kem) return undefined;
      return {
        deviceId: m.deviceId,
        certificate: bytes(row.certificate),
        signedPreKey: bytes(row.signed_prekey),
        oneTimePreKey: row.one_time ? bytes(row.one_time) : undefined,
        kemPreKey: bytes(row.kem),
        remaining: { oneTime: row.one_time_left, kem: row.kem_left },
      };
    },
  };
}
