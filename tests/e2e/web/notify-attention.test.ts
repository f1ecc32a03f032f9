// The attention helpers the web client's title, favicon and notifications use: counts at the
// 99 / 100 boundary and the unread total over conversations (notify.test.ts covers them in the
// browser, with the notifications themselves).
import { expect, test } from "vitest";
import { attentionTitle, faviconUrl, unreadTotal } from "../../../packages/web/src/sdk/attention.js";
import { initialSnapshot, type Snapshot } from "../../../packages/web/src/sdk/store.js";

test("the title shows the unread count, capped at 99+", () => {
  expect(attentionTitle(0)).toBe("Parley");
  expect(attentionTitle(1)).toBe("(1) Parley");
  expect(attentionTitle(99)).toBe("(99) Parley");
  expect(attentionTitle(100)).toBe("(99+) Parley");
});

test("the favicon is an SVG data URL with the count in a badge, none without unread messages", () => {
  const svg = (n: number) => decodeURIComponent(faviconUrl(n).replace(/^data:image\/svg\+xml,/, ""));
  expect(faviconUrl(3)).toMatch(/^data:image\/svg\+xml,/);
  expect(svg(0)).not.toContain("<text");
  expect(svg(3)).toContain(">3</text>");
  expect(svg(99)).toContain(">99</text>");
  expect(svg(100)).toContain(">99+</text>");
});

test("the unread total adds every conversation's unread count", () => {
  const summary = (id: string, unread: number) => ({ id, lastMessage: undefined, unread });
  const s: Snapshot = {
    ...initialSnapshot,
    conversations: ["a", "b", "c"],
    conversationsById: { a: summary("a", 2), b: summary("b", 0), c: summary("c", 5) },
  };
  expect(unreadTotal(s)).toBe(7);
  expect(unreadTotal(initialSnapshot)).toBe(0);
});
