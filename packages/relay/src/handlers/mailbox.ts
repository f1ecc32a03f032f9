/**
 * Mailbox handlers: `send` (authenticated), `sealed_send` (delivery token, any connection) and
 * `ack`. Stored sends are answered only after their group commit; ephemeral ones go to a live
 * connection that is keeping up, or nowhere. Limits are per sender so one cannot silence
 * another: a rate per (sender, recipient user) and a share of each mailbox's queue per sender.
 */

import { RelayErrorCode, SendResult, type ServerFrame } from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { RelayContext } from "../context.js";
import { mailboxKey } from "../delivery/live-devices.js";
import type { ShareKey } from "../delivery/sender-shares.js";
import type { KeyedBuckets } from "../rate-limit.js";
import { RelayError } from "../relay-error.js";
import type { AccountRecord, EnqueueOutcome, NewMessage, SharedPayload } from "../store/store.js";
import { type Deferred, type Handler, hashToken, hex, requireDevice, sameHash } from "./common.js";

/** One message to deliver; with `shared`, `envelope` is its per-device start and `shared` the rest. */
export interface Outgoing {
  readonly userId: Uint8Array;
  readonly deviceId: number;
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
  readonly shared?: SharedPayload | undefined;
}

const OUTCOME: Record<EnqueueOutcome, string> = {
  ok: SendResult.Ok,
  duplicate: SendResult.Duplicate,
  queue_full: RelayErrorCode.QueueFull,
  no_mailbox: RelayErrorCode.NotFound,
};

/** `send` from an authenticated device: charged to the sender's account. */
export const handleSend: Handler<"send"> = async (ctx, conn, frame) => {
  const sender = requireDevice(conn);
  const key = `u:${hex(sender.userId)}`;
  const charge: Charge = {
    rates: [{ buckets: ctx.sendBuckets, key }],
    shares: [{ key, max: ctx.limits.maxQueuedPerSender }],
  };
  const accounts = new Map<string, Recipient | undefined>();
  for (const message of frame.messages) {
    const userHex = hex(message.userId);
    if (accounts.has(userHex)) continue;
    // This sender's rate state for the user exists only if the user was found when it was made:
    // a stored send then needs no lookup (the enqueue answers NOT_FOUND for a device that is not
    // there). It saves a store read per message on the hot path of an ongoing conversation.
    if (frame.ephemeral !== true && ctx.sendBuckets.has(`${key}>${userHex}`)) accounts.set(userHex, KNOWN_USER);
    else accounts.set(userHex, await ctx.store.getAccount(message.userId));
  }
  return deliver(ctx, frame.id, frame.messages, frame.ephemeral === true, charge, (userHex) => accounts.get(userHex));
};

/**
 * `sealed_send`: authorised by the recipient user's delivery token (or its open setting), never
 * by who sends. Charged without naming the sender: to this (anonymous) connection, and to its
 * network address as a coarse cap on senders that open many connections.
 */
export const handleSealedSend: Handler<"sealed_send"> = async (ctx, conn, frame) => {
  const account = await ctx.store.getAccount(frame.userId);
  // Unknown users and bad tokens answer alike, so the sealed path does not reveal who exists.
  if (!tokenAllows(ctx, account, frame.token))
    throw new RelayError(RelayErrorCode.TokenInvalid, "no valid delivery token for this recipient");
  // An accepted sealed send keeps an anonymous connection past the login deadline.
  conn.anonymousActivity = true;
  const messages = frame.messages.map((m) => ({ ...m, userId: frame.userId }));
  return deliver(ctx, frame.id, messages, frame.ephemeral === true, sealedCharge(ctx, conn), () => account);
};

/** What a sealed send (`sealed_send`, `multi_send`) is charged to: its connection and its address, never a named sender. */
export function sealedCharge(ctx: RelayContext, conn: Connection): Charge {
  const connectionKey = `c:${conn.serial}`;
  const addressKey = `a:${conn.addressKey}`;
  return {
    rates: [
      { buckets: ctx.sendBuckets, key: connectionKey },
      { buckets: ctx.sealedAddressBuckets, key: addressKey },
    ],
    shares: [
      { key: connectionKey, max: ctx.limits.maxQueuedPerSender },
      { key: addressKey, max: ctx.limits.maxQueuedPerAddress },
    ],
  };
}

/** True when a sealed send to this account may pass: it is open, or `token` hashes to its token hash (constant time). */
export function tokenAllows(ctx: RelayContext, account: AccountRecord | undefined, token: Uint8Array | undefined): boolean {
  return (
    account !== undefined &&
    (account.sealedOpen || (token !== undefined && account.tokenHash !== undefined && sameHash(hashToken(ctx, token), account.tokenHash)))
  );
}

/** `ack`: deletes the device's own acknowledged messages (ids remembered for dedupe). */
export const handleAck: Handler<"ack"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  const key = conn.mailboxKey ?? mailboxKey(mailbox);
  // Acks of one turn share a transaction; the answer waits for it but the next frame does not.
  const deferred = ctx.acks.submit([{ mailbox, messageIds: frame.messageIds }]).then(([deleted]): ServerFrame => {
    ctx.metrics.acked.inc(deleted ?? 0);
    ctx.shares.acked(key, frame.messageIds.map(hex));
    conn.pump?.acked(frame.messageIds);
    return { t: "ok", id: frame.id };
  });
  return { deferred };
};

