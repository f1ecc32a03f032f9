// Frame codec: every frame type round-trips, and malformed input of every kind is rejected with
// a typed ParleyError (ERR_INVALID_ENCODING / ERR_UNSUPPORTED_VERSION), never anything else.
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { ErrorCode, ParleyError } from "../errors.js";
import { DEVICE_CERTIFICATE_LENGTH } from "../keys/device-certificate.js";
import { KEM_PREKEY_LENGTH, ONE_TIME_PREKEY_LENGTH, SIGNED_PREKEY_LENGTH } from "../keys/prekeys.js";
import { decodeFrame, encodeFrame, peekRequestId } from "./codec.js";
import type { Frame, FrameType } from "./frames.js";
import { FRAME_SCHEMA, MAX_BATCH, MAX_WIRE_FRAME_BYTES } from "./schema.js";

const b = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill);
const raw = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

/** One valid sample of every frame type. */
export const SAMPLES: { readonly [T in FrameType]: Extract<Frame, { t: T }> } = {
  auth: { t: "auth", id: 1, userId: b(16), deviceId: 1, signature: b(64) },
  register: { t: "register", id: 2, certificate: b(DEVICE_CERTIFICATE_LENGTH), deviceList: b(111), signature: b(64) },
  publish_devices: { t: "publish_devices", id: 3, deviceList: b(111) },
  claim_handle: { t: "claim_handle", id: 4, handle: "alice" },
  lookup_handle: { t: "lookup_handle", id: 5, handle: "Alice" },
  upload_prekeys: {
    t: "upload_prekeys",
    id: 6,
    signedPreKey: b(SIGNED_PREKEY_LENGTH),
    oneTimePreKeys: [b(ONE_TIME_PREKEY_LENGTH)],
    kemPreKeys: [b(KEM_PREKEY_LENGTH)],
  },
  fetch_bundles: { t: "fetch_bundles", id: 7, userId: b(16), deviceId: 2 },
  fetch_devices: { t: "fetch_devices", id: 21, userId: b(16) },
  set_delivery_token: { t: "set_delivery_token", id: 8, tokenHash: b(32), open: false },
  send: { t: "send", id: 9, messages: [{ userId: b(16), deviceId: 1, messageId: b(16), envelope: b(100) }], ephemeral: false },
  sealed_send: { t: "sealed_send", id: 10, userId: b(16), token: b(32), messages: [{ deviceId: 1, messageId: b(16), envelope: b(3) }] },
  multi_send: {
    t: "multi_send",
    id: 23,
    payload: b(300),
    recipients: [
      {
        userId: b(16),
        token: b(32),
        devices: [
          { deviceId: 1, header: b(48) },
          { deviceId: 2, header: b(48, 9), messageId: b(16) },
        ],
      },
    ],
    ephemeral: false,
  },
  ack: { t: "ack", id: 11, messageIds: [b(16), b(16, 8)] },
  blob_ticket: { t: "blob_ticket", id: 12, size: 1000 },
  set_push: { t: "set_push", id: 24, endpoint: "https://push.example/wpush/abc", p256dh: b(65, 4), auth: b(16) },
  clear_push: { t: "clear_push", id: 25 },
  fetch_push_key: { t: "fetch_push_key", id: 26 },
  fetch_ice_servers: { t: "fetch_ice_servers", id: 27 },
  ping: { t: "ping", id: 13 },
  challenge: { t: "challenge", nonce: b(32), relayId: "http://localhost:8787" },
  ok: { t: "ok", id: 14 },
  error: { t: "error", id: 15, code: "RATE_LIMITED", message: "slow down" },
  handle: { t: "handle", id: 16, userId: b(16), accountKey: b(32), deviceList: b(111) },
  devices: { t: "devices", id: 22, userId: b(16), accountKey: b(32), deviceList: b(111) },
  bundles: {
    t: "bundles",
    id: 17,
    deviceList: b(111),
    bundles: [
      {
        deviceId: 1,
        certificate: b(DEVICE_CERTIFICATE_LENGTH),
        signedPreKey: b(SIGNED_PREKEY_LENGTH),
        oneTimePreKey: b(ONE_TIME_PREKEY_LENGTH),
        kemPreKey: b(KEM_PREKEY_LENGTH),
      },
    ],
  },
  sent: { t: "sent", id: 18, results: ["OK", "DUPLICATE", "QUEUE_FULL"] },
  blob_granted: { t: "blob_granted", id: 19, blobId: "ab".repeat(16), capability: "cd".repeat(32), expiresAt: 1_900_000_000_000 },
  pong: { t: "pong", id: 20 },
  push_key: { t: "push_key", id: 26, vapidPublicKey: b(65, 4) },
  ice_servers: {
    t: "ice_servers",
    id: 27,
    servers: [
      { urls: ["stun:stun.example:3478"] },
      { urls: ["turn:turn.example:3478?transport=udp"], username: "1700000000:h", credential: "c2VjcmV0" },
    ],
    expiresAt: 1_700_000_000_000,
  },
  message: { t: "message", messageId: b(16), envelope: b(500), receivedAt: 1_800_000_000_123 },
  ephemeral: { t: "ephemeral", envelope: b(10) },
  queue_empty: { t: "queue_empty" },
  expired: { t: "expired", count: 3, firstAt: 1, lastAt: 2 },
  prekeys_low: { t: "prekeys_low", oneTime: 2, kem: 9 },
};

function expectCode(fn: () => unknown, code: string): void {
  try {
    fn();
  } catch (e) {
    expect(ParleyError.is(e)).toBe(true);
    expect((e as ParleyError).code).toBe(code);
    return;
  }
  throw new Error("expected a ParleyError");
}

