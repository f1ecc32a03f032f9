// Every error the SDK can report has a sentence for people (no "Something went wrong (ERR_…)"),
// and so do the store's codes and the relay refusals the onboarding shows.
import { ErrorCode, ParleyError } from "@parley/protocol";
import { StoreError, StoreErrorCode } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { describeError, errorCode, PARLEY_ERROR_SENTENCES } from "../../../packages/web/src/sdk/errors.js";

describe("error sentences", () => {
  test("every ErrorCode has its own sentence", () => {
    for (const code of Object.values(ErrorCode)) {
      const sentence = describeError(new ParleyError(code, "internal detail that must not show"));
      expect(sentence, code).toBe(PARLEY_ERROR_SENTENCES[code]);
      expect(sentence, code).toMatch(/^[A-Z].*[.!?…]$/);
      expect(sentence, code).not.toContain("ERR_");
      expect(sentence).not.toContain("internal detail");
    }
    expect(Object.keys(PARLEY_ERROR_SENTENCES).sort()).toEqual(Object.values(ErrorCode).sort());
  });

  test("every store error code has a sentence", () => {
    for (const code of Object.values(StoreErrorCode)) {
      const sentence = describeError(new StoreError(code, "db name"));
      expect(sentence, code).not.toMatch(/Something went wrong/);
      expect(errorCode(new StoreError(code, "x"))).toBe(code);
    }
  });

  test("relay refusals name the reason; unknown ones fall back to the generic relay sentence", () => {
    expect(describeError(new ParleyError(ErrorCode.Relay, "x", { reason: "HANDLE_TAKEN" }))).toBe("That handle is taken. Try another one.");
    expect(describeError(new ParleyError(ErrorCode.Relay, "x", { reason: "HANDLE_INVALID" }))).toMatch(/3 to 32/);
    expect(describeError(new ParleyError(ErrorCode.Relay, "x", { reason: "SOMETHING_NEW" }))).toBe(PARLEY_ERROR_SENTENCES.ERR_RELAY);
  });

  test("anything else gets a generic sentence without details", () => {
    expect(describeError(new Error("secret stack"))).toBe("Something went wrong. Please try again.");
    expect(describeError(Object.assign(new Error("x"), { code: "ERR_FUTURE" }))).toBe("Something went wrong (ERR_FUTURE).");
    expect(describeError(new DOMException("stop", "AbortError"))).toBe("Cancelled.");
    expect(describeError(undefined)).toBe("Something went wrong. Please try again.");
  });
});
