/**
 * The conversation model the SDK keeps for apps: a message as a user sees it, and pure
 * functions that apply edits, deletes, reactions and receipts to it. Rules (spec/content.md §2):
 * only a message's author may edit or delete it; a reaction is one emoji per reacting user;
 * receipts only move an outgoing message's status forward.
 */

import type { ContentBody } from "../content/content.js";

/** Where an outgoing message is; incoming messages are `received` until read. */
export type MessageStatus = "pending" | "sent" | "delivered" | "read" | "received" | "failed";

const STATUS_ORDER: Record<MessageStatus, number> = { failed: -1, pending: 0, sent: 1, delivered: 2, read: 3, received: 0 };

/** An attachment as a message shows it: the attachment content's fields, its caption being the message text. */
export type AttachmentInfo = Omit<Extract<ContentBody, { kind: "attachment" }>, "kind" | "caption">;

/** What a call history line records (spec/calls.md §9). */
export interface CallRecord {
  /** The call id, hex. */
  readonly callId: string;
  readonly video: boolean;
  readonly direction: "outgoing" | "incoming";
  /** `completed`: it connected (then `durationMs`); the others are the end reasons of a call that never did. */
  readonly outcome: "completed" | "missed" | "declined" | "busy" | "noAnswer" | "cancelled" | "failed";
  /** From connected media to the end (completed calls). */
  readonly durationMs?: number;
}

/** One message in a conversation. */
export interface ChatMessage {
  /** The content's 16-byte id, hex. */
  readonly id: string;
  readonly contactId: string;
  /** Author's user id, hex. */
  readonly sender: string;
  readonly senderDevice: number;
  readonly outgoing: boolean;
  /**
   * `notice`: a line the client adds itself (session reset, undecryptable message, identity
   * change); `call`: a call history line ("Missed voice call", a call's duration), with `call`.
   */
  readonly kind: "text" | "attachment" | "notice" | "call";
  readonly text: string;
  readonly replyTo?: string;
  readonly attachment?: AttachmentInfo;
  /** Call history lines (`kind: "call"`): how the call went (spec/calls.md §9). */
  readonly call?: CallRecord;
  /** Sender's clock. */
  readonly sentAt: number;
  /** Our clock when stored. */
  readonly receivedAt: number;
  readonly editedAt?: number;
  readonly deleted: boolean;
  /** emoji → user ids (hex) that reacted with it. */
  readonly reactions: Readonly<Record<string, readonly string[]>>;
  readonly status: MessageStatus;
  /**
   * Outgoing only: true when the message went to the relay as an authenticated send that names
   * this account (no delivery token known for the contact yet, or a refused token under
   * `unsealedFallback: "allow"`), instead of sealed and anonymous.
   */
  readonly sentUnsealed?: boolean;
  /** User ids (hex) the message mentions (group texts and replies). */
  readonly mentions?: readonly string[];
  /**
   * Outgoing group messages: each member's status (user id hex → failed/delivered/read), for
   * "read by 3 of 5" or "not sent to Bob"; `status` becomes delivered/read once every member is
   * there. `failed`: the relay refused that member's delivery token (groupDeliveryFailed event).
   */
  readonly receipts?: Readonly<Record<string, MemberStatus>>;
}

/**
 * One member's status for an outgoing group message: `failed` when it could not be sent to that
 * member (the relay refused the member's delivery token and no newer one was known), then
 * `delivered` and `read` from the member's receipts.
 */
export type MemberStatus = "failed" | "delivered" | "read";

/** Applies an edit by `actor`; ignored (returns the same object) unless `actor` wrote the message. */
export function applyEdit(message: ChatMessage, actor: string, text: string, at: number): ChatMessage {
  if (message.sender !== actor || message.deleted) return message;
  return { ...message, text, editedAt: at };
}

/** Applies a delete for everyone by `actor`; ignored unless `actor` wrote the message. */
export function applyDelete(message: ChatMessage, actor: string): ChatMessage {
  if (message.sender !== actor || message.deleted) return message;
  const { attachment: _dropped, ...rest } = message;
  return { ...rest, text: "", deleted: true, reactions: {} };
}

/** Adds or removes `actor`'s reaction; one emoji per user, so adding replaces the previous one. */
export function applyReaction(message: ChatMessage, actor: string, emoji: string, remove: boolean): ChatMessage {
  if (message.deleted) return message;
  const reactions: Record<string, string[]> = {};
  for (const [e, users] of Object.entries(message.reactions)) {
    const kept = users.filter((u) => u !== actor || (remove && e !== emoji));
    if (kept.length > 0) reactions[e] = kept;
  }
  if (!remove && emoji.length > 0) reactions[emoji] = [...(reactions[emoji] ?? []), actor];
  return { ...message, reactions };
}

/** Moves an outgoing message's status forward (never back: a late "delivered" after "read" is ignored). */
export function applyStatus(message: ChatMessage, status: MessageStatus): ChatMessage {
  if (!message.outgoing && status !== "read") return message;
  if (message.outgoing && STATUS_ORDER[status] <= STATUS_ORDER[message.status] && status !== "failed") return message;
  return { ...message, status };
}
