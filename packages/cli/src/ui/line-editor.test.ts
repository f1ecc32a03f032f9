import { describe, expect, test } from "vitest";
import { applyCompletion, completions, emojiFromArg, partialShortcode, replaceShortcodes } from "./emoji.js";
import { browseHistory, editLine, emptyHistory, lineOf, MAX_HISTORY, pushHistory } from "./line-editor.js";

describe("editLine", () => {
  test("inserts at the cursor, moves, deletes", () => {
    let s = editLine(lineOf("hllo"), "", { home: true });
    s = editLine(s, "", { rightArrow: true });
    s = editLine(s, "e", {});
    expect(s).toEqual({ value: "hello", cursor: 2 });
    s = editLine(s, "", { end: true });
    s = editLine(s, "", { delete: true });
    expect(s).toEqual({ value: "hell", cursor: 4 });
    expect(editLine(lineOf("one two"), "w", { ctrl: true })).toEqual({ value: "one ", cursor: 4 });
    expect(editLine(lineOf("abc"), "u", { ctrl: true })).toEqual({ value: "", cursor: 0 });
  });

  test("control keys and control characters do not insert", () => {
    const s = lineOf("x");
    expect(editLine(s, "n", { ctrl: true })).toBe(s);
    expect(editLine(s, "\u0007", {})).toBe(s);
    expect(editLine(s, "", {})).toBe(s);
  });
});

describe("history", () => {
  test("Up goes back, Down comes forward to the draft", () => {
    let h = pushHistory(pushHistory(emptyHistory(), "first"), "second");
    const up = browseHistory(h, "draft", -1);
    expect(up?.line).toBe("second");
    h = up?.history ?? h;
    const up2 = browseHistory(h, "second", -1);
    expect(up2?.line).toBe("first");
    expect(browseHistory(up2?.history ?? h, "first", -1)).toBeUndefined();
    const down = browseHistory(up2?.history ?? h, "first", 1);
    const down2 = browseHistory(down?.history ?? h, "second", 1);
    expect(down2?.line).toBe("draft");
  });

  test("keeps the newest MAX_HISTORY lines", () => {
    let h = emptyHistory();
    for (let i = 0; i <= MAX_HISTORY; i++) h = pushHistory(h, `line ${i}`);
    expect(h.entries).toHaveLength(MAX_HISTORY);
    expect(h.entries[0]).toBe("line 1");
  });
});

describe("emoji shortcodes", () => {
  test("a partial code at the end completes; too short or mid-word does not", () => {
    expect(partialShortcode("nice :rock")).toBe("rock");
    expect(partialShortcode("nice :t")).toBeUndefined();
    expect(partialShortcode("ab:thumbs")).toBeUndefined();
    const found = completions("rock");
    expect(found.map((f) => f.emoji)).toContain("🚀");
    expect(found[0]?.name).toBe("rocket");
    expect(applyCompletion("nice :rock", "🚀")).toBe("nice 🚀 ");
  });

  test("complete codes become emoji on send, unknown ones stay", () => {
    expect(replaceShortcodes("ship it :rocket: :nosuchcode:")).toBe("ship it 🚀 :nosuchcode:");
    expect(emojiFromArg(":+1:")).toBe("👍");
    expect(emojiFromArg("tada")).toBe("🎉");
    expect(emojiFromArg("🎉")).toBe("🎉");
    expect(emojiFromArg("hello")).toBeUndefined();
  });
});
