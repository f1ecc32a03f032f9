/**
 * What a user does to a conversation: send a text or a reply, react, edit or delete a message,
 * mark messages read. Each builds its content, applies it locally the way the peer will, and
 * commits the local change together with the send (outgoing.ts), so both sides agree.
 */

import type { ContentBody } from "../content/content.js";
import { bytesToHex as hex, hexToBytes } from "../crypto/bytes.js";
import type { ClientContext } from "./context.js";
import { applyDelete, applyEdit, applyReaction, type ChatMessage } from "./conversation.js";
import { sendReceipt } from "./incoming.js";
import { newContent, sendContent } from "./outgoing.js";
import type { Contact } from "./records.js";
import { privacySettings } from "./settings.js";

/** Read receipts per receipt content: keeps one receipt well inside the content size limit. */
const READ_RECEIPT_BATCH = 512;

/** Sends a text (a reply when `replyTo` names a message id); resolves with the stored message once queued durably. */
export async function sendText(ctx: ClientContext, contact: Contact, text: string, replyTo?: string): Promise<ChatMessage> {
  const content = replyTo ? newContent(ctx, { kind: "reply", target: hexToBytes(replyTo), text }) : newContent(ctx, { kind: "text", text });
  const message: ChatMessage = {
    id: hex(content.id),
    contactId: contact.id,
    sender: ctx.me,
    senderDevice: ctx.local.device.deviceId,
    outgoing: true,
    kind: "text",
    text,
    ...(replyTo ? { replyTo } : {}),
    sentAt: content.sentAt,
    receivedAt: ctx.arrivalTime(),
    deleted: false,
    reactions: {},
    status: "pending",
  };
  await sendContent(ctx, contact, content, {
    messageRef: { contactId: contact.id, id: message.id },
    writes: ctx.newMessageWrites(message),
  });
  ctx.emit("message", message);
  return message;
}

/** Reacts to, edits or deletes a message (edits and deletes of our own messages only). */
export async function actOnMessage(
  ctx: ClientContext,
  contact: Contact,
  messageId: string,
  body: ContentBody,
  ownOnly: boolean,
): Promise<void> {
  const found = await ctx.message(contact.id, messageId);
  if (!found) throw new RangeError("no such message in this conversation");
  if (ownOnly && !found.message.outgoing) throw new RangeError("only your own messages can be edited or deleted");
  const content = newContent(ctx, body);
  // Apply locally the way the peer will, so both sides agree.
  const me = ctx.me;
  const change = (message: ChatMessage): ChatMessage =>
    content.kind === "edit"
      ? applyEdit(message, me, content.text, content.sentAt)
      : content.kind === "delete"
        ? applyDelete(message, me)
        : content.kind === "reaction"
          ? applyReaction(message, me, content.emoji, content.remove)
          : message;
  let updated: ChatMessage | undefined;
  await sendContent(ctx, contact, content, {
    // Read again at commit time, under the session locks: the message's status may have moved
    // on (pending → sent, a receipt) since it was read above, and must not be written back.
    commitWrites: async () => {
      const current = await ctx.message(contact.id, messageId);
      if (!current) return [];
      const next = change(current.message);
      if (next === current.message) return [];
      updated = next;
      return [ctx.updateMessageWrite(current.key, next)];
    },
  });
  if (updated) ctx.emit("messageUpdated", updated);
}

/** Marks received messages read (all unread ones when `messageIds` is undefined) and tells the sender. */
export async function markRead(ctx: ClientContext, contact: Contact, messageIds?: readonly string[]): Promise<void> {
  const read: ChatMessage[] = [];
  const writes = [];
  for (const found of await ctx.history.toMarkRead(contact.id, messageIds)) {
    const message = found.message;
    if (message.outgoing || message.status !== "received" || message.kind === "notice" || message.kind === "call") continue;
    const next = { ...message, status: "read" as const };
    writes.push(ctx.updateMessageWrite(found.key, next));
    read.push(next);
  }
  if (read.length === 0) return;
  await ctx.store.batch(writes);
  for (const m of read) ctx.emit("messageUpdated", m);
  if (!privacySettings(ctx.local).readReceipts) return; // Read here, told to nobody (settings.ts).
  for (let i = 0; i < read.length; i += READ_RECEIPT_BATCH) {
    const targets = read.slice(i, i + READ_RECEIPT_BATCH).map((m) => hexToBytes(m.id));
    await sendReceipt(ctx, contact.id, "read", targets);
  }
}
