// Property tests for the frame decoder: arbitrary bytes, arbitrary msgpack values and mutated
// valid frames either decode to a frame or throw a ParleyError, never another exception; and
// nothing takes long (the whole run is bounded by the test timeout).
import { fc, test } from "@fast-check/vitest";
import { Packr } from "msgpackr";
import { describe, expect } from "vitest";
import { ParleyError } from "../errors.js";
import { decodeFrame, encodeFrame } from "./codec.js";
import type { Frame } from "./frames.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 2000);
const raw = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

function decodesOrTypedError(bytes: Uint8Array): void {
  try {
    const frame = decodeFrame(bytes);
    expect(typeof frame.t).toBe("string");
  } catch (e) {
    if (!ParleyError.is(e)) throw e;
  }
}

const valid: Frame[] = [
  { t: "ping", id: 1 },
  {
    t: "send",
    id: 9,
    messages: [{ userId: new Uint8Array(16), deviceId: 1, messageId: new Uint8Array(16), envelope: new Uint8Array(40) }],
  },
  { t: "ack", id: 3, messageIds: [new Uint8Array(16)] },
  { t: "error", code: "INVALID_FRAME" },
  { t: "fetch_devices", id: 4, userId: new Uint8Array(16) },
  {
    t: "multi_send",
    id: 6,
    payload: new Uint8Array(221),
    recipients: [
      { userId: new Uint8Array(16), token: new Uint8Array(32), devices: [{ deviceId: 1, header: new Uint8Array(48) }] },
      { userId: new Uint8Array(16).fill(1), devices: [{ deviceId: 2, header: new Uint8Array(48), messageId: new Uint8Array(16) }] },
    ],
  },
  { t: "devices", id: 4, userId: new Uint8Array(16), accountKey: new Uint8Array(32), deviceList: new Uint8Array(111) },
  { t: "set_push", id: 7, endpoint: "https://push.example/wpush/v2/abc", p256dh: new Uint8Array(65).fill(4), auth: new Uint8Array(16) },
  { t: "clear_push", id: 8 },
  { t: "fetch_push_key", id: 9 },
  { t: "push_key", id: 9, vapidPublicKey: new Uint8Array(65).fill(4) },
  { t: "fetch_ice_servers", id: 10 },
  {
    t: "ice_servers",
    id: 10,
    servers: [{ urls: ["stun:s.example"] }, { urls: ["turn:t.example?transport=tcp"], username: "1:h", credential: "Y3JlZA==" }],
    expiresAt: 1,
  },
];

describe("decodeFrame fuzz", () => {
  test.prop([fc.uint8Array({ maxLength: 512 })], { numRuns: RUNS })("arbitrary bytes give a frame or a ParleyError", (bytes) => {
    decodesOrTypedError(bytes);
  });

  test.prop(
    [fc.anything({ maxDepth: 4, withNullPrototype: true, withTypedArray: true, withBigInt: true, withDate: true, withMap: true })],
    {
      numRuns: RUNS,
    },
  )("any msgpackr-encoded value gives a frame or a ParleyError", (value) => {
    let bytes: Uint8Array;
    try {
      bytes = raw.pack(value);
    } catch {
      return; // not encodable; nothing to decode
    }
    decodesOrTypedError(bytes);
  });

  test.prop(
    [
      fc.constantFrom(...valid),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat(), { nil: undefined }),
    ],
    { numRuns: RUNS },
  )("mutated and truncated valid frames give a frame or a ParleyError", (frame, flips, cut) => {
    const bytes = encodeFrame(frame);
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    decodesOrTypedError(cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1)));
  });

  test.prop(
    [
      fc.record({
        v: fc.constant(1),
        t: fc.constantFrom(
          "send",
          "ack",
          "register",
          "sealed_send",
          "fetch_devices",
          "devices",
          "multi_send",
          "set_push",
          "push_key",
          "ice_servers",
        ),
        id: fc.anything(),
      }),
    ],
    {
      numRuns: RUNS,
    },
  )("known types with wrong field types give a ParleyError", (value) => {
    expect(() => decodeFrame(raw.pack(value))).toThrow(ParleyError);
  });
});

describe("set_push endpoint fuzz", () => {
  test.prop([fc.string({ maxLength: 300 }), fc.webUrl({ withFragments: true, withQueryParameters: true })], { numRuns: RUNS })(
    "any endpoint string gives a set_push frame with an http(s) endpoint or a ParleyError",
    (text, url) => {
      for (const endpoint of [text, url]) {
        const bytes = encodeFrame({ t: "set_push", id: 1, endpoint, p256dh: new Uint8Array(65).fill(4), auth: new Uint8Array(16) });
        try {
          const frame = decodeFrame(bytes);
          expect(frame.t === "set_push" && /^https?:$/.test(new URL(frame.endpoint).protocol)).toBe(true);
        } catch (e) {
          if (!ParleyError.is(e)) throw e;
        }
      }
    },
  );
});
