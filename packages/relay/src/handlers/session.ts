/**
 * Turning a connection into a device session after `auth` or `register`: take over the
 * device's live slot (closing an older connection, on any node of a cluster), answer, tell it about expired mail and low
 * prekeys, then start delivery of its backlog.
 */

import type { ServerFrame } from "@parley/protocol/wire";
import type { Connection } from "../connection.js";
import type { RelayContext } from "../context.js";
import { mailboxKey } from "../delivery/live-devices.js";
import { MailboxPump } from "../delivery/mailbox-pump.js";
import type { Mailbox } from "../store/store.js";

/** Makes `conn` the live connection of `mailbox`, sends `response`, then starts delivery. */
export async function startDeviceSession(ctx: RelayContext, conn: Connection, mailbox: Mailbox, response: ServerFrame): Promise<void> {
  conn.mailbox = mailbox;
  conn.mailboxKey = mailboxKey(mailbox);
  conn.pump = new MailboxPump(
    conn,
    ctx.store,
    ctx.limits.deliveryWindow,
    (n) => ctx.metrics.delivered.inc(n),
    (error) => ctx.log.error({ conn: conn.serial, err: String((error as Error)?.message ?? error) }, "delivery failed"),
  );
  ctx.live.attach(conn);
  ctx.push.sender.connected(conn.mailboxKey as string);
  // In a cluster, connections of this device on other nodes are replaced too (device-claims.ts).
  ctx.cluster?.attached(conn);
  ctx.log.debug({ conn: conn.serial }, "device authenticated");
  ctx.metrics.authenticated.set(ctx.live.size);
  conn.send(response);
  const notice = await ctx.store.takeExpiryNotice(mailbox);
  if (notice) conn.send({ t: "expired", ...notice });
  await notifyIfPreKeysLow(ctx, mailbox);
  conn.pump.wake();
}

/** Sends `prekeys_low` to the mailbox's live connection when either one-time kind is below the threshold. */
export async function notifyIfPreKeysLow(ctx: RelayContext, mailbox: Mailbox, known?: { oneTime: number; kem: number }): Promise<void> {
  const conn = ctx.live.get(mailboxKey(mailbox));
  if (!conn) return;
  const counts = known ?? (await ctx.store.countPreKeys(mailbox));
  if (counts.oneTime < ctx.limits.preKeyLowThreshold || counts.kem < ctx.limits.preKeyLowThreshold) {
    conn.send({ t: "prekeys_low", oneTime: counts.oneTime, kem: counts.kem });
  }
}
