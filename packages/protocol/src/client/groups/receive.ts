/**
 * Receiving in groups. A multi-recipient envelope (its sender authenticated when it opened)
 * carries a sender-key message: the group must be one we are in, the sender a member on its
 * account's device list, and the sender's key known — else the message waits (bounded, see
 * pending.ts) for the distribution. Its content then applies to the group's conversation under
 * the group's rules (announcement groups, admins' deletes). Pairwise contents about groups
 * (sender keys, changes, snapshots, receipts) arrive through the session path and land here.
 */

import { type Content, decodeContent, isEphemeral } from "../../content/content.js";
import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { OpenedEnvelope } from "../../envelope/sealed.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import type { Address } from "../../keys/identity.js";
import { senderLocks } from "../contact-identity.js";
import type { ClientContext } from "../context.js";
import { applyDelete, applyEdit, applyReaction, type ChatMessage } from "../conversation.js";
import { listedOwnDevice } from "../device-lists.js";
import { type Applied, senderContact } from "../incoming.js";
import { encodeRecord, NS } from "../records.js";
import { applyIncomingChange } from "./change-receive.js";
import {
  acceptSenderKeyDistribution,
  canSendToGroup,
  decodeGroupState,
  decodeSenderKeyDistribution,
  decodeSenderKeyState,
  encodeSenderKeyState,
  findMember,
  type GroupState,
  groupDecrypt,
  isGroupAdmin,
  parseGroupMessageHeader,
} from "./core.js";
import { groupConversationId } from "./ids.js";
import { drainPending, holdPending } from "./pending.js";
import { applyGroupReceipt, sendGroupReceipt } from "./receipts.js";
import { loadGroup, loadSenderKey, senderKeyWrite } from "./records.js";
import { ANNOUNCEMENT_KINDS } from "./send.js";
import { installSnapshot } from "./snapshot.js";

/** A group message with its authenticated sender, not yet decrypted. */
export interface GroupMessageIn {
  readonly sender: Address;
  readonly certificate: Uint8Array;
  readonly message: Uint8Array;
}

/** Kinds that travel pairwise about a group. */
export function isGroupPairwise(content: Pick<Content, "kind">): boolean {
  return content.kind === "senderKey" || content.kind === "group" || content.kind === "groupChange" || content.kind === "groupSnapshot";
}

/** Processes an opened multi-recipient envelope: commits what it produced into `applied`'s batch. */
export async function receiveGroupMessage(ctx: ClientContext, opened: OpenedEnvelope, ephemeral: boolean, applied: Applied): Promise<void> {
  const incoming: GroupMessageIn = { sender: opened.sender, certificate: opened.senderDevice.encoded, message: opened.message };
  await ctx.lock.runAll(senderLocks(opened.sender), async () => {
    await processGroupMessage(ctx, incoming, ephemeral, applied);
    await ctx.store.batch(applied.writes);
  });
}

/**
 * Decrypts and applies one group message into `applied` (the caller holds the sender's lock and
 * commits). Messages whose group or sender key is not known yet are held (not when ephemeral).
 */
