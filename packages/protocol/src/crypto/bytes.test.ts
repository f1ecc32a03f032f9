/**
 * Unit tests for the byte helpers and the key cache. Plain fast-check (`fc.assert`) rather than
 * @fast-check/vitest here: importing the latter costs ~3 s per test file on this machine.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assertInteger, assertLength, bytesToHex, concatBytes, equalBytes, hexToBytes, KeyedCache, wipe } from "./bytes.js";

describe("assertLength", () => {
  it("accepts exactly n bytes (Buffers included) and throws RangeError at n ± 1", () => {
    expect(() => assertLength(new Uint8Array(32), 32, "key")).not.toThrow();
    expect(() => assertLength(Buffer.alloc(32), 32, "key")).not.toThrow();
    expect(() => assertLength(new Uint8Array(31), 32, "key")).toThrow(new RangeError("key must be 32 bytes, got 31"));
    expect(() => assertLength(new Uint8Array(33), 32, "key")).toThrow(RangeError);
  });

  it("throws TypeError for anything that is not a Uint8Array", () => {
    for (const value of [undefined, null, "x".repeat(32), new Array(32).fill(0), new Uint16Array(16), new ArrayBuffer(32)]) {
      expect(() => assertLength(value, 32, "key")).toThrow(TypeError);
    }
  });
});

describe("assertInteger", () => {
  it("accepts the bounds and rejects one past them, fractions and NaN", () => {
    expect(() => assertInteger(0, 0, 10, "n")).not.toThrow();
    expect(() => assertInteger(10, 0, 10, "n")).not.toThrow();
    for (const bad of [-1, 11, 0.5, Number.NaN]) expect(() => assertInteger(bad, 0, 10, "n")).toThrow(RangeError);
    expect(() => assertInteger("1", 0, 10, "n")).toThrow(TypeError);
  });
});

describe("byte helpers", () => {
  it("hex round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array(), (data) => {
        expect(hexToBytes(bytesToHex(data))).toEqual(data);
        expect(hexToBytes(bytesToHex(data).toUpperCase())).toEqual(data);
      }),
    );
  });

  it("hexToBytes rejects odd lengths and non-hex digits", () => {
    expect(() => hexToBytes("abc")).toThrow(RangeError);
    expect(() => hexToBytes("zz")).toThrow(RangeError);
  });

  it("equalBytes agrees with element-wise comparison", () => {
    // Short arrays so that equal pairs actually occur.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3 }), fc.uint8Array({ maxLength: 3 }), (a, b) => {
        expect(equalBytes(a, b)).toBe(a.length === b.length && a.every((byte, i) => byte === b[i]));
        expect(equalBytes(a, a.slice())).toBe(true);
      }),
    );
  });

  it("concatBytes joins in order into a fresh array; wipe zeroes", () => {
    const a = Uint8Array.of(1, 2);
    const joined = concatBytes(a, new Uint8Array(0), Uint8Array.of(3));
    expect(joined).toEqual(Uint8Array.of(1, 2, 3));
    wipe(a, joined);
    expect([...a, ...joined]).toEqual([0, 0, 0, 0, 0]);
  });
});

describe("KeyedCache", () => {
  it("derives once per array, and again when the array's contents change", () => {
    const cache = new KeyedCache<string>();
    let derivations = 0;
    const derive = (key: Uint8Array) => () => `${++derivations}:${bytesToHex(key)}`;
    const key = Uint8Array.of(1, 2, 3);
    expect(cache.get(key, derive(key))).toBe("1:010203");
    expect(cache.get(key, derive(key))).toBe("1:010203");
    expect(cache.get(key.slice(), derive(key))).toBe("2:010203"); // another array: another entry
    key[0] = 9;
    expect(cache.get(key, derive(key))).toBe("3:090203");
  });
});
