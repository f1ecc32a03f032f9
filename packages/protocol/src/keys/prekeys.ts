/**
 * Prekeys a device publishes so others can start sessions while it is offline
 * (spec/keys.md §Prekeys): a signed X25519 prekey, unsigned one-time X25519 prekeys, and
 * ML-KEM-768 prekeys signed by the device key, one-time or last-resort.
 */

import { concatBytes } from "../crypto/bytes.js";
import type { KemKeyPair } from "../crypto/provider.js";
import { type Deps, newKemKeyPair, newX25519KeyPair, now } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { LABEL_KEM_PREKEY, LABEL_SIGNED_PREKEY, PROTOCOL_VERSION } from "../labels.js";
import { Redacted, type SecretKeyPair, toHex } from "../secrets.js";
import type { DeviceKeys } from "./device-certificate.js";

/** Encoded sizes of the public prekey records. */
export const SIGNED_PREKEY_LENGTH = 1 + 4 + 32 + 8 + 64;
export const ONE_TIME_PREKEY_LENGTH = 1 + 4 + 32;
export const KEM_PUBLIC_KEY_LENGTH = 1184;
export const KEM_CIPHERTEXT_LENGTH = 1088;
export const KEM_PREKEY_LENGTH = 1 + 4 + 1 + KEM_PUBLIC_KEY_LENGTH + 8 + 64;

/** Prekey ids are in [1, 2^32 − 1]; 0 means "none" on the wire. */
export const MAX_PREKEY_ID = 0xffff_ffff;

/** Whether an ML-KEM prekey is consumed on use or kept as the fallback. */
export type KemPreKeyKind = "one-time" | "last-resort";
const KIND_CODE: Record<KemPreKeyKind, number> = { "one-time": 1, "last-resort": 2 };

function assertPreKeyId(id: number): void {
  if (!Number.isInteger(id) || id < 1 || id > MAX_PREKEY_ID) throw new RangeError("prekey id must be an integer in [1, 2^32 − 1]");
}

const ZERO = new Uint8Array([0]);

/** Public signed prekey as published. */
export interface SignedPreKeyRecord {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly createdAt: number;
  readonly signature: Uint8Array;
  readonly encoded: Uint8Array;
}

/** Public one-time prekey as published. */
export interface OneTimePreKeyRecord {
  readonly id: number;
  readonly publicKey: Uint8Array;
  readonly encoded: Uint8Array;
}

/** Public ML-KEM prekey as published. */
export interface KemPreKeyRecord {
  readonly id: number;
  readonly kind: KemPreKeyKind;
  readonly publicKey: Uint8Array;
  readonly createdAt: number;
  readonly signature: Uint8Array;
  readonly encoded: Uint8Array;
}

/** A device's private half of an X25519 prekey (signed or one-time) plus its public record. */
export class PreKeySecret extends Redacted {
  constructor(
    readonly id: number,
    readonly keyPair: SecretKeyPair,
    readonly record: Uint8Array,
  ) {
    super();
  }

  protected publicFacts(): Record<string, unknown> {
    return { id: this.id, publicKey: toHex(this.keyPair.publicKey) };
  }
}

/** A device's private half of an ML-KEM prekey plus its public record. */
export class KemPreKeySecret extends Redacted {
  constructor(
    readonly id: number,
    readonly kind: KemPreKeyKind,
    readonly keyPair: KemKeyPair,
    readonly record: Uint8Array,
  ) {
    super();
  }

  protected publicFacts(): Record<string, unknown> {
    return { id: this.id, kind: this.kind };
  }
}

/** Makes a signed prekey with the given id, signed by the device signing key. */
export function generateSignedPreKey(deps: Deps, device: DeviceKeys, id: number): PreKeySecret {
  assertPreKeyId(id);
  const keyPair = newX25519KeyPair(deps);
  const body = new ByteWriter(SIGNED_PREKEY_LENGTH).u8(PROTOCOL_VERSION).u32(id).bytes(keyPair.publicKey).u64(now(deps)).finish();
  const signature = deps.crypto.ed25519Sign(device.signingKey, concatBytes(LABEL_SIGNED_PREKEY, ZERO, body));
  return new PreKeySecret(id, keyPair, concatBytes(body, signature));
}

