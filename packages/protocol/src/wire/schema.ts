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
import { MAX_MSGPACK_ELEMENTS } from "./msgpack-scan.js";
import { MULTI_HEADER_LENGTH } from "./multi-envelope.js";

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
/** Most recipient users in one `multi_send`: every member of a 1,000-member group (our own other devices included). */
export const MAX_MULTI_RECIPIENTS = 1000;
/**
 * Most recipient devices in one `multi_send`, all users together: a 1,000-member group at about
 * four devices each. A sender with more splits the send (spec/relay.md §7.8).
 */
export const MAX_MULTI_DEVICES = 4096;
/** Smallest `multi_send` payload that can open: E.pub, the sender certificate, the AEAD tag. */
export const MIN_MULTI_PAYLOAD_BYTES = 32 + DEVICE_CERTIFICATE_LENGTH + 16;
/** Largest encoded device list (MAX_DEVICES ids). */
export const MAX_DEVICE_LIST_BYTES = 1 + 32 + 8 + 2 + 4 * MAX_DEVICES + 64;
/** Longest Web Push endpoint URL (UTF-8 bytes): real push services use about 200–400. */
export const MAX_PUSH_ENDPOINT_BYTES = 1024;
/** Length of a Web Push subscription's P-256 public key (uncompressed point, RFC 8291 §3.1). */
export const PUSH_P256DH_BYTES = 65;
/** Length of a Web Push subscription's authentication secret (RFC 8291 §3.2). */
export const PUSH_AUTH_BYTES = 16;
/** Most ICE servers in one `ice_servers` answer. */
export const MAX_ICE_SERVERS = 16;
/** Most URLs of one ICE server. */
export const MAX_ICE_URLS = 8;
/** Longest ICE server URL, username or credential (UTF-8 bytes). */
export const MAX_ICE_STRING_BYTES = 512;
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

const multiDevice = map({ deviceId, header: bytes(MULTI_HEADER_LENGTH), messageId: optional(messageId) });
const multiSend = (devicesPerRecipient: number): Fields =>
  fields({
    id: requestId,
    payload: bytes(MIN_MULTI_PAYLOAD_BYTES, MAX_ENVELOPE_BYTES),
    recipients: array(
      map({ userId, token: optional(bytes(DELIVERY_TOKEN_BYTES)), devices: array(multiDevice, devicesPerRecipient, 1) }),
      MAX_MULTI_RECIPIENTS,
      1,
    ),
    ephemeral: optional(bool),
  });

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
  multi_send: multiSend(MAX_DEVICES),
  ack: fields({ id: requestId, messageIds: array(messageId, MAX_BATCH, 1) }),
  blob_ticket: fields({ id: requestId, size: uint(Number.MAX_SAFE_INTEGER, 1) }),
  set_push: fields({
    id: requestId,
    endpoint: str(MAX_PUSH_ENDPOINT_BYTES),
    p256dh: bytes(PUSH_P256DH_BYTES),
    auth: bytes(PUSH_AUTH_BYTES),
  }),
  clear_push: fields({ id: requestId }),
  fetch_push_key: fields({ id: requestId }),
  fetch_ice_servers: fields({ id: requestId }),
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
  sent: fields({ id: requestId, results: array(str(64), Math.max(MAX_BATCH, MAX_MULTI_DEVICES), 1) }),
  blob_granted: fields({ id: requestId, blobId: str(128), capability: str(256), expiresAt: time }),
  push_key: fields({ id: requestId, vapidPublicKey: bytes(PUSH_P256DH_BYTES) }),
  ice_servers: fields({
    id: requestId,
    servers: array(
      map({
        urls: array(str(MAX_ICE_STRING_BYTES), MAX_ICE_URLS, 1),
        username: optional(str(MAX_ICE_STRING_BYTES)),
        credential: optional(str(MAX_ICE_STRING_BYTES)),
      }),
      MAX_ICE_SERVERS,
    ),
    expiresAt: optional(time),
  }),
  pong: fields({ id: requestId }),
  message: fields({ messageId, envelope, receivedAt: time }),
  ephemeral: fields({ envelope }),
  queue_empty: fields({}),
  expired: fields({ count: uint(Number.MAX_SAFE_INTEGER), firstAt: time, lastAt: time }),
  prekeys_low: fields({ oneTime: uint(), kem: uint() }),
};

/** Most msgpack values a field of this spec can hold: the value itself, and in a map each key too. */
export function maxElements(spec: FieldSpec): number {
  switch (spec.k) {
    case "array":
      return 1 + spec.max * maxElements(spec.of);
    case "map":
      return 1 + Object.values(spec.fields).reduce((n, f) => n + 1 + maxElements(f.spec), 0);
    default:
      return 1;
  }
}

/** Most values of a frame with these fields: the map, `v` and `t` with their keys, and the fields. */
function frameElements(frameFields: Fields): number {
  return maxElements({ k: "map", fields: frameFields }) + 4;
}

/**
 * Most msgpack values one frame of each type may hold, checked by `decodeFrame` before anything
 * is unpacked. MAX_MSGPACK_ELEMENTS for every type (room for unknown optional fields) except
 * `multi_send`, whose bound comes from its schema: MAX_MULTI_RECIPIENTS recipients with no
 * devices, plus MAX_MULTI_DEVICES devices at their largest.
 */
const MULTI_SEND_ELEMENTS = frameElements(multiSend(0)) + MAX_MULTI_DEVICES * maxElements(multiDevice);
export const FRAME_ELEMENT_BUDGET: Readonly<Record<FrameType, number>> = Object.fromEntries(
  Object.keys(FRAME_SCHEMA).map((t) => [
    t,
    t === "multi_send" ? Math.max(MAX_MSGPACK_ELEMENTS, MULTI_SEND_ELEMENTS) : MAX_MSGPACK_ELEMENTS,
  ]),
) as Record<FrameType, number>;

/** The largest of FRAME_ELEMENT_BUDGET: the structural scan's budget before the type is known. */
export const MAX_FRAME_ELEMENTS = Math.max(...Object.values(FRAME_ELEMENT_BUDGET));

/**
 * Bounds across a frame's fields that a FieldSpec cannot state, checked after the fields
 * decoded; each returns why the frame is refused, or undefined.
 */
export const FRAME_CHECKS: Partial<Record<FrameType, (frame: Record<string, unknown>) => string | undefined>> = {
  set_push: (frame) => pushSubscriptionProblem(frame.endpoint as string, frame.p256dh as Uint8Array),
  multi_send: (frame) => {
    let devices = 0;
    for (const r of frame.recipients as { devices: unknown[] }[]) devices += r.devices.length;
    return devices > MAX_MULTI_DEVICES ? `multi_send names ${devices} devices (at most ${MAX_MULTI_DEVICES})` : undefined;
  },
};

/**
 * Why a Web Push subscription is refused on the wire (VAL-PUSH-1), or undefined: the endpoint is
 * an absolute `https:` or `http:` URL without credentials or fragment, and p256dh is an
 * uncompressed point (0x04 prefix). Whether `http:` is allowed (only to loopback, and only when
 * the relay is configured for tests) is the relay's decision.
 */
export function pushSubscriptionProblem(endpoint: string, p256dh: Uint8Array): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return "the push endpoint is not a URL";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "the push endpoint must be an https URL";
  if (url.username !== "" || url.password !== "" || url.hash !== "") return "the push endpoint must have no credentials or fragment";
  if (p256dh[0] !== 0x04) return "p256dh must be an uncompressed P-256 point";
  return undefined;
}
