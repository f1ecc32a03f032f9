import type { ChatMessage } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { initials } from "../../screens/ChatList/initials.js";
import { groupReceiptText, messageSummary } from "./summary.js";

const base: ChatMessage = {
  id: "01",
  contactId: "c",
  sender: "aa",
  senderDevice: 1,
  outgoing: true,
  kind: "text",
  text: "hi",
  sentAt: 0,
  receivedAt: 0,
  deleted: false,
  reactions: {},
  status: "sent",
};

describe("message summaries", () => {
  test("text, deleted, attachment with and without caption", () => {
    expect(messageSummary(base)).toBe("hi");
    expect(messageSummary({ ...base, deleted: true, text: "" })).toBe("Message deleted");
    const attachment = { fileName: "cat.jpg" } as ChatMessage["attachment"];
    expect(messageSummary({ ...base, kind: "attachment", text: "", ...(attachment ? { attachment } : {}) })).toBe("cat.jpg");
    expect(messageSummary({ ...base, kind: "attachment", text: "look", ...(attachment ? { attachment } : {}) })).toBe("cat.jpg: look");
  });

  test("group receipts: read wins over delivered; failures are named; nothing yet → undefined", () => {
    expect(groupReceiptText(undefined, 3)).toBeUndefined();
    expect(groupReceiptText({}, 3)).toBeUndefined();
    expect(groupReceiptText({ a: "delivered" }, 3)).toBe("Delivered to 1 of 3");
    expect(groupReceiptText({ a: "delivered", b: "read" }, 3)).toBe("Read by 1 of 3");
    expect(groupReceiptText({ a: "read", b: "read", c: "read" }, 3)).toBe("Read by 3 of 3");
    expect(groupReceiptText({ a: "failed", b: "delivered" }, 2)).toBe("Delivered to 1 of 2, not sent to 1");
  });
});

describe("avatar initials", () => {
  test("first and last word, upper case, handles and emoji", () => {
    expect(initials("Alice")).toBe("A");
    expect(initials("alice van der Berg")).toBe("AB");
    expect(initials("@bob")).toBe("B");
    expect(initials("  ")).toBe("");
    expect(initials("🙂 Smile")).toBe("🙂S");
  });
});
