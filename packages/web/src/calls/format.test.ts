import { describe, expect, test } from "vitest";
import { endedText, formatDuration, GOOD_LIMITS, POOR_LIMITS, qualityLevel } from "./format.js";

describe("call format", () => {
  test("durations: m:ss below an hour, h:mm:ss from one", () => {
    expect(formatDuration(-5)).toBe("0:00");
    expect(formatDuration(999)).toBe("0:00");
    expect(formatDuration(7_000)).toBe("0:07");
    expect(formatDuration(133_000)).toBe("2:13");
    expect(formatDuration(3_599_999)).toBe("59:59");
    expect(formatDuration(3_600_000)).toBe("1:00:00");
    expect(formatDuration(3_723_000)).toBe("1:02:03");
  });

  test("quality levels change exactly at their limits", () => {
    expect(qualityLevel(0, undefined)).toBe("good");
    expect(qualityLevel(GOOD_LIMITS.loss - 0.001, GOOD_LIMITS.rttMs - 1)).toBe("good");
    expect(qualityLevel(GOOD_LIMITS.loss, 10)).toBe("fair");
    expect(qualityLevel(0, GOOD_LIMITS.rttMs)).toBe("fair");
    expect(qualityLevel(POOR_LIMITS.loss - 0.001, POOR_LIMITS.rttMs - 1)).toBe("fair");
    expect(qualityLevel(POOR_LIMITS.loss, 10)).toBe("poor");
    expect(qualityLevel(0, POOR_LIMITS.rttMs)).toBe("poor");
  });

  test("ended notices", () => {
    expect(endedText("declined")).toBe("Call declined");
    expect(endedText("hangup")).toBe("Call ended");
    expect(endedText(undefined)).toBe("Call ended");
  });
});