describe("frame codec", () => {
  it("has a sample for every frame type in the schema", () => {
    expect(Object.keys(SAMPLES).sort()).toEqual(Object.keys(FRAME_SCHEMA).sort());
  });

  it.each(Object.values(SAMPLES).map((f) => [f.t, f] as const))("round-trips %s", (_t, frame) => {
    const decoded = decodeFrame(encodeFrame(frame));
    expect(decoded).toEqual(frame);
  });

  it("decodes bytes as plain Uint8Array copies, never Buffers aliasing the input", () => {
    const bytes = encodeFrame(SAMPLES.message);
    const decoded = decodeFrame(bytes);
    if (decoded.t !== "message") throw new Error("wrong type");
    expect(decoded.envelope.constructor).toBe(Uint8Array);
    bytes.fill(0);
    expect(decoded.envelope[0]).toBe(7);
  });

  it("returns a fresh array from encodeFrame (msgpackr reuses its buffer)", () => {
    const first = encodeFrame(SAMPLES.ping);
    const copy = first.slice();
    encodeFrame(SAMPLES.message);
    expect(first).toEqual(copy);
  });

  it("is readable as plain msgpack by another decoder configuration", () => {
    const plain = new Packr({ useRecords: false }).unpack(encodeFrame(SAMPLES.sent));
    expect(plain).toEqual({ v: 1, t: "sent", id: 18, results: ["OK", "DUPLICATE", "QUEUE_FULL"] });
  });

  it("rejects another version with ERR_UNSUPPORTED_VERSION", () => {
    expectCode(() => decodeFrame(raw.pack({ v: 2, t: "ping", id: 1 })), ErrorCode.UnsupportedVersion);
  });

  it("ignores unknown fields but rejects unknown types, missing and mistyped fields", () => {
    expect(decodeFrame(raw.pack({ v: 1, t: "ping", id: 1, extra: "x" }))).toEqual({ t: "ping", id: 1 });
    expectCode(() => decodeFrame(raw.pack({ v: 1, t: "nope", id: 1 })), ErrorCode.InvalidEncoding);
    expectCode(() => decodeFrame(raw.pack({ t: "ping", id: 1 })), ErrorCode.InvalidEncoding);
    expectCode(() => decodeFrame(raw.pack({ v: 1, t: "ping" })), ErrorCode.InvalidEncoding);
    expectCode(() => decodeFrame(raw.pack({ v: 1, t: "ping", id: -1 })), ErrorCode.InvalidEncoding);
    expectCode(() => decodeFrame(raw.pack({ v: 1, t: "ping", id: 1.5 })), ErrorCode.InvalidEncoding);
    expectCode(() => decodeFrame(raw.pack({ v: 1, t: "ping", id: "1" })), ErrorCode.InvalidEncoding);
    expectCode(
      () => decodeFrame(raw.pack({ v: 1, t: "auth", id: 1, userId: b(15), deviceId: 1, signature: b(64) })),
      ErrorCode.InvalidEncoding,
    );
    expectCode(
      () => decodeFrame(raw.pack({ v: 1, t: "auth", id: 1, userId: b(16), deviceId: 0, signature: b(64) })),
      ErrorCode.InvalidEncoding,
    );
    expectCode(() => decodeFrame(raw.pack({ v: 1, t: "ack", id: 1, messageIds: [] })), ErrorCode.InvalidEncoding);
    expectCode(() => decodeFrame(raw.pack([1, "ping", 1])), ErrorCode.InvalidEncoding);
    expectCode(() => decodeFrame(raw.pack("ping")), ErrorCode.InvalidEncoding);
  });

  it("accepts an array at its maximum length and rejects one more (N and N+1)", () => {
    const ids = (n: number) => Array.from({ length: n }, () => b(16));
    expect(decodeFrame(encodeFrame({ t: "ack", id: 1, messageIds: ids(MAX_BATCH) })).t).toBe("ack");
    expectCode(() => decodeFrame(encodeFrame({ t: "ack", id: 1, messageIds: ids(MAX_BATCH + 1) })), ErrorCode.InvalidEncoding);
  });

  it("rejects input over the wire maximum before parsing it", () => {
    expectCode(() => decodeFrame(new Uint8Array(MAX_WIRE_FRAME_BYTES + 1)), ErrorCode.InvalidEncoding);
  });

  it.each([
    ["empty input", []],
    ["trailing bytes", [...encodeFrame(SAMPLES.ping), 0]],
    ["timestamp extension", [0xd6, 0xff, 0, 0, 0, 1]],
    ["msgpackr record extension", [0xc7, 0x01, 0x72, 0x00]],
    ["undefined extension", [0xd4, 0x00, 0x00]],
    ["bigint extension", [0xd4, 0x42, 0x00]],
    ["non-string map key", [0x81, 0x01, 0x02]],
    ["invalid UTF-8", [0x81, 0xa1, 0x76, 0xa2, 0xff, 0xfe]],
    ["huge array length", [0xdd, 0xff, 0xff, 0xff, 0xff]],
    ["huge bin length", [0xc6, 0xff, 0xff, 0xff, 0xff]],
    ["deep nesting", [...Array(10_000).fill(0x91), 0xc0]],
    ["reserved byte 0xc1", [0xc1]],
  ])("rejects %s", (_name, bytes) => {
    expectCode(() => decodeFrame(new Uint8Array(bytes)), ErrorCode.InvalidEncoding);
  });

  it("peeks the request id of an invalid frame so the error can name it", () => {
    expect(peekRequestId(raw.pack({ v: 1, t: "auth", id: 42 }))).toBe(42);
    expect(peekRequestId(new Uint8Array([0xc1]))).toBeUndefined();
  });
});
