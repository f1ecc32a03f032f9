/**
 * What a message this device sends looks like locally, in a 1:1 conversation and in a group
 * alike: the stored message queued together with the send that delivers it, and a reaction, edit
 * or delete applied to our own copy the way receivers will apply it. How the content travels
 * (pairwise sessions or the group's sender key) is the caller's `send`.
 */

import type { Content } from "../content/content.js";
import { bytesToHex as hex } from "../crypto/bytes.js";
import type { ClientContext } from "./context.js";
import { applyDelete, applyEdit, applyReaction, type ChatMessage } from "./conversation.js";
import type { StoreWrite } from "./store/store.js";

/** What a sent message shows: its kind and text, and what a reply, a group text or a file adds. */
export type OwnMessageBody = Pick<ChatMessage, "kind" | "text"> & Partial<Pick<ChatMessage, "replyTo" | "mentions" | "attachment">>;

/**
 * The stored form of a message this device sends with `content`: pending, no reactions yet; a
 * group message also keeps each member's status (`receipts`).
 */
export function ownMessage(
  ctx: ClientContext,
  content: Content,
  conversationId: string,
  body: OwnMessageBody,
  to: "contact" | "group",
): ChatMessage {
  return {
    id: hex(content.id),
    contactId: conversationId,
    sender: ctx.me,
    senderDevice: ctx.local.device.deviceId,
    outgoing: true,
    ...body,
    sentAt: content.sentAt,
    receivedAt: ctx.arrivalTime(),
    deleted: false,
    reactions: {},
    status: "pending",
    ...(to === "group" ? { receipts: {} } : {}),
  };
}

/**
 * Queues `message` through `send`, stored in the same batch as the send (with `writes`, e.g. a
 * finished upload's removal); then tells the app. Resolves with the message once queued durably.
 */
export async function sendOwnMessage(
  ctx: ClientContext,
  message: ChatMessage,
  writes: readonly StoreWrite[],
  send: (options: { messageRef: { contactId: string; id: string }; writes: StoreWrite[] }) => Promise<void>,
): Promise<ChatMessage> {
  await send({
    messageRef: { contactId: message.contactId, id: message.id },
    writes: [...ctx.newMessageWrites(message), ...writes],
  });
  ctx.emit("message", message);
  return message;
}

/**
 * How a reaction, edit or delete content changes our copy of its target, as receivers apply it;
 * a delete counts as `deleteAs(message)` (an admin deletes as the author). Other kinds change nothing.
 */
export function ownAction(
  content: Content,
  me: string,
  deleteAs: (message: ChatMessage) => string = () => me,
): (message: ChatMessage) => ChatMessage {
  return (message) =>
    content.kind === "edit"
      ? applyEdit(message, me, content.text, content.sentAt)
      : content.kind === "delete"
        ? applyDelete(message, deleteAs(message))
        : content.kind === "reaction"
          ? applyReaction(message, me, content.emoji, content.remove)
          : message;
}

/**
 * Sends an action through `send` and writes its `change` to the stored message in the send's
 * batch; then tells the app of the updated message (when it changed).
 */
export async function sendOwnAction(
  ctx: ClientContext,
  conversationId: string,
  messageId: string,
  change: (message: ChatMessage) => ChatMessage,
  send: (options: { commitWrites: () => Promise<StoreWrite[]> }) => Promise<void>,
): Promise<void> {
  let updated: ChatMessage | undefined;
  await send({
    // Read again at commit time, under the send's locks: the message's status may have moved
    // on (pending → sent, a receipt) since the caller read it, and must not be written back.
    commitWrites: async () => {
      const current = await ctx.message(conversationId, messageId);
      if (!current) return [];
      const next = change(current.message);
      if (next === current.message) return [];
      updated = next;
      return [ctx.updateMessageWrite(current.key, next)];
    },
  });
  if (updated) ctx.emit("messageUpdated", updated);
}
