/**
 * How the terminal client shows calls. It has no media, so it never answers: an incoming call is
 * a notice ("Bob is calling — answer in the web client") with the bell, and the SDK's call
 * history lines (the call history section, §9, of the Parley calls specification) appear in the message pane ("Missed voice call from Bob",
 * "Voice call · 2:13"). Pure functions over the view's snapshot.
 */
import type { CallInfo, ChatMessage } from "@parley/protocol/client";
import { conversationTitle, type Snapshot, userName } from "./store.js";

/** True for a call that rings on this device now (one the terminal tells about). */
export function ringsHere(call: CallInfo): boolean {
  return call.direction === "incoming" && call.state === "ringing" && call.onThisDevice;
}

/** The notice for a ringing call: who calls, voice or video, in which group, and where to answer. */
export function incomingCallText(s: Snapshot, call: CallInfo): string {
  const caller = userName(s, call.caller, call.conversationId);
  const where = s.groupsById[call.conversationId] ? ` in ${conversationTitle(s, call.conversationId)}` : "";
  return `${caller} is calling${call.video ? " (video)" : ""}${where} — answer in the web client`;
}

/** A call history line's text: the SDK's ("Missed voice call", "Voice call · 2:13"), naming the caller of a missed call. */
export function callLineText(s: Snapshot, m: ChatMessage): string {
  if (m.call?.direction === "incoming" && m.call.outcome === "missed") return `${m.text} from ${userName(s, m.sender, m.contactId)}`;
  return m.text;
}

/** True for a history line that deserves attention (a call this account missed). */
export function isMissedCall(m: ChatMessage): boolean {
  return m.kind === "call" && m.call?.direction === "incoming" && m.call.outcome === "missed";
}