export async function processGroupMessage(
  ctx: ClientContext,
  incoming: GroupMessageIn,
  ephemeral: boolean,
  applied: Applied,
): Promise<void> {
  const { sender } = incoming;
  let groupId: Uint8Array;
  try {
    groupId = parseGroupMessageHeader(incoming.message).groupId;
  } catch (error) {
    applied.events.push(() => ctx.emit("error", asError(error)));
    return;
  }
  const record = await loadGroup(ctx, groupId);
  if (!record) {
    if (!ephemeral) await holdPending(ctx, groupId, incoming, applied);
    return;
  }
  if (!record.active) return; // We left: what members still send is not for us.
  const state = decodeGroupState(record.state);
  if (!findMember(state, sender.userId)) {
    const error = new ParleyError(ErrorCode.NotGroupMember, "a group message from someone who is not a member was refused");
    applied.events.push(() => ctx.emit("error", error));
    return;
  }
  try {
    if (hex(sender.userId) === ctx.me) {
      const write = await listedOwnDevice(ctx, sender.deviceId);
      if (write) applied.writes.push(write);
    } else if (!(await senderContact(ctx, sender, incoming.certificate, applied))) return;
  } catch (error) {
    if (!ParleyError.is(error, ErrorCode.DeviceRemoved)) throw error;
    applied.writes.length = 0;
    applied.events.push(() => ctx.emit("error", error));
    return;
  }
  const stored = await loadSenderKey(ctx, groupId, sender);
  if (!stored) {
    if (!ephemeral) await holdPending(ctx, groupId, incoming, applied);
    return;
  }
  let plaintext: Uint8Array;
  try {
    const result = groupDecrypt(ctx.deps, decodeSenderKeyState(stored), groupId, incoming.message);
    applied.writes.push(senderKeyWrite(groupId, sender, encodeSenderKeyState(result.state)));
    if (result.lost > 0) {
      const lost = { userId: hex(sender.userId), deviceId: sender.deviceId, count: result.lost };
      applied.events.push(() => ctx.emit("messageLost", lost));
    }
    plaintext = result.plaintext;
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.NoSession)) {
      // A newer key than ours (its distribution is still on the way): wait for it.
      if (!ephemeral) await holdPending(ctx, groupId, incoming, applied);
      return;
    }
    if (ParleyError.is(error, ErrorCode.DuplicateMessage)) {
      applied.events.push(() => ctx.emit("duplicate", { userId: hex(sender.userId), deviceId: sender.deviceId, reason: "session" }));
      return;
    }
    applied.events.push(() => ctx.emit("error", asError(error)));
    return;
  }
  let content: Content;
  try {
    content = decodeContent(plaintext);
  } catch (error) {
    applied.events.push(() => ctx.emit("error", asError(error)));
    return;
  }
  if (ephemeral !== isEphemeral(content) || content.kind === "presence") return;
  const senderHex = hex(sender.userId);
  if (!ephemeral) {
    const seenKey = `${senderHex}/${hex(content.id)}`;
    if (await ctx.store.get(NS.seen, seenKey)) {
      applied.events.push(() => ctx.emit("duplicate", { userId: senderHex, deviceId: sender.deviceId, reason: "content" }));
      return;
    }
    applied.writes.push({ namespace: NS.seen, key: seenKey, value: encodeRecord(ctx.now()) });
  }
  await applyGroupContent(ctx, groupId, state, sender, content, applied);
}

