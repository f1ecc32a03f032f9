import type { ChatMessage } from "@parley/protocol/client";
import { describe, expect, it } from "vitest";
import { changesBetween, type MessageEvent, type Names, toJson, toText, withOutgoing } from "./message-line.js";

const ALICE = "a".repeat(32);
const BOB = "b".repeat(32);

function message(fields: Partial<ChatMessage> = {}): ChatMessage {
  return {
    id: "0123456789abcdef0123456789abcdef",
    contactId: "@bob",
    sender: BOB,
    senderDevice: 1,
    outgoing: false,
    kind: "text",
    text: "hi",
    sentAt: Date.UTC(2026, 10, 30, 12, 34, 56),
    receivedAt: Date.UTC(2026, 10, 30, 12, 35, 0),
    deleted: false,
    reactions: {},
    status: "received",
    ...fields,
  };
}

const names: Names = {
  author: (userId) => (userId === BOB ? { handle: "bob", name: "Bob", userId } : { name: "Alice", userId }),
  groupName: (id) => (id.startsWith("group:") ? "Trip" : undefined),
  quoted: (m) => (m.replyTo === "ff".repeat(16) ? "the question" : undefined),
};
const NOW = Date.UTC(2026, 10, 30, 13, 0, 0);
const json = (event: MessageEvent) => withOutgoing(toJson(event, names, NOW), ALICE);

describe("JSON lines", () => {
  it("a text has exactly the documented fields", () => {
    expect(json({ type: "message", message: message() })).toEqual({
      id: "0123456789abcdef0123456789abcdef",
      conversation: "@bob",
      from: { handle: "bob", name: "Bob", userId: BOB },
      outgoing: false,
      kind: "text",
      text: "hi",
      time: "2026-11-30T12:34:56.000Z",
    });
  });

  it("a group message names the group; an attachment has name, size and type; a reply its target and quote", () => {
    const attachment = { fileName: "a.pdf", size: 1234, contentType: "application/pdf" } as NonNullable<ChatMessage["attachment"]>;
    const line = json({
      type: "message",
      message: message({ contactId: "group:00", kind: "attachment", text: "caption", attachment, replyTo: "ff".repeat(16) }),
    });
    expect(line).toMatchObject({
      conversation: "group:00",
      group: "Trip",
      kind: "attachment",
      text: "caption",
      attachment: { name: "a.pdf", size: 1234, type: "application/pdf" },
      reply: { id: "ff".repeat(16), text: "the question" },
    });
  });

  it("a reaction names who reacted, the emoji, and whether it was removed", () => {
    const line = json({ type: "reaction", message: message({ sender: ALICE, outgoing: true }), actor: BOB, emoji: "👍", removed: false });
    expect(line).toMatchObject({
      kind: "reaction",
      from: { userId: BOB },
      outgoing: false,
      text: "",
      reaction: { emoji: "👍", removed: false },
    });
    expect(line.time).toBe("2026-11-30T13:00:00.000Z");
    // Our own reaction (from another of our devices) is outgoing.
    expect(json({ type: "reaction", message: message(), actor: ALICE, emoji: "👍", removed: true }).outgoing).toBe(true);
  });

  it("an edit carries the new text and the edit's time; a delete no text", () => {
    const edited = message({ text: "hi (fixed)", editedAt: Date.UTC(2026, 10, 30, 12, 40) });
    expect(json({ type: "edit", message: edited })).toMatchObject({ kind: "edit", text: "hi (fixed)", time: "2026-11-30T12:40:00.000Z" });
    expect(json({ type: "delete", message: message({ deleted: true, text: "" }) })).toMatchObject({ kind: "delete", text: "" });
  });

  it("every line is one line of JSON, whatever the text holds", () => {
    const line = JSON.stringify(json({ type: "message", message: message({ text: 'two\nlines and "quotes"' }) }));
    expect(line).not.toContain("\n");
    expect(JSON.parse(line).text).toBe('two\nlines and "quotes"');
  });
});

