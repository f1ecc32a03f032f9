/**
 * Our profile as the account's own (spec/client.md §3): the display name and the delivery token.
 * The primary device owns both. Changing either stores it, gives it to our other devices in a
 * `profile` addressed to our own account, and sends the profile again to every contact (group
 * members we have written to are contacts too), so contacts show the new name and keep writing
 * to us sealed. A new token is also published in every group we are in (`setOwnToken`), so
 * members' group sends reach us sealed too.
 */

import { ErrorCode, ParleyError } from "../errors.js";
import { MAX_SHORT_STRING_BYTES } from "../limits.js";
import type { ClientContext } from "./context.js";
import { setTokenAtRelay } from "./delivery-token.js";
import { changeGroup } from "./groups/membership.js";
import { listGroups } from "./groups/records.js";
import { newContent, sendContent, sendToOwnDevices } from "./outgoing.js";
import type { Contact } from "./records.js";

/** Largest display name (UTF-8 bytes, after trimming): the `profile` content's short-string limit. */
export const MAX_DISPLAY_NAME_BYTES = MAX_SHORT_STRING_BYTES;

/**
 * The display name as stored and sent: `name` without leading and trailing white space.
 * Throws ERR_INVALID_DISPLAY_NAME when nothing is left, ERR_LIMIT_EXCEEDED above
 * MAX_DISPLAY_NAME_BYTES, TypeError when `name` is not a string.
 */
export function checkDisplayName(name: string): string {
  if (typeof name !== "string") throw new TypeError("the display name must be a string");
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new ParleyError(ErrorCode.InvalidDisplayName, "the display name is empty");
  if (new TextEncoder().encode(trimmed).length > MAX_DISPLAY_NAME_BYTES)
    throw new ParleyError(ErrorCode.LimitExceeded, `the display name is longer than ${MAX_DISPLAY_NAME_BYTES} bytes`);
  return trimmed;
}

/** Changes the account's display name (primary device only); unchanged names send nothing. */
export async function changeDisplayName(ctx: ClientContext, name: string): Promise<void> {
  requirePrimary(ctx, "change the display name");
  const displayName = checkDisplayName(name);
  if (displayName === ctx.local.identity.displayName) return;
  const contacts = await ctx.contacts();
  // Stored with every contact marked owed: one we cannot reach now gets it before our next message.
  await ctx.store.batch([ctx.local.update({ displayName }), ...owed(ctx, contacts)]);
  ctx.emit("profile", { displayName });
  await sendProfileEverywhere(ctx, contacts);
}

/** Replaces the account's delivery token (primary device only). */
export async function replaceAccountToken(ctx: ClientContext): Promise<void> {
  requirePrimary(ctx, "replace the delivery token");
  const token = ctx.deps.crypto.randomBytes(32);
  await setTokenAtRelay(ctx, token);
  const contacts = await ctx.contacts();
  await ctx.store.batch([ctx.local.update({ deliveryToken: token }), ...owed(ctx, contacts)]);
  await sendProfileEverywhere(ctx, contacts);
  // Members send group messages with the token the group state lists for us.
  for (const group of await listGroups(ctx)) {
    if (!group.active) continue;
    await changeGroup(ctx, group.groupId, [{ type: "setOwnToken", deliveryToken: token }]).catch((error) => reportError(ctx, error));
  }
}

function requirePrimary(ctx: ClientContext, what: string): void {
  if (!ctx.local.account) throw new ParleyError(ErrorCode.IdentityMismatch, `only the primary device can ${what}`);
}

function owed(ctx: ClientContext, contacts: readonly Contact[]) {
  return contacts.flatMap((c) => ctx.contactWrites({ ...c, profileSent: false }));
}

/**
 * The current profile to our other devices, then to every contact we can send to now. A failure
 * for one recipient is reported (`error`) and does not hold up the others: a contact's profile
 * stays owed and goes before our next message to it.
 */
async function sendProfileEverywhere(ctx: ClientContext, contacts: readonly Contact[]): Promise<void> {
  const profile = () => {
    const identity = ctx.local.identity;
    return newContent(ctx, { kind: "profile", displayName: identity.displayName, deliveryToken: identity.deliveryToken });
  };
  await sendToOwnDevices(ctx, profile()).catch((error) => reportError(ctx, error));
  for (const contact of contacts) {
    if (contact.pendingIdentity || contact.deviceIds.length === 0) continue;
    const latest = (await ctx.contact(contact.id)) ?? contact;
    await sendContent(ctx, latest, profile(), { writes: ctx.contactWrites({ ...latest, profileSent: true }) }).catch((error) =>
      reportError(ctx, error),
    );
  }
}

function reportError(ctx: ClientContext, error: unknown): void {
  ctx.emit("error", error instanceof Error ? error : new Error(String(error)));
}
