/** Unit tests for the FIPS 203 §7.2 modulus check shared by both ML-KEM back ends. */
import { describe, expect, it } from "vitest";
import { passesModulusCheck } from "./mlkem.js";

/** An encapsulation key whose t̂ coefficients are all `fill` except `value` at `index`. */
function ekWith(index: number, value: number, fill = 0): Uint8Array {
  const ek = new Uint8Array(1184);
  const coefficients = new Array<number>(768).fill(fill);
  coefficients[index] = value;
  for (let i = 0; i < 768; i += 2) {
    const c0 = coefficients[i] as number;
    const c1 = coefficients[i + 1] as number;
    ek.set([c0 & 0xff, (c0 >> 8) | ((c1 & 0x0f) << 4), c1 >> 4], (i / 2) * 3);
  }
  ek.fill(0xff, 1152); // ρ is not part of the check
  return ek;
}

describe("passesModulusCheck (FIPS 203 §7.2 step 2)", () => {
  it.each([0, 1, 766, 767])("coefficient %i: q − 1 = 3328 passes, q = 3329 and 4095 fail", (index) => {
    expect(passesModulusCheck(ekWith(index, 3328))).toBe(true);
    expect(passesModulusCheck(ekWith(index, 3329))).toBe(false);
    expect(passesModulusCheck(ekWith(index, 4095))).toBe(false);
  });

  it("accepts all coefficients at q − 1 and ignores ρ", () => {
    expect(passesModulusCheck(ekWith(0, 3328, 3328))).toBe(true);
  });
});
