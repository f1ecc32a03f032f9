import type { ChatMessage, ConversationSummary, GroupInfo } from "@parley/protocol/client";
import { render } from "ink-testing-library";
import { describe, expect, test } from "vitest";
import { splitMentions } from "../format.js";
import type { ContactView, Snapshot } from "../store.js";
import { ConversationList } from "./ConversationList.js";
import { MessagePane, visibleSlice } from "./MessagePane.js";

const ME = "aa".repeat(16);
const BOB = "bb".repeat(16);
const CAROL = "cc".repeat(16);
const at = new Date(2026, 10, 30, 9, 5).getTime();

function contact(id: string, userIdHex: string, displayName: string): ContactView {
  return {
    id,
    userIdHex,
    userId: new Uint8Array(16),
    accountKey: new Uint8Array(32),
    handle: id.slice(1),
    displayName,
    deviceIds: [1],
    deviceListSequence: 1,
    verified: false,
    profileSent: true,
  };
}

function message(id: string, fields: Partial<ChatMessage>): ChatMessage {
  return {
    id,
    contactId: "@bob",
    sender: BOB,
    senderDevice: 1,
    outgoing: false,
    kind: "text",
    text: "",
    sentAt: at,
    receivedAt: at,
    deleted: false,
    reactions: {},
    status: "received",
    ...fields,
  };
}

const group: GroupInfo = {
  id: "group:01",
  groupId: "01",
  version: 1,
  name: "Weekend trip",
  description: "",
  settings: { add: "admins", edit: "admins", send: "all" } as unknown as GroupInfo["settings"],
  members: [
    { userId: ME, role: "admin", self: true, displayName: "Alice" },
    { userId: BOB, role: "member", self: false, contactId: "@bob", displayName: "Bob" },
    { userId: CAROL, role: "member", self: false, contactId: "@carol", displayName: "Carol" },
  ],
  active: true,
  isAdmin: true,
};

function snapshot(messages: ChatMessage[], extra: Partial<Snapshot> = {}): Snapshot {
  const summaries: Record<string, ConversationSummary> = {
    "@bob": { id: "@bob", lastMessage: messages.at(-1), unread: 2 },
    "@carol": { id: "@carol", lastMessage: undefined, unread: 0 },
    "group:01": { id: "group:01", group, lastMessage: undefined, unread: 0 },
  };
  return {
    me: { userId: ME, handle: "alice", displayName: "Alice" },
    connection: "ready",
    conversations: ["@bob", "group:01", "@carol"],
    conversationsById: summaries,
    contactsById: { "@bob": contact("@bob", BOB, "Bob"), "@carol": contact("@carol", CAROL, "Carol") },
    groupsById: { "group:01": group },
    timelines: { "@bob": messages.map((m) => m.id) },
    messagesById: Object.fromEntries(messages.map((m) => [m.id, m])),
    typing: {},
    presence: { "@bob": { presence: "online" }, "@carol": { presence: "away" } },
    transfers: {},
    ringing: [],
    ...extra,
  };
}

