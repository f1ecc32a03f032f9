/**
 * Sending to a group: one sender-key message for everyone, sealed once for all member devices
 * (a multi-recipient envelope: the payload once, a small header per device) and queued as one
 * `multi_send`. Before it, our sender key is made (or rotated, when a device that holds it is no
 * longer a member device: a removed member or a member's removed device) and distributed
 * pairwise to every member device that does not hold it yet — so a removed member's stored keys
 * read nothing sent after its removal, and a new member reads nothing sent before it joined.
 *
 * `sendGroupContent` is the one entry point: texts, replies, reactions, edits, deletes, typing
 * and attachments (Part AT passes its attachment body) all go through it.
 */

import { type Content, type ContentBody, encodeContent } from "../../content/content.js";
import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { addressKey } from "../../keys/identity.js";
import type { ClientContext } from "../context.js";
import { flushOutbox, newContent, newOutboxKey, sendContent } from "../outgoing.js";
import { encodeRecord, type MultiSendRecipient, type MultiSendRecord, NS, type OutboxEntry } from "../records.js";
import type { StoreWrite } from "../store/store.js";
import { awaitTokenWrite, releaseAwaitingTokens, releaseWrites } from "./awaiting-token.js";
import {
  canSendToGroup,
  createSenderKey,
  decodeGroupState,
  decodeSenderKeyState,
  encodeSenderKeyDistribution,
  encodeSenderKeyState,
  findMember,
  type GroupState,
  groupEncrypt,
  sealMulti,
} from "./core.js";
import { deliverMulti } from "./delivery.js";
import { type MemberTarget, memberTargets } from "./members.js";
import { type GroupRecord, loadGroup, loadOwnKey, type OwnSenderKey, ownKeyWrite } from "./records.js";

/** Options of one group send. */
export interface GroupSendOptions {
  /** Typing: sent now to online devices, never queued. */
  readonly ephemeral?: boolean;
  /** The conversation message this send delivers (its status becomes `sent`). */
  readonly messageRef?: { contactId: string; id: string };
  /** Extra writes committed with the queued send (e.g. the new message itself). */
  readonly writes?: StoreWrite[];
  /** Writes computed right before the commit (read-modify-write of a message). */
  readonly commitWrites?: () => Promise<StoreWrite[]>;
}

/** Kinds only admins may send to an announcement group (reactions, receipts and admins' deletes stay open). */
export const ANNOUNCEMENT_KINDS: ReadonlySet<string> = new Set(["text", "reply", "attachment", "edit"]);

/** The lock that serialises our sender key's use in a group. */
export function groupSendLock(groupId: Uint8Array): string {
  return `group-send:${hex(groupId)}`;
}

/** The group's record and state, refusing when we are not (or no longer) a member. */
export async function requireMembership(ctx: ClientContext, groupId: Uint8Array): Promise<{ record: GroupRecord; state: GroupState }> {
  const record = await loadGroup(ctx, groupId);
  if (!record) throw new ParleyError(ErrorCode.NotGroupMember, "no such group");
  const state = decodeGroupState(record.state);
  if (!record.active || !findMember(state, ctx.local.userId))
    throw new ParleyError(ErrorCode.NotGroupMember, "you are not a member of this group");
  return { record, state };
}

/**
 * The group's state when we may send a `kind` content to it: ERR_NOT_GROUP_MEMBER outside the
 * group, ERR_GROUP_PERMISSION for a non-admin's message to an announcement group.
 */
export async function requireSendable(ctx: ClientContext, groupId: Uint8Array, kind: Content["kind"]): Promise<GroupState> {
  const { state } = await requireMembership(ctx, groupId);
  if (ANNOUNCEMENT_KINDS.has(kind) && !canSendToGroup(state, ctx.local.userId)) {
    throw new ParleyError(ErrorCode.GroupPermission, "only admins may send messages to this group");
  }
  return state;
}

/**
 * Sends a content body to a group; resolves with the content once queued durably (ephemeral:
 * once handed to the relay, or dropped when keys are still to be distributed). Throws
 * ERR_NOT_GROUP_MEMBER outside the group and ERR_GROUP_PERMISSION for a non-admin's message to
 * an announcement group.
 */
export async function sendGroupContent(
  ctx: ClientContext,
  groupId: Uint8Array,
  body: ContentBody,
  options: GroupSendOptions = {},
): Promise<Content> {
  const content = newContent(ctx, body);
  await sendGroupPrepared(ctx, groupId, content, options);
  return content;
}