/** A recipient user already known to exist (its devices are checked by the enqueue). */
const KNOWN_USER = "known-user";
/** A recipient user: its account, or KNOWN_USER. */
export type Recipient = AccountRecord | typeof KNOWN_USER;

/** Who a send is charged to: rate buckets (each keyed with the recipient user) and queue shares. */
export interface Charge {
  readonly rates: readonly { readonly buckets: KeyedBuckets; readonly key: string }[];
  readonly shares: readonly ShareKey[];
}

/**
 * The checks in order, each per message: the mailbox exists (before any rate state is created
 * for it), the sender's rate to that user, then (stored sends) the sender's share of the
 * mailbox, or (ephemeral) the live connection and its send buffer.
 */
function deliver(
  ctx: RelayContext,
  id: number,
  messages: readonly Outgoing[],
  ephemeral: boolean,
  charge: Charge,
  accountOf: (userHex: string) => Recipient | undefined,
): ServerFrame | Deferred {
  const results = deliverMessages(ctx, messages, ephemeral, charge, accountOf);
  if (Array.isArray(results)) return { t: "sent", id, results };
  return { deferred: results.then((r): ServerFrame => ({ t: "sent", id, results: r })) };
}

/**
 * `deliver`'s work without the answer frame: the results, at once when nothing needs a commit,
 * else once the commit is durable (every stored message of the call in one transaction).
 */
export function deliverMessages(
  ctx: RelayContext,
  messages: readonly Outgoing[],
  ephemeral: boolean,
  charge: Charge,
  accountOf: (userHex: string) => Recipient | undefined,
): string[] | Promise<string[]> {
  const results: string[] = new Array(messages.length);
  const admitted: Admitted[] = [];
  admitMessages(ctx, messages, ephemeral, charge, accountOf, results, admitted);
  return commitAdmitted(ctx, admitted, results);
}

/** A message that passed the checks and holds its shares, waiting for its commit. */
export interface Admitted {
  /** Its place in the results. */
  readonly index: number;
  readonly message: Outgoing;
  readonly mailbox: string;
  readonly shares: readonly string[];
}

/**
 * The per-message checks of `deliver`. Writes the result of every message that is refused or
 * ephemeral to `results[offset + i]` and appends the ones to store to `admitted`. Split from the
 * commit so a large fan-out can be admitted in slices, yielding between them, and still be
 * committed in one transaction.
 */
export function admitMessages(
  ctx: RelayContext,
  messages: readonly Outgoing[],
  ephemeral: boolean,
  charge: Charge,
  accountOf: (userHex: string) => Recipient | undefined,
  results: string[],
  admitted: Admitted[],
  offset = 0,
): void {
  messages.forEach((message, i) => {
    const index = offset + i;
    const userHex = hex(message.userId);
    const account = accountOf(userHex);
    if (account === undefined || (account !== KNOWN_USER && !account.deviceIds.includes(message.deviceId))) {
      results[index] = RelayErrorCode.NotFound;
      return;
    }
    if (!charge.rates.every(({ buckets, key }) => buckets.take(`${key}>${userHex}`))) {
      ctx.metrics.rateLimited.inc({ scope: "recipient" });
      results[index] = RelayErrorCode.RateLimited;
      return;
    }
    const mailbox = mailboxKey(message);
    if (ephemeral) {
      const sent = ctx.live.sendEphemeral(mailbox, message.shared ? concat(message.envelope, message.shared.bytes) : message.envelope);
      const outcome = sent === "ok" ? SendResult.Ok : sent === "offline" ? SendResult.Offline : SendResult.Dropped;
      results[index] = outcome;
      ctx.metrics.ephemeral.inc({
        outcome: outcome === SendResult.Ok ? "delivered" : outcome === SendResult.Offline ? "offline" : "dropped",
      });
      return;
    }
    const shares = ctx.shares.reserve(mailbox, charge.shares);
    if (!shares) {
      results[index] = RelayErrorCode.QueueFull;
      return;
    }
    admitted.push({ index, message, mailbox, shares });
  });
}

/**
 * Commits admitted messages — all in one transaction (the group commit of this turn) — and fills
 * in their results; answers at once when there are none. On a storage failure their shares are
 * given back and the error propagates (nothing was stored).
 */
export function commitAdmitted(ctx: RelayContext, admitted: readonly Admitted[], results: string[]): string[] | Promise<string[]> {
  if (admitted.length === 0) return results;
  const now = ctx.now();
  const expiresAt = now + ctx.limits.messageLifetimeMs;
  const batch: NewMessage[] = admitted.map(({ message }) => ({
    userId: message.userId,
    deviceId: message.deviceId,
    messageId: message.messageId,
    envelope: message.envelope,
    shared: message.shared,
    receivedAt: now,
    expiresAt,
  }));
  return ctx.commits.submit(batch).then(
    (outcomes) => {
      outcomes.forEach((outcome, i) => {
        const { index, message, mailbox, shares } = admitted[i] as Admitted;
        results[index] = OUTCOME[outcome];
        if (outcome === "ok") ctx.shares.hold(mailbox, hex(message.messageId), shares, expiresAt);
        else ctx.shares.release(shares);
      });
      return results;
    },
    (error: unknown) => {
      for (const { shares } of admitted) ctx.shares.release(shares);
      throw error;
    },
  );
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
