// The client's split rule (spec/relay.md §7.8): frames of whole recipients, in order, each within
// the device and byte limits (checked by encoding every planned frame), as few as the greedy
// order allows; one frame when everything fits; a recipient that fits no frame is a RangeError.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { encodeFrame } from "./codec.js";
import type { MultiSendRecipient } from "./frames.js";
import { splitMultiSend } from "./multi-send-split.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 200);

function recipient(devices: number, withToken = true, withIds = true): MultiSendRecipient {
  return {
    userId: new Uint8Array(16).fill(devices),
    ...(withToken ? { token: new Uint8Array(32) } : {}),
    devices: Array.from({ length: devices }, (_, i) => ({
      deviceId: 0x7fff_0000 + i,
      header: new Uint8Array(48).fill(i),
      ...(withIds ? { messageId: new Uint8Array(16) } : {}),
    })),
  };
}

describe("splitMultiSend", () => {
  it("keeps a 1,000-member group of three devices each in one frame under the default limits", () => {
    const recipients = Array.from({ length: 1000 }, () => recipient(3, true, false));
    const frames = splitMultiSend(2000, recipients);
    expect(frames).toHaveLength(1);
    expect(
      encodeFrame({ t: "multi_send", id: 1, payload: new Uint8Array(2000), recipients: frames[0] as MultiSendRecipient[] }).length,
    ).toBeLessThan(1024 * 1024);
  });

  it("splits 5,000 devices into frames of at most 4,096, never splitting a user", () => {
    const recipients = Array.from({ length: 1000 }, () => recipient(5));
    const frames = splitMultiSend(500, recipients);
    expect(frames.length).toBe(2);
    expect(frames.flat()).toEqual(recipients);
    for (const f of frames) expect(f.reduce((n, r) => n + r.devices.length, 0)).toBeLessThanOrEqual(4096);
  });

  it("refuses a recipient that fits no frame", () => {
    expect(() => splitMultiSend(100, [recipient(3)], { maxDevices: 2 })).toThrow(RangeError);
    expect(() => splitMultiSend(1_000_000, [recipient(1)], { maxFrameBytes: 1_000_000 })).toThrow(RangeError);
  });

  test.prop(
    [
      fc.array(fc.tuple(fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.boolean()), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 221, max: 3000 }),
      fc.integer({ min: 8, max: 40 }),
      fc.integer({ min: 4000, max: 9000 }),
    ],
    { numRuns: RUNS },
  )(
    "every planned frame encodes within the limits, and together they are the recipients in order",
    (shape, payloadBytes, maxDevices, maxFrameBytes) => {
      const recipients = shape.map(([devices, token, ids]) => recipient(devices, token, ids));
      const frames = splitMultiSend(payloadBytes, recipients, { maxDevices, maxFrameBytes });
      expect(frames.flat()).toEqual(recipients);
      for (const f of frames) {
        expect(f.length).toBeGreaterThan(0);
        expect(f.reduce((n, r) => n + r.devices.length, 0)).toBeLessThanOrEqual(maxDevices);
        const bytes = encodeFrame({
          t: "multi_send",
          id: 0xffff_ffff,
          payload: new Uint8Array(payloadBytes),
          recipients: f,
          ephemeral: false,
        });
        expect(bytes.length).toBeLessThanOrEqual(maxFrameBytes);
      }
    },
  );
});
