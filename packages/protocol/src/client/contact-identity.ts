/**
 * Who a contact is: applying a handle lookup (a new contact, a newer device list, or a handle
 * that now names another account — held as a pending identity until the user accepts it) and
 * accepting such a change. Identity decisions live here, not in the client facade.
 */

import { bytesToHex as hex } from "../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { verifyDeviceList } from "../keys/device-list.js";
import { type Address, addressKey, deriveUserId } from "../keys/identity.js";
import type { HandleFrame } from "../wire/frames.js";
import type { ClientContext } from "./context.js";
import { verifyNewerList, withList } from "./device-lists.js";
import { type Contact, NS } from "./records.js";

/**
 * The lock over the contact record of `userId`'s account. Receiving from one of its devices
 * holds it from reading the contact to committing what the message changed, and accepting a
 * changed identity holds it too: otherwise a message from the old account being applied while
 * the user accepts the new one would write its stale copy of the contact back, re-pinning the
 * contact to the old account.
 */
export function contactLock(userId: Uint8Array): string {
  return `contact:${hex(userId)}`;
}

/** The locks receiving from `sender` holds: its session (address) and its account's contact. */
export function senderLocks(sender: Address): string[] {
  return [addressKey(sender), contactLock(sender.userId)];
}

/** Stores a contact and tells the app. */
export async function saveContact(ctx: ClientContext, contact: Contact): Promise<void> {
  await ctx.store.batch(ctx.contactWrites(contact));
  ctx.emit("contact", contact);
}

/** Applies a handle lookup to the contact that has it (`known`, or found by handle or user id). */
export async function learnHandle(ctx: ClientContext, handle: string, answer: HandleFrame, known?: Contact): Promise<Contact> {
  const list = verifyDeviceList(ctx.deps, answer.deviceList, answer.accountKey);
  if (hex(deriveUserId(ctx.deps, answer.accountKey)) !== hex(answer.userId)) {
    throw new ParleyError(ErrorCode.IdentityMismatch, "the relay's answer does not match its account key");
  }
  const existing = known ?? (await ctx.contacts()).find((c) => c.handle === handle) ?? (await ctx.contactByUser(hex(answer.userId)));
  if (!existing) {
    const contact: Contact = {
      id: `@${handle}`,
      userId: answer.userId,
      accountKey: answer.accountKey,
      handle,
      deviceIds: list.deviceIds,
      deviceListSequence: list.sequence,
      verified: false,
      profileSent: false,
    };
    await saveContact(ctx, contact);
    return contact;
  }
  if (hex(existing.accountKey) !== hex(answer.accountKey)) {
    if (existing.pendingIdentity && hex(existing.pendingIdentity.accountKey) === hex(answer.accountKey)) return existing;
    const changed: Contact = {
      ...existing,
      // What the user verified was the old account; the contact now answers for another.
      verified: false,
      pendingIdentity: { userId: answer.userId, accountKey: answer.accountKey, deviceList: answer.deviceList },
    };
    await ctx.store.batch(ctx.contactWrites(changed));
    ctx.emit("identityChanged", changed);
    return changed;
  }
  // A replayed older list is refused (ERR_STALE_DEVICE_LIST): it could bring back a removed device.
  const newer = verifyNewerList(ctx, answer.deviceList, existing.accountKey, existing.deviceListSequence);
  const updated: Contact = { ...withList(existing, newer), handle };
  await saveContact(ctx, updated);
  return updated;
}

/** Accepts a contact's changed identity: sending is possible again, verification starts over. */
export async function acceptIdentity(ctx: ClientContext, given: Contact): Promise<Contact> {
  // Under the old account's contact lock: a message from it being applied right now commits
  // first, and what we accept is the contact as it stands after that.
  return ctx.lock.run(contactLock(given.userId), async () => {
    const contact = (await ctx.contact(given.id)) ?? given;
    const pending = contact.pendingIdentity;
    if (!pending) return contact;
    const list = verifyDeviceList(ctx.deps, pending.deviceList, pending.accountKey);
    const { pendingIdentity: _accepted, deliveryToken: _old, ...rest } = contact;
    const next: Contact = {
      ...rest,
      userId: pending.userId,
      accountKey: pending.accountKey,
      deviceIds: list.deviceIds,
      deviceListSequence: list.sequence,
      verified: false,
      profileSent: false,
    };
    // The old account's user id no longer leads to this contact: its messages start their own.
    await ctx.store.batch([{ namespace: NS.contactByUser, key: hex(contact.userId), value: undefined }, ...ctx.contactWrites(next)]);
    ctx.emit("contact", next);
    return next;
  });
}
