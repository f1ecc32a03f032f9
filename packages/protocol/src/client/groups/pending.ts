/**
 * Group messages that arrived before their sender's key (reordering between the pairwise
 * distribution and the group message, or a key rotated while its distribution is in flight).
 * At most MAX_GROUP_PENDING per group are held, the oldest dropped first; each is retried when
 * a sender key (or the group itself) arrives.
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import { MAX_GROUP_PENDING } from "../../limits.js";
import { senderLocks } from "../contact-identity.js";
import type { ClientContext } from "../context.js";
import type { Applied } from "../incoming.js";
import { decodeRecord, encodeRecord } from "../records.js";
import { type GroupMessageIn, processGroupMessage } from "./receive.js";
import { GROUP_NS, type PendingGroupMessage } from "./records.js";

/** Queues a group message to retry later (writes go into `applied`'s batch). */
export async function holdPending(ctx: ClientContext, groupId: Uint8Array, incoming: GroupMessageIn, applied: Applied): Promise<void> {
  const prefix = `${hex(groupId)}/`;
  const held = await ctx.store.list(GROUP_NS.pending, prefix);
  for (const [key] of held.slice(0, Math.max(0, held.length + 1 - MAX_GROUP_PENDING))) {
    applied.writes.push({ namespace: GROUP_NS.pending, key, value: undefined });
  }
  const record: PendingGroupMessage = {
    userId: incoming.sender.userId,
    deviceId: incoming.sender.deviceId,
    certificate: incoming.certificate,
    message: incoming.message,
    receivedAt: ctx.now(),
  };
  const key = `${prefix}${String(ctx.arrivalTime()).padStart(15, "0")}-${hex(ctx.deps.crypto.randomBytes(4))}`;
  applied.writes.push({ namespace: GROUP_NS.pending, key, value: encodeRecord(record) });
}

/** Retries every held message of the group, in arrival order; those still without a key stay. */
export async function drainPending(ctx: ClientContext, groupId: Uint8Array): Promise<void> {
  for (const [key, raw] of await ctx.store.list(GROUP_NS.pending, `${hex(groupId)}/`)) {
    const held = decodeRecord<PendingGroupMessage>(raw);
    const sender = { userId: held.userId, deviceId: held.deviceId };
    const applied: Applied = { writes: [], events: [], followUps: [] };
    await ctx.lock.runAll(senderLocks(sender), async () => {
      if (!(await ctx.store.get(GROUP_NS.pending, key))) return; // Another drain took it.
      const retried: Applied = { writes: [], events: [], followUps: [] };
      await processGroupMessage(ctx, { sender, certificate: held.certificate, message: held.message }, false, retried);
      // Held again (still no key): keep the original entry, not a copy.
      const heldAgain = retried.writes.some((w) => w.namespace === GROUP_NS.pending && w.value !== undefined);
      if (heldAgain) return;
      applied.writes.push(...retried.writes, { namespace: GROUP_NS.pending, key, value: undefined });
      applied.events.push(...retried.events);
      applied.followUps.push(...retried.followUps);
      await ctx.store.batch(applied.writes);
    });
    for (const emit of applied.events) emit();
    for (const followUp of applied.followUps) ctx.spawn(followUp);
  }
}
