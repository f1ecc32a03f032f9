// Header parsing of the blob routes, by example and fuzzed: no input throws; counts are exactly
// plain decimal digits (≤ 16) and round-trip; repeated headers are refused; a Range is either
// ignored, unsatisfiable, or a non-empty range inside the blob that RFC 9110 would serve.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { isOffsetContentType, parseBearer, parseByteCount, parseRange } from "./blob-headers.js";

const RUNS = { numRuns: Number(process.env.PARLEY_FUZZ_RUNS ?? 500) };
/** Header values as Node hands them over, biased towards the characters the parsers look at. */
const headerText = fc.oneof(fc.string({ maxLength: 40 }), fc.stringMatching(/^[ bytes=0-9,;-]{0,30}$/), fc.stringMatching(/^[0-9]{0,20}$/));
const headerValue = fc.oneof(headerText, fc.array(headerText, { maxLength: 3 }), fc.constant(undefined));

describe("parseByteCount", () => {
  it("takes plain decimal digits only", () => {
    expect(parseByteCount("0")).toBe(0);
    expect(parseByteCount("007")).toBe(7);
    expect(parseByteCount("9007199254740991")).toBe(Number.MAX_SAFE_INTEGER);
    for (const bad of [undefined, "", "-1", "+1", "1e3", "0x10", "1.0", "1 ", " 1", "1,2", "12345678901234567", "9007199254740992"])
      expect(parseByteCount(bad), String(bad)).toBeUndefined();
    expect(parseByteCount(["1", "1"])).toBeUndefined();
  });

  test.prop([fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })], RUNS)("round-trips every safe count", (n) => {
    expect(parseByteCount(String(n))).toBe(n);
  });

  test.prop([headerValue], RUNS)("never throws; a result is a safe integer written as digits", (value) => {
    const n = parseByteCount(value);
    if (n === undefined) return;
    expect(Number.isSafeInteger(n) && n >= 0).toBe(true);
    expect(typeof value === "string" && /^[0-9]{1,16}$/.test(value)).toBe(true);
  });
});

describe("parseBearer", () => {
  it("takes `Bearer <base64url>` exactly", () => {
    expect(parseBearer("Bearer AAEC")).toEqual(new Uint8Array([0, 1, 2]));
    for (const bad of [undefined, "", "Bearer", "Bearer ", "bearer AAEC", "Bearer AA EC", "Bearer AA+C", `Bearer ${"A".repeat(101)}`])
      expect(parseBearer(bad), String(bad)).toBeUndefined();
  });

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 75 })], RUNS)("round-trips capabilities", (bytes) => {
    expect(parseBearer(`Bearer ${Buffer.from(bytes).toString("base64url")}`)).toEqual(bytes);
  });

  test.prop([headerValue], RUNS)("never throws", (value) => {
    parseBearer(value);
  });
});

describe("isOffsetContentType", () => {
  it("accepts application/offset+octet-stream (any case, parameters ignored) and nothing else", () => {
    expect(isOffsetContentType("application/offset+octet-stream")).toBe(true);
    expect(isOffsetContentType("Application/Offset+Octet-Stream; charset=x")).toBe(true);
    for (const bad of [undefined, "", "application/octet-stream", "application/offset+octet-streams", "text/plain"])
      expect(isOffsetContentType(bad), String(bad)).toBe(false);
    expect(isOffsetContentType(["application/offset+octet-stream"])).toBe(false);
  });

  test.prop([headerValue], RUNS)("never throws", (value) => {
    isOffsetContentType(value);
  });
});

describe("parseRange", () => {
  it("answers the three single-range forms, cuts an end past the blob, and ignores what it cannot serve", () => {
    expect(parseRange("bytes=0-9", 100)).toEqual({ start: 0, end: 9 });
    expect(parseRange("bytes=90-", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-10", 100)).toEqual({ start: 90, end: 99 });
    expect(parseRange("bytes=-1000", 100)).toEqual({ start: 0, end: 99 });
    expect(parseRange("bytes=50-1000", 100)).toEqual({ start: 50, end: 99 });
    expect(parseRange("bytes=99-99", 100)).toEqual({ start: 99, end: 99 });
    expect(parseRange("bytes=100-", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=100-200", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=-0", 100)).toBe("unsatisfiable");
    expect(parseRange("bytes=0-", 0)).toBe("unsatisfiable");
    for (const ignored of [undefined, "", "bytes=", "bytes=-", "bytes=5-1", "bytes=0-1,5-6", "items=0-1", "bytes=a-b", "bytes 0-1"])
      expect(parseRange(ignored, 100), String(ignored)).toBeUndefined();
    expect(parseRange(["bytes=0-1", "bytes=2-3"], 100)).toBeUndefined();
  });

  test.prop([headerValue, fc.nat({ max: 2 ** 40 })], RUNS)("never throws; a range is non-empty and inside the blob", (value, size) => {
    const range = parseRange(value, size);
    if (range === undefined || range === "unsatisfiable") return;
    expect(Number.isSafeInteger(range.start) && Number.isSafeInteger(range.end)).toBe(true);
    expect(0 <= range.start && range.start <= range.end && range.end < size).toBe(true);
  });

  test.prop([fc.nat({ max: 2 ** 40 }), fc.nat({ max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 40 })], RUNS)(
    "serves bytes=a-b as RFC 9110 does",
    (a, b, size) => {
      const range = parseRange(`bytes=${a}-${b}`, size);
      if (b < a) expect(range).toBeUndefined();
      else if (a >= size) expect(range).toBe("unsatisfiable");
      else expect(range).toEqual({ start: a, end: Math.min(b, size - 1) });
    },
  );
});
