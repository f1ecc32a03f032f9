/**
 * This device's prekeys (spec/keys.md §3, spec/client.md §8): the private halves kept in the
 * store with their upkeep marks, answers to the protocol's synchronous prekey lookups, the
 * batches to upload, and the bookkeeping of rotation (retired signed and last-resort keys) and
 * of one-time keys the relay has handed out, so private keys are deleted once no queued
 * message can need them. The schedule that drives it lives in prekey-maintenance.ts.
 */

import type { Deps } from "../deps.js";
import type { DeviceKeys } from "../keys/device-certificate.js";
import {
  decodeKemPreKey,
  decodeOneTimePreKey,
  decodeSignedPreKey,
  generateKemPreKey,
  generateOneTimePreKeys,
  generateSignedPreKey,
  KemPreKeySecret,
  PreKeySecret,
} from "../keys/prekeys.js";
import { SecretKeyPair } from "../secrets.js";
import type { PreKeyLookup } from "../session/record.js";
import { decodeRecord, encodeRecord, type IdentityRecord, NS } from "./records.js";
import type { StoreWrite } from "./store/store.js";

/** One-time X25519 prekeys a new device uploads (the relay's target for this kind, see prekey-maintenance.ts). */
export const ONE_TIME_PREKEY_BATCH = 100;
/** One-time ML-KEM prekeys a new device uploads (each record is 1.2 KB; with the rest the upload stays near 70 KB, under the 96 KiB frame). */
export const KEM_PREKEY_BATCH = 50;

/** How a prekey is kept in the store (namespace `prekeys`, key `s:<id>`, `o:<id>` or `k:<id>`). */
interface StoredPreKey {
  readonly id: number;
  readonly kind: "signed" | "one-time" | "kem-one-time" | "kem-last-resort";
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly record: Uint8Array;
  /** Signed / last-resort: when a newer one replaced it at the relay (kept for queued messages until then + retention). */
  readonly retiredAt?: number;
  /** One-time: when we learnt the relay no longer holds it (handed out in a bundle; its message may still be queued). */
  readonly handedOutAt?: number;
}

/** Relay-reported counts of one-time prekeys still held, per kind. */
export interface PreKeyCounts {
  readonly oneTime: number;
  readonly kem: number;
}

/** Prekey records ready to upload. */
export interface PreKeyUpload {
  readonly signedPreKey?: Uint8Array;
  readonly oneTimePreKeys: Uint8Array[];
  readonly kemPreKeys: Uint8Array[];
}

/** The owner's identity record, which holds the prekey id counters and the current signed prekey id. */
export interface PreKeyOwner {
  readonly device: DeviceKeys;
  readonly identity: IdentityRecord;
  update(changes: Partial<IdentityRecord>): StoreWrite;
}

export class LocalPreKeys {
  private readonly signed = new Map<number, PreKeySecret>();
  private readonly oneTime = new Map<number, PreKeySecret>();
  private readonly kem = new Map<number, KemPreKeySecret>();
  /** Every stored prekey entry by store key, with its upkeep marks. */
  private readonly entries = new Map<string, StoredPreKey>();

  constructor(private readonly owner: PreKeyOwner) {}

  /** Lookups for `decryptMessage`, answered from memory. */
  readonly lookup: PreKeyLookup = {
    signedPreKey: (id) => this.signed.get(id),
    oneTimePreKey: (id) => this.oneTime.get(id),
    kemPreKey: (id) => this.kem.get(id),
  };

  /** Loads one stored entry (namespace `prekeys`). */
  load(key: string, value: Uint8Array): void {
    const k = decodeRecord<StoredPreKey>(value);
    this.entries.set(key, k);
    if (k.kind === "signed") this.signed.set(k.id, new PreKeySecret(k.id, new SecretKeyPair(k.publicKey, k.secretKey), k.record));
    else if (k.kind === "one-time") this.oneTime.set(k.id, new PreKeySecret(k.id, new SecretKeyPair(k.publicKey, k.secretKey), k.record));
    else
      this.kem.set(
        k.id,
        new KemPreKeySecret(
          k.id,
          k.kind === "kem-one-time" ? "one-time" : "last-resort",
          { publicKey: k.publicKey, secretKey: k.secretKey },
          k.record,
        ),
      );
  }

  /** The first signed prekey, last-resort ML-KEM prekey and one-time batch of a new device. */
  initial(deps: Deps): StoreWrite[] {
    const signed = generateSignedPreKey(deps, this.owner.device, 1);
    const lastResort = generateKemPreKey(deps, this.owner.device, 1, "last-resort");
    const writes = [this.putSigned(signed), this.putKem(lastResort), this.owner.update({ nextKemPreKeyId: 2 })];
    writes.push(...this.generateOneTimePreKeys(deps).writes);
    return writes;
  }

