/**
 * Prekey bundles: what an initiator fetches to start a session with one device, and the
 * checks it runs before using one (VAL-001 … VAL-005 in spec/handshake.md).
 */

import type { Deps } from "../deps.js";
import { type VerifiedDevice, verifyDeviceCertificate } from "./device-certificate.js";
import {
  decodeOneTimePreKey,
  type KemPreKeyRecord,
  type OneTimePreKeyRecord,
  type SignedPreKeyRecord,
  verifyKemPreKey,
  verifySignedPreKey,
} from "./prekeys.js";

/** The encoded records a relay returns for one device. */
export interface PreKeyBundle {
  readonly deviceCertificate: Uint8Array;
  readonly signedPreKey: Uint8Array;
  /** Absent when the device has run out of one-time prekeys. */
  readonly oneTimePreKey?: Uint8Array | undefined;
  /** A one-time ML-KEM prekey, or the last-resort one when those ran out. */
  readonly kemPreKey: Uint8Array;
}

/** A bundle whose every signature has been checked. */
export interface VerifiedBundle {
  readonly device: VerifiedDevice;
  readonly signedPreKey: SignedPreKeyRecord;
  readonly oneTimePreKey?: OneTimePreKeyRecord | undefined;
  readonly kemPreKey: KemPreKeyRecord;
}

/** What the initiator expects the bundle to be for: the account key it trusts, and optionally the device. */
export interface BundleExpectation {
  readonly accountKey?: Uint8Array;
  readonly userId?: Uint8Array;
  readonly deviceId?: number;
}

/** Verifies every signature in a bundle and that it is for the expected account and device. */
export function verifyBundle(deps: Deps, bundle: PreKeyBundle, expected?: BundleExpectation): VerifiedBundle {
  const device = verifyDeviceCertificate(deps, bundle.deviceCertificate, expected);
  const signedPreKey = verifySignedPreKey(deps, bundle.signedPreKey, device.signingKey);
  const kemPreKey = verifyKemPreKey(deps, bundle.kemPreKey, device.signingKey);
  const oneTimePreKey = bundle.oneTimePreKey ? decodeOneTimePreKey(bundle.oneTimePreKey) : undefined;
  return { device, signedPreKey, oneTimePreKey, kemPreKey };
}
