/**
 * Device certificates: the account key's signature over one device's signing key and X25519
 * identity key (spec/keys.md §Device certificate). A contact who trusts the account key
 * trusts every device it certifies.
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import { type Deps, newEd25519KeyPair, newX25519KeyPair, now } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { LABEL_DEVICE_CERTIFICATE, PROTOCOL_VERSION } from "../labels.js";
import { Redacted, type SecretKeyPair, toHex } from "../secrets.js";
import { type AccountKeys, type Address, assertDeviceId, deriveUserId, MAX_DEVICE_ID, MIN_DEVICE_ID } from "./identity.js";

/** Encoded size of a device certificate. */
export const DEVICE_CERTIFICATE_LENGTH = 1 + 32 + 4 + 32 + 32 + 8 + 64;
const SIGNED_LENGTH = DEVICE_CERTIFICATE_LENGTH - 64;

/** A decoded device certificate (signature not yet checked unless it came from `verifyDeviceCertificate`). */
export interface DeviceCertificate {
  readonly accountKey: Uint8Array;
  readonly deviceId: number;
  readonly signingKey: Uint8Array;
  readonly identityKey: Uint8Array;
  readonly issuedAt: number;
  readonly signature: Uint8Array;
  /** The exact bytes this was decoded from. */
  readonly encoded: Uint8Array;
}

/** A verified certificate together with the address it certifies. */
export interface VerifiedDevice extends DeviceCertificate {
  readonly address: Address;
}

/** One device's private keys and its certificate. */
export class DeviceKeys extends Redacted {
  constructor(
    readonly address: Address,
    readonly signingKey: SecretKeyPair,
    readonly identityKey: SecretKeyPair,
    readonly certificate: Uint8Array,
  ) {
    super();
  }

  get deviceId(): number {
    return this.address.deviceId;
  }

  protected publicFacts(): Record<string, unknown> {
    return { userId: toHex(this.address.userId), deviceId: this.address.deviceId, identityKey: toHex(this.identityKey.publicKey) };
  }
}

function signedPart(w: ByteWriter, cert: Omit<DeviceCertificate, "signature" | "encoded">): ByteWriter {
  return w.u8(PROTOCOL_VERSION).bytes(cert.accountKey).u32(cert.deviceId).bytes(cert.signingKey).bytes(cert.identityKey).u64(cert.issuedAt);
}

/** Creates a device (signing + identity keys) and has the account certify it. */
export function generateDevice(deps: Deps, account: AccountKeys, deviceId: number): DeviceKeys {
  assertDeviceId(deviceId);
  const signingKey = newEd25519KeyPair(deps);
  const identityKey = newX25519KeyPair(deps);
  const certificate = certifyDevice(deps, account, deviceId, signingKey.publicKey, identityKey.publicKey);
  return new DeviceKeys({ userId: account.userId, deviceId }, signingKey, identityKey, certificate);
}

/** Signs a device certificate with the account key. */
export function certifyDevice(
  deps: Deps,
  account: AccountKeys,
  deviceId: number,
  signingKey: Uint8Array,
  identityKey: Uint8Array,
  issuedAt: number = now(deps),
): Uint8Array {
  assertDeviceId(deviceId);
  const w = signedPart(new ByteWriter(DEVICE_CERTIFICATE_LENGTH), {
    accountKey: account.publicKey,
    deviceId,
    signingKey,
    identityKey,
    issuedAt,
  });
  const body = w.finish();
  const signature = deps.crypto.ed25519Sign(account.signingKey, concatBytes(LABEL_DEVICE_CERTIFICATE, new Uint8Array([0]), body));
  return concatBytes(body, signature);
}

/** Parses a device certificate without checking its signature. Throws ERR_INVALID_ENCODING / ERR_UNSUPPORTED_VERSION. */
export function decodeDeviceCertificate(bytes: Uint8Array): DeviceCertificate {
  const r = new ByteReader(bytes, "device certificate");
  r.version(PROTOCOL_VERSION);
  const accountKey = r.bytes(32);
  const deviceId = r.u32();
  if (deviceId < MIN_DEVICE_ID || deviceId > MAX_DEVICE_ID) {
    throw new ParleyError(ErrorCode.InvalidEncoding, "invalid encoding: device certificate has a device id out of range");
  }
  const signingKey = r.bytes(32);
  const identityKey = r.bytes(32);
  const issuedAt = r.u64();
  const signature = r.bytes(64);
  r.end();
  return { accountKey, deviceId, signingKey, identityKey, issuedAt, signature, encoded: bytes.slice() };
}

/**
 * Decodes and verifies a certificate (VAL-001), and when `expected` is given, checks it
 * certifies that account key and device (VAL-002). Throws ERR_INVALID_SIGNATURE or
 * ERR_IDENTITY_MISMATCH.
 */
export function verifyDeviceCertificate(
  deps: Deps,
  bytes: Uint8Array,
  expected?: { accountKey?: Uint8Array; userId?: Uint8Array; deviceId?: number },
): VerifiedDevice {
  const cert = decodeDeviceCertificate(bytes);
  const message = concatBytes(LABEL_DEVICE_CERTIFICATE, new Uint8Array([0]), cert.encoded.subarray(0, SIGNED_LENGTH));
  if (!deps.crypto.ed25519Verify(cert.accountKey, message, cert.signature)) {
    throw new ParleyError(ErrorCode.InvalidSignature, "device certificate signature does not verify (VAL-001)");
  }
  const userId = deriveUserId(deps, cert.accountKey);
  if (expected) {
    const mismatch =
      (expected.accountKey !== undefined && !equalBytes(expected.accountKey, cert.accountKey)) ||
      (expected.userId !== undefined && !equalBytes(expected.userId, userId)) ||
      (expected.deviceId !== undefined && expected.deviceId !== cert.deviceId);
    if (mismatch) throw new ParleyError(ErrorCode.IdentityMismatch, "device certificate is for another account or device (VAL-002)");
  }
  return { ...cert, address: { userId, deviceId: cert.deviceId } };
}
