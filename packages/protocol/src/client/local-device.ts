/**
 * This device's identity and prekeys: creating them (a new account, or a device linked to an
 * existing account), loading them from the store, answering the protocol's prekey lookups from
 * memory (the core's lookup is synchronous; the prekeys themselves are in local-prekeys.ts).
 *
 * Only the primary device (the one that created the account) holds the account's signing key;
 * it certifies linked devices and signs the device list. Linked devices hold their own keys and
 * the account's public key.
 */

import { equalBytes } from "../crypto/bytes.js";
import type { CryptoProvider } from "../crypto/provider.js";
import { type Deps, newEd25519KeyPair, newX25519KeyPair } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { certifyDevice, DeviceKeys, generateDevice, verifyDeviceCertificate } from "../keys/device-certificate.js";
import { decodeDeviceList, signDeviceList, verifyDeviceList } from "../keys/device-list.js";
import { type AccountKeys, accountFromSeed, deriveUserId, generateAccount } from "../keys/identity.js";
import { SecretKeyPair } from "../secrets.js";
import { type LinkApproval, type LinkRequest, openLinkToken } from "./linking.js";
import { LocalPreKeys } from "./local-prekeys.js";
import { decodeRecord, encodeRecord, type IdentityRecord, NS } from "./records.js";
import type { Store, StoreWrite } from "./store/store.js";

/** A new device's keys while it waits for the primary device's approval. */
export interface PendingLink {
  readonly deviceId: number;
  readonly signingSeed: Uint8Array;
  readonly identityPrivateKey: Uint8Array;
  readonly identityPublicKey: Uint8Array;
}

export class LocalDevice {
  private constructor(
    /** The account signing key: on the primary device only. */
    readonly account: AccountKeys | undefined,
    readonly device: DeviceKeys,
    private identityRecord: IdentityRecord,
  ) {}

  /** This device's prekeys (local-prekeys.ts). */
  readonly preKeys = new LocalPreKeys(this);

  get identity(): IdentityRecord {
    return this.identityRecord;
  }

  /** Our user id (derived from the account key). */
  get userId(): Uint8Array {
    return this.device.address.userId;
  }

  /** Our account's devices, from our own device list (verified when it was stored). */
  get deviceIds(): readonly number[] {
    return decodeDeviceList(this.identityRecord.deviceList).deviceIds;
  }

  /** The account public key contacts pin and safety numbers cover. */
  get accountPublicKey(): Uint8Array {
    return this.identityRecord.accountPublicKey;
  }

  /** Creates a new account and its first (primary) device with its prekeys; returns the writes to persist. */
  static create(deps: Deps, displayName: string): { device: LocalDevice; writes: StoreWrite[] } {
    const account = generateAccount(deps);
    const device = generateDevice(deps, account, 1);
    const identity: IdentityRecord = {
      accountSeed: account.signingKey.privateKey,
      accountPublicKey: account.publicKey,
      deviceId: 1,
      signingSeed: device.signingKey.privateKey,
      identityPrivateKey: device.identityKey.privateKey,
      identityPublicKey: device.identityKey.publicKey,
      certificate: device.certificate,
      deviceList: signDeviceList(deps, account, 1, [1]),
      deviceListSequence: 1,
      deliveryToken: deps.crypto.randomBytes(32),
      displayName,
      registered: false,
      nextPreKeyId: 1,
      nextKemPreKeyId: 1,
      signedPreKeyId: 1,
    };
    const local = new LocalDevice(account, device, identity);
    return { device: local, writes: local.preKeys.initial(deps) };
  }

  /**
   * A new device of an existing account whose signing key we hold (a restore from a backup,
   * backup-restore.ts): fresh device keys and prekeys, certified by the account key, listed in
   * `deviceList` (signed by the caller, naming `deviceId`). Returns the writes to persist.
   */
  static restore(
    deps: Deps,
    account: AccountKeys,
    deviceId: number,
    base: Pick<IdentityRecord, "deviceList" | "deviceListSequence" | "deliveryToken" | "displayName" | "handle" | "privacy">,
  ): { device: LocalDevice; writes: StoreWrite[] } {
    const device = generateDevice(deps, account, deviceId);
    const identity: IdentityRecord = {
      ...base,
      accountSeed: account.signingKey.privateKey,
      accountPublicKey: account.publicKey,
      deviceId,
      signingSeed: device.signingKey.privateKey,
      identityPrivateKey: device.identityKey.privateKey,
      identityPublicKey: device.identityKey.publicKey,
      certificate: device.certificate,
      registered: false,
      nextPreKeyId: 1,
      nextKemPreKeyId: 1,
      signedPreKeyId: 1,
    };
    const local = new LocalDevice(account, device, identity);
    return { device: local, writes: local.preKeys.initial(deps) };
  }

  /**
   * Device linking, step 1 (new device): fresh device keys, not yet certified. Returns the
   * pending keys to keep and the public request to hand to the primary device.
   */
  static pendingLink(deps: Deps): { pending: PendingLink; request: LinkRequest } {
    const signing = newEd25519KeyPair(deps);
    const identity = newX25519KeyPair(deps);
    // Random, so two devices linked at the same time do not collide; 1 is the primary's.
    const deviceId = 2 + (new DataView(deps.crypto.randomBytes(4).buffer).getUint32(0) % 0x7fff_fffd);
    return {
      pending: {
        deviceId,
        signingSeed: signing.privateKey,
        identityPrivateKey: identity.privateKey,
        identityPublicKey: identity.publicKey,
      },
      request: { deviceId, signingKey: signing.publicKey, identityKey: identity.publicKey },
    };
  }