describe("ConversationList", () => {
  test("shows each conversation with its presence dot, unread count, typing mark and the selection", () => {
    const s = snapshot([message("m1", { text: "hi" })], { typing: { "group:01": [CAROL] } });
    const { lastFrame } = render(<ConversationList snapshot={s} selectedId="group:01" focused={true} width={30} height={8} />);
    const frame = lastFrame() ?? "";
    expect(frame).toMatch(/ ● Bob \(2\)/);
    expect(frame).toMatch(/>#.*Weekend trip ✎/);
    expect(frame).toMatch(/ ◐ Carol/);
    expect(frame).not.toMatch(/Carol \(/);
  });

  test("an empty list says how to start", () => {
    const s = { ...snapshot([]), conversations: [] };
    const { lastFrame } = render(<ConversationList snapshot={s} selectedId={undefined} focused={false} width={40} height={5} />);
    expect(lastFrame()).toContain("No conversations. /msg @handle");
  });
});

describe("MessagePane", () => {
  const messages = [
    message("m1", { text: "are we still on for @alice's trip?", editedAt: at + 1 }),
    message("m2", {
      sender: ME,
      outgoing: true,
      text: "yes!",
      replyTo: "m1",
      status: "read",
      reactions: { "👍": [BOB], "🎉": [BOB, CAROL] },
    }),
    message("m3", { sender: ME, outgoing: true, text: "sent one", status: "sent" }),
    message("m4", { sender: ME, outgoing: true, text: "delivered one", status: "delivered" }),
    message("m5", { sender: ME, outgoing: true, text: "pending one", status: "pending" }),
    message("m6", { sender: ME, outgoing: true, text: "failed one", status: "failed" }),
    message("m7", { deleted: true }),
    message("m8", {
      kind: "attachment",
      text: "tickets",
      attachment: {
        blobId: "0".repeat(32),
        key: new Uint8Array(32),
        digest: new Uint8Array(32),
        size: 2048,
        contentType: "application/pdf",
        fileName: "tickets.pdf",
      },
    }),
    message("m9", { kind: "notice", text: "Alice added Carol." }),
  ];

  test("renders every marker: number, time, sender, quote, edited, reactions, statuses, deleted, file, system line", () => {
    const s = snapshot(messages);
    const { lastFrame } = render(<MessagePane snapshot={s} conversationId="@bob" width={90} height={20} scroll={0} focused={true} />);
    const frame = lastFrame() ?? "";
    expect(frame).toContain("  1 09:05 Bob: are we still on for @alice's trip? (edited)");
    expect(frame).toContain("┌ 1 Bob: are we still on for @alice's trip?");
    expect(frame).toContain("  2 09:05 you: yes! ●");
    expect(frame).toContain("👍  🎉 2");
    expect(frame).toContain("sent one ✓");
    expect(frame).toContain("delivered one ✓✓");
    expect(frame).toContain("pending one …");
    expect(frame).toContain("failed one !");
    expect(frame).toContain("  7 09:05 Bob: message deleted");
    expect(frame).toContain("📎 tickets.pdf (2.0 KB, application/pdf) tickets");
    expect(frame).toContain("  9 09:05 — Alice added Carol.");
    expect(frame).toMatch(/Bob\s+online/);
  });

  test("mentions are split out for highlighting: of me in 1:1, any @word in a group message naming members", () => {
    expect(splitMentions("see @Alice and @dave", ["alice", "Alice"])).toEqual([
      { text: "see ", mention: false },
      { text: "@Alice", mention: true },
      { text: " and @dave", mention: false },
    ]);
    expect(
      splitMentions("@bob @carol", [])
        .filter((p) => p.mention)
        .map((p) => p.text),
    ).toEqual(["@bob", "@carol"]);
  });

  test("call history lines: a missed call names the caller, a completed one its duration, no media anywhere", () => {
    const call = (outcome: "missed" | "completed", direction: "incoming" | "outgoing", durationMs?: number) => ({
      callId: "c1",
      video: false,
      direction,
      outcome,
      ...(durationMs === undefined ? {} : { durationMs }),
    });
    const s = snapshot([
      message("c1", { kind: "call", text: "Missed voice call", call: call("missed", "incoming") }),
      message("c2", {
        kind: "call",
        sender: ME,
        outgoing: true,
        status: "sent",
        text: "Voice call · 2:13",
        call: call("completed", "outgoing", 133_000),
      }),
      message("c3", { kind: "call", text: "Video call · 0:41", call: { ...call("completed", "incoming", 41_000), video: true } }),
    ]);
    const { lastFrame } = render(<MessagePane snapshot={s} conversationId="@bob" width={90} height={10} scroll={0} focused={true} />);
    const frame = lastFrame() ?? "";
    expect(frame).toContain("  1 09:05 ☎ Missed voice call from Bob");
    expect(frame).toContain("  2 09:05 ☎ Voice call · 2:13");
    expect(frame).toContain("  3 09:05 ☎ Video call · 0:41");
    // Not rendered as anyone's message text, and without a delivery mark.
    expect(frame).not.toMatch(/you: Voice call|Bob: Missed|2:13 ✓/);
  });

  test("scrolled up, the newest messages leave the pane and the header says how many are below", () => {
    const s = snapshot(messages);
    const { lastFrame } = render(<MessagePane snapshot={s} conversationId="@bob" width={90} height={8} scroll={3} focused={true} />);
    const frame = lastFrame() ?? "";
    expect(frame).toContain("↑ 3 newer below");
    expect(frame).toContain("failed one");
    expect(frame).not.toContain("tickets.pdf");
  });

  test("visibleSlice fills the rows from the newest message up, numbering from the start", () => {
    const byId = Object.fromEntries(messages.map((m) => [m.id, m]));
    const ids = messages.map((m) => m.id);
    const slice = visibleSlice(ids, byId, 80, 3, 0);
    expect(slice.map((x) => x.n)).toEqual([7, 8, 9]);
    expect(visibleSlice(ids, byId, 80, 3, 2).map((x) => x.n)).toEqual([5, 6, 7]);
    expect(visibleSlice(ids, byId, 80, 100, 0)).toHaveLength(9);
  });
});
