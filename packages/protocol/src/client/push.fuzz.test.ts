// The client's push subscription check is a decoder of app (browser) input: whatever it is
// given, it answers wire fields the relay's decoder accepts, or throws TypeError/RangeError.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "../wire/codec.js";
import { checkSubscription, type WebPushSubscription } from "./push.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 2000);
const b64 = (n: number) => Buffer.from(new Uint8Array(n).fill(4)).toString("base64url");

function checkedOrTyped(input: unknown): void {
  try {
    const fields = checkSubscription(input as WebPushSubscription);
    const frame = decodeFrame(encodeFrame({ t: "set_push", id: 1, ...fields }));
    expect(frame.t).toBe("set_push");
  } catch (e) {
    if (!(e instanceof TypeError) && !(e instanceof RangeError)) throw e;
  }
}

describe("checkSubscription", () => {
  it("takes PushSubscription.toJSON() and keys as bytes", () => {
    const json = { endpoint: "https://push.example/x", keys: { p256dh: b64(65), auth: b64(16) } };
    expect(checkSubscription(json)).toEqual({
      endpoint: json.endpoint,
      p256dh: new Uint8Array(65).fill(4),
      auth: new Uint8Array(16).fill(4),
    });
    expect(checkSubscription({ ...json, keys: { p256dh: new Uint8Array(65).fill(4), auth: new Uint8Array(16) } }).auth).toHaveLength(16);
    expect(() => checkSubscription({ ...json, keys: { p256dh: b64(64), auth: b64(16) } })).toThrow(RangeError);
    expect(() => checkSubscription({ ...json, keys: { p256dh: b64(65), auth: b64(17) } })).toThrow(RangeError);
    expect(() => checkSubscription({ ...json, keys: { p256dh: "not base64!", auth: b64(16) } })).toThrow(TypeError);
    expect(() => checkSubscription({ ...json, endpoint: `https://p.example/${"a".repeat(1024)}` })).toThrow(RangeError);
  });

  test.prop([fc.anything({ maxDepth: 3, withTypedArray: true })], { numRuns: RUNS })(
    "any value is checked or refused with TypeError/RangeError",
    checkedOrTyped,
  );

  test.prop(
    [
      fc.oneof(fc.string({ maxLength: 80 }), fc.webUrl()),
      fc.oneof(fc.string({ maxLength: 100 }), fc.uint8Array({ maxLength: 70 }), fc.constant(b64(65))),
      fc.oneof(fc.string({ maxLength: 30 }), fc.uint8Array({ maxLength: 20 }), fc.constant(b64(16))),
    ],
    { numRuns: RUNS },
  )("near-valid subscriptions are checked or refused with TypeError/RangeError", (endpoint, p256dh, auth) => {
    checkedOrTyped({ endpoint, keys: { p256dh, auth } });
  });
});
