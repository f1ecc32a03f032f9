/**
 * Mailbox handlers: `send` (authenticated), `sealed_send` (delivery token, any connection) and
 * `ack`. Stored sends are answered only after their group commit; ephemeral ones go to a live
 * connection or nowhere. Per-recipient rate limits apply to both kinds of send.
 */

import { RelayErrorCode, SendResult, type ServerFrame } from "@parley/protocol/wire";
import type { RelayContext } from "../context.js";
import { mailboxKey } from "../delivery/live-devices.js";
import { RelayError } from "../relay-error.js";
import type { EnqueueOutcome, NewMessage } from "../store/store.js";
import { type Deferred, type Handler, hashToken, hex, requireDevice, sameHash } from "./common.js";

interface Outgoing {
  readonly userId: Uint8Array;
  readonly deviceId: number;
  readonly messageId: Uint8Array;
  readonly envelope: Uint8Array;
}

const OUTCOME: Record<EnqueueOutcome, string> = {
  ok: SendResult.Ok,
  duplicate: SendResult.Duplicate,
  queue_full: RelayErrorCode.QueueFull,
  no_mailbox: RelayErrorCode.NotFound,
};

/** `send` from an authenticated device. */
export const handleSend: Handler<"send"> = async (ctx, conn, frame) => {
  requireDevice(conn);
  return deliver(ctx, frame.id, frame.messages, frame.ephemeral === true);
};

/** `sealed_send`: authorised by the recipient user's delivery token (or its open setting), never by who sends. */
export const handleSealedSend: Handler<"sealed_send"> = async (ctx, _conn, frame) => {
  const account = await ctx.store.getAccount(frame.userId);
  // Unknown users and bad tokens answer alike, so the sealed path does not reveal who exists.
  const allowed =
    account !== undefined &&
    (account.sealedOpen ||
      (frame.token !== undefined && account.tokenHash !== undefined && sameHash(hashToken(ctx, frame.token), account.tokenHash)));
  if (!allowed) throw new RelayError(RelayErrorCode.TokenInvalid, "no valid delivery token for this recipient");
  const messages = frame.messages.map((m) => ({ ...m, userId: frame.userId }));
  return deliver(ctx, frame.id, messages, frame.ephemeral === true);
};

/** `ack`: deletes the device's own acknowledged messages (ids remembered for dedupe). */
export const handleAck: Handler<"ack"> = async (ctx, conn, frame) => {
  const mailbox = requireDevice(conn);
  // Acks of one turn share a transaction; the answer waits for it but the next frame does not.
  const deferred = ctx.acks.submit([{ mailbox, messageIds: frame.messageIds }]).then(([deleted]): ServerFrame => {
    ctx.metrics.acked.inc(deleted ?? 0);
    conn.pump?.acked(frame.messageIds);
    return { t: "ok", id: frame.id };
  });
  return { deferred };
};

function deliver(ctx: RelayContext, id: number, messages: readonly Outgoing[], ephemeral: boolean): ServerFrame | Deferred {
  const results: string[] = new Array(messages.length);
  const accepted: { index: number; message: Outgoing }[] = [];
  messages.forEach((message, index) => {
    if (ctx.recipientBuckets.take(hex(message.userId))) accepted.push({ index, message });
    else {
      ctx.metrics.rateLimited.inc({ scope: "recipient" });
      results[index] = RelayErrorCode.RateLimited;
    }
  });
  if (ephemeral) {
    for (const { index, message } of accepted) {
      const live = ctx.live.get(mailboxKey(message));
      live?.send({ t: "ephemeral", envelope: message.envelope });
      results[index] = live ? SendResult.Ok : SendResult.Offline;
      ctx.metrics.ephemeral.inc({ outcome: live ? "delivered" : "offline" });
    }
    return { t: "sent", id, results };
  }
  if (accepted.length === 0) return { t: "sent", id, results };
  const now = ctx.now();
  const batch: NewMessage[] = accepted.map(({ message }) => ({
    userId: message.userId,
    deviceId: message.deviceId,
    messageId: message.messageId,
    envelope: message.envelope,
    receivedAt: now,
    expiresAt: now + ctx.limits.messageLifetimeMs,
  }));
  const deferred = ctx.commits.submit(batch).then((outcomes): ServerFrame => {
    outcomes.forEach((outcome, i) => {
      results[(accepted[i] as { index: number }).index] = OUTCOME[outcome];
    });
    return { t: "sent", id, results };
  });
  return { deferred };
}
