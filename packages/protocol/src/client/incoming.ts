/**
 * Receiving: envelope → sender → session → content → conversation, committed to the store in
 * one batch (new session state, consumed prekeys, the message or its effect, the de-duplication
 * mark), and only then acknowledged to the relay. A message that cannot be decrypted is
 * acknowledged too (it never will be). If its envelope opened — so its sender is authenticated
 * (spec/sealed-envelope.md) — and that sender is a contact, the session with that device is
 * repaired under a persisted limit (repair-limit.ts), with a notice on both sides; an envelope
 * that does not open is only reported on `error`: nothing is done on an unauthenticated claim.
 */

import { type Content, decodeContent, isEphemeral } from "../content/content.js";
import { bytesToHex as hex } from "../crypto/bytes.js";
import { decryptFromSender, type OpenedEnvelope, openEnvelope } from "../envelope/sealed.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { decodeDeviceCertificate } from "../keys/device-certificate.js";
import { type Address, deriveUserId } from "../keys/identity.js";
import type { SessionRecord } from "../session/record.js";
import type { MessageFrame } from "../wire/frames.js";
import { senderLocks } from "./contact-identity.js";
import type { ClientContext } from "./context.js";
import { applyDelete, applyEdit, applyReaction, applyStatus, type ChatMessage } from "./conversation.js";
import { listedOwnDevice, listedSender, ownDevicesChanged } from "./device-lists.js";
import { releaseAwaitingTokens } from "./groups/awaiting-token.js";
import { applyGroupPairwise, isGroupPairwise, receiveGroupMessage } from "./groups/receive.js";
import { newContent, sendContent } from "./outgoing.js";
import { applyPresence } from "./presence.js";
import { type Contact, encodeRecord, NS } from "./records.js";
import { mayRepair, rearmWrite, repairWrite } from "./repair-limit.js";
import type { StoreWrite } from "./store/store.js";

/** Work to do after the batch is committed and the lock released. */
export type FollowUp = () => Promise<void>;

/** What receiving one envelope produced: writes for one batch, events to emit and work to run after the commit. */
export interface Applied {
  writes: StoreWrite[];
  events: Array<() => void>;
  followUps: FollowUp[];
}

/** Processes one stored message from the relay; resolves once it is committed and acknowledged. */
export async function receiveMessage(ctx: ClientContext, frame: MessageFrame): Promise<void> {
  const applied = await receiveEnvelope(ctx, frame.envelope, false);
  // Acknowledged only now that it is stored; a lost ack means the relay sends it again and the
  // de-duplication marks drop the copy.
  ctx.spawn(() => ctx.connection.request({ t: "ack", messageIds: [frame.messageId] }).catch(() => undefined));
  for (const emit of applied.events) emit();
  for (const followUp of applied.followUps) ctx.spawn(followUp);
}

/** Processes an ephemeral frame (typing, presence): nothing is stored but the session state. */
export async function receiveEphemeral(ctx: ClientContext, envelope: Uint8Array): Promise<void> {
  const applied = await receiveEnvelope(ctx, envelope, true);
  for (const emit of applied.events) emit();
}

