/**
 * Sealed envelopes (spec/sealed-envelope.md): hide the sender's address from the relay.
 * The envelope is encrypted to the recipient device's X25519 identity key with one fresh
 * ephemeral key (one X25519 per side). It carries the sender's claimed address and a session
 * message; the session message authenticates the sender, because its AEAD binds both devices'
 * addresses and identity keys (the session's associated data). `openAndDecrypt` checks that the
 * claimed address and the authenticating session agree (VAL-040).
 */

import { concatBytes } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/provider.js";
import { type Deps, newX25519KeyPair } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { agree } from "../handshake/agreement.js";
import type { DeviceKeys } from "../keys/device-certificate.js";
import { type Address, MAX_DEVICE_ID, MIN_DEVICE_ID, sameAddress, USER_ID_LENGTH } from "../keys/identity.js";
import { LABEL_SEALED, PROTOCOL_VERSION } from "../labels.js";
import { MessageType } from "../ratchet/message.js";
import { type DecryptResult, decryptMessage, encryptMessage, type PreKeyLookup, type SessionRecord } from "../session/record.js";

/** Bytes an envelope adds around the session message: header, sender address, AEAD tag. */
export const SEALED_OVERHEAD = 1 + 1 + 32 + USER_ID_LENGTH + 4 + 16;
const HEADER_LENGTH = 1 + 1 + 32;

/** A decrypted envelope before the session message inside it is decrypted. */
export interface OpenedEnvelope {
  readonly sender: Address;
  /** The encoded ratchet or prekey message. */
  readonly message: Uint8Array;
}

function envelopeKeys(deps: Deps, shared: Uint8Array, ephemeralKey: Uint8Array, recipientIdentityKey: Uint8Array) {
  const out = deps.crypto.hkdfSha256(shared, concatBytes(ephemeralKey, recipientIdentityKey), LABEL_SEALED, 44);
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}

/** Seals a session message from `sender` to the device whose identity key is `recipientIdentityKey`. */
export function sealEnvelope(deps: Deps, sender: Address, recipientIdentityKey: Uint8Array, message: Uint8Array): Uint8Array {
  const ephemeral = newX25519KeyPair(deps);
  const header = new ByteWriter(HEADER_LENGTH).u8(PROTOCOL_VERSION).u8(MessageType.Sealed).bytes(ephemeral.publicKey).finish();
  const { key, nonce } = envelopeKeys(deps, agree(deps, ephemeral, recipientIdentityKey), ephemeral.publicKey, recipientIdentityKey);
  const inner = new ByteWriter(USER_ID_LENGTH + 4 + message.length).bytes(sender.userId).u32(sender.deviceId).bytes(message).finish();
  return concatBytes(header, deps.crypto.aeadEncrypt(key, nonce, inner, header));
}

/** Opens an envelope with the recipient's identity key pair. Throws ERR_DECRYPT_FAILED on any tampering. */
export function openEnvelope(deps: Deps, recipientIdentity: KeyPair, envelope: Uint8Array): OpenedEnvelope {
  const r = new ByteReader(envelope, "sealed envelope");
  r.version(PROTOCOL_VERSION);
  if (r.u8() !== MessageType.Sealed) throw invalidEncoding("not a sealed envelope");
  const ephemeralKey = r.bytes(32);
  const ciphertext = r.rest();
  if (ciphertext.length < USER_ID_LENGTH + 4 + 16) throw invalidEncoding("sealed envelope is too short");
  let shared: Uint8Array;
  try {
    shared = agree(deps, recipientIdentity, ephemeralKey);
  } catch {
    throw new ParleyError(ErrorCode.DecryptFailed, "envelope could not be decrypted");
  }
  const { key, nonce } = envelopeKeys(deps, shared, ephemeralKey, recipientIdentity.publicKey);
  const inner = deps.crypto.aeadDecrypt(key, nonce, ciphertext, envelope.subarray(0, HEADER_LENGTH));
  if (!inner) throw new ParleyError(ErrorCode.DecryptFailed, "envelope could not be decrypted");
  const ir = new ByteReader(inner, "sealed envelope contents");
  const userId = ir.bytes(USER_ID_LENGTH);
  const deviceId = ir.u32();
  if (deviceId < MIN_DEVICE_ID || deviceId > MAX_DEVICE_ID) throw invalidEncoding("sealed envelope names device id out of range");
  return { sender: { userId, deviceId }, message: ir.rest() };
}

/** Encrypts with the record's current session and seals the result. */
export function encryptSealed(
  deps: Deps,
  local: DeviceKeys,
  record: SessionRecord,
  plaintext: Uint8Array,
): { record: SessionRecord; envelope: Uint8Array } {
  const { record: next, message } = encryptMessage(deps, record, plaintext);
  const session = next.current;
  if (!session) throw new ParleyError(ErrorCode.NoSession, "no session with this device");
  return { record: next, envelope: sealEnvelope(deps, local.address, session.remoteIdentityKey, message) };
}

/**
 * Opens an envelope and decrypts its message. `recordFor` returns the stored record for the
 * claimed sender (or undefined). The result's sender is authenticated: a claimed address that
 * differs from the authenticating session's or certificate's gives ERR_SENDER_MISMATCH.
 */
export function openAndDecrypt(
  deps: Deps,
  local: DeviceKeys,
  envelope: Uint8Array,
  recordFor: (sender: Address) => SessionRecord | undefined,
  preKeys: PreKeyLookup,
): DecryptResult & { sender: Address } {
  const opened = openEnvelope(deps, local.identityKey, envelope);
  return decryptFromSender(deps, local, opened, recordFor(opened.sender), preKeys);
}

/**
 * Decrypts an opened envelope's message with the claimed sender's record and checks that the
 * session (or certificate) that authenticated it belongs to that sender (VAL-040). For callers
 * that must look the record up themselves between opening and decrypting (e.g. from an async
 * store, under a lock).
 */
export function decryptFromSender(
  deps: Deps,
  local: DeviceKeys,
  opened: OpenedEnvelope,
  record: SessionRecord | undefined,
  preKeys: PreKeyLookup,
): DecryptResult & { sender: Address } {
  const result = decryptMessage(deps, local, record, opened.message, preKeys);
  const authenticated = result.senderCertificate?.address ?? result.record.current?.remoteAddress;
  if (!authenticated || !sameAddress(authenticated, opened.sender)) {
    throw new ParleyError(ErrorCode.SenderMismatch, "sealed sender does not match the authenticating session (VAL-040)");
  }
  return { ...result, sender: opened.sender };
}
