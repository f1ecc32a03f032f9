// Which conversation a click on a push notification opens.
import type { ConversationSummary } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { newestUnread } from "./OpenUnread.js";
import { parseRoute } from "./router.js";

const summary = (id: string, unread: number, lastActivity?: number): ConversationSummary =>
  ({ id, unread, lastMessage: undefined, ...(lastActivity === undefined ? {} : { lastActivity }) }) as ConversationSummary;

describe("newestUnread", () => {
  test("picks the unread conversation with the newest message, ignoring read ones", () => {
    const list = [summary("read-newest", 0, 300), summary("older", 2, 100), summary("newer", 1, 200)];
    expect(newestUnread(list)?.id).toBe("newer");
  });

  test("is undefined when nothing is unread (the app shows the list)", () => {
    expect(newestUnread([summary("a", 0, 5), summary("b", 0)])).toBeUndefined();
    expect(newestUnread([])).toBeUndefined();
  });

  test("an unread conversation without a time still counts", () => {
    expect(newestUnread([summary("no-time", 1)])?.id).toBe("no-time");
  });
});

test("/unread is a route of its own", () => {
  expect(parseRoute("/unread")).toEqual({ name: "unread" });
  expect(parseRoute("/unread/x")).toEqual({ name: "notFound" });
});
