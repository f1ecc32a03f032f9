/**
 * `multi_send`: one sealed payload for many devices of many users (a group message), split by
 * the relay into their mailboxes (spec/relay.md §7.8). Each device's envelope is
 * `version ‖ 0x04 ‖ header ‖ payload` — the relay only concatenates, and stores the payload
 * once for the whole fan-out. Authorised per recipient user by its delivery token, like
 * `sealed_send`, and charged like it to the connection and its address (never to a sender);
 * the fan-out itself is charged per recipient device to the address. Every stored row commits
 * in one transaction before `sent` answers, with one result per device in flattened order.
 *
 * Fairness: the per-recipient work (account reads, token hashes) yields to the event loop every
 * FAN_OUT_SLICE recipients, so a maximal fan-out does not hold up other connections' frames.
 */

import { multiEnvelopePrefix, multiMessageId, RelayErrorCode } from "@parley/protocol/wire";
import { RelayError } from "../relay-error.js";
import type { AccountRecord } from "../store/store.js";
import { type Handler, hex } from "./common.js";
import { deliverMessages, type Outgoing, sealedCharge, tokenAllows } from "./mailbox.js";

/** Recipient users checked back to back before yielding to the event loop. */
const FAN_OUT_SLICE = 100;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export const handleMultiSend: Handler<"multi_send"> = async (ctx, conn, frame) => {
  let deviceCount = 0;
  const users = new Set<string>();
  for (const recipient of frame.recipients) {
    const userHex = hex(recipient.userId);
    if (users.has(userHex)) throw new RelayError(RelayErrorCode.BadRequest, "a recipient user is listed twice");
    users.add(userHex);
    const devices = new Set<number>();
    for (const device of recipient.devices) {
      if (devices.has(device.deviceId)) throw new RelayError(RelayErrorCode.BadRequest, "a recipient device is listed twice");
      devices.add(device.deviceId);
    }
    deviceCount += recipient.devices.length;
  }
  if (deviceCount > ctx.limits.maxMultiSendDevices) {
    throw new RelayError(RelayErrorCode.TooManyRecipients, `multi_send takes at most ${ctx.limits.maxMultiSendDevices} devices`);
  }
  // The whole fan-out is charged before any work per recipient, token checks included.
  if (!ctx.fanOutBuckets.take(`a:${conn.addressKey}`, deviceCount)) {
    ctx.metrics.rateLimited.inc({ scope: "fan_out" });
    throw new RelayError(RelayErrorCode.RateLimited, "too many fan-out devices from this address; retry later");
  }

  // Results in flattened order; TOKEN_INVALID filled in here, the rest by delivery.
  const results: string[] = new Array(deviceCount);
  const accounts = new Map<string, AccountRecord>();
  const outgoing: Outgoing[] = [];
  const outgoingIndex: number[] = [];
  const payloadHash = ctx.deps.crypto.sha256(frame.payload);
  const shared = { bytes: frame.payload };
  let index = 0;
  for (let r = 0; r < frame.recipients.length; r++) {
    if (r > 0 && r % FAN_OUT_SLICE === 0) await yieldToEventLoop();
    const recipient = frame.recipients[r] as (typeof frame.recipients)[number];
    const account = await ctx.store.getAccount(recipient.userId);
    // Unknown users and bad tokens answer alike, as for sealed_send.
    if (!tokenAllows(ctx, account, recipient.token) || !account) {
      for (let d = 0; d < recipient.devices.length; d++) results[index++] = RelayErrorCode.TokenInvalid;
      continue;
    }
    accounts.set(hex(recipient.userId), account);
    for (const device of recipient.devices) {
      outgoingIndex.push(index++);
      outgoing.push({
        userId: recipient.userId,
        deviceId: device.deviceId,
        messageId: device.messageId ?? multiMessageId(ctx.deps.crypto, payloadHash, recipient.userId, device.deviceId, device.header),
        envelope: multiEnvelopePrefix(device.header),
        shared,
      });
    }
  }
  if (outgoing.length === 0) return { t: "sent", id: frame.id, results };
  // An accepted sealed send keeps an anonymous connection past the login deadline.
  conn.anonymousActivity = true;
  ctx.metrics.fanOutDevices.observe(outgoing.length);
  const delivered = deliverMessages(ctx, outgoing, frame.ephemeral === true, sealedCharge(ctx, conn), (userHex) => accounts.get(userHex));
  const merge = (deliveredResults: readonly string[]) => {
    deliveredResults.forEach((result, i) => {
      results[outgoingIndex[i] as number] = result;
    });
    return { t: "sent" as const, id: frame.id, results };
  };
  return Array.isArray(delivered) ? merge(delivered) : { deferred: delivered.then(merge) };
};