async function receiveEnvelope(ctx: ClientContext, envelope: Uint8Array, ephemeral: boolean): Promise<Applied> {
  const applied: Applied = { writes: [], events: [], followUps: [] };
  let opened: OpenedEnvelope;
  try {
    // Authenticates the sender (VAL-041…VAL-046); nothing below runs for an envelope that fails.
    opened = openEnvelope(ctx.deps, ctx.local.device.identityKey, envelope);
  } catch (error) {
    applied.events.push(() =>
      ctx.emit("error", new ParleyError(ErrorCode.DecryptFailed, "received an envelope that does not open", { cause: error })),
    );
    return applied;
  }
  const sender = opened.sender;
  // A multi-recipient envelope carries a group message (sender keys), not a session message.
  if (opened.multi) {
    await receiveGroupMessage(ctx, opened, ephemeral, applied);
    return applied;
  }
  await ctx.lock.runAll(senderLocks(sender), async () => {
    const record = await ctx.loadRecord(sender);
    let result: ReturnType<typeof decryptFromSender>;
    try {
      result = decryptFromSender(ctx.deps, ctx.local.device, opened, record, ctx.local.preKeys.lookup);
    } catch (error) {
      if (ParleyError.is(error, ErrorCode.DuplicateMessage)) {
        applied.events.push(() => ctx.emit("duplicate", { userId: hex(sender.userId), deviceId: sender.deviceId, reason: "session" }));
        return;
      }
      await undecryptable(ctx, sender, error, record, applied, ephemeral);
      return;
    }
    applied.writes.push(ctx.recordWrite(sender, result.record), ...ctx.local.preKeys.consume(result.consumedPreKeys));
    const rearm = (await ctx.pendingRepairs.has(sender)) ? await rearmWrite(ctx.store, sender, result.baseKey) : undefined;
    if (rearm) {
      applied.writes.push(rearm);
      applied.events.push(() => void ctx.pendingRepairs.rearmed(sender));
    }
    if (result.lostMessages > 0) {
      const lost = { userId: hex(sender.userId), deviceId: sender.deviceId, count: result.lostMessages };
      applied.events.push(() => ctx.emit("messageLost", lost));
    }
    // The envelope's certificate is authenticated (it opened layer 2), whatever the message type.
    const certificate = opened.senderDevice.encoded;
    let content: Content | undefined;
    try {
      content = decodeContent(result.plaintext);
    } catch (error) {
      applied.events.push(() => ctx.emit("error", asError(error)));
    }
    if (content && (!ephemeral || isEphemeral(content))) {
      await applyContent(ctx, sender, certificate, content, applied);
    }
    await ctx.store.batch(applied.writes);
  });
  return applied;
}

/**
 * The contact a sender belongs to, created on first contact (pinned to the certificate's account
 * key), with the sender's device checked against the account's newest device list (throws
 * ERR_DEVICE_REMOVED). Undefined for an unknown user without a certificate.
 */
export async function senderContact(
  ctx: ClientContext,
  sender: Address,
  certificate: Uint8Array | undefined,
  applied: Applied,
): Promise<Contact | undefined> {
  const userHex = hex(sender.userId);
  const mapped = await ctx.contactByUser(userHex);
  // A mapping left from an account the contact no longer has is not this sender's contact.
  const known = mapped && hex(mapped.userId) === userHex ? mapped : undefined;
  if (known?.deviceIds.includes(sender.deviceId)) return known;
  let base = known;
  if (!base) {
    if (!certificate) return undefined;
    const cert = decodeDeviceCertificate(certificate);
    // Keyed by the user id, unless a contact that moved to another account already has that id.
    const id = (await ctx.contact(userHex)) ? `${userHex}-${hex(ctx.deps.crypto.randomBytes(4))}` : userHex;
    base = {
      id,
      userId: sender.userId,
      accountKey: cert.accountKey,
      deviceIds: [],
      deviceListSequence: 0,
      verified: false,
      profileSent: false,
    };
  }
  const contact = await listedSender(ctx, base, sender.deviceId, !known);
  applied.writes.push(...ctx.contactWrites(contact));
  applied.events.push(() => ctx.emit("contact", contact));
  return contact;
}

async function applyContent(
  ctx: ClientContext,
  sender: Address,
  certificate: Uint8Array | undefined,
  content: Content,
  applied: Applied,
): Promise<void> {
  const senderHex = hex(sender.userId);
  let contact: Contact | undefined;
  try {
    if (senderHex === ctx.me) {
      const write = await listedOwnDevice(ctx, sender.deviceId);
      if (write) {
        applied.writes.push(write);
        applied.events.push(() => ownDevicesChanged(ctx));
      }
    } else {
      contact = await senderContact(ctx, sender, certificate, applied);
      if (!contact) return;
    }
  } catch (error) {
    if (!ParleyError.is(error, ErrorCode.DeviceRemoved)) throw error;
    // Refused: nothing from this message is kept, not even the session step.
    applied.writes.length = 0;
    applied.events.push(() => ctx.emit("error", error));
    return;
  }
  const seenKey = `${senderHex}/${hex(content.id)}`;
  if (!isEphemeral(content)) {
    if (await ctx.store.get(NS.seen, seenKey)) {
      applied.events.push(() => ctx.emit("duplicate", { userId: senderHex, deviceId: sender.deviceId, reason: "content" }));
      return;
    }
    applied.writes.push({ namespace: NS.seen, key: seenKey, value: encodeRecord(ctx.now()) });
  }
  if (!contact) {
    // Group keys, changes and snapshots our other devices send to us (not copies of a conversation).
    if (isGroupPairwise(content)) await applyGroupPairwise(ctx, sender, content, false, applied);
    if (content.kind === "sync") await applySync(ctx, sender, content.peer, content.peerAccountKey, content.content, applied);
    // The account's profile from our primary device: a replaced delivery token reaches us here.
    // The primary itself makes the token and takes it from no one.
    if (content.kind === "profile" && !ctx.local.account) {
      applied.writes.push(ctx.local.update({ displayName: content.displayName, deliveryToken: content.deliveryToken }));
      applied.events.push(() => ctx.emit("profile", { displayName: content.displayName }));
    }
    return;
  }
  await applyFrom(ctx, contact, senderHex, sender.deviceId, content, false, applied);
}

