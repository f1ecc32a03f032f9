import { describe, expect, test } from "vitest";
import { applyDelete, applyEdit, applyReaction, applyStatus, type ChatMessage } from "./conversation.js";

const message = (over: Partial<ChatMessage> = {}): ChatMessage => ({
  id: "01",
  contactId: "@bob",
  sender: "alice",
  senderDevice: 1,
  outgoing: true,
  kind: "text",
  text: "hello",
  sentAt: 1,
  receivedAt: 1,
  deleted: false,
  reactions: {},
  status: "pending",
  ...over,
});

describe("conversation rules", () => {
  test("only the author can edit or delete", () => {
    const m = message();
    expect(applyEdit(m, "mallory", "forged", 2)).toBe(m);
    expect(applyDelete(m, "mallory")).toBe(m);
    expect(applyEdit(m, "alice", "fixed", 2)).toMatchObject({ text: "fixed", editedAt: 2 });
    expect(applyDelete(m, "alice")).toMatchObject({ text: "", deleted: true });
  });

  test("a deleted message cannot be edited or reacted to, and loses its attachment and reactions", () => {
    const m = applyDelete(
      message({
        kind: "attachment",
        attachment: { blobId: "b", key: new Uint8Array(32), digest: new Uint8Array(32), size: 1, contentType: "x", fileName: "f" },
        reactions: { "👍": ["bob"] },
      }),
      "alice",
    );
    expect(m.attachment).toBeUndefined();
    expect(m.reactions).toEqual({});
    expect(applyEdit(m, "alice", "again", 3)).toBe(m);
    expect(applyReaction(m, "bob", "👍", false)).toBe(m);
  });

  test("one reaction per user: a new emoji replaces the old one; remove removes only that emoji", () => {
    let m = applyReaction(message(), "bob", "👍", false);
    m = applyReaction(m, "carol", "👍", false);
    expect(m.reactions).toEqual({ "👍": ["bob", "carol"] });
    m = applyReaction(m, "bob", "❤️", false);
    expect(m.reactions).toEqual({ "👍": ["carol"], "❤️": ["bob"] });
    m = applyReaction(m, "bob", "👍", true);
    expect(m.reactions).toEqual({ "👍": ["carol"], "❤️": ["bob"] });
    m = applyReaction(m, "bob", "❤️", true);
    expect(m.reactions).toEqual({ "👍": ["carol"] });
  });

  test("outgoing status only moves forward; incoming messages only become read", () => {
    let m = applyStatus(message(), "sent");
    m = applyStatus(m, "read");
    expect(applyStatus(m, "delivered").status).toBe("read");
    const incoming = message({ outgoing: false, status: "received" });
    expect(applyStatus(incoming, "delivered")).toBe(incoming);
    expect(applyStatus(incoming, "read").status).toBe("read");
  });
});
