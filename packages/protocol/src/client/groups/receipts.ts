/**
 * Receipts in groups, per member: a member's delivered/read receipt goes pairwise to the
 * message's author only (wrapped in a `group` content naming the group), and the author's copy
 * of the message keeps each member's latest receipt in `receipts`, so a view can show "read by
 * 3 of 5". The message's `status` moves to delivered (read) once every other member has
 * delivered (read) it. Our read receipts also go to our other devices, which mark the messages
 * read there.
 */

import type { ReceiptType } from "../../content/content.js";
import { bytesToHex as hex, hexToBytes } from "../../crypto/bytes.js";
import type { ClientContext } from "../context.js";
import type { ChatMessage } from "../conversation.js";
import type { Applied } from "../incoming.js";
import { newContent, sendContent } from "../outgoing.js";
import { privacySettings } from "../settings.js";
import { decodeGroupState } from "./core.js";
import { groupConversationId } from "./ids.js";
import { loadGroup } from "./records.js";

/** Read receipts per content, as in 1:1 (keeps one receipt well inside the content size limit). */
const RECEIPT_BATCH = 512;

/** Sends our receipt for `targets` (messages of `author`) to the author. */
export async function sendGroupReceipt(
  ctx: ClientContext,
  groupId: Uint8Array,
  author: Uint8Array,
  receipt: ReceiptType,
  targets: readonly Uint8Array[],
): Promise<void> {
  if (hex(author) === ctx.me || targets.length === 0) return;
  const contact = await ctx.contactByUser(hex(author));
  if (!contact || contact.pendingIdentity) return;
  for (let i = 0; i < targets.length; i += RECEIPT_BATCH) {
    const inner = newContent(ctx, { kind: "receipt", receipt, targets: targets.slice(i, i + RECEIPT_BATCH) });
    // A read receipt is copied to our other devices (they mark the messages read); delivered ones are not.
    await sendContent(ctx, contact, newContent(ctx, { kind: "group", groupId, content: inner }), { noSync: receipt !== "read" });
  }
}

/**
 * Applies a group receipt: from a member, to our outgoing messages; from our other device
 * (`outgoing`), our own read receipt, to the incoming messages it names.
 */
export async function applyGroupReceipt(
  ctx: ClientContext,
  groupId: Uint8Array,
  actor: string,
  receipt: ReceiptType,
  targets: readonly Uint8Array[],
  outgoing: boolean,
  applied: Applied,
): Promise<void> {
  const conversationId = groupConversationId(groupId);
  const record = await loadGroup(ctx, groupId);
  if (!record) return;
  const others = decodeGroupState(record.state)
    .members.map((m) => hex(m.userId))
    .filter((u) => u !== ctx.me);
  for (const target of targets) {
    const found = await ctx.message(conversationId, hex(target));
    if (!found) continue;
    const next = outgoing ? markedRead(found.message, receipt) : withReceipt(found.message, actor, receipt, others);
    if (next === found.message) continue;
    applied.writes.push(ctx.updateMessageWrite(found.key, next));
    applied.events.push(() => ctx.emit("messageUpdated", next));
  }
}

function markedRead(message: ChatMessage, receipt: ReceiptType): ChatMessage {
  if (receipt !== "read" || message.outgoing || message.status !== "received") return message;
  return { ...message, status: "read" };
}

const RANK = { failed: 0, delivered: 1, read: 2 } as const;

/** Our message with `member`'s receipt recorded (never moving back), and its status recomputed. */
export function withReceipt(message: ChatMessage, member: string, receipt: ReceiptType, members: readonly string[]): ChatMessage {
  if (!message.outgoing || !members.includes(member)) return message;
  const receipts = { ...(message.receipts ?? {}) };
  const had = receipts[member];
  if (had && RANK[had] >= RANK[receipt]) return message;
  receipts[member] = receipt;
  const all = (level: ReceiptType) =>
    members.length > 0 && members.every((m) => receipts[m] && RANK[receipts[m] as ReceiptType] >= RANK[level]);
  const status = all("read") ? "read" : all("delivered") ? "delivered" : message.status === "pending" ? "sent" : message.status;
  return { ...message, receipts, status: status === "failed" ? message.status : status };
}

/** Marks received group messages read (all unread when `messageIds` is undefined) and tells each author. */
export async function markGroupRead(ctx: ClientContext, groupId: Uint8Array, messageIds?: readonly string[]): Promise<void> {
  const conversationId = groupConversationId(groupId);
  const byAuthor = new Map<string, Uint8Array[]>();
  const writes = [];
  const read: ChatMessage[] = [];
  for (const found of await ctx.history.toMarkRead(conversationId, messageIds)) {
    const message = found.message;
    if (message.outgoing || message.status !== "received" || message.kind === "notice") continue;
    const next = { ...message, status: "read" as const };
    writes.push(ctx.updateMessageWrite(found.key, next));
    read.push(next);
    byAuthor.set(message.sender, [...(byAuthor.get(message.sender) ?? []), hexToBytes(message.id)]);
  }
  if (read.length === 0) return;
  await ctx.store.batch(writes);
  for (const m of read) ctx.emit("messageUpdated", m);
  if (!privacySettings(ctx.local).readReceipts) return; // Read here, told to nobody (settings.ts).
  for (const [author, targets] of byAuthor) await sendGroupReceipt(ctx, groupId, hexToBytes(author), "read", targets);
}
