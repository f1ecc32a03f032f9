/**
 * Who receives a group's messages: every device of every member (our own other devices
 * included), from device lists — a contact's, or for a member we have no contact for, the
 * account's signed list fetched from the relay (`fetch_devices`, which also gives the account
 * key: checked to derive the member's user id, then pinned as a contact like any first contact).
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import { deriveUserId } from "../../keys/identity.js";
import type { DevicesFrame } from "../../wire/frames.js";
import { contactLock } from "../contact-identity.js";
import type { ClientContext } from "../context.js";
import { refreshOwnList, verifyNewerList, withList } from "../device-lists.js";
import type { Contact } from "../records.js";

/** One member user and the devices a group send goes to. */
export interface MemberTarget {
  readonly contact: Contact;
  readonly deviceIds: readonly number[];
  /** The member's delivery token from the group state (sealed sends need it), if any. */
  readonly token?: Uint8Array;
  /** True for our own account (our other devices). */
  readonly self: boolean;
}

/** Ourselves as a contact, to reuse the pairwise machinery for our other devices. */
export function selfAsContact(ctx: ClientContext): Contact {
  return {
    id: ctx.me,
    userId: ctx.local.userId,
    accountKey: ctx.local.accountPublicKey,
    deviceIds: ctx.local.deviceIds,
    deviceListSequence: ctx.local.identity.deviceListSequence,
    deliveryToken: ctx.local.identity.deliveryToken,
    verified: true,
    profileSent: true,
  };
}

/** Our devices other than this one. */
export function ownOtherDevices(ctx: ClientContext): number[] {
  return ctx.local.deviceIds.filter((id) => id !== ctx.local.device.deviceId);
}

/**
 * The contact for a member user: the existing one, or a new one pinned to the account key the
 * relay's signed list vouches for (its user id checked). Undefined when the relay does not know
 * the user.
 */
export async function memberContact(ctx: ClientContext, userId: Uint8Array): Promise<Contact | undefined> {
  const known = await ctx.contactByUser(hex(userId));
  if (known && hex(known.userId) === hex(userId)) {
    if (known.deviceIds.length > 0) return known;
    return refreshDevices(ctx, known);
  }
  let answer: DevicesFrame;
  try {
    answer = (await ctx.connection.request({ t: "fetch_devices", userId })) as DevicesFrame;
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.Relay) && error.reason === "NOT_FOUND") return undefined;
    throw error;
  }
  if (hex(deriveUserId(ctx.deps, answer.accountKey)) !== hex(userId)) {
    throw new ParleyError(ErrorCode.IdentityMismatch, "the relay's account key for a group member does not give its user id");
  }
  const list = verifyNewerList(ctx, answer.deviceList, answer.accountKey, 0);
  // Under the member's contact lock, looked up again: while the relay answered, the member's first
  // message (with its profile: name and token) or another lookup may have made the contact. It is
  // kept — never replaced by a bare copy, never doubled under a second id.
  return ctx.lock.run(contactLock(userId), async () => {
    const now = await ctx.contactByUser(hex(userId));
    if (now && hex(now.userId) === hex(userId)) {
      if (hex(now.accountKey) !== hex(answer.accountKey) || list.sequence <= now.deviceListSequence) return now;
      const updated = withList(now, list);
      await ctx.store.batch(ctx.contactWrites(updated));
      ctx.emit("contact", updated);
      return updated;
    }
    const base: Contact = {
      id: (await ctx.contact(hex(userId))) ? `${hex(userId)}-${hex(ctx.deps.crypto.randomBytes(4))}` : hex(userId),
      userId,
      accountKey: answer.accountKey,
      deviceIds: [],
      deviceListSequence: 0,
      verified: false,
      profileSent: false,
    };
    const contact = withList(base, list);
    await ctx.store.batch(ctx.contactWrites(contact));
    ctx.emit("contact", contact);
    return contact;
  });
}

/** Re-reads a member's device list from the relay (our own: refreshOwnList), e.g. after a send found a device gone. */
export async function refreshMemberDevices(ctx: ClientContext, userId: Uint8Array): Promise<void> {
  if (hex(userId) === ctx.me) {
    await refreshOwnList(ctx);
    return;
  }
  const contact = await ctx.contactByUser(hex(userId));
  if (contact && hex(contact.userId) === hex(userId)) await refreshDevices(ctx, contact);
}

async function refreshDevices(ctx: ClientContext, contact: Contact): Promise<Contact> {
  let answer: DevicesFrame;
  try {
    answer = (await ctx.connection.request({ t: "fetch_devices", userId: contact.userId })) as DevicesFrame;
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.Relay) && error.reason === "NOT_FOUND") return contact;
    throw error;
  }
  const list = verifyNewerList(ctx, answer.deviceList, contact.accountKey, contact.deviceListSequence);
  if (list.sequence === contact.deviceListSequence && contact.deviceIds.length > 0) return contact;
  return ctx.lock.run(contactLock(contact.userId), async () => {
    const latest = (await ctx.contact(contact.id)) ?? contact;
    if (list.sequence < latest.deviceListSequence) return latest; // A newer list landed meanwhile.
    const updated = withList(latest, list);
    await ctx.store.batch(ctx.contactWrites(updated));
    ctx.emit("contact", updated);
    return updated;
  });
}

/**
 * The devices a group send goes to: every member's devices from their lists, and our own other
 * devices. Members whose identity changed (pending acceptance) or whom the relay does not know
 * are left out.
 */
export async function memberTargets(
  ctx: ClientContext,
  members: readonly { readonly userId: Uint8Array; readonly deliveryToken?: Uint8Array | undefined }[],
): Promise<MemberTarget[]> {
  const out: MemberTarget[] = [];
  for (const member of members) {
    if (hex(member.userId) === ctx.me) {
      const own = ownOtherDevices(ctx);
      if (own.length > 0) out.push({ contact: selfAsContact(ctx), deviceIds: own, token: ctx.local.identity.deliveryToken, self: true });
      continue;
    }
    let contact = await memberContact(ctx, member.userId);
    if (!contact || contact.pendingIdentity || contact.deviceIds.length === 0) continue;
    const shared = member.deliveryToken;
    if (!contact.deliveryToken && shared) {
      // The group shares the member's token: pairwise sends to it go sealed too. Written onto the
      // contact as it stands now (its profile may have just arrived), under its lock.
      const id = contact.id;
      contact = await ctx.lock.run(contactLock(member.userId), async () => {
        const latest = await ctx.contact(id);
        if (!latest || latest.deliveryToken) return latest;
        const next = { ...latest, deliveryToken: shared };
        await ctx.store.batch(ctx.contactWrites(next));
        return next;
      });
      if (!contact) continue;
    }
    const token = member.deliveryToken ?? contact.deliveryToken;
    out.push({ contact, deviceIds: contact.deviceIds, ...(token ? { token } : {}), self: false });
  }
  return out;
}