/** A copy of something we sent from another of our devices. */
async function applySync(
  ctx: ClientContext,
  sender: Address,
  peer: Uint8Array,
  peerAccountKey: Uint8Array,
  content: Content,
  applied: Applied,
): Promise<void> {
  let contact = await ctx.contactByUser(hex(peer));
  if (!contact) {
    // A conversation this device has not seen yet: pin the peer to the account key our other
    // device vouches for, after checking it is the key the user id derives from.
    if (hex(deriveUserId(ctx.deps, peerAccountKey)) !== hex(peer)) return;
    const created: Contact = {
      id: hex(peer),
      userId: peer,
      accountKey: peerAccountKey,
      deviceIds: [],
      deviceListSequence: 0,
      verified: false,
      profileSent: false,
    };
    applied.writes.push(...ctx.contactWrites(created));
    applied.events.push(() => ctx.emit("contact", created));
    contact = created;
  }
  if (content.kind === "profile") {
    // Our own profile, which another of our devices sent to this peer: nothing about the peer.
    if (!contact.profileSent) applied.writes.push(...ctx.contactWrites({ ...contact, profileSent: true }));
    return;
  }
  await applyFrom(ctx, contact, ctx.me, sender.deviceId, content, true, applied);
}

async function applyFrom(
  ctx: ClientContext,
  contact: Contact,
  actor: string,
  actorDevice: number,
  content: Content,
  outgoing: boolean,
  applied: Applied,
): Promise<void> {
  const id = hex(content.id);
  const base = {
    id,
    contactId: contact.id,
    sender: actor,
    senderDevice: actorDevice,
    outgoing,
    sentAt: content.sentAt,
    receivedAt: ctx.arrivalTime(),
    deleted: false,
    reactions: {},
  };
  const status = outgoing ? ("sent" as const) : ("received" as const);
  const add = (message: ChatMessage) => {
    applied.writes.push(...ctx.newMessageWrites(message));
    applied.events.push(() => ctx.emit("message", message));
    if (!outgoing) applied.followUps.push(() => sendReceipt(ctx, contact.id, "delivered", [content.id]));
  };
  const update = async (target: Uint8Array, change: (m: ChatMessage) => ChatMessage) => {
    const found = await ctx.message(contact.id, hex(target));
    if (!found) return;
    const next = change(found.message);
    if (next === found.message) return;
    applied.writes.push(ctx.updateMessageWrite(found.key, next));
    applied.events.push(() => ctx.emit("messageUpdated", next));
  };
  switch (content.kind) {
    case "text":
      add({ ...base, kind: "text", text: content.text, status });
      break;
    case "reply":
      add({ ...base, kind: "text", text: content.text, replyTo: hex(content.target), status });
      break;
    case "attachment": {
      const { kind: _kind, caption, id: _id, sentAt: _sentAt, ...attachment } = content;
      add({ ...base, kind: "attachment", text: caption, attachment, status });
      break;
    }
    case "edit":
      await update(content.target, (m) => applyEdit(m, actor, content.text, content.sentAt));
      break;
    case "delete":
      await update(content.target, (m) => applyDelete(m, actor));
      break;
    case "reaction":
      await update(content.target, (m) => applyReaction(m, actor, content.emoji, content.remove));
      break;
    case "receipt":
      for (const target of content.targets) {
        // Their receipt moves our outgoing message on; our own synced read receipt marks theirs read.
        await update(target, (m) => (m.outgoing !== outgoing ? applyStatus(m, content.receipt) : m));
      }
      break;
    case "typing":
      if (!outgoing) applied.events.push(() => ctx.emit("typing", { contactId: contact.id, typing: content.typing }));
      break;
    case "presence":
      if (!outgoing) applyPresence(ctx, contact, content, applied);
      break;
    case "profile": {
      if (outgoing) break; // Never our own profile applied to the peer.
      const next = { ...contact, displayName: content.displayName, deliveryToken: content.deliveryToken };
      applied.writes.push(...ctx.contactWrites(next));
      applied.events.push(() => ctx.emit("contact", next));
      // Group sends that waited for this member's token go now (groups/awaiting-token.ts).
      applied.followUps.push(() => releaseAwaitingTokens(ctx));
      break;
    }
    case "sessionReset":
      add(notice(ctx, contact, actor, "The secure session was reset. Messages sent while it was broken may be missing."));
      break;
    case "senderKey":
    case "group":
    case "groupChange":
    case "groupSnapshot":
      await applyGroupPairwise(
        ctx,
        { userId: outgoing ? ctx.local.userId : contact.userId, deviceId: actorDevice },
        content,
        outgoing,
        applied,
      );
      break;
    case "callSignal": {
      // Handed to the calls module once committed (calls/receive.ts); nothing is stored for a signal.
      const signal = {
        contactId: contact.id,
        peer: hex(contact.userId),
        senderDevice: actorDevice,
        fromOwnDevice: outgoing,
        callId: hex(content.callId),
        type: content.signal,
        payload: content.payload,
        sentAt: content.sentAt,
      };
      applied.events.push(() => ctx.onCallSignal?.(signal));
      break;
    }
    default:
      // Syncs from others (only our own devices send them) mean nothing.
      break;
  }
}

