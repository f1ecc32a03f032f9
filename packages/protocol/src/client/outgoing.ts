/**
 * Sending: content → a sealed envelope for every device of the recipient and of our own other
 * devices (sync copies), sessions set up from prekey bundles where missing, all persisted to the
 * outbox in one atomic batch with the advanced sessions, then delivered with retries. Sends are
 * idempotent at the relay through per-envelope message ids, so a retry after a lost answer
 * never delivers twice.
 */

import { type Content, type ContentBody, encodeContent } from "../content/content.js";
import { bytesToHex as hex } from "../crypto/bytes.js";
import { encryptSealed } from "../envelope/sealed.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { type Address, addressKey } from "../keys/identity.js";
import { initiateSession, type SessionRecord } from "../session/record.js";
import type { BundlesFrame, SentFrame } from "../wire/frames.js";
import { backoffDelay } from "./backoff.js";
import type { ClientContext } from "./context.js";
import type { ChatMessage } from "./conversation.js";
import { type Delivery, reportTokenRefused } from "./delivery-token.js";
import { learnDevices, verifyNewerList } from "./device-lists.js";
import { deliverMulti } from "./groups/delivery.js";
import { settleRefusedMembers } from "./groups/token-refused.js";
import { type Contact, decodeRecord, encodeRecord, NS, type OutboxEntry } from "./records.js";
import type { StoreWrite } from "./store/store.js";

/** Options of one send. */
export interface SendOptions {
  /** Typing/presence: sent now if connected, never queued, no sync copy. */
  readonly ephemeral?: boolean;
  /** Only this device of the contact (session resets). */
  readonly onlyDevice?: number;
  /** The conversation message this send delivers (its status becomes `sent`). */
  readonly messageRef?: { contactId: string; id: string };
  /** Extra writes to commit in the same batch (e.g. the new message itself). */
  readonly writes?: StoreWrite[];
  /**
   * More writes, computed under the session locks right before the batch: for read-modify-write
   * of a record that other paths also update (a message's status), so no update is lost.
   */
  readonly commitWrites?: () => Promise<StoreWrite[]>;
  /** No sync copy to our other devices (group sender keys: each device gets its own). */
  readonly noSync?: boolean;
}

/**
 * Before the first non-ephemeral content to a contact, our profile (display name and delivery
 * token) goes first, so from their next message on they can write to us sealed and anonymously.
 */
async function ensureProfileSent(ctx: ClientContext, contact: Contact, content: Content, options: SendOptions): Promise<Contact> {
  if (options.ephemeral || content.kind === "profile" || contact.profileSent || hex(contact.userId) === ctx.me) return contact;
  const latest = (await ctx.contact(contact.id)) ?? contact;
  if (latest.profileSent || hex(latest.userId) !== hex(contact.userId)) return latest;
  const identity = ctx.local.identity;
  const updated: Contact = { ...latest, profileSent: true };
  await sendContent(
    ctx,
    latest,
    newContent(ctx, { kind: "profile", displayName: identity.displayName, deliveryToken: identity.deliveryToken }),
    {
      writes: ctx.contactWrites(updated),
    },
  );
  return updated;
}

