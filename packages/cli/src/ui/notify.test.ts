import { ErrorCode, ParleyError } from "@parley/protocol";
import { describe, expect, test } from "vitest";
import { describeError } from "./describe-error.js";
import { formatSize, progressBar, statusMark } from "./format.js";
import { notificationSequence } from "./notify.js";

describe("notificationSequence", () => {
  test("always the bell; OSC 9 where the terminal shows it, OSC 777 on VTE and foot; control characters stripped", () => {
    expect(notificationSequence("Parley", "hi", { TERM: "xterm-256color" })).toBe("\u0007");
    expect(notificationSequence("Parley", "new\u001b]x;message", { TERM_PROGRAM: "iTerm.app" })).toBe(
      "\u0007\u001b]9;Parley: new ]x message\u0007",
    );
    expect(notificationSequence("Parley", "hi", { TERM: "xterm-256color", VTE_VERSION: "7600" })).toBe(
      "\u0007\u001b]777;notify;Parley;hi\u0007",
    );
    expect(notificationSequence("Parley", "hi", { TERM: "foot" })).toBe("\u0007\u001b]777;notify;Parley;hi\u0007");
    expect(notificationSequence("P", "hi", { TERM_PROGRAM: "WezTerm", TMUX: "/tmp/tmux" })).toBe(
      "\u0007\u001bPtmux;\u001b\u001b]9;P: hi\u0007\u001b\\",
    );
  });
});

describe("describeError", () => {
  test("every ParleyError code has its own sentence", () => {
    for (const code of Object.values(ErrorCode)) {
      const text = describeError(new ParleyError(code, "internal detail"));
      expect(text).not.toContain("internal detail");
      expect(text).not.toMatch(/Something went wrong/);
    }
  });

  test("relay refusals, store and file errors read as sentences", () => {
    expect(describeError(new ParleyError(ErrorCode.Relay, "x", { reason: "HANDLE_TAKEN" }))).toBe("That handle is taken; try another one.");
    expect(describeError(Object.assign(new Error("x"), { code: "ERR_STORE_PASSPHRASE" }))).toBe("That passphrase is not right.");
    expect(describeError(Object.assign(new Error("x"), { code: "ENOENT" }))).toBe("No such file or folder.");
    expect(describeError("???")).toBe("Something went wrong; please try again.");
  });
});

describe("format", () => {
  test("sizes, statuses and progress bars", () => {
    expect(formatSize(1023)).toBe("1023 B");
    expect(formatSize(1024)).toBe("1.0 KB");
    expect(formatSize(5 * 1024 * 1024)).toBe("5.0 MB");
    expect(["sent", "delivered", "read", "failed", "pending", "received"].map((s) => statusMark(s as never))).toEqual([
      "✓",
      "✓✓",
      "●",
      "!",
      "…",
      "",
    ]);
    expect(progressBar(1, 4, 4)).toBe("[█░░░] 25%");
    expect(progressBar(0, 0, 2)).toBe("[██] 100%");
  });
});
