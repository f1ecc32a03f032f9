import { ErrorCode, ParleyError } from "@parley/protocol";
import { StoreError, StoreErrorCode } from "@parley/protocol/client";
import { describe, expect, it } from "vitest";
import { CliError, describeError, ExitCode, formatError } from "./errors.js";

describe("describeError", () => {
  it("keeps a CliError's code and sentence", () => {
    expect(describeError(new CliError(ExitCode.NotFound, "no group named x"))).toEqual({
      code: ExitCode.NotFound,
      message: "no group named x",
      unexpected: false,
    });
  });

  it.each([
    [new StoreError(StoreErrorCode.Passphrase, "x"), ExitCode.Locked, "the passphrase does not open this profile"],
    [new StoreError(StoreErrorCode.Locked, "x"), ExitCode.Locked, "another parley process is using this profile; close it and try again"],
    [new ParleyError(ErrorCode.NoAccount, "x"), ExitCode.NoAccount, undefined],
    [new ParleyError(ErrorCode.UnknownContact, "x"), ExitCode.NotFound, "no such contact"],
    [new ParleyError(ErrorCode.Timeout, "x"), ExitCode.Failure, undefined],
    [new ParleyError(ErrorCode.Relay, "x", { reason: "NOT_FOUND" }), ExitCode.NotFound, "nobody has that handle on this relay"],
    [new ParleyError(ErrorCode.Relay, "x", { reason: "HANDLE_TAKEN" }), ExitCode.Failure, "that handle is taken by another account"],
    [new ParleyError(ErrorCode.Relay, "x", { reason: "HANDLE_INVALID" }), ExitCode.Usage, undefined],
    [new ParleyError(ErrorCode.Relay, "x", { reason: "SOMETHING_NEW" }), ExitCode.Failure, "the relay refused the request (SOMETHING_NEW)"],
    [new RangeError("text is over 65536 bytes"), ExitCode.Usage, "text is over 65536 bytes"],
  ])("maps %o to exit code %i with one sentence", (error, code, message) => {
    const report = describeError(error);
    expect(report.code).toBe(code);
    expect(report.unexpected).toBe(false);
    if (message) expect(report.message).toBe(message);
    expect(report.message).not.toContain("\n");
  });

  it("maps a file error to a sentence naming the path", () => {
    const error = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT", path: "/tmp/nope.txt" });
    expect(describeError(error)).toMatchObject({ code: ExitCode.NotFound, message: "cannot use /tmp/nope.txt: no such file or folder" });
  });

  it("reports anything else as unexpected, exit code 1", () => {
    expect(describeError(new TypeError("boom\nsecond line"))).toEqual({
      code: ExitCode.Failure,
      message: "unexpected error (TypeError: boom)",
      unexpected: true,
    });
    expect(describeError("a string")).toMatchObject({ code: ExitCode.Failure, unexpected: true });
  });
});

describe("formatError", () => {
  it("prints one line for a user error, never a stack", () => {
    const { code, text } = formatError(new CliError(ExitCode.Usage, "bad"), true);
    expect(code).toBe(ExitCode.Usage);
    expect(text).toBe("parley: bad\n");
  });

  it("adds the PARLEY_DEBUG hint to an unexpected error, and the stack only in debug", () => {
    const error = new Error("kaput");
    expect(formatError(error, false).text).toBe(
      "parley: unexpected error (Error: kaput)\nparley: rerun with PARLEY_DEBUG=1 to see the stack trace\n",
    );
    expect(formatError(error, true).text).toContain("at ");
  });
});
