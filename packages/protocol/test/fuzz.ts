// Shared pieces of the decoder fuzz tests: inputs made from a valid encoding, and the check that a
// decoder fails only with a ParleyError (a typed, stable code), never with anything else.
import { fc } from "@fast-check/vitest";
import { expect } from "vitest";
import { ParleyError } from "../src/errors.js";

/** Runs `decode` on `bytes`: a value or a ParleyError with a well-formed code is fine; any other throw fails the test. */
export function onlyParleyErrors(decode: (bytes: Uint8Array) => unknown, bytes: Uint8Array): void {
  try {
    decode(bytes);
  } catch (error) {
    if (!(error instanceof ParleyError)) throw error;
    expect(error.code).toMatch(/^ERR_[A-Z_]+$/);
  }
}

/** A valid input, then truncated, extended, bit-flipped or with a byte overwritten. */
export function mutated(valid: Uint8Array): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.nat({ max: valid.length }).map((n) => valid.slice(0, n)),
    fc.uint8Array({ maxLength: 64 }).map((extra) => Uint8Array.of(...valid, ...extra)),
    fc.tuple(fc.nat({ max: valid.length - 1 }), fc.integer({ min: 0, max: 7 })).map(([at, bit]) => {
      const copy = valid.slice();
      copy[at] = (copy[at] as number) ^ (1 << bit);
      return copy;
    }),
    fc.tuple(fc.nat({ max: valid.length - 1 }), fc.constantFrom(0, 1, 0x7f, 0x80, 0xff)).map(([at, value]) => {
      const copy = valid.slice();
      copy[at] = value;
      return copy;
    }),
  );
}
