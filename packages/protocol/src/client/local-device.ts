/**
 * This device's identity and prekeys: creating them, loading them from the store, answering
 * the protocol's prekey lookups from memory (the core's lookup is synchronous), and topping up
 * one-time prekeys when the relay says they run low.
 */

import type { CryptoProvider } from "../crypto/provider.js";
import type { Deps } from "../deps.js";
import { DeviceKeys, generateDevice } from "../keys/device-certificate.js";
import { signDeviceList } from "../keys/device-list.js";
import { type AccountKeys, accountFromSeed, generateAccount } from "../keys/identity.js";
import { generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey, KemPreKeySecret, PreKeySecret } from "../keys/prekeys.js";
import { SecretKeyPair } from "../secrets.js";
import type { PreKeyLookup } from "../session/record.js";
import { decodeRecord, encodeRecord, type IdentityRecord, NS } from "./records.js";
import type { Store, StoreWrite } from "./store/store.js";

/** One-time X25519 prekeys uploaded at a time. */
export const ONE_TIME_PREKEY_BATCH = 50;
/** One-time ML-KEM prekeys uploaded at a time (each is 1.2 KB). */
export const KEM_PREKEY_BATCH = 20;

interface StoredPreKey {
  readonly id: number;
  readonly kind: "signed" | "one-time" | "kem-one-time" | "kem-last-resort";
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
  readonly record: Uint8Array;
}

/** Prekey records ready to upload. */
export interface PreKeyUpload {
  readonly signedPreKey?: Uint8Array;
  readonly oneTimePreKeys: Uint8Array[];
  readonly kemPreKeys: Uint8Array[];
}

export class LocalDevice {
  private constructor(
    readonly account: AccountKeys,
    readonly device: DeviceKeys,
    private identityRecord: IdentityRecord,
    private readonly signed: Map<number, PreKeySecret>,
    private readonly oneTime: Map<number, PreKeySecret>,
    private readonly kem: Map<number, KemPreKeySecret>,
  ) {}

  get identity(): IdentityRecord {
    return this.identityRecord;
  }

  /** Lookups for `decryptMessage`, answered from memory. */
  readonly lookup: PreKeyLookup = {
    signedPreKey: (id) => this.signed.get(id),
    oneTimePreKey: (id) => this.oneTime.get(id),
    kemPreKey: (id) => this.kem.get(id),
  };

  /** Creates a new account and its first device, with a first set of prekeys; returns the writes to persist. */
  static create(deps: Deps, displayName: string): { device: LocalDevice; writes: StoreWrite[]; upload: PreKeyUpload } {
    const account = generateAccount(deps);
    const device = generateDevice(deps, account, 1);
    const deviceList = signDeviceList(deps, account, 1, [1]);
    const identity: IdentityRecord = {
      accountSeed: account.signingKey.privateKey,
      deviceId: 1,
      signingSeed: device.signingKey.privateKey,
      identityPrivateKey: device.identityKey.privateKey,
      identityPublicKey: device.identityKey.publicKey,
      certificate: device.certificate,
      deviceList,
      deviceListSequence: 1,
      deliveryToken: deps.crypto.randomBytes(32),
      displayName,
      registered: false,
      nextPreKeyId: 1,
      nextKemPreKeyId: 1,
      signedPreKeyId: 1,
    };
    const local = new LocalDevice(account, device, identity, new Map(), new Map(), new Map());
    const writes: StoreWrite[] = [];
    const signed = generateSignedPreKey(deps, device, 1);
    local.signed.set(1, signed);
    writes.push(
      preKeyWrite(`s:${signed.id}`, {
        id: signed.id,
        kind: "signed",
        publicKey: signed.keyPair.publicKey,
        secretKey: signed.keyPair.privateKey,
        record: signed.record,
      }),
    );
    const lastResort = generateKemPreKey(deps, device, 1, "last-resort");
    local.kem.set(1, lastResort);
    writes.push(kemWrite(lastResort));
    local.identityRecord = { ...identity, nextKemPreKeyId: 2 };
    const more = local.generateOneTimePreKeys(deps);
    writes.push(...more.writes, local.identityWrite());
    return {
      device: local,
      writes,
      upload: {
        signedPreKey: signed.record,
        oneTimePreKeys: more.upload.oneTimePreKeys,
        kemPreKeys: [lastResort.record, ...more.upload.kemPreKeys],
      },
    };
  }

