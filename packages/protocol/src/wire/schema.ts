/**
 * The shape of every frame as data: field name → type and size bounds. `decodeFrame` checks a
 * decoded msgpack map against this table, so adding a frame is one entry here plus its type in
 * frames.ts (a round-trip test covers every entry). Sizes are wire ceilings; the relay's own
 * limits (frame size, queue depth, …) are tighter and configurable.
 */

import { DEVICE_CERTIFICATE_LENGTH } from "../keys/device-certificate.js";
import { MAX_DEVICES } from "../keys/device-list.js";
import { USER_ID_LENGTH } from "../keys/identity.js";
import { KEM_PREKEY_LENGTH, ONE_TIME_PREKEY_LENGTH, SIGNED_PREKEY_LENGTH } from "../keys/prekeys.js";
import type { FrameType } from "./frames.js";

/** Largest frame `decodeFrame` parses at all (the relay's configured limit is lower). */
export const MAX_WIRE_FRAME_BYTES = 1024 * 1024;
/** Largest opaque envelope in a frame. */
export const MAX_ENVELOPE_BYTES = MAX_WIRE_FRAME_BYTES;
/** Length of a sender-chosen message id. */
export const MESSAGE_ID_BYTES = 16;
/** Length of the challenge nonce. */
export const NONCE_BYTES = 32;
/** Length of a delivery token and of its SHA-256 hash. */
export const DELIVERY_TOKEN_BYTES = 32;
/** Most messages in one `send` / `sealed_send` and most ids in one `ack`. */
export const MAX_BATCH = 1024;
/** Most one-time X25519 prekey records in one upload. */
export const MAX_PREKEYS_PER_UPLOAD = 200;
/**
 * Most ML-KEM prekey records in one upload. Each is 1,262 bytes, so this (plus the signed prekey
 * and MAX_PREKEYS_PER_UPLOAD one-time X25519 records) fits the relay's default 96 KiB frame.
 */
export const MAX_KEM_PREKEYS_PER_UPLOAD = 64;
/** Longest handle string accepted on the wire (UTF-8 bytes, before normalisation). */
export const MAX_HANDLE_BYTES = 64;
/** Largest encoded device list (MAX_DEVICES ids). */
export const MAX_DEVICE_LIST_BYTES = 1 + 32 + 8 + 2 + 4 * MAX_DEVICES + 64;
const MAX_ID = 0xffff_ffff;
const MAX_DEVICE_ID = 0x7fff_ffff;

/** A field's type and bounds. */
export type FieldSpec =
  | { readonly k: "bytes"; readonly min: number; readonly max: number }
  | { readonly k: "uint"; readonly min: number; readonly max: number }
  | { readonly k: "str"; readonly max: number }
  | { readonly k: "bool" }
  | { readonly k: "array"; readonly of: FieldSpec; readonly min: number; readonly max: number }
  | { readonly k: "map"; readonly fields: Fields };

/** A map's fields; optional ones may be absent or nil. */
export type Fields = Readonly<Record<string, { readonly spec: FieldSpec; readonly optional: boolean }>>;

const bytes = (min: number, max = min): FieldSpec => ({ k: "bytes", min, max });
const uint = (max = MAX_ID, min = 0): FieldSpec => ({ k: "uint", min, max });
const str = (max: number): FieldSpec => ({ k: "str", max });
const bool: FieldSpec = { k: "bool" };
const array = (of: FieldSpec, max: number, min = 0): FieldSpec => ({ k: "array", of, min, max });
const optional = (spec: FieldSpec) => ({ spec, optional: true }) as const;
function fields(shape: Record<string, FieldSpec | { spec: FieldSpec; optional: boolean }>): Fields {
  const out: Record<string, { spec: FieldSpec; optional: boolean }> = {};
  for (const [name, value] of Object.entries(shape)) out[name] = "k" in value ? { spec: value, optional: false } : value;
  return out;
}
const map = (shape: Record<string, FieldSpec | { spec: FieldSpec; optional: boolean }>): FieldSpec => ({ k: "map", fields: fields(shape) });

