/**
 * Accounts and addresses. A user is an account key (Ed25519); the user id is derived from it
 * so anyone can check that a device certificate belongs to a user id without trusting the relay.
 * A device is addressed by (userId, deviceId).
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import { type Deps, newEd25519KeyPair } from "../deps.js";
import { LABEL_USER_ID } from "../labels.js";
import { Redacted, SecretKeyPair, toHex } from "../secrets.js";

/** Length of a user id in bytes. */
export const USER_ID_LENGTH = 16;

/** Lowest and highest valid device ids (0 is reserved to mean "none"). */
export const MIN_DEVICE_ID = 1;
export const MAX_DEVICE_ID = 0x7fff_ffff;

/** Where a message goes or comes from: one device of one user. */
export interface Address {
  readonly userId: Uint8Array;
  readonly deviceId: number;
}

/** `SHA-256("Parley/v1/user-id" ‖ 0x00 ‖ accountKey)[0..16]` (spec/keys.md §User id). */
export function deriveUserId(deps: Deps, accountPublicKey: Uint8Array): Uint8Array {
  return deps.crypto.sha256(concatBytes(LABEL_USER_ID, new Uint8Array([0]), accountPublicKey)).slice(0, USER_ID_LENGTH);
}

/** A stable string for an address, usable as a map key: `<userId hex>.<deviceId>`. */
export function addressKey(address: Address): string {
  return `${toHex(address.userId)}.${address.deviceId}`;
}

/** True when two addresses name the same device. */
export function sameAddress(a: Address, b: Address): boolean {
  return a.deviceId === b.deviceId && equalBytes(a.userId, b.userId);
}

/** Throws RangeError unless `deviceId` is an integer in [1, 2^31 − 1]. */
export function assertDeviceId(deviceId: number): void {
  if (!Number.isInteger(deviceId) || deviceId < MIN_DEVICE_ID || deviceId > MAX_DEVICE_ID) {
    throw new RangeError(`device id must be an integer in [${MIN_DEVICE_ID}, ${MAX_DEVICE_ID}]`);
  }
}

/** A user's long-term account signing key and the user id derived from it. */
export class AccountKeys extends Redacted {
  constructor(
    readonly signingKey: SecretKeyPair,
    readonly userId: Uint8Array,
  ) {
    super();
  }

  /** The account public key contacts verify devices against and safety numbers cover. */
  get publicKey(): Uint8Array {
    return this.signingKey.publicKey;
  }

  protected publicFacts(): Record<string, unknown> {
    return { userId: toHex(this.userId), publicKey: toHex(this.publicKey) };
  }
}

/** Creates a new account key. */
export function generateAccount(deps: Deps): AccountKeys {
  const signingKey = newEd25519KeyPair(deps);
  return new AccountKeys(signingKey, deriveUserId(deps, signingKey.publicKey));
}

/** Rebuilds account keys from a stored 32-byte Ed25519 seed. */
export function accountFromSeed(deps: Deps, seed: Uint8Array): AccountKeys {
  const signingKey = new SecretKeyPair(deps.crypto.ed25519PublicKey(seed), seed.slice());
  return new AccountKeys(signingKey, deriveUserId(deps, signingKey.publicKey));
}