  /**
   * Device linking, step 2 (primary device, once the user confirmed the check code): certifies
   * the new device's keys and signs the device list with it added. Changes nothing: the caller
   * publishes the list, then stores it with `adoptDeviceList`.
   */
  certifyLink(deps: Deps, request: LinkRequest): { certificate: Uint8Array; deviceList: Uint8Array; sequence: number } {
    const account = this.requireAccount("link devices");
    const current = verifyDeviceList(deps, this.identityRecord.deviceList, this.accountPublicKey);
    if (current.deviceIds.includes(request.deviceId)) throw new RangeError("that device id is already in use");
    const certificate = certifyDevice(deps, account, request.deviceId, request.signingKey, request.identityKey);
    const sequence = this.identityRecord.deviceListSequence + 1;
    const deviceList = signDeviceList(deps, account, sequence, [...current.deviceIds, request.deviceId]);
    return { certificate, deviceList, sequence };
  }

  /** The device list without `deviceId`, signed with the next sequence (primary device). Changes nothing. */
  listWithout(deps: Deps, deviceId: number): { deviceList: Uint8Array; sequence: number } {
    const account = this.requireAccount("remove devices");
    if (deviceId === this.device.deviceId) throw new RangeError("the primary device cannot remove itself");
    const current = verifyDeviceList(deps, this.identityRecord.deviceList, this.accountPublicKey);
    if (!current.deviceIds.includes(deviceId)) throw new RangeError("no such device on this account");
    const sequence = this.identityRecord.deviceListSequence + 1;
    return {
      deviceList: signDeviceList(
        deps,
        account,
        sequence,
        current.deviceIds.filter((id) => id !== deviceId),
      ),
      sequence,
    };
  }

  /** Takes a newer own device list (published by us, or fetched and verified); returns the write. */
  adoptDeviceList(deviceList: Uint8Array, sequence: number): StoreWrite {
    return this.update({ deviceList, deviceListSequence: sequence });
  }

  private requireAccount(what: string): AccountKeys {
    if (!this.account) throw new ParleyError(ErrorCode.IdentityMismatch, `only the primary device can ${what}`);
    return this.account;
  }

  /** Device linking, step 3 (new device): checks the approval against its own keys and becomes a device. */
  static completeLink(deps: Deps, pending: PendingLink, approval: LinkApproval): { device: LocalDevice; writes: StoreWrite[] } {
    const cert = verifyDeviceCertificate(deps, approval.certificate, { deviceId: pending.deviceId });
    const signingPublic = deps.crypto.ed25519PublicKey(pending.signingSeed);
    if (!equalBytes(cert.signingKey, signingPublic) || !equalBytes(cert.identityKey, pending.identityPublicKey)) {
      throw new ParleyError(ErrorCode.IdentityMismatch, "the approval certifies other keys than this device's");
    }
    const list = verifyDeviceList(deps, approval.deviceList, cert.accountKey);
    if (!list.deviceIds.includes(pending.deviceId))
      throw new ParleyError(ErrorCode.IdentityMismatch, "the device list does not name this device");
    const identity: IdentityRecord = {
      accountPublicKey: cert.accountKey,
      deviceId: pending.deviceId,
      signingSeed: pending.signingSeed,
      identityPrivateKey: pending.identityPrivateKey,
      identityPublicKey: pending.identityPublicKey,
      certificate: approval.certificate,
      deviceList: approval.deviceList,
      deviceListSequence: list.sequence,
      // The account's token, not one of our own: contacts hold one token for all our devices.
      deliveryToken: openLinkToken(
        deps,
        { publicKey: pending.identityPublicKey, privateKey: pending.identityPrivateKey },
        approval.sealedToken,
      ),
      displayName: approval.displayName,
      ...(approval.handle ? { handle: approval.handle } : {}),
      registered: false,
      nextPreKeyId: 1,
      nextKemPreKeyId: 1,
      signedPreKeyId: 1,
    };
    const device = new DeviceKeys(
      { userId: deriveUserId(deps, cert.accountKey), deviceId: pending.deviceId },
      new SecretKeyPair(signingPublic, pending.signingSeed),
      new SecretKeyPair(pending.identityPublicKey, pending.identityPrivateKey),
      approval.certificate,
    );
    const local = new LocalDevice(undefined, device, identity);
    return { device: local, writes: local.preKeys.initial(deps) };
  }

  /** Loads the device from the store, or returns undefined when the store has none. */
  static async load(crypto: CryptoProvider, store: Store): Promise<LocalDevice | undefined> {
    const raw = await store.get(NS.identity, "self");
    if (!raw) return undefined;
    const identity = decodeRecord<IdentityRecord>(raw);
    const deps = { crypto };
    const account = identity.accountSeed ? accountFromSeed(deps, identity.accountSeed) : undefined;
    const signingKey = new SecretKeyPair(crypto.ed25519PublicKey(identity.signingSeed), identity.signingSeed);
    const identityKey = new SecretKeyPair(identity.identityPublicKey, identity.identityPrivateKey);
    const address = { userId: deriveUserId(deps, identity.accountPublicKey), deviceId: identity.deviceId };
    const local = new LocalDevice(account, new DeviceKeys(address, signingKey, identityKey, identity.certificate), identity);
    for (const [key, value] of await store.list(NS.preKeys)) local.preKeys.load(key, value);
    return local;
  }

  /** Updates the stored identity record; returns the write. */
  update(changes: Partial<IdentityRecord>): StoreWrite {
    this.identityRecord = { ...this.identityRecord, ...changes };
    return { namespace: NS.identity, key: "self", value: encodeRecord(this.identityRecord) };
  }
}
