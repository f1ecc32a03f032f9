/**
 * Multi-recipient sealed envelopes (spec/sealed-envelope.md §6), the shape of Signal's sealed
 * sender v2: one upload carries the encrypted message once, plus a 48-byte header per recipient
 * device, and the relay gives each device `version ‖ type ‖ header ‖ payload`.
 *
 * The sender picks a random message key M and a fresh ephemeral key E. The shared payload is
 * `E.pub ‖ AEAD(K(M), certificate ‖ message)`. Each device's header is `M ⊕ mask ‖ tag`: the
 * mask comes from DH(E, IK_R), so only that device recovers M; the tag is an HMAC keyed by
 * DH(IK_S, IK_R) over the masked key, E.pub, SHA-256(payload) and IK_R, so the device
 * authenticates the sender *and the exact payload*. Every co-recipient learns M (that is the
 * point of sharing the payload), so the payload's AEAD alone authenticates nothing between
 * recipients; the tag is what stops a malicious co-recipient from forging or altering a payload
 * for another (VAL-075). Opening checks VAL-070…VAL-075 in order and returns nothing of the
 * payload before the tag verified.
 */

import { concatBytes, equalBytes, wipe } from "../crypto/bytes.js";
import type { KeyPair } from "../crypto/provider.js";
import { type Deps, newX25519KeyPair, randomBytes } from "../deps.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { agree } from "../handshake/agreement.js";
import { DEVICE_CERTIFICATE_LENGTH, verifyDeviceCertificate } from "../keys/device-certificate.js";
import { LABEL_SEALED_MULTI, LABEL_SEALED_MULTI_AUTH, LABEL_SEALED_MULTI_PAYLOAD, PROTOCOL_VERSION } from "../labels.js";
import { TAG_LENGTH } from "../ratchet/message.js";
import { MULTI_HEADER_LENGTH, MULTI_PREFIX_LENGTH, SEALED_MULTI_TYPE } from "../wire/multi-envelope.js";
import { staticAgreement } from "./agreement-cache.js";
import type { EnvelopeSender, OpenedEnvelope } from "./sealed.js";

/** Length of the message key M and of its masked form in a header. */
const KEY_LENGTH = 32;
/** Length of the sender's authentication tag in a header (truncated HMAC-SHA256). */
const AUTH_TAG_LENGTH = 16;
/** Smallest payload: E.pub, the certificate, the AEAD tag (an empty message). */
export const MIN_MULTI_PAYLOAD_LENGTH = 32 + DEVICE_CERTIFICATE_LENGTH + TAG_LENGTH;
/** Smallest multi envelope a device can receive. */
export const MIN_MULTI_ENVELOPE_LENGTH = MULTI_PREFIX_LENGTH + MULTI_HEADER_LENGTH + MIN_MULTI_PAYLOAD_LENGTH;
/** Bytes a multi envelope adds around the message for one device (prefix, header, E.pub, certificate, AEAD tag). */
export const SEALED_MULTI_OVERHEAD = MIN_MULTI_ENVELOPE_LENGTH;

/** One recipient device of {@link sealMulti}: its X25519 identity key. */
export interface MultiRecipient {
  readonly identityKey: Uint8Array;
}

/** What {@link sealMulti} returns: the shared payload and one header per recipient, in order. */
export interface SealedMulti {
  readonly payload: Uint8Array;
  readonly headers: Uint8Array[];
}

const TYPE_PREFIX = Uint8Array.of(PROTOCOL_VERSION, SEALED_MULTI_TYPE);

function failed(): ParleyError {
  return new ParleyError(ErrorCode.DecryptFailed, "envelope could not be decrypted");
}

/** K(M): the payload's AEAD key and nonce. E.pub as salt: M is fresh, E too, each binds the other. */
function payloadKeys(deps: Deps, messageKey: Uint8Array, ephemeralKey: Uint8Array) {
  const out = deps.crypto.hkdfSha256(messageKey, ephemeralKey, LABEL_SEALED_MULTI_PAYLOAD, 44);
  return { key: out.subarray(0, 32), nonce: out.subarray(32, 44) };
}

/** The mask hiding M from everyone but the holder of IK_R: HKDF of DH(E, IK_R). */
function keyMask(deps: Deps, shared: Uint8Array, ephemeralKey: Uint8Array, recipientIdentityKey: Uint8Array): Uint8Array {
  return deps.crypto.hkdfSha256(shared, concatBytes(ephemeralKey, recipientIdentityKey), LABEL_SEALED_MULTI, KEY_LENGTH);
}

/** The sender's tag over one header: HMAC keyed by HKDF of DH(IK_S, IK_R), truncated to 16 bytes. */
function authTag(
  deps: Deps,
  staticShared: Uint8Array,
  senderIdentityKey: Uint8Array,
  recipientIdentityKey: Uint8Array,
  maskedKey: Uint8Array,
  ephemeralKey: Uint8Array,
  payloadHash: Uint8Array,
): Uint8Array {
  const authKey = deps.crypto.hkdfSha256(
    staticShared,
    new Uint8Array(32),
    concatBytes(LABEL_SEALED_MULTI_AUTH, senderIdentityKey, recipientIdentityKey),
    32,
  );
  const mac = deps.crypto.hmacSha256(authKey, concatBytes(TYPE_PREFIX, maskedKey, ephemeralKey, payloadHash, recipientIdentityKey));
  wipe(authKey);
  return mac.subarray(0, AUTH_TAG_LENGTH);
}

