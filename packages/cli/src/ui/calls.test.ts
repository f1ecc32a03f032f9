// The terminal's call texts: who is calling and where, and call history lines.
import type { CallInfo, ChatMessage, GroupInfo } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { callLineText, incomingCallText, isMissedCall, ringsHere } from "./calls.js";
import type { Snapshot } from "./store.js";

const ME = "aa".repeat(16);
const BOB = "bb".repeat(16);

const snapshot = {
  me: { userId: ME, handle: "alice", displayName: "Alice" },
  contactsById: { "@bob": { userIdHex: BOB, displayName: "Bob", handle: "bob" } },
  groupsById: { "group:01": { id: "group:01", name: "Weekend trip", members: [] } as unknown as GroupInfo },
  conversationsById: {},
} as unknown as Snapshot;

const call: CallInfo = {
  id: "c1",
  conversationId: "@bob",
  direction: "incoming",
  video: false,
  state: "ringing",
  caller: BOB,
  participants: [BOB, ME],
  connected: [],
  remoteRinging: false,
  onThisDevice: true,
  startedAt: 0,
};

function line(fields: Partial<ChatMessage>): ChatMessage {
  return {
    id: "m",
    contactId: "@bob",
    sender: BOB,
    senderDevice: 0,
    outgoing: false,
    kind: "call",
    text: "Missed voice call",
    call: { callId: "c1", video: false, direction: "incoming", outcome: "missed" },
    sentAt: 0,
    receivedAt: 0,
    deleted: false,
    reactions: {},
    status: "received",
    ...fields,
  };
}

describe("calls in the terminal", () => {
  test("only an incoming call ringing on this device rings here", () => {
    expect(ringsHere(call)).toBe(true);
    expect(ringsHere({ ...call, onThisDevice: false })).toBe(false);
    expect(ringsHere({ ...call, state: "active" })).toBe(false);
    expect(ringsHere({ ...call, direction: "outgoing", state: "outgoing" })).toBe(false);
  });

  test("the notice names the caller, video, the group, and where to answer", () => {
    expect(incomingCallText(snapshot, call)).toBe("Bob is calling — answer in the web client");
    expect(incomingCallText(snapshot, { ...call, video: true, conversationId: "group:01" })).toBe(
      "Bob is calling (video) in # Weekend trip — answer in the web client",
    );
  });

  test("a missed call names its caller; other history lines are the SDK's text", () => {
    expect(callLineText(snapshot, line({}))).toBe("Missed voice call from Bob");
    expect(isMissedCall(line({}))).toBe(true);
    const done = line({
      text: "Voice call · 2:13",
      call: { callId: "c1", video: false, direction: "incoming", outcome: "completed", durationMs: 133_000 },
    });
    expect(callLineText(snapshot, done)).toBe("Voice call · 2:13");
    expect(isMissedCall(done)).toBe(false);
    expect(isMissedCall(line({ kind: "text", text: "Missed voice call" }))).toBe(false);
  });
});
