/**
 * Wire forms of session messages (spec/ratchet.md §Messages, spec/handshake.md §Prekey message):
 * a ratchet message, and the prekey message that wraps one while the initiator's session is
 * not yet acknowledged.
 */

import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { invalidEncoding } from "../errors.js";
import { DEVICE_CERTIFICATE_LENGTH } from "../keys/device-certificate.js";
import { KEM_CIPHERTEXT_LENGTH } from "../keys/prekeys.js";
import { PROTOCOL_VERSION } from "../labels.js";

/** Type byte (second byte) of each top-level message. */
export const MessageType = { Ratchet: 1, PreKey: 2, Sealed: 3 } as const;

/** Length of the random per-message AEAD nonce carried in the header (spec/ratchet.md §1). */
export const MESSAGE_NONCE_LENGTH = 12;
/** Length of a ratchet message header: version, type, ratchet key, previous counter, counter, nonce. */
export const RATCHET_HEADER_LENGTH = 1 + 1 + 32 + 4 + 4 + MESSAGE_NONCE_LENGTH;
/** ChaCha20-Poly1305 tag length. */
export const TAG_LENGTH = 16;

export interface RatchetMessage {
  readonly ratchetKey: Uint8Array;
  readonly previousCounter: number;
  readonly counter: number;
  /** The sender's fresh random AEAD nonce for this message. */
  readonly nonce: Uint8Array;
  /** The first RATCHET_HEADER_LENGTH bytes, authenticated as associated data. */
  readonly header: Uint8Array;
  readonly ciphertext: Uint8Array;
}

export interface PreKeyMessage {
  readonly senderCertificate: Uint8Array;
  readonly signedPreKeyId: number;
  /** 0 when no one-time prekey was used. */
  readonly oneTimePreKeyId: number;
  readonly kemPreKeyId: number;
  readonly baseKey: Uint8Array;
  readonly kemCiphertext: Uint8Array;
  /** The encoded inner ratchet message. */
  readonly message: Uint8Array;
}

/** Encodes a ratchet message header. */
export function encodeRatchetHeader(ratchetKey: Uint8Array, previousCounter: number, counter: number, nonce: Uint8Array): Uint8Array {
  if (nonce.length !== MESSAGE_NONCE_LENGTH) throw new RangeError(`message nonce must be ${MESSAGE_NONCE_LENGTH} bytes`);
  return new ByteWriter(RATCHET_HEADER_LENGTH)
    .u8(PROTOCOL_VERSION)
    .u8(MessageType.Ratchet)
    .bytes(ratchetKey)
    .u32(previousCounter)
    .u32(counter)
    .bytes(nonce)
    .finish();
}

/** Parses a ratchet message. */
export function decodeRatchetMessage(bytes: Uint8Array): RatchetMessage {
  const r = new ByteReader(bytes, "ratchet message");
  r.version(PROTOCOL_VERSION);
  if (r.u8() !== MessageType.Ratchet) throw invalidEncoding("not a ratchet message");
  const ratchetKey = r.bytes(32);
  const previousCounter = r.u32();
  const counter = r.u32();
  const nonce = r.bytes(MESSAGE_NONCE_LENGTH);
  if (r.remaining < TAG_LENGTH) throw invalidEncoding("ratchet message is shorter than its tag");
  return { ratchetKey, previousCounter, counter, nonce, header: bytes.slice(0, RATCHET_HEADER_LENGTH), ciphertext: r.rest() };
}

/** Encodes a prekey message. */
export function encodePreKeyMessage(m: PreKeyMessage): Uint8Array {
  return new ByteWriter(1 + 1 + DEVICE_CERTIFICATE_LENGTH + 12 + 32 + KEM_CIPHERTEXT_LENGTH + m.message.length)
    .u8(PROTOCOL_VERSION)
    .u8(MessageType.PreKey)
    .bytes(m.senderCertificate)
    .u32(m.signedPreKeyId)
    .u32(m.oneTimePreKeyId)
    .u32(m.kemPreKeyId)
    .bytes(m.baseKey)
    .bytes(m.kemCiphertext)
    .bytes(m.message)
    .finish();
}

/** Parses a prekey message (the inner message is parsed separately). */
export function decodePreKeyMessage(bytes: Uint8Array): PreKeyMessage {
  const r = new ByteReader(bytes, "prekey message");
  r.version(PROTOCOL_VERSION);
  if (r.u8() !== MessageType.PreKey) throw invalidEncoding("not a prekey message");
  const senderCertificate = r.bytes(DEVICE_CERTIFICATE_LENGTH);
  const signedPreKeyId = r.u32();
  const oneTimePreKeyId = r.u32();
  const kemPreKeyId = r.u32();
  if (signedPreKeyId === 0 || kemPreKeyId === 0) throw invalidEncoding("prekey message names prekey id 0");
  const baseKey = r.bytes(32);
  const kemCiphertext = r.bytes(KEM_CIPHERTEXT_LENGTH);
  const message = r.rest();
  return { senderCertificate, signedPreKeyId, oneTimePreKeyId, kemPreKeyId, baseKey, kemCiphertext, message };
}

/** The type byte of a session message, after checking its version. */
export function peekMessageType(bytes: Uint8Array): number {
  const r = new ByteReader(bytes, "message");
  r.version(PROTOCOL_VERSION);
  return r.u8();
}
