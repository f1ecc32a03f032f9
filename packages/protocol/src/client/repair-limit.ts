/**
 * The persisted limit on automatic session repair (spec/client.md §4). A repair — archive the
 * session, fetch a bundle, send `sessionReset`, show notices — costs the peer a one-time prekey
 * and both users a notice, so it is done only for an authenticated sender (an envelope that
 * opened, spec/sealed-envelope.md) and at most:
 *
 * - once per REPAIR_INTERVAL_MS per sender device, and
 * - once until the repair has visibly worked: after a repair the limit is re-armed only by a
 *   message from that device that decrypts on a session that did not exist at repair time.
 *   Envelopes a relay kept from before the repair can only belong to the old sessions, so
 *   replaying them cannot trigger a second reset, however long the relay waits.
 *
 * The entry lives in the store, keyed by the sender's authenticated address, so neither a
 * restart nor made-up device ids (which never authenticate) get around it.
 */

import { bytesToHex as hex } from "../crypto/bytes.js";
import { type Address, addressKey } from "../keys/identity.js";
import type { SessionRecord } from "../session/record.js";
import { decodeRecord, encodeRecord } from "./records.js";
import type { Store, StoreWrite } from "./store/store.js";

/** Store namespace: addressKey → RepairEntry. */
export const REPAIRS_NAMESPACE = "repairs";

/** Least time between two automatic repairs with one device: a retry storm costs at most this rate. */
export const REPAIR_INTERVAL_MS = 60_000;

interface RepairEntry {
  /** When the last repair was made (ms). */
  readonly at: number;
  /** False from a repair until a message decrypts on a session newer than it. */
  readonly armed: boolean;
  /** Base keys (hex) of the sessions held when the repair was made. */
  readonly staleSessions: readonly string[];
}

async function load(store: Store, sender: Address): Promise<RepairEntry | undefined> {
  const raw = await store.get(REPAIRS_NAMESPACE, addressKey(sender));
  return raw ? decodeRecord<RepairEntry>(raw) : undefined;
}

/** True when a repair with `sender` (already authenticated) is allowed now. */
export async function mayRepair(store: Store, sender: Address, now: number): Promise<boolean> {
  const entry = await load(store, sender);
  return !entry || (entry.armed && now - entry.at >= REPAIR_INTERVAL_MS);
}

/** The write that records a repair made now, with the sessions `record` held before it. */
export function repairWrite(sender: Address, now: number, record: SessionRecord | undefined): StoreWrite {
  const sessions = record ? [record.current, ...record.archived] : [];
  const staleSessions = sessions.flatMap((s) => (s ? [hex(s.baseKey)] : []));
  const entry: RepairEntry = { at: now, armed: false, staleSessions };
  return { namespace: REPAIRS_NAMESPACE, key: addressKey(sender), value: encodeRecord(entry) };
}

/**
 * After a message from `sender` decrypted on the session with `baseKey`: the write that re-arms
 * the limit if that session is newer than the last repair, else undefined.
 */
export async function rearmWrite(store: Store, sender: Address, baseKey: Uint8Array): Promise<StoreWrite | undefined> {
  const entry = await load(store, sender);
  if (!entry || entry.armed || entry.staleSessions.includes(hex(baseKey))) return undefined;
  const next: RepairEntry = { ...entry, armed: true };
  return { namespace: REPAIRS_NAMESPACE, key: addressKey(sender), value: encodeRecord(next) };
}

/**
 * The senders whose last repair is not re-armed yet, listed from the store once and kept in step
 * with the writes above (after they commit), so receiving a message reads the store for the
 * repair limit only when a repair with that sender is pending, not for every message.
 */
export class PendingRepairs {
  #keys: Promise<Set<string>> | undefined;

  constructor(private readonly store: Store) {}

  /** True when `sender`'s last repair waits to be re-armed. */
  async has(sender: Address): Promise<boolean> {
    this.#keys ??= this.store
      .list(REPAIRS_NAMESPACE)
      .then((entries) => new Set(entries.filter(([, raw]) => !decodeRecord<RepairEntry>(raw).armed).map(([key]) => key)));
    return (await this.#keys).has(addressKey(sender));
  }

  /** A repair with `sender` was committed. */
  async added(sender: Address): Promise<void> {
    if (this.#keys) (await this.#keys).add(addressKey(sender));
  }

  /** `sender`'s repair limit was re-armed (committed). */
  async rearmed(sender: Address): Promise<void> {
    if (this.#keys) (await this.#keys).delete(addressKey(sender));
  }
}
