/**
 * Versioned binary serialization of session records (spec/ratchet.md §Serialized state), so
 * apps can persist sessions and reload them in another process or another implementation.
 * Loading validates every field and throws ERR_INVALID_STATE, never anything else.
 */

import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { ASSOCIATED_DATA_LENGTH } from "../handshake/pqxdh.js";
import { DEVICE_CERTIFICATE_LENGTH } from "../keys/device-certificate.js";
import { type Address, MAX_DEVICE_ID, USER_ID_LENGTH } from "../keys/identity.js";
import { KEM_CIPHERTEXT_LENGTH } from "../keys/prekeys.js";
import { MAX_ARCHIVED_SESSIONS, MAX_RETIRED_CHAINS, MAX_SESSION_RECORD_BYTES, MAX_SKIPPED_KEYS } from "../limits.js";
import { type Chain, type PendingPreKey, type RetiredChain, SessionState, type SkippedKey } from "../ratchet/session-state.js";
import { SecretKeyPair } from "../secrets.js";
import { SessionRecord } from "./record.js";

/** Version byte of the serialized record format. */
export const SESSION_RECORD_FORMAT = 1;

const FLAG_INITIATOR = 1;
const FLAG_RECEIVING = 2;
const FLAG_PENDING = 4;

/** Serializes a record. The bytes contain secret keys: store them encrypted. */
export function encodeSessionRecord(record: SessionRecord): Uint8Array {
  const w = new ByteWriter(4096).u8(SESSION_RECORD_FORMAT).u8(record.current ? 1 : 0);
  if (record.current) writeSession(w, record.current);
  w.u8(record.archived.length);
  for (const s of record.archived) writeSession(w, s);
  return w.finish();
}

/** Loads a record written by `encodeSessionRecord`. Throws ERR_INVALID_STATE. */
export function decodeSessionRecord(bytes: Uint8Array): SessionRecord {
  if (bytes.length > MAX_SESSION_RECORD_BYTES) throw new ParleyError(ErrorCode.InvalidState, "session record is too large");
  try {
    const r = new ByteReader(bytes, "session record");
    if (r.u8() !== SESSION_RECORD_FORMAT) throw new ParleyError(ErrorCode.InvalidState, "session record format is unknown");
    const hasCurrent = r.u8();
    if (hasCurrent > 1) throw new ParleyError(ErrorCode.InvalidState, "session record is corrupt");
    const current = hasCurrent ? readSession(r) : undefined;
    const count = r.u8();
    if (count > MAX_ARCHIVED_SESSIONS) throw new ParleyError(ErrorCode.InvalidState, "session record has too many sessions");
    const archived: SessionState[] = [];
    for (let i = 0; i < count; i++) archived.push(readSession(r));
    r.end();
    return new SessionRecord(current, archived);
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.InvalidState)) throw error;
    throw new ParleyError(ErrorCode.InvalidState, "session record is corrupt", { cause: error });
  }
}

function writeAddress(w: ByteWriter, a: Address): void {
  w.bytes(a.userId).u32(a.deviceId);
}

function writeSession(w: ByteWriter, s: SessionState): void {
  const flags =
    (s.initiator ? FLAG_INITIATOR : 0) |
    (s.receivingChain && s.receivingRatchetKey ? FLAG_RECEIVING : 0) |
    (s.pendingPreKey ? FLAG_PENDING : 0);
  w.u8(flags);
  writeAddress(w, s.localAddress);
  writeAddress(w, s.remoteAddress);
  w.bytes(s.localIdentityKey).bytes(s.remoteIdentityKey).bytes(s.baseKey).bytes(s.remoteCertificate).bytes(s.associatedData);
  w.bytes(s.rootKey).bytes(s.sendingRatchetKey.publicKey).bytes(s.sendingRatchetKey.privateKey);
  w.bytes(s.sendingChain.key).u32(s.sendingChain.index).u32(s.previousCounter);
  if (s.receivingChain && s.receivingRatchetKey) w.bytes(s.receivingRatchetKey).bytes(s.receivingChain.key).u32(s.receivingChain.index);
  w.u16(s.skippedKeys.length);
  for (const k of s.skippedKeys) w.bytes(k.ratchetKey).u32(k.index).bytes(k.messageKey);
  w.u8(s.retiredChains.length);
  for (const c of s.retiredChains) w.bytes(c.ratchetKey).u32(c.nextIndex);
  if (s.pendingPreKey) {
    const p = s.pendingPreKey;
    w.u32(p.signedPreKeyId).u32(p.oneTimePreKeyId).u32(p.kemPreKeyId).bytes(p.kemCiphertext).bytes(p.senderCertificate);
  }
}