/** Encrypts `content` for the contact (and our other devices) and queues or sends it. */
export async function sendContent(ctx: ClientContext, recipient: Contact, content: Content, options: SendOptions = {}): Promise<void> {
  if (recipient.pendingIdentity) {
    throw new ParleyError(ErrorCode.UntrustedIdentity, "this contact's identity changed: accept it before sending");
  }
  const known =
    recipient.deviceIds.length === 0 && !options.ephemeral && options.onlyDevice === undefined && hex(recipient.userId) !== ctx.me
      ? await learnDevices(ctx, recipient)
      : recipient;
  const contact = await ensureProfileSent(ctx, known, content, options);
  // Content for our own account (not a copy of a conversation) goes to our other devices alone.
  const toSelf = hex(contact.userId) === ctx.me;
  const peerDevices = options.onlyDevice !== undefined ? [options.onlyDevice] : toSelf ? ownOtherDevices(ctx) : contact.deviceIds;
  const ownDevices = !toSelf && !options.ephemeral && !options.noSync && options.onlyDevice === undefined ? ownOtherDevices(ctx) : [];
  const self = selfContact(ctx);
  const keys = [
    ...peerDevices.map((deviceId) => addressKey({ userId: contact.userId, deviceId })),
    ...ownDevices.map((deviceId) => addressKey({ userId: self.userId, deviceId })),
  ];
  // The locks cover load → encrypt → commit: a second send must see the first one's session.
  const entries = await ctx.lock.runAll(keys, async () => {
    const writes: StoreWrite[] = [...(options.writes ?? [])];
    const out: OutboxEntry[] = [];
    const peer = await encryptFor(ctx, contact, peerDevices, encodeContent(content), writes);
    if (peer.length > 0) out.push(outboxEntry(ctx, contact.userId, contact.deliveryToken, peer, options.messageRef));
    if (ownDevices.length > 0) {
      const copy: Content = {
        kind: "sync",
        id: ctx.deps.crypto.randomBytes(16),
        sentAt: content.sentAt,
        peer: contact.userId,
        peerAccountKey: contact.accountKey,
        content,
      };
      const mine = await encryptFor(ctx, self, ownDevices, encodeContent(copy), writes);
      if (mine.length > 0) out.push(outboxEntry(ctx, self.userId, self.deliveryToken, mine));
    }
    if (!options.ephemeral) for (const entry of out) writes.push({ namespace: NS.outbox, key: entry.key, value: encodeRecord(entry) });
    if (options.commitWrites) writes.push(...(await options.commitWrites()));
    await ctx.store.batch(writes);
    return out;
  });
  if (options.ephemeral) {
    for (const entry of entries) {
      ctx.spawn(() =>
        deliver(ctx, entry, true).then(
          (delivery) => reportTokenRefused(ctx, entry, delivery),
          () => undefined,
        ),
      );
    }
    return;
  }
  ctx.spawn(() => flushOutbox(ctx));
}

/**
 * Sends `content` to our own other devices only, as content of its own (not a `sync` copy): it
 * is about the account itself, e.g. a replaced delivery token.
 */
export async function sendToOwnDevices(ctx: ClientContext, content: Content): Promise<void> {
  await sendContent(ctx, selfContact(ctx), content);
}

function outboxEntry(
  ctx: ClientContext,
  userId: Uint8Array,
  token: Uint8Array | undefined,
  messages: OutboxEntry["messages"],
  messageRef?: { contactId: string; id: string },
): OutboxEntry {
  const key = newOutboxKey(ctx);
  return {
    key,
    userId,
    messages,
    createdAt: ctx.now(),
    ...(token ? { token } : {}),
    ...(messageRef ? { messageRef } : {}),
  };
}

/** A new outbox key: keys sort by creation time, then a per-process counter, so delivery keeps send order. */
export function newOutboxKey(ctx: ClientContext): string {
  return `${String(ctx.now()).padStart(15, "0")}-${String(ctx.outboxSeq++ % 1e6).padStart(6, "0")}`;
}

function ownOtherDevices(ctx: ClientContext): number[] {
  return ctx.local.deviceIds.filter((id) => id !== ctx.local.device.deviceId);
}

/** Ourselves as a contact, to reuse the session machinery for our other devices. */
function selfContact(ctx: ClientContext): Contact {
  const ids = ctx.local.deviceIds;
  return {
    id: ctx.me,
    userId: ctx.local.userId,
    accountKey: ctx.local.accountPublicKey,
    deviceIds: ids,
    deviceListSequence: ctx.local.identity.deviceListSequence,
    deliveryToken: ctx.local.identity.deliveryToken,
    verified: true,
    profileSent: true,
  };
}

/**
 * Encrypts `plaintext` for each device, setting up sessions from bundles where missing. The
 * caller holds the devices' locks and commits `writes` before releasing them.
 */
