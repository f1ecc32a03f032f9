/**
 * Our profile as the account's own: replacing the account's delivery token (spec/client.md §3).
 * The primary device sets the new token at the relay, gives it to our other devices in a
 * `profile` addressed to our own account, and sends the profile again to every contact, so
 * contacts keep writing to us sealed, and publishes it in every group we are in (`setOwnToken`),
 * so members' group sends reach us sealed too.
 */

import { ErrorCode, ParleyError } from "../errors.js";
import type { ClientContext } from "./context.js";
import { setTokenAtRelay } from "./delivery-token.js";
import { changeGroup } from "./groups/membership.js";
import { listGroups } from "./groups/records.js";
import { newContent, sendContent, sendToOwnDevices } from "./outgoing.js";

/** Replaces the account's delivery token (primary device only). */
export async function replaceAccountToken(ctx: ClientContext): Promise<void> {
  if (!ctx.local.account) throw new ParleyError(ErrorCode.IdentityMismatch, "only the primary device can replace the delivery token");
  const token = ctx.deps.crypto.randomBytes(32);
  await setTokenAtRelay(ctx, token);
  const contacts = await ctx.contacts();
  // Every contact is owed the new profile; a contact we cannot send to now gets it before our next message.
  await ctx.store.batch([
    ctx.local.update({ deliveryToken: token }),
    ...contacts.flatMap((c) => ctx.contactWrites({ ...c, profileSent: false })),
  ]);
  const profile = () => newContent(ctx, { kind: "profile", displayName: ctx.local.identity.displayName, deliveryToken: token });
  await sendToOwnDevices(ctx, profile());
  for (const contact of contacts) {
    if (contact.pendingIdentity || contact.deviceIds.length === 0) continue;
    const latest = (await ctx.contact(contact.id)) ?? contact;
    await sendContent(ctx, latest, profile(), { writes: ctx.contactWrites({ ...latest, profileSent: true }) });
  }
  // Members send group messages with the token the group state lists for us.
  for (const group of await listGroups(ctx)) {
    if (!group.active) continue;
    await changeGroup(ctx, group.groupId, [{ type: "setOwnToken", deliveryToken: token }]).catch((error) =>
      ctx.emit("error", error instanceof Error ? error : new Error(String(error))),
    );
  }
}