function readAddress(r: ByteReader): Address {
  const userId = r.bytes(USER_ID_LENGTH);
  const deviceId = r.u32();
  if (deviceId < 1 || deviceId > MAX_DEVICE_ID) throw new ParleyError(ErrorCode.InvalidState, "session has a bad device id");
  return { userId, deviceId };
}

function readSession(r: ByteReader): SessionState {
  const flags = r.u8();
  if (flags > 7) throw new ParleyError(ErrorCode.InvalidState, "session flags are unknown");
  const localAddress = readAddress(r);
  const remoteAddress = readAddress(r);
  const localIdentityKey = r.bytes(32);
  const remoteIdentityKey = r.bytes(32);
  const baseKey = r.bytes(32);
  const remoteCertificate = r.bytes(DEVICE_CERTIFICATE_LENGTH);
  const associatedData = r.bytes(ASSOCIATED_DATA_LENGTH);
  const rootKey = r.bytes(32);
  const sendingRatchetKey = new SecretKeyPair(r.bytes(32), r.bytes(32));
  const sendingChain: Chain = { key: r.bytes(32), index: r.u32() };
  const previousCounter = r.u32();
  let receivingRatchetKey: Uint8Array | undefined;
  let receivingChain: Chain | undefined;
  if (flags & FLAG_RECEIVING) {
    receivingRatchetKey = r.bytes(32);
    receivingChain = { key: r.bytes(32), index: r.u32() };
  }
  const skippedCount = r.u16();
  if (skippedCount > MAX_SKIPPED_KEYS) throw new ParleyError(ErrorCode.InvalidState, "session has too many skipped keys");
  const skippedKeys: SkippedKey[] = [];
  for (let i = 0; i < skippedCount; i++) skippedKeys.push({ ratchetKey: r.bytes(32), index: r.u32(), messageKey: r.bytes(32) });
  const retiredCount = r.u8();
  if (retiredCount > MAX_RETIRED_CHAINS) throw new ParleyError(ErrorCode.InvalidState, "session has too many retired chains");
  const retiredChains: RetiredChain[] = [];
  for (let i = 0; i < retiredCount; i++) retiredChains.push({ ratchetKey: r.bytes(32), nextIndex: r.u32() });
  let pendingPreKey: PendingPreKey | undefined;
  if (flags & FLAG_PENDING) {
    pendingPreKey = {
      signedPreKeyId: r.u32(),
      oneTimePreKeyId: r.u32(),
      kemPreKeyId: r.u32(),
      kemCiphertext: r.bytes(KEM_CIPHERTEXT_LENGTH),
      senderCertificate: r.bytes(DEVICE_CERTIFICATE_LENGTH),
    };
  }
  return new SessionState({
    initiator: (flags & FLAG_INITIATOR) !== 0,
    localAddress,
    remoteAddress,
    localIdentityKey,
    remoteIdentityKey,
    remoteCertificate,
    baseKey,
    associatedData,
    rootKey,
    sendingRatchetKey,
    sendingChain,
    previousCounter,
    receivingRatchetKey,
    receivingChain,
    skippedKeys,
    retiredChains,
    pendingPreKey,
  });
}