const requestId = uint();
const userId = bytes(USER_ID_LENGTH);
const deviceId = uint(MAX_DEVICE_ID, 1);
const messageId = bytes(MESSAGE_ID_BYTES);
const envelope = bytes(1, MAX_ENVELOPE_BYTES);
const signature = bytes(64);
const deviceList = bytes(1, MAX_DEVICE_LIST_BYTES);
const certificate = bytes(DEVICE_CERTIFICATE_LENGTH);
const time = uint(Number.MAX_SAFE_INTEGER);

/** Fields of every frame type (besides `v` and `t`). */
export const FRAME_SCHEMA: Readonly<Record<FrameType, Fields>> = {
  auth: fields({ id: requestId, userId, deviceId, signature }),
  register: fields({ id: requestId, certificate, deviceList, signature }),
  publish_devices: fields({ id: requestId, deviceList }),
  claim_handle: fields({ id: requestId, handle: str(MAX_HANDLE_BYTES) }),
  lookup_handle: fields({ id: requestId, handle: str(MAX_HANDLE_BYTES) }),
  upload_prekeys: fields({
    id: requestId,
    signedPreKey: optional(bytes(SIGNED_PREKEY_LENGTH)),
    oneTimePreKeys: optional(array(bytes(ONE_TIME_PREKEY_LENGTH), MAX_PREKEYS_PER_UPLOAD)),
    kemPreKeys: optional(array(bytes(KEM_PREKEY_LENGTH), MAX_KEM_PREKEYS_PER_UPLOAD)),
  }),
  fetch_bundles: fields({ id: requestId, userId, deviceId: optional(deviceId) }),
  fetch_devices: fields({ id: requestId, userId }),
  set_delivery_token: fields({ id: requestId, tokenHash: optional(bytes(DELIVERY_TOKEN_BYTES)), open: bool }),
  send: fields({
    id: requestId,
    messages: array(map({ userId, deviceId, messageId, envelope }), MAX_BATCH, 1),
    ephemeral: optional(bool),
  }),
  sealed_send: fields({
    id: requestId,
    userId,
    token: optional(bytes(DELIVERY_TOKEN_BYTES)),
    messages: array(map({ deviceId, messageId, envelope }), MAX_BATCH, 1),
    ephemeral: optional(bool),
  }),
  ack: fields({ id: requestId, messageIds: array(messageId, MAX_BATCH, 1) }),
  blob_ticket: fields({ id: requestId, size: uint(Number.MAX_SAFE_INTEGER, 1) }),
  ping: fields({ id: requestId }),

  challenge: fields({ nonce: bytes(NONCE_BYTES), relayId: str(256) }),
  ok: fields({ id: requestId }),
  error: fields({ id: optional(requestId), code: str(64), message: optional(str(512)) }),
  handle: fields({ id: requestId, userId, accountKey: bytes(32), deviceList }),
  devices: fields({ id: requestId, userId, accountKey: bytes(32), deviceList }),
  bundles: fields({
    id: requestId,
    deviceList,
    bundles: array(
      map({
        deviceId,
        certificate,
        signedPreKey: bytes(SIGNED_PREKEY_LENGTH),
        oneTimePreKey: optional(bytes(ONE_TIME_PREKEY_LENGTH)),
        kemPreKey: bytes(KEM_PREKEY_LENGTH),
      }),
      MAX_DEVICES,
    ),
  }),
  sent: fields({ id: requestId, results: array(str(64), MAX_BATCH, 1) }),
  blob_granted: fields({ id: requestId, blobId: str(128), capability: str(256), expiresAt: time }),
  pong: fields({ id: requestId }),
  message: fields({ messageId, envelope, receivedAt: time }),
  ephemeral: fields({ envelope }),
  queue_empty: fields({}),
  expired: fields({ count: uint(Number.MAX_SAFE_INTEGER), firstAt: time, lastAt: time }),
  prekeys_low: fields({ oneTime: uint(), kem: uint() }),
};
