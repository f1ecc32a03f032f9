/**
 * The relay's side of a multi-recipient sealed envelope (spec/sealed-envelope.md §6): the bytes
 * it puts in each mailbox — `version ‖ type ‖ header ‖ payload`, a plain concatenation of what
 * the sender uploaded — and the message id it derives for each device when the sender gave
 * none. Shared with clients so both sides compute the same ids. No cryptography beyond SHA-256:
 * the relay never opens anything.
 */

import type { CryptoProvider } from "../crypto/provider.js";
import { LABEL_SEALED_MULTI_ID, PROTOCOL_VERSION } from "../labels.js";

/** Type byte of a multi-recipient sealed envelope (after the version byte; 0x03 is the single one). */
export const SEALED_MULTI_TYPE = 4;
/** Per-device header: the masked message key (32) and the sender's authentication tag (16). */
export const MULTI_HEADER_LENGTH = 48;
/** Bytes the relay puts before the header: version and type. */
export const MULTI_PREFIX_LENGTH = 2;
/** Length of a derived message id (as every message id). */
const MESSAGE_ID_LENGTH = 16;

/**
 * The per-device part of a stored multi envelope: `version ‖ type ‖ header`. The full envelope
 * is this followed by the shared payload.
 */
export function multiEnvelopePrefix(header: Uint8Array): Uint8Array {
  const out = new Uint8Array(MULTI_PREFIX_LENGTH + header.length);
  out[0] = PROTOCOL_VERSION;
  out[1] = SEALED_MULTI_TYPE;
  out.set(header, MULTI_PREFIX_LENGTH);
  return out;
}

/**
 * The envelope one device receives: `version ‖ type ‖ header ‖ payload`.
 *
 * @example
 * ```ts
 * const { payload, headers } = sealMulti(deps, me, devices, message);
 * const forFirst = multiEnvelope(headers[0], payload); // what the relay stores for device 0
 * ```
 */
export function multiEnvelope(header: Uint8Array, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(MULTI_PREFIX_LENGTH + header.length + payload.length);
  out.set(multiEnvelopePrefix(header));
  out.set(payload, MULTI_PREFIX_LENGTH + header.length);
  return out;
}

/**
 * The message id the relay gives one device's copy when the sender named none:
 * `SHA-256(LABEL_SEALED_MULTI_ID ‖ SHA-256(payload) ‖ userId ‖ u32(deviceId) ‖ header)[0..16]`.
 * A retry of the same upload gets the same ids (so it dedupes), and a copy of the payload under
 * another header (a co-recipient's forgery) gets another id, so it cannot take the place of the
 * real one. `payloadHash` is SHA-256(payload), computed once per frame.
 */
export function multiMessageId(
  crypto: Pick<CryptoProvider, "sha256">,
  payloadHash: Uint8Array,
  userId: Uint8Array,
  deviceId: number,
  header: Uint8Array,
): Uint8Array {
  const input = new Uint8Array(LABEL_SEALED_MULTI_ID.length + payloadHash.length + userId.length + 4 + header.length);
  let at = 0;
  for (const part of [LABEL_SEALED_MULTI_ID, payloadHash, userId]) {
    input.set(part, at);
    at += part.length;
  }
  new DataView(input.buffer).setUint32(at, deviceId);
  input.set(header, at + 4);
  return crypto.sha256(input).subarray(0, MESSAGE_ID_LENGTH);
}
