/**
 * Group messages for a member whose delivery token we do not know yet. A member added by someone
 * who never received its profile is listed in the group state without a token until it publishes
 * its own (`setOwnToken`, as soon as it has the group) or writes to us (its `profile`). A
 * `multi_send` to it before then could only be refused (`TOKEN_INVALID`: the relay needs a token
 * for every recipient) and it must never go in a way that names us, so its part of the send — the
 * same payload, its devices' headers and message ids — waits here and is queued the moment a token
 * for it appears: a change applied to the group, a profile from the member, or our next send to
 * the group (which queues what waited first, keeping the order). A member that leaves or is
 * removed in between gets nothing. See spec/client.md §11.
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { ClientContext } from "../context.js";
import { flushOutbox, newOutboxKey } from "../outgoing.js";
import { decodeRecord, encodeRecord, type MultiSendRecipient, NS, type OutboxEntry } from "../records.js";
import type { StoreWrite } from "../store/store.js";
import { decodeGroupState, findMember, type GroupState } from "./core.js";
import { GROUP_NS, loadGroup } from "./records.js";
import { groupSendLock } from "./send.js";

/** One member's part of a group send, waiting for the member's delivery token. */
export interface AwaitingTokenSend {
  readonly groupId: Uint8Array;
  readonly payload: Uint8Array;
  /** The member and its devices' headers and message ids (no token). */
  readonly recipient: MultiSendRecipient;
  /** The conversation message the send delivers, if any. */
  readonly messageRef?: { contactId: string; id: string };
  readonly createdAt: number;
}

/** Writes keeping `recipient`'s part of a send until its token is known. */
export function awaitTokenWrite(
  ctx: ClientContext,
  groupId: Uint8Array,
  payload: Uint8Array,
  recipient: MultiSendRecipient,
  messageRef?: { contactId: string; id: string },
): StoreWrite {
  const { token: _token, resent: _resent, ...part } = recipient;
  const record: AwaitingTokenSend = { groupId, payload, recipient: part, createdAt: ctx.now(), ...(messageRef ? { messageRef } : {}) };
  // Keyed by group, member, then an outbox-ordered key: released in the order they were sent.
  return {
    namespace: GROUP_NS.awaitingToken,
    key: `${hex(groupId)}/${hex(recipient.userId)}/${newOutboxKey(ctx)}`,
    value: encodeRecord(record),
  };
}

/**
 * Writes queueing every waiting part for `userId` in the group with `token` (and deleting them
 * from here). The caller holds the group's send lock and commits the writes.
 */
export async function releaseWrites(ctx: ClientContext, groupId: Uint8Array, userId: Uint8Array, token: Uint8Array): Promise<StoreWrite[]> {
  const writes: StoreWrite[] = [];
  for (const [key, raw] of await ctx.store.list(GROUP_NS.awaitingToken, `${hex(groupId)}/${hex(userId)}/`)) {
    const waiting = decodeRecord<AwaitingTokenSend>(raw);
    const entry: OutboxEntry = {
      key: newOutboxKey(ctx),
      userId: ctx.local.userId,
      messages: [],
      createdAt: ctx.now(),
      multi: { groupId, payload: waiting.payload, recipients: [{ ...waiting.recipient, token }] },
      ...(waiting.messageRef ? { messageRef: waiting.messageRef } : {}),
    };
    writes.push(
      { namespace: NS.outbox, key: entry.key, value: encodeRecord(entry) },
      { namespace: GROUP_NS.awaitingToken, key, value: undefined },
    );
  }
  return writes;
}

/** Deletes of what waits for `userIdHex` in the group (every member's, without it). */
export async function awaitingTokenDeletes(ctx: ClientContext, groupId: Uint8Array, userIdHex?: string): Promise<StoreWrite[]> {
  const prefix = userIdHex ? `${hex(groupId)}/${userIdHex}/` : `${hex(groupId)}/`;
  return (await ctx.store.list(GROUP_NS.awaitingToken, prefix)).map(([key]) => ({
    namespace: GROUP_NS.awaitingToken,
    key,
    value: undefined,
  }));
}

/** The token to send to a member with: the group state's, else its profile's; undefined while unknown. */
export async function memberToken(ctx: ClientContext, state: GroupState, userId: Uint8Array): Promise<Uint8Array | undefined> {
  const member = findMember(state, userId);
  if (member?.deliveryToken) return member.deliveryToken;
  const contact = await ctx.contactByUser(hex(userId));
  return contact && hex(contact.userId) === hex(userId) ? contact.deliveryToken : undefined;
}

/**
 * Queues every waiting part whose member's token is now known, in one group or (no `groupId`)
 * in every group something waits in; drops the parts of members no longer in the group.
 */
export async function releaseAwaitingTokens(ctx: ClientContext, groupId?: Uint8Array): Promise<void> {
  const groups = groupId
    ? [hex(groupId)]
    : [...new Set((await ctx.store.list(GROUP_NS.awaitingToken)).map(([key]) => key.slice(0, key.indexOf("/"))))];
  let queued = false;
  for (const groupHex of groups) {
    const waiting = await ctx.store.list(GROUP_NS.awaitingToken, `${groupHex}/`);
    if (waiting.length === 0) continue;
    const first = decodeRecord<AwaitingTokenSend>(waiting[0]?.[1] as Uint8Array);
    await ctx.lock.run(groupSendLock(first.groupId), async () => {
      const record = await loadGroup(ctx, first.groupId);
      const state = record?.active ? decodeGroupState(record.state) : undefined;
      const writes: StoreWrite[] = [];
      const users = new Map<string, Uint8Array>();
      for (const [, raw] of await ctx.store.list(GROUP_NS.awaitingToken, `${groupHex}/`)) {
        const userId = decodeRecord<AwaitingTokenSend>(raw).recipient.userId;
        users.set(hex(userId), userId);
      }
      for (const [userHex, userId] of users) {
        if (!state || !findMember(state, userId)) {
          // Left, removed, or we are out: what waited for it is not sent.
          for (const [key] of await ctx.store.list(GROUP_NS.awaitingToken, `${groupHex}/${userHex}/`)) {
            writes.push({ namespace: GROUP_NS.awaitingToken, key, value: undefined });
          }
          continue;
        }
        const token = await memberToken(ctx, state, userId);
        if (token) writes.push(...(await releaseWrites(ctx, first.groupId, userId, token)));
      }
      if (writes.some((w) => w.namespace === NS.outbox)) queued = true;
      if (writes.length > 0) await ctx.store.batch(writes);
    });
  }
  if (queued) ctx.spawn(() => flushOutbox(ctx));
}
