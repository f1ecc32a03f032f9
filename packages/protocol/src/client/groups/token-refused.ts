/**
 * A group send the relay refused for some members' delivery tokens (TOKEN_INVALID in the
 * `multi_send` results): never silent, never resent in a way that names us. Each such member is
 * reported (`groupTokenRefused`); when the group state (a member's `setOwnToken`) or the
 * member's profile gives a token other than the refused one, the message is queued again for
 * that member alone with it (once); otherwise the member's status for the message becomes
 * `failed`, so a view can show who did not get it (spec/client.md §11).
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { ClientContext } from "../context.js";
import type { ChatMessage } from "../conversation.js";
import { flushOutbox, newOutboxKey } from "../outgoing.js";
import { encodeRecord, type MultiSendRecipient, NS, type OutboxEntry } from "../records.js";
import type { StoreWrite } from "../store/store.js";
import { awaitTokenWrite } from "./awaiting-token.js";
import { decodeGroupState, findMember } from "./core.js";
import { groupConversationId } from "./ids.js";
import { loadGroup } from "./records.js";

/** Payload of `groupTokenRefused`. */
export interface GroupTokenRefusedEvent {
  /** The group's conversation id (`group:<groupId hex>`), when the entry recorded its group. */
  readonly conversationId: string | undefined;
  readonly groupId: string | undefined;
  /** The member whose token was refused, user id hex. */
  readonly userId: string;
  /** The conversation message the send carried, if it was one (reactions, edits… carry none). */
  readonly messageId: string | undefined;
  readonly reason: "TOKEN_INVALID";
  /** True: queued again with a newer token the group state or the member's profile gave; false: the member's status is `failed`. */
  readonly resent: boolean;
}

/** Resends to, or marks failed for, each member whose token the relay refused for `entry`. */
export async function settleRefusedMembers(ctx: ClientContext, entry: OutboxEntry, refused: readonly MultiSendRecipient[]): Promise<void> {
  const multi = entry.multi;
  if (!multi || refused.length === 0) return;
  const groupId = multi.groupId;
  const record = groupId ? await loadGroup(ctx, groupId) : undefined;
  const state = record?.active ? decodeGroupState(record.state) : undefined;
  const resend: MultiSendRecipient[] = [];
  const failed: string[] = [];
  const writes: StoreWrite[] = [];
  for (const recipient of refused) {
    const newer = recipient.resent || !state ? undefined : await newerToken(ctx, recipient, state);
    if (newer) resend.push({ ...recipient, token: newer, resent: true });
    else if (!recipient.token && groupId && state && findMember(state, recipient.userId)) {
      // Sent without a token (an entry queued before sends waited for one): it waits for the token.
      writes.push(awaitTokenWrite(ctx, groupId, multi.payload, recipient, entry.messageRef));
    } else failed.push(hex(recipient.userId));
  }
  if (resend.length > 0) {
    // The same payload and per-device headers and message ids: only the token is new.
    const again: OutboxEntry = {
      key: newOutboxKey(ctx),
      userId: ctx.local.userId,
      messages: [],
      createdAt: ctx.now(),
      multi: { ...(groupId ? { groupId } : {}), payload: multi.payload, recipients: resend },
      ...(entry.messageRef ? { messageRef: entry.messageRef } : {}),
    };
    writes.push({ namespace: NS.outbox, key: again.key, value: encodeRecord(again) });
  }
  let updated: ChatMessage | undefined;
  const ref = entry.messageRef;
  if (ref && failed.length > 0) {
    const found = await ctx.message(ref.contactId, ref.id);
    if (found?.message.outgoing) {
      const receipts = { ...(found.message.receipts ?? {}) };
      // Never over a receipt: the member got it after all (an earlier try reached it).
      for (const member of failed) if (member !== ctx.me && !receipts[member]) receipts[member] = "failed";
      updated = { ...found.message, receipts };
      writes.push(ctx.updateMessageWrite(found.key, updated));
    }
  }
  if (writes.length > 0) await ctx.store.batch(writes);
  if (updated) ctx.emit("messageUpdated", updated);
  const base = {
    conversationId: groupId ? groupConversationId(groupId) : undefined,
    groupId: groupId ? hex(groupId) : undefined,
    messageId: ref?.id,
    reason: "TOKEN_INVALID" as const,
  };
  for (const r of resend) ctx.emit("groupTokenRefused", { ...base, userId: hex(r.userId), resent: true });
  for (const userId of failed) ctx.emit("groupTokenRefused", { ...base, userId, resent: false });
  if (resend.length > 0) ctx.spawn(() => flushOutbox(ctx));
}

/** A token for the member other than the refused one: the group state's (its `setOwnToken`), else its profile's. */
async function newerToken(
  ctx: ClientContext,
  recipient: MultiSendRecipient,
  state: ReturnType<typeof decodeGroupState>,
): Promise<Uint8Array | undefined> {
  const member = findMember(state, recipient.userId);
  if (!member) return undefined; // No longer a member: nothing more goes to it.
  const userHex = hex(recipient.userId);
  const contact = userHex === ctx.me ? undefined : await ctx.contactByUser(userHex);
  const own = userHex === ctx.me ? ctx.local.identity.deliveryToken : undefined;
  const candidates = [member.deliveryToken, own, contact && hex(contact.userId) === userHex ? contact.deliveryToken : undefined];
  const used = recipient.token ? hex(recipient.token) : undefined;
  return candidates.find((t): t is Uint8Array => t !== undefined && hex(t) !== used);
}