  /** Loads the device from the store, or returns undefined when the store has none. */
  static async load(crypto: CryptoProvider, store: Store): Promise<LocalDevice | undefined> {
    const raw = await store.get(NS.identity, "self");
    if (!raw) return undefined;
    const identity = decodeRecord<IdentityRecord>(raw);
    const deps = { crypto };
    const account = accountFromSeed(deps, identity.accountSeed);
    const signingKey = new SecretKeyPair(crypto.ed25519PublicKey(identity.signingSeed), identity.signingSeed);
    const identityKey = new SecretKeyPair(identity.identityPublicKey, identity.identityPrivateKey);
    const device = new DeviceKeys({ userId: account.userId, deviceId: identity.deviceId }, signingKey, identityKey, identity.certificate);
    const local = new LocalDevice(account, device, identity, new Map(), new Map(), new Map());
    for (const [, value] of await store.list(NS.preKeys)) {
      const k = decodeRecord<StoredPreKey>(value);
      if (k.kind === "signed") local.signed.set(k.id, new PreKeySecret(k.id, new SecretKeyPair(k.publicKey, k.secretKey), k.record));
      else if (k.kind === "one-time")
        local.oneTime.set(k.id, new PreKeySecret(k.id, new SecretKeyPair(k.publicKey, k.secretKey), k.record));
      else
        local.kem.set(
          k.id,
          new KemPreKeySecret(
            k.id,
            k.kind === "kem-one-time" ? "one-time" : "last-resort",
            { publicKey: k.publicKey, secretKey: k.secretKey },
            k.record,
          ),
        );
    }
    return local;
  }

  /** Generates a batch of one-time X25519 and ML-KEM prekeys; returns the writes and the upload. */
  generateOneTimePreKeys(deps: Deps): { writes: StoreWrite[]; upload: PreKeyUpload } {
    const writes: StoreWrite[] = [];
    const first = this.identityRecord.nextPreKeyId;
    const oneTime = generateOneTimePreKeys(deps, first, ONE_TIME_PREKEY_BATCH);
    for (const k of oneTime) {
      this.oneTime.set(k.id, k);
      writes.push(
        preKeyWrite(`o:${k.id}`, {
          id: k.id,
          kind: "one-time",
          publicKey: k.keyPair.publicKey,
          secretKey: k.keyPair.privateKey,
          record: k.record,
        }),
      );
    }
    const kemRecords: Uint8Array[] = [];
    let kemId = this.identityRecord.nextKemPreKeyId;
    for (let i = 0; i < KEM_PREKEY_BATCH; i++, kemId++) {
      const k = generateKemPreKey(deps, this.device, kemId, "one-time");
      this.kem.set(k.id, k);
      writes.push(kemWrite(k));
      kemRecords.push(k.record);
    }
    this.identityRecord = { ...this.identityRecord, nextPreKeyId: first + ONE_TIME_PREKEY_BATCH, nextKemPreKeyId: kemId };
    writes.push(this.identityWrite());
    return { writes, upload: { oneTimePreKeys: oneTime.map((k) => k.record), kemPreKeys: kemRecords } };
  }

  /** Forgets consumed one-time prekeys; returns the store deletes. */
  consume(consumed: { oneTimePreKeyId?: number; kemPreKeyId?: number }): StoreWrite[] {
    const writes: StoreWrite[] = [];
    if (consumed.oneTimePreKeyId !== undefined && this.oneTime.delete(consumed.oneTimePreKeyId)) {
      writes.push({ namespace: NS.preKeys, key: `o:${consumed.oneTimePreKeyId}`, value: undefined });
    }
    if (consumed.kemPreKeyId !== undefined && this.kem.get(consumed.kemPreKeyId)?.kind === "one-time") {
      this.kem.delete(consumed.kemPreKeyId);
      writes.push({ namespace: NS.preKeys, key: `k:${consumed.kemPreKeyId}`, value: undefined });
    }
    return writes;
  }

  /** Updates the stored identity record. */
  update(changes: Partial<IdentityRecord>): StoreWrite {
    this.identityRecord = { ...this.identityRecord, ...changes };
    return this.identityWrite();
  }

  /** Every prekey this device holds, for its first upload. */
  fullUpload(): PreKeyUpload {
    const signed = this.signed.get(this.identityRecord.signedPreKeyId);
    return {
      ...(signed ? { signedPreKey: signed.record } : {}),
      oneTimePreKeys: [...this.oneTime.values()].map((k) => k.record),
      kemPreKeys: [...this.kem.values()].map((k) => k.record),
    };
  }

  /** All signed and last-resort records, for re-upload after a relay lost them. */
  standingUpload(): PreKeyUpload {
    const signed = this.signed.get(this.identityRecord.signedPreKeyId);
    const lastResort = [...this.kem.values()].filter((k) => k.kind === "last-resort").map((k) => k.record);
    return { ...(signed ? { signedPreKey: signed.record } : {}), oneTimePreKeys: [], kemPreKeys: lastResort };
  }

  private identityWrite(): StoreWrite {
    return { namespace: NS.identity, key: "self", value: encodeRecord(this.identityRecord) };
  }
}

function preKeyWrite(key: string, value: StoredPreKey): StoreWrite {
  return { namespace: NS.preKeys, key, value: encodeRecord(value) };
}

function kemWrite(k: KemPreKeySecret): StoreWrite {
  return preKeyWrite(`k:${k.id}`, {
    id: k.id,
    kind: k.kind === "one-time" ? "kem-one-time" : "kem-last-resort",
    publicKey: k.keyPair.publicKey,
    secretKey: k.keyPair.secretKey,
    record: k.record,
  });
}
