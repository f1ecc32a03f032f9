/**
 * Call history lines (spec/calls.md §9): when a call ends on a device that took part (or rang),
 * that device adds a `call` line to the conversation through the ordinary history API — "Missed
 * voice call", "Video call · 1:23". Lines are local: never sent, never unread, in backups.
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { ClientContext } from "../context.js";
import type { CallRecord, ChatMessage } from "../conversation.js";
import type { CallEndReason } from "./types.js";

/** The outcome a history line records for a call that ended with `reason`; undefined: no line (it happened elsewhere). */
export function outcomeOf(reason: CallEndReason, connected: boolean): CallRecord["outcome"] | undefined {
  if (connected) return "completed";
  switch (reason) {
    case "answeredElsewhere":
    case "glare":
      return undefined;
    case "hangup":
      return "cancelled";
    default:
      return reason;
  }
}

/** The line's text, e.g. "Missed video call" or "Voice call · 2:05". */
export function callLineText(record: CallRecord): string {
  const medium = record.video ? "video call" : "voice call";
  const Medium = medium[0]?.toUpperCase() + medium.slice(1);
  switch (record.outcome) {
    case "completed":
      return `${Medium} · ${formatDuration(record.durationMs ?? 0)}`;
    case "missed":
      return `Missed ${medium}`;
    case "declined":
      return `${Medium} declined`;
    case "busy":
      return `${Medium}: busy`;
    case "noAnswer":
      return `${Medium}: no answer`;
    case "cancelled":
      return `Cancelled ${medium}`;
    case "failed":
      return `${Medium} failed`;
  }
}

/** m:ss below an hour, h:mm:ss above. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const seconds = String(total % 60).padStart(2, "0");
  const minutes = Math.floor(total / 60) % 60;
  const hours = Math.floor(total / 3600);
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

/** Stores the history line of a call and emits it as a new `message`. */
export async function recordCallLine(
  ctx: ClientContext,
  conversationId: string,
  caller: string,
  record: CallRecord,
  sentAt: number,
): Promise<ChatMessage> {
  const message: ChatMessage = {
    id: hex(ctx.deps.crypto.randomBytes(16)),
    contactId: conversationId,
    sender: caller,
    senderDevice: 0,
    outgoing: record.direction === "outgoing",
    kind: "call",
    text: callLineText(record),
    call: record,
    sentAt,
    receivedAt: ctx.arrivalTime(),
    deleted: false,
    reactions: {},
    status: record.direction === "outgoing" ? "sent" : "received",
  };
  await ctx.store.batch(ctx.newMessageWrites(message));
  ctx.emit("message", message);
  return message;
}
