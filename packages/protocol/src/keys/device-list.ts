/**
 * The signed device list: the account key's statement of which devices a user has now
 * (spec/keys.md §Device list). The relay serves it; clients check the signature and that the
 * sequence number never goes backwards, so a relay cannot hide a device or roll back a removal.
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { LABEL_DEVICE_LIST, PROTOCOL_VERSION } from "../labels.js";
import { type AccountKeys, assertDeviceId, MAX_DEVICE_ID, MIN_DEVICE_ID } from "./identity.js";

/** Most devices one account may list. */
export const MAX_DEVICES = 64;

export interface DeviceList {
  readonly accountKey: Uint8Array;
  /** Strictly increasing with each new list the account signs. */
  readonly sequence: number;
  /** Ascending, unique device ids. */
  readonly deviceIds: readonly number[];
  readonly signature: Uint8Array;
  readonly encoded: Uint8Array;
}

/** Signs a device list. `deviceIds` are sorted; duplicates or more than MAX_DEVICES throw RangeError. */
export function signDeviceList(deps: Deps, account: AccountKeys, sequence: number, deviceIds: readonly number[]): Uint8Array {
  const ids = [...deviceIds].sort((a, b) => a - b);
  for (const id of ids) assertDeviceId(id);
  if (new Set(ids).size !== ids.length) throw new RangeError("device ids must be unique");
  if (ids.length === 0 || ids.length > MAX_DEVICES) throw new RangeError(`a device list has 1 to ${MAX_DEVICES} devices`);
  const w = new ByteWriter().u8(PROTOCOL_VERSION).bytes(account.publicKey).u64(sequence).u16(ids.length);
  for (const id of ids) w.u32(id);
  const body = w.finish();
  return concatBytes(body, deps.crypto.ed25519Sign(account.signingKey, concatBytes(LABEL_DEVICE_LIST, new Uint8Array([0]), body)));
}

/** Parses a device list without checking its signature. */
export function decodeDeviceList(bytes: Uint8Array): DeviceList {
  const r = new ByteReader(bytes, "device list");
  r.version(PROTOCOL_VERSION);
  const accountKey = r.bytes(32);
  const sequence = r.u64();
  const count = r.u16();
  if (count === 0 || count > MAX_DEVICES) throw invalidEncoding("device list has a bad device count");
  const deviceIds: number[] = [];
  for (let i = 0; i < count; i++) {
    const id = r.u32();
    const previous = deviceIds[i - 1];
    if (id < MIN_DEVICE_ID || id > MAX_DEVICE_ID || (previous !== undefined && id <= previous)) {
      throw invalidEncoding("device list ids must be ascending, unique and in range");
    }
    deviceIds.push(id);
  }
  const signature = r.bytes(64);
  r.end();
  return { accountKey, sequence, deviceIds, signature, encoded: bytes.slice() };
}

/** Decodes and verifies a device list against the account key the caller trusts. */
export function verifyDeviceList(deps: Deps, bytes: Uint8Array, accountKey: Uint8Array): DeviceList {
  const list = decodeDeviceList(bytes);
  if (
    !deps.crypto.ed25519Verify(
      list.accountKey,
      concatBytes(LABEL_DEVICE_LIST, new Uint8Array([0]), list.encoded.subarray(0, list.encoded.length - 64)),
      list.signature,
    )
  ) {
    throw new ParleyError(ErrorCode.InvalidSignature, "device list signature does not verify");
  }
  if (!equalBytes(list.accountKey, accountKey))
    throw new ParleyError(ErrorCode.IdentityMismatch, "device list is signed by another account");
  return list;
}
