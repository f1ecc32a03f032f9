/**
 * What a user does to a conversation: send a text or a reply, react, edit or delete a message,
 * mark messages read. Each builds its content, applies it locally the way the peer will, and
 * commits the local change together with the send (outgoing.ts), so both sides agree.
 */

import type { ContentBody } from "../content/content.js";
import { hexToBytes } from "../crypto/bytes.js";
import type { ClientContext } from "./context.js";
import type { ChatMessage } from "./conversation.js";
import { sendReceipt } from "./incoming.js";
import { newContent, sendContent } from "./outgoing.js";
import { ownAction, ownMessage, sendOwnAction, sendOwnMessage } from "./own-message.js";
import type { Contact } from "./records.js";
import { privacySettings } from "./settings.js";

/** Read receipts per receipt content: keeps one receipt well inside the content size limit. */
const READ_RECEIPT_BATCH = 512;

/** Sends a text (a reply when `replyTo` names a message id); resolves with the stored message once queued durably. */
export async function sendText(ctx: ClientContext, contact: Contact, text: string, replyTo?: string): Promise<ChatMessage> {
  const content = replyTo ? newContent(ctx, { kind: "reply", target: hexToBytes(replyTo), text }) : newContent(ctx, { kind: "text", text });
  const message = ownMessage(ctx, content, contact.id, { kind: "text", text, ...(replyTo ? { replyTo } : {}) }, "contact");
  return sendOwnMessage(ctx, message, [], (options) => sendContent(ctx, contact, content, options));
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
  const change = ownAction(content, ctx.me);
  await sendOwnAction(ctx, contact.id, messageId, change, (options) => sendContent(ctx, contact, content, options));
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
