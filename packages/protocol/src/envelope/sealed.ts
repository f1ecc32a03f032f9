/**
 * Sealed envelopes (spec/sealed-envelope.md): hide the sender from the relay and authenticate
 * it to the recipient before anything else is done with the envelope.
 *
 * Two layers. Layer 1, keyed by an ephemeral–static X25519 (a fresh key with the recipient's
 * identity key), encrypts the sender's device certificate: only the recipient learns who sent
 * it. Layer 2, keyed by the static–static X25519 (the certificate's identity key with the
 * recipient's), salted with layer 1's chain key and binding layer 1's ciphertext, encrypts the
 * session message: it opens only if the sender holds the identity private key its certificate
 * names, and the certificate (signed by the account key the user id derives from) binds that
 * key to the address. So an opened envelope's sender is authenticated (VAL-041…VAL-046) whatever
 * the session message inside turns out to be; `decryptFromSender` then checks the session agrees
 * (VAL-040).
 */

import { concatBytes, equalBytes } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/provider.js";
import { type Deps, newX25519KeyPair } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { agree } from "../handshake/agreement.js";
import { DEVICE_CERTIFICATE_LENGTH, type DeviceKeys, type VerifiedDevice, verifyDeviceCertificate } from "../keys/device-certificate.js";
import { type Address, sameAddress } from "../keys/identity.js";
import { LABEL_SEALED, LABEL_SEALED_SENDER, PROTOCOL_VERSION } from "../labels.js";
import { MessageType, TAG_LENGTH } from "../ratchet/message.js";
import { type DecryptResult, decryptMessage, encryptMessage, type PreKeyLookup, type SessionRecord } from "../session/record.js";
import { SEALED_MULTI_TYPE } from "../wire/multi-envelope.js";
import { staticAgreement } from "./agreement-cache.js";
import { openMultiEnvelope } from "./sealed-multi.js";

const HEADER_LENGTH = 1 + 1 + 32;
/** Layer 1's ciphertext: the sender's certificate and its tag. */
const SENDER_PART_LENGTH = DEVICE_CERTIFICATE_LENGTH + TAG_LENGTH;
/** Bytes an envelope adds around the session message: header, sealed certificate, layer 2's tag. */
export const SEALED_OVERHEAD = HEADER_LENGTH + SENDER_PART_LENGTH + TAG_LENGTH;

/** What a device needs to seal as itself: its certificate and X25519 identity key pair. */
export type EnvelopeSender = Pick<DeviceKeys, "certificate" | "identityKey">;

/** An opened envelope: its authenticated sender and the session message, not yet decrypted. */
export interface OpenedEnvelope {
  /** The sender's address, from its verified certificate. */
  readonly sender: Address;
  /** The sender's verified certificate; its identity key opened layer 2. */
  readonly senderDevice: VerifiedDevice;
  /** The encoded ratchet or prekey message (a group message when `multi`). */
  readonly message: Uint8Array;
  /** True for a multi-recipient envelope (type 0x04, spec/sealed-envelope.md §6): its message is for a group, not a session. */
  readonly multi: boolean;
}

function failed(): ParleyError {
  return new ParleyError(ErrorCode.DecryptFailed, "envelope could not be decrypted");
}

/** Layer 1: chain key, key and nonce from DH(E, IK_R). */
function senderLayerKeys(deps: Deps, shared: Uint8Array, ephemeralKey: Uint8Array, recipientIdentityKey: Uint8Array) {
  const out = deps.crypto.hkdfSha256(shared, concatBytes(ephemeralKey, recipientIdentityKey), LABEL_SEALED, 76);
  return { chainKey: out.subarray(0, 32), key: out.subarray(32, 64), nonce: out.subarray(64, 76) };
}

/** Layer 2: key and nonce from DH(IK_S, IK_R), salted with layer 1's chain key. */
function messageLayerKeys(
  deps: Deps,
  shared: Uint8Array,
  chainKey: Uint8Array,
  senderIdentityKey: Uint8Array,
  recipientIdentityKey: Uint8Array,
) {
  const out = deps.crypto.hkdfSha256(shared, chainKey, concatBytes(LABEL_SEALED_SENDER, senderIdentityKey, recipientIdentityKey), 44);
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}

/** Seals a session message from `sender` to the device whose identity key is `recipientIdentityKey`. */
export function sealEnvelope(deps: Deps, sender: EnvelopeSender, recipientIdentityKey: Uint8Array, message: Uint8Array): Uint8Array {
  const ephemeral = newX25519KeyPair(deps);
  const header = new ByteWriter(HEADER_LENGTH).u8(PROTOCOL_VERSION).u8(MessageType.Sealed).bytes(ephemeral.publicKey).finish();
  const layer1 = senderLayerKeys(deps, agree(deps, ephemeral, recipientIdentityKey), ephemeral.publicKey, recipientIdentityKey);
  const senderPart = deps.crypto.aeadEncrypt(layer1.key, layer1.nonce, sender.certificate, header);
  const layer2 = messageLayerKeys(
    deps,
    staticAgreement(deps, sender.identityKey, recipientIdentityKey),
    layer1.chainKey,
    sender.identityKey.publicKey,
    recipientIdentityKey,
  );
  const messagePart = deps.crypto.aeadEncrypt(layer2.key, layer2.nonce, message, concatBytes(header, senderPart));
  return concatBytes(header, senderPart, messagePart);
}