async function encryptFor(
  ctx: ClientContext,
  contact: Contact,
  deviceIds: readonly number[],
  plaintext: Uint8Array,
  writes: StoreWrite[],
): Promise<OutboxEntry["messages"]> {
  const out: { deviceId: number; messageId: Uint8Array; envelope: Uint8Array }[] = [];
  for (const deviceId of deviceIds) {
    const address = { userId: contact.userId, deviceId };
    let record = await ctx.loadRecord(address);
    if (!record?.current) {
      const fresh = await startSession(ctx, contact, address, record);
      if (!fresh) continue; // The device no longer exists.
      record = fresh;
    }
    const { record: next, envelope } = encryptSealed(ctx.deps, ctx.local.device, record, plaintext);
    writes.push(ctx.recordWrite(address, next));
    out.push({ deviceId, messageId: ctx.deps.crypto.randomBytes(16), envelope });
  }
  return out;
}

/** Fetches the device's bundle and starts a session; undefined when the relay has no such device. */
async function startSession(
  ctx: ClientContext,
  contact: Contact,
  address: Address,
  record: SessionRecord | undefined,
): Promise<SessionRecord | undefined> {
  let answer: BundlesFrame;
  try {
    answer = (await ctx.connection.request({ t: "fetch_bundles", userId: address.userId, deviceId: address.deviceId })) as BundlesFrame;
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.Relay) && error.reason === "NOT_FOUND") return undefined;
    throw error;
  }
  // VAL-050: never an older list than we have seen; and only devices the list names.
  const list = verifyNewerList(ctx, answer.deviceList, contact.accountKey, contact.deviceListSequence);
  if (!list.deviceIds.includes(address.deviceId)) return undefined;
  const bundle = answer.bundles.find((b) => b.deviceId === address.deviceId);
  if (!bundle) return undefined;
  return initiateSession(
    ctx.deps,
    ctx.local.device,
    record,
    {
      deviceCertificate: bundle.certificate,
      signedPreKey: bundle.signedPreKey,
      oneTimePreKey: bundle.oneTimePreKey,
      kemPreKey: bundle.kemPreKey,
    },
    { accountKey: contact.accountKey, deviceId: address.deviceId },
  ).record;
}

/** Sends one outbox entry: sealed with the contact's token when we hold one, else authenticated. */
export async function deliver(ctx: ClientContext, entry: OutboxEntry, ephemeral = false): Promise<Delivery> {
  if (entry.multi) return deliverMulti(ctx, entry.multi, ephemeral);
  if (entry.token) {
    const request = {
      t: "sealed_send" as const,
      userId: entry.userId,
      token: entry.token,
      messages: entry.messages,
      ...(ephemeral ? { ephemeral } : {}),
    };
    try {
      const answer = (await ctx.anonymous().request(request)) as SentFrame;
      return { done: !needsRetry(answer), unsealed: false, tokenRefused: false, withheld: false };
    } catch (error) {
      if (!(ParleyError.is(error, ErrorCode.Relay) && error.reason === "TOKEN_INVALID")) throw error;
      // A stale token or a relay forcing a downgrade: the app's policy decides, never silence.
      if (ctx.unsealedFallback === "never") return { done: true, unsealed: false, tokenRefused: true, withheld: true };
      return { done: await sendAuthenticated(ctx, entry, ephemeral), unsealed: true, tokenRefused: true, withheld: false };
    }
  }
  return { done: await sendAuthenticated(ctx, entry, ephemeral), unsealed: true, tokenRefused: false, withheld: false };
}

/** An authenticated `send` (names this device to the relay); true when nothing needs a retry. */
async function sendAuthenticated(ctx: ClientContext, entry: OutboxEntry, ephemeral: boolean): Promise<boolean> {
  const messages = entry.messages.map((m) => ({ userId: entry.userId, ...m }));
  const answer = (await ctx.connection.request({ t: "send", messages, ...(ephemeral ? { ephemeral } : {}) })) as SentFrame;
  return !needsRetry(answer);
}

