/**
 * Delivering a queued group message: one `multi_send` over the anonymous connection, the
 * payload once and a header per recipient device, each recipient user authorised by its
 * delivery token from the group state. Per-device message ids make a retry after a lost answer
 * harmless (the relay answers DUPLICATE for what it already stored).
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { SentFrame } from "../../wire/frames.js";
import { splitMultiSend } from "../../wire/multi-send-split.js";
import type { ClientContext } from "../context.js";
import type { Delivery } from "../delivery-token.js";
import type { MultiSendRecipient, MultiSendRecord } from "../records.js";
import type { Request } from "../relay-connection.js";
import { refreshMemberDevices } from "./members.js";

/** Results after which the whole send is tried again later. */
const RETRY: ReadonlySet<string> = new Set(["QUEUE_FULL", "RATE_LIMITED", "UNAVAILABLE", "INTERNAL"]);

/** Sends one multi-recipient entry; `done` false when the relay asked us to come back later. */
export async function deliverMulti(ctx: ClientContext, multi: MultiSendRecord, ephemeral: boolean): Promise<Delivery> {
  const recipients = multi.recipients.map((r) => ({
    userId: r.userId,
    ...(r.token ? { token: r.token } : {}),
    devices: r.devices.map((d) => ({ deviceId: d.deviceId, header: d.header, messageId: d.messageId })),
  }));
  const byUser = new Map(multi.recipients.map((r) => [hex(r.userId), r]));
  let retry = false;
  const gone = new Map<string, Uint8Array>();
  const refused = new Map<string, MultiSendRecipient>();
  // A group too large for one frame goes as several, whole recipients each (the relay's split rule).
  for (const part of splitMultiSend(multi.payload.length, recipients)) {
    const request: Request = { t: "multi_send", payload: multi.payload, recipients: part, ...(ephemeral ? { ephemeral } : {}) };
    const answer = (await ctx.anonymous().request(request)) as SentFrame;
    if (answer.results.some((r) => RETRY.has(r))) retry = true;
    let i = 0;
    for (const recipient of part) {
      for (const _device of recipient.devices) {
        const result = answer.results[i++];
        if (result === "NOT_FOUND") gone.set(hex(recipient.userId), recipient.userId);
        if (result === "TOKEN_INVALID") refused.set(hex(recipient.userId), byUser.get(hex(recipient.userId)) as MultiSendRecipient);
      }
    }
  }
  // A device the relay no longer has was removed from its account: learn the member's newest
  // list, so the next send rotates our key away from it (send.ts).
  for (const userId of gone.values()) ctx.spawn(() => refreshMemberDevices(ctx, userId));
  // A member whose token the relay refuses (replaced, or never shared) misses this message: the
  // caller resends it with a newer token or marks it failed for that member (token-refused.ts).
  // Never sent unsealed: that would name us.
  return { done: !retry, unsealed: false, tokenRefused: false, withheld: false, refusedMembers: [...refused.values()] };
}