/**
 * Opens an envelope with the recipient's identity key pair and authenticates its sender:
 * single envelopes (type 0x03, VAL-041…VAL-046) and multi-recipient ones (type 0x04,
 * VAL-070…VAL-075, see sealed-multi.ts), told apart by the type byte. Throws ERR_INVALID_ENCODING / ERR_UNSUPPORTED_VERSION for a malformed
 * envelope, ERR_DECRYPT_FAILED when either layer does not open (a low-order key included), and
 * the certificate's error (ERR_INVALID_SIGNATURE, ERR_INVALID_ENCODING) for a bad certificate.
 */
export function openEnvelope(deps: Deps, recipientIdentity: KeyPair, envelope: Uint8Array): OpenedEnvelope {
  if (envelope.length >= 2 && envelope[0] === PROTOCOL_VERSION && envelope[1] === SEALED_MULTI_TYPE) {
    return openMultiEnvelope(deps, recipientIdentity, envelope);
  }
  const r = new ByteReader(envelope, "sealed envelope");
  r.version(PROTOCOL_VERSION); // VAL-041
  if (r.u8() !== MessageType.Sealed) throw invalidEncoding("not a sealed envelope");
  const ephemeralKey = r.bytes(32);
  if (r.remaining < SENDER_PART_LENGTH + TAG_LENGTH) throw invalidEncoding("sealed envelope is too short");
  const senderPart = r.bytes(SENDER_PART_LENGTH);
  const messagePart = r.rest();
  const header = envelope.subarray(0, HEADER_LENGTH);
  let shared: Uint8Array;
  try {
    shared = agree(deps, recipientIdentity, ephemeralKey); // VAL-042: a low-order E is a decrypt failure
  } catch {
    throw failed();
  }
  const layer1 = senderLayerKeys(deps, shared, ephemeralKey, recipientIdentity.publicKey);
  const certificate = deps.crypto.aeadDecrypt(layer1.key, layer1.nonce, senderPart, header);
  if (!certificate) throw failed(); // VAL-043
  const cache = deps.agreements;
  const senderDevice = cache?.knownCertificate(certificate) ?? verifyDeviceCertificate(deps, certificate); // VAL-044
  let staticShared = cache?.knownAgreement(recipientIdentity.publicKey, senderDevice.identityKey);
  if (!staticShared) {
    try {
      staticShared = agree(deps, recipientIdentity, senderDevice.identityKey); // VAL-045
    } catch {
      throw failed();
    }
  }
  const layer2 = messageLayerKeys(deps, staticShared, layer1.chainKey, senderDevice.identityKey, recipientIdentity.publicKey);
  const message = deps.crypto.aeadDecrypt(layer2.key, layer2.nonce, messagePart, envelope.subarray(0, HEADER_LENGTH + SENDER_PART_LENGTH));
  if (!message) throw failed(); // VAL-046: the sender does not hold the certificate's identity key
  cache?.rememberSender(recipientIdentity.publicKey, senderDevice, staticShared);
  return { sender: senderDevice.address, senderDevice, message, multi: false };
}

/** Encrypts with the record's current session and seals the result as `local`. */
export function encryptSealed(
  deps: Deps,
  local: DeviceKeys,
  record: SessionRecord,
  plaintext: Uint8Array,
): { record: SessionRecord; envelope: Uint8Array } {
  const { record: next, message } = encryptMessage(deps, record, plaintext);
  const session = next.current;
  if (!session) throw new ParleyError(ErrorCode.NoSession, "no session with this device");
  return { record: next, envelope: sealEnvelope(deps, local, session.remoteIdentityKey, message) };
}

/**
 * Opens an envelope and decrypts its message. `recordFor` returns the stored record for the
 * envelope's authenticated sender (or undefined). See `decryptFromSender` for VAL-040.
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
 * Decrypts an opened envelope's message with the sender's record and checks that the session
 * (or prekey certificate) that authenticated the message has the envelope's address and identity
 * key (VAL-040), else ERR_SENDER_MISMATCH; an opened multi-recipient envelope is
 * ERR_INVALID_ENCODING (VAL-076: its message is for the group layer). For callers that look the record up themselves between
 * opening and decrypting (e.g. from an async store, under a lock).
 */
export function decryptFromSender(
  deps: Deps,
  local: DeviceKeys,
  opened: OpenedEnvelope,
  record: SessionRecord | undefined,
  preKeys: PreKeyLookup,
): DecryptResult & { sender: Address } {
  // VAL-076: a multi envelope's message is a group message, never one of a session (and failing it
  // as malformed, not as undecryptable, means no session repair is attempted for it).
  if (opened.multi) throw invalidEncoding("a multi-recipient envelope carries a group message, not a session message (VAL-076)");
  const result = decryptMessage(deps, local, record, opened.message, preKeys);
  const by =
    result.senderCertificate ??
    (result.record.current
      ? { address: result.record.current.remoteAddress, identityKey: result.record.current.remoteIdentityKey }
      : undefined);
  if (!by || !sameAddress(by.address, opened.sender) || !equalBytes(by.identityKey, opened.senderDevice.identityKey)) {
    throw new ParleyError(ErrorCode.SenderMismatch, "sealed sender does not match the authenticating session (VAL-040)");
  }
  return { ...result, sender: opened.sender };
}
