// The `multi_send` frame at its wire bounds (N accepted, N+1 refused): recipients, devices per
// recipient and in all, header and payload lengths, the `sent` answer's results; its own element
// budget (derived from the schema) while every other frame keeps the general one; peekFrameType.
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { ErrorCode, ParleyError } from "../errors.js";
import { MAX_DEVICES } from "../keys/device-list.js";
import { decodeFrame, encodeFrame, peekFrameType, peekRequestId } from "./codec.js";
import type { MultiSendRecipient } from "./frames.js";
import { MAX_MSGPACK_ELEMENTS } from "./msgpack-scan.js";
import { MULTI_HEADER_LENGTH } from "./multi-envelope.js";
import {
  FRAME_ELEMENT_BUDGET,
  MAX_FRAME_ELEMENTS,
  MAX_MULTI_DEVICES,
  MAX_MULTI_RECIPIENTS,
  MAX_WIRE_FRAME_BYTES,
  MIN_MULTI_PAYLOAD_BYTES,
} from "./schema.js";

const raw = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const b = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill);

function errorOf(bytes: Uint8Array): ParleyError {
  try {
    decodeFrame(bytes);
  } catch (e) {
    if (e instanceof ParleyError) return e;
    throw e;
  }
  throw new Error("decoded");
}

/** `users` recipients sharing `devices` devices as evenly as possible (each with a messageId: the largest form). */
function recipients(users: number, devices: number, withIds = true): MultiSendRecipient[] {
  return Array.from({ length: users }, (_, u) => {
    const count = Math.floor(devices / users) + (u < devices % users ? 1 : 0);
    return {
      userId: b(16, u % 256),
      token: b(32),
      devices: Array.from({ length: count }, (_, d) => ({
        deviceId: d + 1,
        header: b(MULTI_HEADER_LENGTH, d),
        ...(withIds ? { messageId: b(16, d) } : {}),
      })),
    };
  });
}

const frame = (r: MultiSendRecipient[], payload = b(MIN_MULTI_PAYLOAD_BYTES)) =>
  encodeFrame({ t: "multi_send", id: 5, payload, recipients: r });

describe("multi_send bounds", () => {
  it("takes MAX_MULTI_RECIPIENTS recipients and refuses one more", () => {
    const ok = decodeFrame(frame(recipients(MAX_MULTI_RECIPIENTS, MAX_MULTI_RECIPIENTS)));
    expect(ok.t === "multi_send" && ok.recipients.length).toBe(MAX_MULTI_RECIPIENTS);
    expect(errorOf(frame(recipients(MAX_MULTI_RECIPIENTS + 1, MAX_MULTI_RECIPIENTS + 1))).code).toBe(ErrorCode.InvalidEncoding);
  });

  it("takes MAX_MULTI_DEVICES devices in all (the largest form, within the element budget and 1 MiB) and refuses one more", () => {
    const maximal = frame(recipients(MAX_MULTI_RECIPIENTS, MAX_MULTI_DEVICES));
    expect(maximal.length).toBeLessThan(MAX_WIRE_FRAME_BYTES);
    const ok = decodeFrame(maximal);
    expect(ok.t === "multi_send" && ok.recipients.reduce((n, r) => n + r.devices.length, 0)).toBe(MAX_MULTI_DEVICES);
    // With ids, one device more is over the element budget too; without, the device count refuses it.
    expect(errorOf(frame(recipients(MAX_MULTI_RECIPIENTS, MAX_MULTI_DEVICES + 1))).message).toMatch(/elements/);
    expect(decodeFrame(frame(recipients(MAX_MULTI_RECIPIENTS, MAX_MULTI_DEVICES, false))).t).toBe("multi_send");
    const over = errorOf(frame(recipients(MAX_MULTI_RECIPIENTS, MAX_MULTI_DEVICES + 1, false)));
    expect(over.code).toBe(ErrorCode.InvalidEncoding);
    expect(over.message).toMatch(/devices/);
  });

  it("takes MAX_DEVICES devices for one recipient and refuses one more", () => {
    expect(decodeFrame(frame(recipients(1, MAX_DEVICES))).t).toBe("multi_send");
    expect(errorOf(frame(recipients(1, MAX_DEVICES + 1))).code).toBe(ErrorCode.InvalidEncoding);
  });

  it("refuses no recipients, a recipient with no devices, and a header that is not 48 bytes", () => {
    expect(errorOf(frame([])).code).toBe(ErrorCode.InvalidEncoding);
    expect(errorOf(frame([{ userId: b(16), devices: [] }])).code).toBe(ErrorCode.InvalidEncoding);
    for (const length of [MULTI_HEADER_LENGTH - 1, MULTI_HEADER_LENGTH + 1]) {
      expect(errorOf(frame([{ userId: b(16), devices: [{ deviceId: 1, header: b(length) }] }])).code).toBe(ErrorCode.InvalidEncoding);
    }
  });

  it("takes a payload of MIN_MULTI_PAYLOAD_BYTES (an empty message can open) and refuses one byte less", () => {
    const r = recipients(1, 1);
    expect(decodeFrame(frame(r, b(MIN_MULTI_PAYLOAD_BYTES))).t).toBe("multi_send");
    expect(errorOf(frame(r, b(MIN_MULTI_PAYLOAD_BYTES - 1))).code).toBe(ErrorCode.InvalidEncoding);
  });

  it("answers with up to MAX_MULTI_DEVICES results in `sent`, and refuses one more", () => {
    const sent = (n: number) => encodeFrame({ t: "sent", id: 1, results: new Array(n).fill("OK") });
    expect(decodeFrame(sent(MAX_MULTI_DEVICES)).t).toBe("sent");
    expect(errorOf(sent(MAX_MULTI_DEVICES + 1)).code).toBe(ErrorCode.InvalidEncoding);
  });
});

