import type { CallInfo } from "@parley/protocol/client";
import { expect, test } from "vitest";
import { callAlert, incomingCallNotification, missedCallNotification, ringingTitle } from "./call-alerts.js";

function call(patch: Partial<CallInfo>): CallInfo {
  return {
    id: "c1",
    conversationId: "alice",
    direction: "incoming",
    video: true,
    state: "ringing",
    caller: "a1",
    participants: ["a1", "b1"],
    connected: [],
    remoteRinging: false,
    onThisDevice: true,
    startedAt: 0,
    ...patch,
  };
}

const none = { incoming: undefined, current: undefined, ended: undefined };

test("a call ringing here rings; nothing else does", () => {
  const incoming = call({});
  expect(callAlert({ ...none, incoming })).toEqual({ ringing: incoming, ringback: false });
  expect(callAlert(none)).toEqual({ ringing: undefined, ringback: false });
  expect(callAlert(undefined)).toEqual({ ringing: undefined, ringback: false });
});

test("no ringtone while a call of ours runs here", () => {
  const current = call({ id: "c2", direction: "outgoing", state: "active" });
  expect(callAlert({ ...none, incoming: call({}), current }).ringing).toBeUndefined();
});

test("ringback only while our outgoing call rings at the callee", () => {
  const calling = call({ direction: "outgoing", state: "outgoing", remoteRinging: false });
  expect(callAlert({ ...none, current: calling }).ringback).toBe(false);
  expect(callAlert({ ...none, current: { ...calling, remoteRinging: true } }).ringback).toBe(true);
  expect(callAlert({ ...none, current: { ...calling, state: "connecting", remoteRinging: true } }).ringback).toBe(false);
});

test("the words of the title and the notifications", () => {
  expect(ringingTitle("Alice")).toBe("📞 Alice is calling…");
  expect(incomingCallNotification("Alice", true).title).toBe("Incoming video call — Alice");
  expect(incomingCallNotification("Alice in Crew", false).title).toBe("Incoming voice call — Alice in Crew");
  expect(missedCallNotification("Alice", true, "14:05")).toEqual({ title: "Missed call from Alice", body: "Video call at 14:05" });
});
