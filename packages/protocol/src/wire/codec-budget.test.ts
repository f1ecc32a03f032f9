// Bounded decoding: the work a frame can cost is fixed by the structural scan before msgpackr
// sees it (element budget, map-size cap, duplicate keys), and unknown top-level fields are
// skipped by byte range, never materialised.
import { Packr } from "msgpackr";
import { describe, expect, it, vi } from "vitest";
import { ErrorCode, ParleyError } from "../errors.js";
import { KEM_PREKEY_LENGTH, ONE_TIME_PREKEY_LENGTH, SIGNED_PREKEY_LENGTH } from "../keys/prekeys.js";
import { decodeFrame, encodeFrame, peekRequestId } from "./codec.js";
import { MAX_MSGPACK_ELEMENTS, MAX_MSGPACK_MAP_ENTRIES } from "./msgpack-scan.js";
import { MAX_KEM_PREKEYS_PER_UPLOAD, MAX_PREKEYS_PER_UPLOAD } from "./schema.js";

const raw = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
const b = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill);

/** A `ping` whose extra field `pad` holds `count` empty maps (the attack of issue 13, relay item 1). */
function paddedPing(count: number): Uint8Array {
  return raw.pack({ v: 1, t: "ping", id: 9, pad: Array.from({ length: count }, () => ({})) });
}

function decodeError(bytes: Uint8Array): ParleyError {
  try {
    decodeFrame(bytes);
  } catch (e) {
    if (e instanceof ParleyError) return e;
    throw e;
  }
  throw new Error("decoded");
}

describe("element budget", () => {
  it("accepts a frame of exactly MAX_MSGPACK_ELEMENTS values and refuses one more", () => {
    // Top map: 4 keys + 3 values + the map itself = 8 elements, plus the array itself.
    const fill = MAX_MSGPACK_ELEMENTS - 9;
    expect(decodeFrame(raw.pack({ v: 1, t: "ping", id: 9, pad: new Array(fill).fill(0) }))).toEqual({ t: "ping", id: 9 });
    const over = decodeError(raw.pack({ v: 1, t: "ping", id: 9, pad: new Array(fill + 1).fill(0) }));
    expect(over.code).toBe(ErrorCode.InvalidEncoding);
    expect(over.message).toMatch(/elements/);
  });

  it("refuses a budget-exceeding frame before msgpackr unpacks anything", () => {
    const bytes = paddedPing(90_000);
    const unpack = vi.spyOn(Packr.prototype, "unpack");
    try {
      expect(decodeError(bytes).code).toBe(ErrorCode.InvalidEncoding);
      expect(unpack).not.toHaveBeenCalled();
      // Finding the id to address the error unpacks the id's few bytes and nothing else.
      expect(peekRequestId(bytes)).toBe(9);
      for (const [arg] of unpack.mock.calls) expect((arg as Uint8Array).length).toBeLessThan(16);
    } finally {
      unpack.mockRestore();
    }
  });

  it("never unpacks an unknown top-level field", () => {
    const bytes = paddedPing(1000);
    const unpack = vi.spyOn(Packr.prototype, "unpack");
    try {
      expect(decodeFrame(bytes)).toEqual({ t: "ping", id: 9 });
      // Every unpack call saw a slice of the input that is a known field, never the padding.
      for (const [arg] of unpack.mock.calls) expect((arg as Uint8Array).length).toBeLessThan(16);
    } finally {
      unpack.mockRestore();
    }
  });

  it("accepts the largest legal send (MAX_BATCH messages) within the budget", () => {
    const messages = Array.from({ length: 1024 }, () => ({ userId: b(16), deviceId: 1, messageId: b(16), envelope: b(1) }));
    const frame = decodeFrame(encodeFrame({ t: "send", id: 1, messages }));
    expect(frame.t === "send" && frame.messages.length).toBe(1024);
  });
});

describe("fetch_devices and devices", () => {
  it("skip unknown padding within the budget and refuse a user id of the wrong length", () => {
    const userId = b(16);
    expect(decodeFrame(raw.pack({ v: 1, t: "fetch_devices", id: 5, userId, pad: new Array(1000).fill(0) }))).toEqual({
      t: "fetch_devices",
      id: 5,
      userId,
    });
    expect(decodeError(raw.pack({ v: 1, t: "fetch_devices", id: 5, userId: b(17) })).code).toBe(ErrorCode.InvalidEncoding);
    const answer = { t: "devices", id: 5, userId, accountKey: b(32), deviceList: b(111) } as const;
    expect(decodeFrame(encodeFrame(answer))).toEqual(answer);
    expect(decodeError(raw.pack({ v: 1, ...answer, accountKey: b(31) })).code).toBe(ErrorCode.InvalidEncoding);
  });
});

describe("maps", () => {
  it("rejects a duplicated map key at the top level and nested", () => {
    // msgpack map {v:1, t:"ping", id:1, id:2}: written by hand, as encoders refuse duplicates.
    const top = Uint8Array.from([0x84, 0xa1, 0x76, 1, 0xa1, 0x74, 0xa4, ...Buffer.from("ping"), 0xa2, 0x69, 0x64, 1, 0xa2, 0x69, 0x64, 2]);
    const e = decodeError(top);
    expect(e.code).toBe(ErrorCode.InvalidEncoding);
    expect(e.message).toMatch(/duplicate/);
    // Nested: {pad: {a:1, a:1}} inside a ping.
    const nested = Uint8Array.from([
      0x84,
      0xa1,
      0x76,
      1,
      0xa1,
      0x74,
      0xa4,
      ...Buffer.from("ping"),
      0xa2,
      0x69,
      0x64,
      1,
      0xa3,
      ...Buffer.from("pad"),
      0x82,
      0xa1,
      0x61,
      1,
      0xa1,
      0x61,
      1,
    ]);
    expect(decodeError(nested).message).toMatch(/duplicate/);
  });

  it("accepts a map of MAX_MSGPACK_MAP_ENTRIES entries and refuses one more", () => {
    const extra = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`x${i}`, i]));
    expect(decodeFrame(raw.pack({ v: 1, t: "ping", id: 3, ...extra(MAX_MSGPACK_MAP_ENTRIES - 3) }))).toEqual({ t: "ping", id: 3 });
    expect(decodeError(raw.pack({ v: 1, t: "ping", id: 3, ...extra(MAX_MSGPACK_MAP_ENTRIES - 2) })).message).toMatch(/map/);
  });
});

describe("upload_prekeys per-upload limit", () => {
  const upload = (kem: number) =>
    encodeFrame({
      t: "upload_prekeys",
      id: 1,
      signedPreKey: b(SIGNED_PREKEY_LENGTH),
      oneTimePreKeys: Array.from({ length: MAX_PREKEYS_PER_UPLOAD }, () => b(ONE_TIME_PREKEY_LENGTH)),
      kemPreKeys: Array.from({ length: kem }, () => b(KEM_PREKEY_LENGTH)),
    });

  it("a maximal legal upload fits in the relay's default 96 KiB frame", () => {
    const bytes = upload(MAX_KEM_PREKEYS_PER_UPLOAD);
    expect(bytes.length).toBeLessThanOrEqual(96 * 1024);
    expect(decodeFrame(bytes).t).toBe("upload_prekeys");
  });

  it("one ML-KEM prekey more than MAX_KEM_PREKEYS_PER_UPLOAD is refused", () => {
    expect(decodeError(upload(MAX_KEM_PREKEYS_PER_UPLOAD + 1)).code).toBe(ErrorCode.InvalidEncoding);
  });
});