/** Applies a decrypted group content to the group's conversation, under the group's rules. */
async function applyGroupContent(
  ctx: ClientContext,
  groupId: Uint8Array,
  state: GroupState,
  sender: Address,
  content: Content,
  applied: Applied,
): Promise<void> {
  const actor = hex(sender.userId);
  const outgoing = actor === ctx.me;
  const conversationId = groupConversationId(groupId);
  if (ANNOUNCEMENT_KINDS.has(content.kind) && !canSendToGroup(state, sender.userId)) {
    const error = new ParleyError(
      ErrorCode.GroupPermission,
      "only admins may send to this announcement group: a member's message was refused",
    );
    applied.events.push(() => ctx.emit("error", error));
    return;
  }
  const base = {
    id: hex(content.id),
    contactId: conversationId,
    sender: actor,
    senderDevice: sender.deviceId,
    outgoing,
    sentAt: content.sentAt,
    receivedAt: ctx.arrivalTime(),
    deleted: false,
    reactions: {},
    status: outgoing ? ("sent" as const) : ("received" as const),
  };
  const add = (message: ChatMessage) => {
    applied.writes.push(...ctx.newMessageWrites(message));
    applied.events.push(() => ctx.emit("message", message));
    if (!outgoing) applied.followUps.push(() => sendGroupReceipt(ctx, groupId, sender.userId, "delivered", [content.id]));
  };
  const update = async (target: Uint8Array, change: (m: ChatMessage) => ChatMessage) => {
    const found = await ctx.message(conversationId, hex(target));
    if (!found) return;
    const next = change(found.message);
    if (next === found.message) return;
    applied.writes.push(ctx.updateMessageWrite(found.key, next));
    applied.events.push(() => ctx.emit("messageUpdated", next));
  };
  const mentions = (list: readonly Uint8Array[] | undefined) => (list && list.length > 0 ? { mentions: list.map((m) => hex(m)) } : {});
  switch (content.kind) {
    case "text":
      add({ ...base, kind: "text", text: content.text, ...mentions(content.mentions) });
      break;
    case "reply":
      add({ ...base, kind: "text", text: content.text, replyTo: hex(content.target), ...mentions(content.mentions) });
      break;
    case "attachment": {
      const { kind: _kind, caption, id: _id, sentAt: _sentAt, ...attachment } = content;
      add({ ...base, kind: "attachment", text: caption, attachment });
      break;
    }
    case "edit":
      await update(content.target, (m) => applyEdit(m, actor, content.text, content.sentAt));
      break;
    case "delete":
      // Admins may delete anyone's message in a group; others their own.
      await update(content.target, (m) => applyDelete(m, isGroupAdmin(state, sender.userId) ? m.sender : actor));
      break;
    case "reaction":
      await update(content.target, (m) => applyReaction(m, actor, content.emoji, content.remove));
      break;
    case "typing":
      if (!outgoing) applied.events.push(() => ctx.emit("typing", { contactId: conversationId, typing: content.typing, userId: actor }));
      break;
    default:
      // Anything else has no meaning as a group message (pairwise kinds travel pairwise).
      break;
  }
}

/**
 * A pairwise content about a group from `sender` (or, `outgoing`, a copy of one we sent from
 * another device): a sender key, a change, a snapshot for a new member, or a receipt.
 */
export async function applyGroupPairwise(
  ctx: ClientContext,
  sender: Address,
  content: Content,
  outgoing: boolean,
  applied: Applied,
): Promise<void> {
  switch (content.kind) {
    case "senderKey": {
      if (outgoing) return;
      const record = await loadGroup(ctx, content.groupId);
      // Only a member's key for a group we are in; a distribution for a group we do not know is dropped
      // (the snapshot that adds us always reaches us before any member's key: spec/client.md §11).
      if (!record?.active || !findMember(decodeGroupState(record.state), sender.userId)) return;
      let state: Uint8Array;
      try {
        state = receivedSenderKey(await loadSenderKey(ctx, content.groupId, sender), content.distribution);
      } catch (error) {
        applied.events.push(() => ctx.emit("error", asError(error)));
        return;
      }
      applied.writes.push(senderKeyWrite(content.groupId, sender, state));
      const groupId = content.groupId;
      applied.followUps.push(() => drainPending(ctx, groupId));
      return;
    }
    case "groupChange":
      await applyIncomingChange(ctx, content.groupId, content.change, applied);
      return;
    case "groupSnapshot":
      await installSnapshot(ctx, sender, content, applied);
      return;
    case "group":
      if (content.content.kind === "receipt") {
        await applyGroupReceipt(
          ctx,
          content.groupId,
          hex(sender.userId),
          content.content.receipt,
          content.content.targets,
          outgoing,
          applied,
        );
      }
      return;
    default:
      return;
  }
}

/**
 * The sender key to store when a distribution arrives, given the stored one: the stored one when
 * the distribution is of the same key (same key id and signing key), so a distribution sent again
 * cannot wind the chain back and re-open messages already read (spec/groups.md §4).
 */
export function receivedSenderKey(held: Uint8Array | undefined, distribution: Uint8Array): Uint8Array {
  const d = decodeSenderKeyDistribution(distribution);
  const next = acceptSenderKeyDistribution(held ? decodeSenderKeyState(held) : undefined, d);
  return encodeSenderKeyState(next);
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