  /**
   * Generates one-time X25519 and ML-KEM prekeys (`wanted` of each kind; default a new
   * device's batch); returns the writes and the upload.
   */
  generateOneTimePreKeys(
    deps: Deps,
    wanted: PreKeyCounts = { oneTime: ONE_TIME_PREKEY_BATCH, kem: KEM_PREKEY_BATCH },
  ): { writes: StoreWrite[]; upload: PreKeyUpload } {
    const writes: StoreWrite[] = [];
    const first = this.owner.identity.nextPreKeyId;
    const oneTime = generateOneTimePreKeys(deps, first, wanted.oneTime);
    for (const k of oneTime) writes.push(this.putOneTime(k));
    const kemRecords: Uint8Array[] = [];
    let kemId = this.owner.identity.nextKemPreKeyId;
    for (let i = 0; i < wanted.kem; i++, kemId++) {
      const k = generateKemPreKey(deps, this.owner.device, kemId, "one-time");
      writes.push(this.putKem(k));
      kemRecords.push(k.record);
    }
    writes.push(this.owner.update({ nextPreKeyId: first + wanted.oneTime, nextKemPreKeyId: kemId }));
    return { writes, upload: { oneTimePreKeys: oneTime.map((k) => k.record), kemPreKeys: kemRecords } };
  }

  /** Forgets one-time prekeys whose upload the relay refused (it stored none of them); returns the deletes. */
  discardUpload(upload: PreKeyUpload): StoreWrite[] {
    const writes: StoreWrite[] = [];
    for (const record of upload.oneTimePreKeys) writes.push(...this.forget(`o:${decodeOneTimePreKey(record).id}`));
    for (const record of upload.kemPreKeys) writes.push(...this.forget(`k:${decodeKemPreKey(record).id}`));
    return writes;
  }

  /**
   * Applies the relay's counts of one-time prekeys it still holds. The relay hands out the
   * lowest ids first (spec/relay.md §6) and ours only grow, so it holds our `count` highest
   * not-yet-handed-out ids of each kind; the others were handed out now (their messages may
   * still be queued, so they are kept until `pruneExpired`). Returns the writes.
   */
  markHandedOut(counts: PreKeyCounts, now: number): StoreWrite[] {
    const writes: StoreWrite[] = [];
    for (const [prefix, held] of [
      ["o:", counts.oneTime],
      ["k:", counts.kem],
    ] as const) {
      const outstanding = [...this.entries.entries()]
        .filter(([key, k]) => key.startsWith(prefix) && (k.kind === "one-time" || k.kind === "kem-one-time") && k.handedOutAt === undefined)
        .sort(([, a], [, b]) => b.id - a.id);
      for (const [key, k] of outstanding.slice(Math.max(0, held))) writes.push(this.mark(key, { ...k, handedOutAt: now }));
    }
    return writes;
  }

  /** One-time prekeys of each kind the relay should still hold (not consumed, not known handed out). */
  outstandingOneTime(): PreKeyCounts {
    let oneTime = 0;
    let kem = 0;
    for (const k of this.entries.values()) {
      if (k.handedOutAt !== undefined) continue;
      if (k.kind === "one-time") oneTime++;
      else if (k.kind === "kem-one-time") kem++;
    }
    return { oneTime, kem };
  }

  /** Creation time of the current signed prekey and of the current last-resort ML-KEM prekey (the older of the two). */
  currentPreKeysCreatedAt(): number {
    const signed = this.signed.get(this.owner.identity.signedPreKeyId);
    const lastResort = this.currentLastResort();
    const times = [signed ? decodeSignedPreKey(signed.record).createdAt : 0, lastResort ? decodeKemPreKey(lastResort.record).createdAt : 0];
    return Math.min(...times);
  }

  /**
   * Rotation, step 1: a new signed prekey and last-resort ML-KEM prekey, stored (so a crash
   * after the upload still finds them) but not yet current. Returns the writes and the upload.
   */
  newRotation(deps: Deps): { writes: StoreWrite[]; upload: PreKeyUpload; signedId: number } {
    const signedIds = [...this.signed.keys()];
    const signedId = Math.max(0, ...signedIds) + 1;
    const signed = generateSignedPreKey(deps, this.owner.device, signedId);
    const kemId = this.owner.identity.nextKemPreKeyId;
    const lastResort = generateKemPreKey(deps, this.owner.device, kemId, "last-resort");
    const writes = [this.putSigned(signed), this.putKem(lastResort), this.owner.update({ nextKemPreKeyId: kemId + 1 })];
    return { writes, upload: { signedPreKey: signed.record, oneTimePreKeys: [], kemPreKeys: [lastResort.record] }, signedId };
  }

  /**
   * Rotation, step 2, once the relay has the new keys: they become current, and every other
   * signed and last-resort key not yet retired (the previous ones, or ones of a rotation cut
   * short by a crash, which the relay may have served) is retired now. Returns the writes.
   */
  completeRotation(signedId: number, now: number): StoreWrite[] {
    const lastResortId = this.owner.identity.nextKemPreKeyId - 1;
    const writes: StoreWrite[] = [this.owner.update({ signedPreKeyId: signedId })];
    for (const [key, k] of this.entries) {
      if (k.retiredAt !== undefined) continue;
      if ((k.kind === "signed" && k.id !== signedId) || (k.kind === "kem-last-resort" && k.id !== lastResortId)) {
        writes.push(this.mark(key, { ...k, retiredAt: now }));
      }
    }
    return writes;
  }

