/**
 * `multi_send`: one sealed payload for many devices of many users (a group message), split by
 * the relay into their mailboxes (spec/relay.md §7.8). Each device's envelope is
 * `version ‖ 0x04 ‖ header ‖ payload` — the relay only concatenates, and stores the payload
 * once for the whole fan-out. Authorised per recipient user by its delivery token, like
 * `sealed_send`, and charged like it to the connection and its address (never to a sender);
 * the fan-out itself is charged per recipient device to the address. Every stored row commits
 * in one transaction before `sent` answers, with one result per device in flattened order.
 *
 * Fairness (REL-086): recipients are looked up and admitted in slices of FAN_OUT_SLICE users,
 * yielding to the event loop between slices, so a maximal fan-out does not hold up other
 * connections' frames for longer than one slice (and the one commit at the end); and the
 * handler waits for that commit, so a connection's fan-outs are committed one at a time.
 */

import { multiEnvelopePrefix, multiMessageId, RelayErrorCode } from "@parley/protocol/wire";
import { RelayError } from "../relay-error.js";
import { type Handler, hex } from "./common.js";
import { type Admitted, admitMessages, commitAdmitted, type Outgoing, sealedCharge, tokenAllows } from "./mailbox.js";

/** Recipient users looked up and admitted back to back before yielding to the event loop. */
const FAN_OUT_SLICE = 50;

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
  // An ephemeral fan-out is copied to every live device at once: only small payloads (typing).
  if (frame.ephemeral === true && frame.payload.length > ctx.limits.maxEphemeralFanOutPayloadBytes) {
    throw new RelayError(
      RelayErrorCode.BadRequest,
      `ephemeral multi_send payloads are limited to ${ctx.limits.maxEphemeralFanOutPayloadBytes} bytes`,
    );
  }
  // The whole fan-out is charged before any work per recipient, token checks included.
  if (!ctx.fanOutBuckets.take(`a:${conn.addressKey}`, deviceCount)) {
    ctx.metrics.rateLimited.inc({ scope: "fan_out" });
    throw new RelayError(RelayErrorCode.RateLimited, "too many fan-out devices from this address; retry later");
  }

  const ephemeral = frame.ephemeral === true;
  const charge = sealedCharge(ctx, conn);
  const payloadHash = ctx.deps.crypto.sha256(frame.payload);
  const shared = { bytes: frame.payload };
  // Results in flattened order, filled by slice; the admitted rows wait for one commit.
  const results: string[] = new Array(deviceCount);
  const admitted: Admitted[] = [];
  let offset = 0;
  let authorised = 0;
  for (let first = 0; first < frame.recipients.length; first += FAN_OUT_SLICE) {
    if (first > 0) await yieldToEventLoop();
    for (const recipient of frame.recipients.slice(first, first + FAN_OUT_SLICE)) {
      const account = await ctx.store.getAccount(recipient.userId);
      // Unknown users and bad tokens answer alike, as for sealed_send.
      if (!account || !tokenAllows(ctx, account, recipient.token)) {
        results.fill(RelayErrorCode.TokenInvalid, offset, offset + recipient.devices.length);
        offset += recipient.devices.length;
        continue;
      }
      const outgoing: Outgoing[] = recipient.devices.map((device) => ({
        userId: recipient.userId,
        deviceId: device.deviceId,
        messageId: device.messageId ?? multiMessageId(ctx.deps.crypto, payloadHash, recipient.userId, device.deviceId, device.header),
        envelope: multiEnvelopePrefix(device.header),
        shared,
      }));
      admitMessages(ctx, outgoing, ephemeral, charge, () => account, results, admitted, offset);
      offset += outgoing.length;
      authorised += outgoing.length;
    }
  }
  // A sealed send authorised for some recipient keeps an anonymous connection past the login deadline.
  if (authorised > 0) {
    conn.anonymousActivity = true;
    ctx.metrics.fanOutDevices.observe(authorised);
  }
  // Awaited, not deferred: the connection's next frame is decoded only after this commit, so one
  // sender's fan-outs commit one at a time and other connections get the loop between them.
  return { t: "sent", id: frame.id, results: await commitAdmitted(ctx, admitted, results) };
};