describe("readable lines", () => {
  it("shows who, where and what on one line", () => {
    const text = toText(json({ type: "message", message: message({ contactId: "group:00", text: "a\nb" }) }));
    expect(text).toMatch(/^\d\d:\d\d \[Trip\] Bob \(@bob\): a ⏎ b$/);
    const file = toText(
      json({
        type: "message",
        message: message({
          kind: "attachment",
          text: "",
          attachment: { fileName: "x.bin", size: 2_500_000, contentType: "application/octet-stream" } as NonNullable<
            ChatMessage["attachment"]
          >,
        }),
      }),
    );
    expect(file).toContain("Bob (@bob) sent a file: x.bin (2.5 MB, application/octet-stream)");
    expect(toText(json({ type: "reaction", message: message(), actor: BOB, emoji: "🎉", removed: false }))).toContain(
      "Bob (@bob) reacted 🎉 to 01234567",
    );
  });
});

describe("call history lines", () => {
  const missed = message({
    kind: "call",
    text: "Missed voice call",
    call: { callId: "c1", video: false, direction: "incoming", outcome: "missed" },
  });
  const done = message({
    kind: "call",
    sender: ALICE,
    outgoing: true,
    text: "Video call · 2:13",
    call: { callId: "c2", video: true, direction: "outgoing", outcome: "completed", durationMs: 133_000 },
  });

  it("carry how the call went in JSON (no call id: it means nothing to a reader)", () => {
    expect(json({ type: "message", message: missed })).toMatchObject({
      kind: "call",
      text: "Missed voice call",
      call: { video: false, direction: "incoming", outcome: "missed" },
    });
    expect(json({ type: "message", message: done }).call).toEqual({
      video: true,
      direction: "outgoing",
      outcome: "completed",
      durationMs: 133_000,
    });
    expect(json({ type: "message", message: message() }).call).toBeUndefined();
  });

  it("read as a ☎ line; a missed call names its caller", () => {
    expect(toText(json({ type: "message", message: missed }))).toMatch(/^\d\d:\d\d ☎ Missed voice call from Bob \(@bob\)$/);
    expect(toText(json({ type: "message", message: done }))).toMatch(/^\d\d:\d\d ☎ Video call · 2:13$/);
  });
});

describe("changesBetween", () => {
  it("reports a delete, once", () => {
    const before = message();
    const after = message({ deleted: true, text: "" });
    expect(changesBetween(before, after).map((c) => c.type)).toEqual(["delete"]);
    expect(changesBetween(after, after)).toEqual([]);
  });

  it("reports an edit", () => {
    expect(changesBetween(message(), message({ text: "new", editedAt: 5 })).map((c) => c.type)).toEqual(["edit"]);
  });

  it("reports reactions added, replaced and removed per user", () => {
    const before = message({ reactions: { "👍": [ALICE, BOB] } });
    const after = message({ reactions: { "👍": [ALICE], "❤️": [BOB] } });
    expect(changesBetween(before, after)).toEqual([{ type: "reaction", message: after, actor: BOB, emoji: "❤️", removed: false }]);
    const removed = message({ reactions: { "❤️": [BOB] } });
    expect(changesBetween(after, removed)).toEqual([{ type: "reaction", message: removed, actor: ALICE, emoji: "👍", removed: true }]);
  });

  it("reports nothing for a status change (delivered, read)", () => {
    expect(changesBetween(message({ outgoing: true, status: "sent" }), message({ outgoing: true, status: "read" }))).toEqual([]);
  });

  it("without the earlier version: a delete is a delete, anything else an update", () => {
    expect(changesBetween(undefined, message({ deleted: true }))[0]?.type).toBe("delete");
    expect(changesBetween(undefined, message({ reactions: { "👍": [BOB] } }))[0]?.type).toBe("update");
  });
});