function needsRetry(answer: SentFrame): boolean {
  return answer.results.some((r) => r === "QUEUE_FULL" || r === "RATE_LIMITED" || r === "UNAVAILABLE" || r === "INTERNAL");
}

/** Delivers queued outbox entries in order; one flush at a time per client; retries with backoff. */
export function flushOutbox(ctx: ClientContext): Promise<void> {
  if (ctx.flushing) return ctx.flushing;
  if (ctx.closed) return Promise.resolve();
  const run = flushLoop(ctx).finally(() => {
    ctx.flushing = undefined;
  });
  ctx.flushing = run;
  return run;
}

async function flushLoop(ctx: ClientContext): Promise<void> {
  for (let attempt = 0; ; ) {
    const pending = await ctx.store.list(NS.outbox);
    if (pending.length === 0) return;
    let failed = false;
    for (const [key, raw] of pending) {
      const entry = decodeRecord<OutboxEntry>(raw);
      let delivery: Delivery | undefined;
      try {
        delivery = await deliver(ctx, entry);
      } catch (error) {
        if (ctx.closed || ParleyError.is(error, ErrorCode.Closed)) return;
        // Timeouts and dropped connections are expected while offline: retry quietly.
        if (!ParleyError.is(error, ErrorCode.Timeout)) ctx.emit("error", error instanceof Error ? error : new Error(String(error)));
      }
      if (!delivery?.done) {
        failed = true;
        break;
      }
      if (ctx.closed) return;
      await completeEntry(ctx, key, entry, delivery);
    }
    if (!failed) continue;
    if (ctx.closed || ctx.connection.state === "closed") return;
    await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt++, { baseMs: 250, capMs: 10_000 })));
  }
}

async function completeEntry(ctx: ClientContext, key: string, entry: OutboxEntry, delivery: Delivery): Promise<void> {
  const writes: StoreWrite[] = [{ namespace: NS.outbox, key, value: undefined }];
  let updated: ChatMessage | undefined;
  const ref = entry.messageRef;
  // Read-modify-write of the message under its recipients' session locks, which an edit,
  // delete or reaction (and an incoming receipt) also hold while they update it.
  const locks = ref ? entry.messages.map((m) => addressKey({ userId: entry.userId, deviceId: m.deviceId })) : [];
  await ctx.lock.runAll(locks, async () => {
    if (ref) {
      const found = await ctx.message(ref.contactId, ref.id);
      if (found) {
        let next = found.message;
        if (delivery.withheld) next = { ...next, status: "failed" as const };
        else {
          if (next.status === "pending") next = { ...next, status: "sent" as const };
          if (delivery.unsealed) next = { ...next, sentUnsealed: true };
        }
        if (next !== found.message) {
          updated = next;
          writes.push(ctx.updateMessageWrite(found.key, next));
        }
      }
    }
    if (delivery.withheld && hex(entry.userId) !== ctx.me) {
      // What was withheld may have been our profile: send it again before the next content.
      const contact = await ctx.contactByUser(hex(entry.userId));
      if (contact?.profileSent) writes.push(...ctx.contactWrites({ ...contact, profileSent: false }));
    }
    await ctx.store.batch(writes);
  });
  if (updated) ctx.emit("messageUpdated", updated);
  await reportTokenRefused(ctx, entry, delivery);
  // A group send some members' tokens were refused for: resent with a newer token, or failed for them.
  if (delivery.refusedMembers?.length) await settleRefusedMembers(ctx, entry, delivery.refusedMembers);
}

/** True when nothing is queued. */
export async function outboxEmpty(ctx: ClientContext): Promise<boolean> {
  return (await ctx.store.list(NS.outbox)).length === 0;
}

/** A content with a fresh id and the current time. */
export function newContent(ctx: ClientContext, body: ContentBody): Content {
  return { ...body, id: ctx.deps.crypto.randomBytes(16), sentAt: ctx.now() } as Content;
}
