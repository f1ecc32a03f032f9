import { describe, expect, test } from "vitest";
import { dayKey, dayLabel, daySeparators, formatTime, lastSeenText, listTime } from "./format.js";

const at = (y: number, mo: number, d: number, h = 12, mi = 0) => new Date(y, mo - 1, d, h, mi).getTime();
const now = at(2026, 11, 30, 15, 0);

describe("times", () => {
  test("HH:MM with leading zeros, 24-hour", () => {
    expect(formatTime(at(2026, 11, 30, 9, 5))).toBe("09:05");
    expect(formatTime(at(2026, 11, 30, 23, 59))).toBe("23:59");
    expect(formatTime(at(2026, 11, 30, 0, 0))).toBe("00:00");
  });

  test("list time: today a time, yesterday a word, else a date (year only when not this year)", () => {
    expect(listTime(at(2026, 11, 30, 8, 1), now)).toBe("08:01");
    expect(listTime(at(2026, 11, 29, 23, 0), now)).toBe("Yesterday");
    expect(listTime(at(2026, 11, 3), now, "en-GB")).toBe("3 Nov");
    expect(listTime(at(2025, 1, 2), now, "en-GB")).toBe("2 Jan 2025");
  });

  test("day labels: Today, Yesterday, weekday within a week, full date beyond", () => {
    expect(dayLabel(at(2026, 11, 30, 0, 0), now)).toBe("Today");
    expect(dayLabel(at(2026, 11, 29, 23, 59), now)).toBe("Yesterday");
    expect(dayLabel(at(2026, 11, 27), now, "en-GB")).toBe("Friday");
    expect(dayLabel(at(2026, 11, 23), now, "en-GB")).toBe("Monday 23 November");
    expect(dayLabel(at(2024, 2, 29), now, "en-GB")).toBe("Thursday, 29 February 2024");
  });

  test("last seen", () => {
    expect(lastSeenText(at(2026, 11, 30, 10, 42), now)).toBe("last seen today at 10:42");
    expect(lastSeenText(at(2026, 11, 29, 7, 0), now)).toBe("last seen yesterday at 07:00");
    expect(lastSeenText(at(2026, 10, 1), now, "en-GB")).toBe("last seen 1 Oct");
  });
});

describe("day grouping", () => {
  test("a separator before the first message and at each new local day, not within a day", () => {
    const times = [
      at(2026, 11, 28, 23, 59),
      at(2026, 11, 29, 0, 0),
      at(2026, 11, 29, 13, 0),
      at(2026, 11, 30, 1, 0),
      at(2026, 11, 30, 2, 0),
    ];
    expect(daySeparators(times)).toEqual([true, true, false, true, false]);
    expect(daySeparators([])).toEqual([]);
    expect(dayKey(at(2026, 1, 5))).toBe("2026-01-05");
  });
});