/** As sendGroupContent, for a content whose id and time the caller made (it stored a message under that id). */
export async function sendGroupPrepared(
  ctx: ClientContext,
  groupId: Uint8Array,
  content: Content,
  options: GroupSendOptions = {},
): Promise<void> {
  const state = await requireSendable(ctx, groupId, content.kind);
  const targets = await memberTargets(ctx, state.members);
  let multi: MultiSendRecord | undefined;
  let waiting = false;
  await ctx.lock.run(groupSendLock(groupId), async () => {
    const own = await ensureDistributed(ctx, groupId, targets, options.ephemeral ?? false);
    if (!own) return; // Typing before our key went out: not worth a distribution.
    const { state: advanced, message } = groupEncrypt(ctx.deps, decodeSenderKeyState(own.key), groupId, encodeContent(content));
    const holders = new Set(own.holders);
    const recipients: { identityKey: Uint8Array }[] = [];
    const layout: { userId: Uint8Array; token?: Uint8Array; deviceIds: number[] }[] = [];
    // What waited for a member's token goes first, now that we have one (awaiting-token.ts).
    const released: StoreWrite[] = [];
    if (!options.ephemeral)
      for (const target of targets)
        if (target.token) released.push(...(await releaseWrites(ctx, groupId, target.contact.userId, target.token)));
    for (const target of targets) {
      const deviceIds: number[] = [];
      for (const deviceId of target.deviceIds) {
        const address = { userId: target.contact.userId, deviceId };
        if (!holders.has(addressKey(address))) continue;
        const identityKey = (await ctx.loadRecord(address))?.current?.remoteIdentityKey;
        if (!identityKey) continue;
        recipients.push({ identityKey });
        deviceIds.push(deviceId);
      }
      if (deviceIds.length > 0) layout.push({ userId: target.contact.userId, ...(target.token ? { token: target.token } : {}), deviceIds });
    }
    const writes: StoreWrite[] = [
      ...(options.writes ?? []),
      ownKeyWrite(groupId, { ...own, key: encodeSenderKeyState(advanced) }),
      ...(options.ephemeral ? [] : released),
    ];
    if (recipients.length > 0) {
      const sealed = sealMulti(ctx.deps, ctx.local.device, recipients, message);
      let i = 0;
      const all: MultiSendRecipient[] = layout.map((r) => ({
        userId: r.userId,
        ...(r.token ? { token: r.token } : {}),
        devices: r.deviceIds.map((deviceId) => ({
          deviceId,
          header: sealed.headers[i++] as Uint8Array,
          messageId: ctx.deps.crypto.randomBytes(16),
        })),
      }));
      // A member whose token we do not know yet (it has not published one, nor written to us): the
      // relay would refuse it, so its part waits for the token (typing is simply not sent to it).
      const now = all.filter((r) => r.token);
      if (!options.ephemeral) {
        for (const r of all) if (!r.token) writes.push(awaitTokenWrite(ctx, groupId, sealed.payload, r, options.messageRef));
        if (now.length < all.length) waiting = true;
      }
      if (now.length > 0) multi = { groupId, payload: sealed.payload, recipients: now };
      if (multi && !options.ephemeral) {
        const entry: OutboxEntry = {
          key: newOutboxKey(ctx),
          userId: ctx.local.userId,
          messages: [],
          createdAt: ctx.now(),
          multi,
          ...(options.messageRef ? { messageRef: options.messageRef } : {}),
        };
        writes.push({ namespace: NS.outbox, key: entry.key, value: encodeRecord(entry) });
      }
    }
    if (options.commitWrites) writes.push(...(await options.commitWrites()));
    await ctx.store.batch(writes);
    if (released.length > 0) ctx.spawn(() => flushOutbox(ctx));
  });
  // A token that arrived while we sent (after memberTargets read none) released nothing then: look again.
  if (waiting) ctx.spawn(() => releaseAwaitingTokens(ctx, groupId));
  if (!multi && waiting) return; // Every recipient waits for its token: sent once one is known.
  if (!multi && options.messageRef && !options.ephemeral) {
    // Nobody else to send to (we are the only member, without other devices): it is sent.
    const found = await ctx.message(options.messageRef.contactId, options.messageRef.id);
    if (found?.message.status === "pending") {
      const sent = { ...found.message, status: "sent" as const };
      await ctx.store.batch([ctx.updateMessageWrite(found.key, sent)]);
      ctx.emit("messageUpdated", sent);
    }
    return;
  }
  if (options.ephemeral) {
    const sending = multi;
    if (sending) ctx.spawn(() => deliverMulti(ctx, sending, true).catch(() => undefined));
    return;
  }
  ctx.spawn(() => flushOutbox(ctx));
}

/**
 * Our sender key for the group, distributed to every current member device. A new key when we
 * have none, or when a device holding the current one is no longer a member device. Caller holds
 * the group's send lock. Undefined for an ephemeral send that would need a distribution first.
 */
async function ensureDistributed(
  ctx: ClientContext,
  groupId: Uint8Array,
  targets: readonly MemberTarget[],
  ephemeral: boolean,
): Promise<OwnSenderKey | undefined> {
  const current = new Set<string>();
  for (const t of targets) for (const deviceId of t.deviceIds) current.add(addressKey({ userId: t.contact.userId, deviceId }));
  let own = await loadOwnKey(ctx, groupId);
  if (!own || own.holders.some((h) => !current.has(h))) {
    if (ephemeral) return undefined;
    // Rotation: the old key never encrypts again, so whoever kept it reads nothing new.
    own = { key: encodeSenderKeyState(createSenderKey(ctx.deps)), holders: [] };
    await ctx.store.batch([ownKeyWrite(groupId, own)]);
  }
  const holders = new Set(own.holders);
  const missing = targets.filter((t) => t.deviceIds.some((deviceId) => !holders.has(addressKey({ userId: t.contact.userId, deviceId }))));
  if (missing.length === 0) return own;
  if (ephemeral) return own.holders.length > 0 ? own : undefined;
  const distribution = encodeSenderKeyDistribution(decodeSenderKeyState(own.key));
  for (const target of missing) {
    const body = { kind: "senderKey" as const, groupId, distribution };
    try {
      await sendContent(ctx, target.contact, newContent(ctx, body), { noSync: true });
    } catch (error) {
      // One member we cannot reach (identity changed, no such account) must not stop the group.
      ctx.emit("error", error instanceof Error ? error : new Error(String(error)));
      continue;
    }
    for (const deviceId of target.deviceIds) holders.add(addressKey({ userId: target.contact.userId, deviceId }));
  }
  own = { key: own.key, holders: [...holders] };
  await ctx.store.batch([ownKeyWrite(groupId, own)]);
  return own;
}