/** Sends a delivered or read receipt to the contact. */
export async function sendReceipt(
  ctx: ClientContext,
  contactId: string,
  receipt: "delivered" | "read",
  targets: Uint8Array[],
): Promise<void> {
  const contact = await ctx.contact(contactId);
  if (!contact || contact.pendingIdentity || targets.length === 0) return;
  await sendContent(ctx, contact, newContent(ctx, { kind: "receipt", receipt, targets }));
}

/** A line the client adds to a conversation itself (`conversationId`: a contact id or a group conversation id). */
export function notice(ctx: ClientContext, contact: Pick<Contact, "id">, actor: string, text: string): ChatMessage {
  return {
    id: hex(ctx.deps.crypto.randomBytes(16)),
    contactId: contact.id,
    sender: actor,
    senderDevice: 0,
    outgoing: false,
    kind: "notice",
    text,
    sentAt: ctx.now(),
    receivedAt: ctx.arrivalTime(),
    deleted: false,
    reactions: {},
    status: "received",
  };
}

/**
 * A message from an authenticated sender that cannot be decrypted: report it, and repair the
 * session if the sender is a contact and the persisted limit allows (spec/client.md §4).
 */
async function undecryptable(
  ctx: ClientContext,
  sender: Address,
  error: unknown,
  record: SessionRecord | undefined,
  applied: Applied,
  ephemeral: boolean,
): Promise<void> {
  applied.events.push(() => ctx.emit("error", asError(error)));
  if (ephemeral || ParleyError.is(error, ErrorCode.SenderMismatch) || ParleyError.is(error, ErrorCode.InvalidEncoding)) return;
  const contact = await ctx.contactByUser(hex(sender.userId));
  if (!contact) return; // Nobody we know: nothing to repair.
  if (!(await mayRepair(ctx.store, sender, ctx.now()))) return;
  const message = notice(
    ctx,
    contact,
    hex(sender.userId),
    "A message could not be decrypted. A new secure session has been set up; ask them to resend if something is missing.",
  );
  applied.writes.push(...ctx.newMessageWrites(message), repairWrite(sender, ctx.now(), record));
  if (record) applied.writes.push(ctx.recordWrite(sender, record.archiveCurrent()));
  await ctx.store.batch(applied.writes);
  applied.writes = [];
  await ctx.pendingRepairs.added(sender);
  applied.events.push(() => ctx.emit("message", message));
  applied.followUps.push(() => sendContent(ctx, contact, newContent(ctx, { kind: "sessionReset" }), { onlyDevice: sender.deviceId }));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