describe("per-type element budgets", () => {
  it("derives multi_send's budget from its schema: exactly the values of a maximal frame", () => {
    const maximal = frame(recipients(MAX_MULTI_RECIPIENTS, MAX_MULTI_DEVICES));
    // Every device with a messageId, every recipient with a token, and `ephemeral` absent (2 values fewer).
    expect(FRAME_ELEMENT_BUDGET.multi_send).toBe(MAX_FRAME_ELEMENTS);
    expect(FRAME_ELEMENT_BUDGET.multi_send).toBeGreaterThan(MAX_MSGPACK_ELEMENTS);
    const counted = 1 + 4 + 2 + 2 + 2 + MAX_MULTI_RECIPIENTS * 7 + MAX_MULTI_DEVICES * 7;
    expect(FRAME_ELEMENT_BUDGET.multi_send).toBe(counted + 2);
    expect(decodeFrame(maximal).t).toBe("multi_send");
  });

  it("keeps MAX_MSGPACK_ELEMENTS for every other type: a ping padded past it is refused though multi_send could be larger", () => {
    const fill = MAX_MSGPACK_ELEMENTS - 9;
    expect(decodeFrame(raw.pack({ v: 1, t: "ping", id: 9, pad: new Array(fill).fill(0) })).t).toBe("ping");
    const over = errorOf(raw.pack({ v: 1, t: "ping", id: 9, pad: new Array(fill + 1).fill(0) }));
    expect(over.message).toMatch(/elements/);
    // A multi_send may carry more values than that, up to its own budget, and not one more.
    const r = recipients(1, 1);
    const base = 1 + 4 + 2 + 2 + 2 + 7 + 7 + 2; // + the `pad` key and array
    const padded = (n: number) =>
      raw.pack({ v: 1, t: "multi_send", id: 5, payload: b(MIN_MULTI_PAYLOAD_BYTES), recipients: r, pad: new Array(n).fill(0) });
    expect(decodeFrame(padded(FRAME_ELEMENT_BUDGET.multi_send - base)).t).toBe("multi_send");
    expect(errorOf(padded(FRAME_ELEMENT_BUDGET.multi_send - base + 1)).message).toMatch(/elements/);
  });
});

describe("peekFrameType", () => {
  it("reads the type of a frame without decoding it, and nothing from garbage", () => {
    const bytes = frame(recipients(3, 5));
    expect(peekFrameType(bytes)).toBe("multi_send");
    expect(peekRequestId(bytes)).toBe(5);
    expect(peekFrameType(encodeFrame({ t: "ping", id: 1 }))).toBe("ping");
    expect(peekFrameType(new Uint8Array([0xc1]))).toBeUndefined();
    expect(peekFrameType(raw.pack({ v: 1, t: 7 }))).toBeUndefined();
    expect(peekFrameType(raw.pack([1, 2, 3]))).toBeUndefined();
  });
});
