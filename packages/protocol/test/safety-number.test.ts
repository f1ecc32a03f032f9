// Safety numbers (spec/safety-numbers.md): the same digits and QR payload on both sides;
// they change when an account key changes and stay when a device is added.
import { describe, expect, test } from "vitest";
import { ParleyError } from "../src/errors.js";
import { generateAccount } from "../src/keys/identity.js";
import { compareSafetyQr, safetyNumber } from "../src/safety-number.js";
import { allDeps } from "./fixtures.js";

const party = (a: { publicKey: Uint8Array; userId: Uint8Array }) => ({ accountKey: a.publicKey, userId: a.userId });

describe.each(allDeps)("safety numbers with the %s provider", (_name, deps) => {
  const alice = generateAccount(deps);
  const bob = generateAccount(deps);

  test("both sides compute the same 60 digits, shown in 12 groups of 5", () => {
    const atAlice = safetyNumber(deps, party(alice), party(bob));
    const atBob = safetyNumber(deps, party(bob), party(alice));
    expect(atAlice.digits).toMatch(/^\d{60}$/);
    expect(atAlice.digits).toBe(atBob.digits);
    expect(atAlice.display.split(" ")).toHaveLength(12);
  });

  test("scanning the other side's QR code confirms; a third party's does not", () => {
    const atAlice = safetyNumber(deps, party(alice), party(bob));
    const atBob = safetyNumber(deps, party(bob), party(alice));
    expect(compareSafetyQr(atAlice, atBob.qrPayload)).toBe(true);
    expect(compareSafetyQr(atBob, atAlice.qrPayload)).toBe(true);
    const eve = generateAccount(deps);
    expect(compareSafetyQr(atAlice, safetyNumber(deps, party(eve), party(alice)).qrPayload)).toBe(false);
    // Showing one's own code back is not a match.
    expect(compareSafetyQr(atAlice, atAlice.qrPayload)).toBe(false);
  });

  test("a changed account key changes the number", () => {
    const before = safetyNumber(deps, party(alice), party(bob));
    const bobAgain = generateAccount(deps);
    expect(safetyNumber(deps, party(alice), party(bobAgain)).digits).not.toBe(before.digits);
  });

  test("a malformed QR payload is a ParleyError", () => {
    const sn = safetyNumber(deps, party(alice), party(bob));
    expect(() => compareSafetyQr(sn, sn.qrPayload.subarray(1))).toThrow(ParleyError);
    expect(() => compareSafetyQr(sn, Uint8Array.of(9, ...sn.qrPayload.subarray(1)))).toThrow(ParleyError);
  });
});