function xor32(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(KEY_LENGTH);
  for (let i = 0; i < KEY_LENGTH; i++) out[i] = (a[i] as number) ^ (b[i] as number);
  return out;
}

/**
 * Seals `message` once for many recipient devices. The relay stores, for device `i`,
 * `multiEnvelope(headers[i], payload)`; each device opens it with {@link openEnvelope}.
 * Throws ERR_INVALID_DH_OUTPUT when a recipient's identity key is low-order (check keys before).
 *
 * @example
 * ```ts
 * const { payload, headers } = sealMulti(deps, me, memberDevices, groupMessage);
 * // multi_send { payload, recipients: [{ userId, token, devices: [{ deviceId, header: headers[i] }] }] }
 * ```
 */
export function sealMulti(deps: Deps, sender: EnvelopeSender, recipients: readonly MultiRecipient[], message: Uint8Array): SealedMulti {
  const messageKey = randomBytes(deps, KEY_LENGTH);
  const ephemeral = newX25519KeyPair(deps);
  const { key, nonce } = payloadKeys(deps, messageKey, ephemeral.publicKey);
  const ciphertext = deps.crypto.aeadEncrypt(
    key,
    nonce,
    concatBytes(sender.certificate, message),
    concatBytes(TYPE_PREFIX, ephemeral.publicKey),
  );
  wipe(key);
  const payload = concatBytes(ephemeral.publicKey, ciphertext);
  const payloadHash = deps.crypto.sha256(payload);
  const headers = recipients.map(({ identityKey }) => {
    const mask = keyMask(deps, agree(deps, ephemeral, identityKey), ephemeral.publicKey, identityKey);
    const maskedKey = xor32(messageKey, mask);
    wipe(mask);
    const staticShared = staticAgreement(deps, sender.identityKey, identityKey);
    const tag = authTag(deps, staticShared, sender.identityKey.publicKey, identityKey, maskedKey, ephemeral.publicKey, payloadHash);
    return concatBytes(maskedKey, tag);
  });
  wipe(messageKey);
  return { payload, headers };
}

/**
 * Opens a multi-recipient envelope (type 0x04) and authenticates its sender and payload
 * (VAL-070…VAL-075). Errors as for single envelopes: ERR_UNSUPPORTED_VERSION /
 * ERR_INVALID_ENCODING when malformed, ERR_DECRYPT_FAILED when it does not open, the
 * certificate's error for a bad certificate. Called by `openEnvelope`, which dispatches on the
 * type byte.
 */
export function openMultiEnvelope(deps: Deps, recipientIdentity: KeyPair, envelope: Uint8Array): OpenedEnvelope {
  // VAL-070: the prefix and the minimum length.
  if (envelope.length < MULTI_PREFIX_LENGTH) throw invalidEncoding("multi envelope is too short");
  if (envelope[0] !== PROTOCOL_VERSION) throw new ParleyError(ErrorCode.UnsupportedVersion, `unsupported version ${envelope[0]}`);
  if (envelope[1] !== SEALED_MULTI_TYPE) throw invalidEncoding("not a multi-recipient sealed envelope");
  if (envelope.length < MIN_MULTI_ENVELOPE_LENGTH) throw invalidEncoding("multi envelope is too short");
  const maskedKey = envelope.subarray(MULTI_PREFIX_LENGTH, MULTI_PREFIX_LENGTH + KEY_LENGTH);
  const tag = envelope.subarray(MULTI_PREFIX_LENGTH + KEY_LENGTH, MULTI_PREFIX_LENGTH + MULTI_HEADER_LENGTH);
  const payload = envelope.subarray(MULTI_PREFIX_LENGTH + MULTI_HEADER_LENGTH);
  const ephemeralKey = payload.subarray(0, 32);

  let shared: Uint8Array;
  try {
    shared = agree(deps, recipientIdentity, ephemeralKey); // VAL-071: a low-order E is a decrypt failure
  } catch {
    throw failed();
  }
  const mask = keyMask(deps, shared, ephemeralKey, recipientIdentity.publicKey);
  const messageKey = xor32(maskedKey, mask);
  const { key, nonce } = payloadKeys(deps, messageKey, ephemeralKey);
  const plaintext = deps.crypto.aeadDecrypt(key, nonce, payload.subarray(32), concatBytes(TYPE_PREFIX, ephemeralKey));
  wipe(mask, messageKey, key);
  if (!plaintext) throw failed(); // VAL-072

  const certificate = plaintext.subarray(0, DEVICE_CERTIFICATE_LENGTH);
  const cache = deps.agreements;
  const senderDevice = cache?.knownCertificate(certificate) ?? verifyDeviceCertificate(deps, certificate); // VAL-073
  let staticShared = cache?.knownAgreement(recipientIdentity.publicKey, senderDevice.identityKey);
  if (!staticShared) {
    try {
      staticShared = agree(deps, recipientIdentity, senderDevice.identityKey); // VAL-074
    } catch {
      throw failed();
    }
  }
  const expected = authTag(
    deps,
    staticShared,
    senderDevice.identityKey,
    recipientIdentity.publicKey,
    maskedKey,
    ephemeralKey,
    deps.crypto.sha256(payload),
  );
  // VAL-075: only the holder of IK_S (or of IK_R) computes this tag, over this exact payload.
  if (!equalBytes(expected, tag)) throw failed();
  cache?.rememberSender(recipientIdentity.publicKey, senderDevice, staticShared);
  return { sender: senderDevice.address, senderDevice, message: plaintext.slice(DEVICE_CERTIFICATE_LENGTH), multi: true };
}
