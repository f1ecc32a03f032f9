import { describe, expect, test } from "vitest";
import { completeShortcode, emojiForShortcode, hexToEmoji, replaceShortcodes, shortcodeQuery } from "./shortcodes.js";

describe("shortcodes", () => {
  test("complete codes map to emoji, with or without colons, any case", () => {
    expect(emojiForShortcode("rocket")).toBe("🚀");
    expect(emojiForShortcode(":+1:")).toBe("👍");
    expect(emojiForShortcode("TADA")).toBe("🎉");
    expect(emojiForShortcode("no_such_code_here")).toBeUndefined();
  });

  test("hex sequences become code points (ZWJ sequences too)", () => {
    expect(hexToEmoji("1F680")).toBe("🚀");
    expect(hexToEmoji("1F468-200D-1F469-200D-1F467")).toBe("👨‍👩‍👧");
  });

  test("completion: prefix matches first, shortest first, then substring matches; limited", () => {
    const r = completeShortcode("tad");
    expect(r[0]).toEqual({ code: "tada", emoji: "🎉" });
    const smile = completeShortcode("smile", 5);
    expect(smile).toHaveLength(5);
    expect(smile[0]?.code).toBe("smile");
    expect(completeShortcode("")).toEqual([]);
    expect(completeShortcode("zzzzqqq")).toEqual([]);
  });

  test("the query before the caret needs a colon at a word start and two characters", () => {
    expect(shortcodeQuery("hello :ta")).toEqual({ query: "ta", start: 6 });
    expect(shortcodeQuery(":+1")).toEqual({ query: "+1", start: 0 });
    expect(shortcodeQuery("hello :t")).toBeUndefined();
    expect(shortcodeQuery("at 10:30")).toBeUndefined();
    expect(shortcodeQuery("smile :)")).toBeUndefined();
    expect(shortcodeQuery("done :tada: ")).toBeUndefined();
  });

  test("replacing complete codes leaves unknown ones and times alone", () => {
    expect(replaceShortcodes("ship it :rocket: :+1: at 10:30 :nope:")).toBe("ship it 🚀 👍 at 10:30 :nope:");
  });
});