  /**
   * Deletes private keys no queued message can need any more: retired signed and last-resort
   * keys and handed-out one-time keys older than `retentionMs`; and, beyond `maxOneTimePerKind`
   * one-time keys of a kind, the longest handed-out first. Returns the deletes.
   */
  pruneExpired(now: number, retentionMs: number, maxOneTimePerKind: number): StoreWrite[] {
    const writes: StoreWrite[] = [];
    for (const [key, k] of [...this.entries]) {
      const since = k.retiredAt ?? k.handedOutAt;
      if (since !== undefined && now - since >= retentionMs) writes.push(...this.forget(key));
    }
    for (const kind of ["one-time", "kem-one-time"] as const) {
      const ofKind = [...this.entries].filter(([, k]) => k.kind === kind);
      const excess = ofKind.length - maxOneTimePerKind;
      if (excess <= 0) continue;
      const handedOut = ofKind
        .filter(([, k]) => k.handedOutAt !== undefined)
        .sort(([, a], [, b]) => (a.handedOutAt ?? 0) - (b.handedOutAt ?? 0));
      for (const [key] of handedOut.slice(0, excess)) writes.push(...this.forget(key));
    }
    return writes;
  }

  private currentLastResort(): KemPreKeySecret | undefined {
    let current: KemPreKeySecret | undefined;
    for (const [key, k] of this.entries) {
      if (k.kind !== "kem-last-resort" || k.retiredAt !== undefined) continue;
      const secret = this.kem.get(k.id);
      if (secret && key === `k:${k.id}` && (!current || k.id > current.id)) current = secret;
    }
    return current;
  }

  private putSigned(k: PreKeySecret): StoreWrite {
    this.signed.set(k.id, k);
    return this.putX25519(`s:${k.id}`, "signed", k);
  }

  private putOneTime(k: PreKeySecret): StoreWrite {
    this.oneTime.set(k.id, k);
    return this.putX25519(`o:${k.id}`, "one-time", k);
  }

  private putX25519(key: string, kind: "signed" | "one-time", k: PreKeySecret): StoreWrite {
    return this.mark(key, { id: k.id, kind, publicKey: k.keyPair.publicKey, secretKey: k.keyPair.privateKey, record: k.record });
  }

  private putKem(k: KemPreKeySecret): StoreWrite {
    this.kem.set(k.id, k);
    return this.mark(`k:${k.id}`, {
      id: k.id,
      kind: k.kind === "one-time" ? "kem-one-time" : "kem-last-resort",
      publicKey: k.keyPair.publicKey,
      secretKey: k.keyPair.secretKey,
      record: k.record,
    });
  }

  /** Stores (or re-stores, with new marks) one prekey entry. */
  private mark(key: string, entry: StoredPreKey): StoreWrite {
    this.entries.set(key, entry);
    return { namespace: NS.preKeys, key, value: encodeRecord(entry) };
  }

  /** Deletes one prekey entry and its private key. */
  private forget(key: string): StoreWrite[] {
    const entry = this.entries.get(key);
    if (!entry) return [];
    this.entries.delete(key);
    if (entry.kind === "signed") this.signed.delete(entry.id);
    else if (entry.kind === "one-time") this.oneTime.delete(entry.id);
    else this.kem.delete(entry.id);
    return [{ namespace: NS.preKeys, key, value: undefined }];
  }

  /** Forgets consumed one-time prekeys; returns the store deletes. */
  consume(consumed: { oneTimePreKeyId?: number; kemPreKeyId?: number }): StoreWrite[] {
    const writes: StoreWrite[] = [];
    if (consumed.oneTimePreKeyId !== undefined && this.oneTime.has(consumed.oneTimePreKeyId)) {
      writes.push(...this.forget(`o:${consumed.oneTimePreKeyId}`));
    }
    if (consumed.kemPreKeyId !== undefined && this.kem.get(consumed.kemPreKeyId)?.kind === "one-time") {
      writes.push(...this.forget(`k:${consumed.kemPreKeyId}`));
    }
    return writes;
  }

  /** Every current prekey this device holds (the one-time ones not known handed out), for its first upload. */
  fullUpload(): PreKeyUpload {
    const signed = this.signed.get(this.owner.identity.signedPreKeyId);
    const lastResort = this.currentLastResort();
    const outstanding = (key: string) => this.entries.get(key)?.handedOutAt === undefined;
    return {
      ...(signed ? { signedPreKey: signed.record } : {}),
      oneTimePreKeys: [...this.oneTime.values()].filter((k) => outstanding(`o:${k.id}`)).map((k) => k.record),
      kemPreKeys: [
        ...(lastResort ? [lastResort.record] : []),
        ...[...this.kem.values()].filter((k) => k.kind === "one-time" && outstanding(`k:${k.id}`)).map((k) => k.record),
      ],
    };
  }
}