/** Makes `count` one-time prekeys with ids `firstId`, `firstId + 1`, …. */
export function generateOneTimePreKeys(deps: Deps, firstId: number, count: number): PreKeySecret[] {
  assertPreKeyId(firstId);
  if (!Number.isInteger(count) || count < 0 || firstId + count - 1 > MAX_PREKEY_ID) throw new RangeError("bad prekey count");
  const out: PreKeySecret[] = [];
  for (let id = firstId; id < firstId + count; id++) {
    const keyPair = newX25519KeyPair(deps);
    out.push(
      new PreKeySecret(id, keyPair, new ByteWriter(ONE_TIME_PREKEY_LENGTH).u8(PROTOCOL_VERSION).u32(id).bytes(keyPair.publicKey).finish()),
    );
  }
  return out;
}

/** Makes an ML-KEM-768 prekey signed by the device signing key. */
export function generateKemPreKey(deps: Deps, device: DeviceKeys, id: number, kind: KemPreKeyKind): KemPreKeySecret {
  assertPreKeyId(id);
  const keyPair = newKemKeyPair(deps);
  const body = new ByteWriter(KEM_PREKEY_LENGTH)
    .u8(PROTOCOL_VERSION)
    .u32(id)
    .u8(KIND_CODE[kind])
    .bytes(keyPair.publicKey)
    .u64(now(deps))
    .finish();
  const signature = deps.crypto.ed25519Sign(device.signingKey, concatBytes(LABEL_KEM_PREKEY, ZERO, body));
  return new KemPreKeySecret(id, kind, keyPair, concatBytes(body, signature));
}

/** Parses a signed prekey record (signature unchecked). */
export function decodeSignedPreKey(bytes: Uint8Array): SignedPreKeyRecord {
  const r = new ByteReader(bytes, "signed prekey");
  r.version(PROTOCOL_VERSION);
  const id = readId(r, "signed prekey");
  const publicKey = r.bytes(32);
  const createdAt = r.u64();
  const signature = r.bytes(64);
  r.end();
  return { id, publicKey, createdAt, signature, encoded: bytes.slice() };
}

/** Parses a one-time prekey record. */
export function decodeOneTimePreKey(bytes: Uint8Array): OneTimePreKeyRecord {
  const r = new ByteReader(bytes, "one-time prekey");
  r.version(PROTOCOL_VERSION);
  const id = readId(r, "one-time prekey");
  const publicKey = r.bytes(32);
  r.end();
  return { id, publicKey, encoded: bytes.slice() };
}

/** Parses an ML-KEM prekey record (signature unchecked). */
export function decodeKemPreKey(bytes: Uint8Array): KemPreKeyRecord {
  const r = new ByteReader(bytes, "ML-KEM prekey");
  r.version(PROTOCOL_VERSION);
  const id = readId(r, "ML-KEM prekey");
  const code = r.u8();
  const kind: KemPreKeyKind | undefined = code === 1 ? "one-time" : code === 2 ? "last-resort" : undefined;
  if (!kind) throw invalidEncoding("ML-KEM prekey has an unknown kind");
  const publicKey = r.bytes(KEM_PUBLIC_KEY_LENGTH);
  const createdAt = r.u64();
  const signature = r.bytes(64);
  r.end();
  return { id, kind, publicKey, createdAt, signature, encoded: bytes.slice() };
}

/** Checks a signed prekey's signature by the device signing key (VAL-003). */
export function verifySignedPreKey(deps: Deps, bytes: Uint8Array, deviceSigningKey: Uint8Array): SignedPreKeyRecord {
  const record = decodeSignedPreKey(bytes);
  const signed = concatBytes(LABEL_SIGNED_PREKEY, ZERO, record.encoded.subarray(0, SIGNED_PREKEY_LENGTH - 64));
  if (!deps.crypto.ed25519Verify(deviceSigningKey, signed, record.signature)) {
    throw new ParleyError(ErrorCode.InvalidSignature, "signed prekey signature does not verify (VAL-003)");
  }
  return record;
}

/** Checks an ML-KEM prekey's signature by the device signing key (VAL-004). */
export function verifyKemPreKey(deps: Deps, bytes: Uint8Array, deviceSigningKey: Uint8Array): KemPreKeyRecord {
  const record = decodeKemPreKey(bytes);
  const signed = concatBytes(LABEL_KEM_PREKEY, ZERO, record.encoded.subarray(0, KEM_PREKEY_LENGTH - 64));
  if (!deps.crypto.ed25519Verify(deviceSigningKey, signed, record.signature)) {
    throw new ParleyError(ErrorCode.InvalidSignature, "ML-KEM prekey signature does not verify (VAL-004)");
  }
  return record;
}

function readId(r: ByteReader, what: string): number {
  const id = r.u32();
  if (id === 0) throw invalidEncoding(`${what} has id 0`);
  return id;
}
