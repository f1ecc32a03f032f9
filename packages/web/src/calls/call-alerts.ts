/**
 * What the call alerts follow, as pure functions of the calls snapshot: which call rings here
 * (the ringtone, the "Alice is calling…" title and the system notification follow it), whether
 * the caller should hear ringback, and the words of the title and the notifications.
 */
import type { CallInfo } from "@parley/protocol/client";
import type { CallsSnapshot } from "./controller.js";

/** The part of the calls snapshot the alerts read. */
export type AlertInput = Pick<CallsSnapshot, "incoming" | "current" | "ended">;

/** What should sound and show now. */
export interface CallAlert {
  /** The call ringing here, unanswered: ringtone, title and notification. */
  readonly ringing: CallInfo | undefined;
  /** Our outgoing call while a callee device rings: ringback. */
  readonly ringback: boolean;
}

/**
 * The alert for a snapshot. A call rings when it shows the incoming banner (ringing here, no call
 * of ours running). The winning call of a glare never rings: the SDK answers it without a
 * ringing state (spec/calls.md §6).
 */
export function callAlert(s: AlertInput | undefined): CallAlert {
  const incoming = s?.incoming;
  const current = s?.current;
  const ringing = incoming && !current && incoming.state === "ringing" ? incoming : undefined;
  const ringback = !ringing && current?.state === "outgoing" && current.remoteRinging;
  return { ringing, ringback };
}

/** "Video call" or "Voice call". */
export function callKind(video: boolean): string {
  return video ? "Video call" : "Voice call";
}

/** The tab title while a call rings: "📞 Alice is calling…". */
export function ringingTitle(from: string): string {
  return `📞 ${from} is calling…`;
}

/** The system notification of a ringing call: "Incoming video call — Alice". */
export function incomingCallNotification(from: string, video: boolean): { readonly title: string; readonly body: string } {
  return { title: `Incoming ${callKind(video).toLowerCase()} — ${from}`, body: "Open Parley to answer or decline." };
}

/** The notification (or toast) of a missed call: "Missed call from Alice", "Video call at 14:05". */
export function missedCallNotification(from: string, video: boolean, at: string): { readonly title: string; readonly body: string } {
  return { title: `Missed call from ${from}`, body: `${callKind(video)} at ${at}` };
}
