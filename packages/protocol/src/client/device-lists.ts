/**
 * Which devices an account has, as this client knows it (spec/client.md §6): the newest signed
 * device list seen for each contact and for our own account. A certificate signed by the
 * account key proves a device once belonged to the account, not that it still does; only the
 * list says that. So every sender device is checked against the newest list, the list is fetched
 * when a device we do not know appears, and a list older than one already seen is refused (its
 * sequence never goes back), so a relay cannot bring a removed device back by replaying.
 */

import { bytesToHex as hex } from "../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { type DeviceList, verifyDeviceList } from "../keys/device-list.js";
import { addressKey, deriveUserId } from "../keys/identity.js";
import type { DevicesFrame, HandleFrame } from "../wire/frames.js";
import { backoffDelay } from "./backoff.js";
import type { ClientContext } from "./context.js";
import type { Contact } from "./records.js";
import type { StoreWrite } from "./store/store.js";

/**
 * How long a device found unlisted stays refused without asking the relay again: long enough
 * that a removed device writing in a loop costs one fetch a minute, short enough that a device
 * linked right after is accepted soon.
 */
export const REFUSED_DEVICE_MEMORY_MS = 60_000;
/**
 * Tries of one list fetch the relay answers RATE_LIMITED (with backoff, ≤ 3.75 s in all): enough
 * to ride out the relay's lookup limit during a backlog; beyond it the message stays
 * unacknowledged and comes again with the next connection.
 */
export const LIST_FETCH_ATTEMPTS = 4;
/** Most refused devices remembered at once (the oldest is forgotten first); bounds memory under a flood of made-up ids. */
export const MAX_REFUSED_DEVICES = 1_024;

/**
 * Verifies `bytes` against the account key we pinned and checks it is not older than the
 * newest list we have seen (sequence `seen`). Throws ERR_STALE_DEVICE_LIST for an older one.
 */
export function verifyNewerList(ctx: ClientContext, bytes: Uint8Array, accountKey: Uint8Array, seen: number): DeviceList {
  const list = verifyDeviceList(ctx.deps, bytes, accountKey);
  if (list.sequence < seen) {
    throw new ParleyError(
      ErrorCode.StaleDeviceList,
      `the relay served device list ${list.sequence}, older than list ${seen} already seen for this account`,
    );
  }
  return list;
}

/** The contact with `list` applied (the caller checked it with `verifyNewerList`). */
export function withList(contact: Contact, list: DeviceList): Contact {
  return { ...contact, deviceIds: list.deviceIds, deviceListSequence: list.sequence };
}

/** The error (and event) for a message from a device that is not on its account's list; remembered for a while. */
export function deviceRemoved(ctx: ClientContext, userId: Uint8Array, deviceId: number, contactId: string | undefined): ParleyError {
  const key = addressKey({ userId, deviceId });
  const at = ctx.refusedDevices.get(key);
  // Remembered from the relay's answer, not renewed by refusals from memory: one fetch a minute at most.
  if (at === undefined || ctx.now() - at >= REFUSED_DEVICE_MEMORY_MS) {
    ctx.refusedDevices.delete(key);
    ctx.refusedDevices.set(key, ctx.now());
    for (const oldest of ctx.refusedDevices.keys()) {
      if (ctx.refusedDevices.size <= MAX_REFUSED_DEVICES) break;
      ctx.refusedDevices.delete(oldest);
    }
  }
  ctx.emit("deviceRemoved", { contactId, userId: hex(userId), deviceId });
  return new ParleyError(ErrorCode.DeviceRemoved, `device ${deviceId} is not on its account's device list: its message was refused`);
}

/**
 * A user's current signed list from the relay (`fetch_devices`: public directory data, so no
 * prekey of theirs is spent and none of our bundle budget). Undefined when the relay does not
 * know the user. Retried a few times when the relay answers RATE_LIMITED.
 */
async function fetchDeviceList(ctx: ClientContext, userId: Uint8Array): Promise<Uint8Array | undefined> {
  for (let attempt = 0; ; attempt++) {
    try {
      const answer = (await ctx.connection.request({ t: "fetch_devices", userId })) as DevicesFrame;
      return answer.deviceList;
    } catch (error) {
      if (ParleyError.is(error, ErrorCode.Relay) && error.reason === "NOT_FOUND") return undefined;
      // A backlog of first contacts can outrun the relay's lookup rate: wait a little.
      const limited = ParleyError.is(error, ErrorCode.Relay) && error.reason === "RATE_LIMITED";
      if (!limited || attempt + 1 >= LIST_FETCH_ATTEMPTS || ctx.closed) throw error;
      await new Promise((resolve) => setTimeout(resolve, backoffDelay(attempt, { baseMs: 250, capMs: 2_000 })));
    }
  }
}

/**
 * The account's current list, asked for because of a device we do not know; undefined when the
 * relay does not know the user, or when this device was found unlisted less than
 * REFUSED_DEVICE_MEMORY_MS ago (not asked again).
 */
async function fetchList(ctx: ClientContext, userId: Uint8Array, deviceId: number): Promise<Uint8Array | undefined> {
  const refusedAt = ctx.refusedDevices.get(addressKey({ userId, deviceId }));
  if (refusedAt !== undefined && ctx.now() - refusedAt < REFUSED_DEVICE_MEMORY_MS) return undefined;
  return fetchDeviceList(ctx, userId);
}

/**
 * A contact's sender device, checked: returns the contact (with a newer list applied when one was
 * fetched), or throws ERR_DEVICE_REMOVED when the newest list does not name the device.
 * `contact` may be a new one (deviceIds empty, sequence 0) pinned to the sender's certificate.
 */
export async function listedSender(ctx: ClientContext, contact: Contact, deviceId: number, isNew: boolean): Promise<Contact> {
  if (contact.deviceIds.includes(deviceId)) return contact;
  const contactId = isNew ? undefined : contact.id;
  const bytes = await fetchList(ctx, contact.userId, deviceId);
  if (!bytes) throw deviceRemoved(ctx, contact.userId, deviceId, contactId);
  if (hex(deriveUserId(ctx.deps, contact.accountKey)) !== hex(contact.userId)) {
    throw new ParleyError(ErrorCode.IdentityMismatch, "the sender's account key does not give its user id");
  }
  const list = verifyNewerList(ctx, bytes, contact.accountKey, contact.deviceListSequence);
  if (!list.deviceIds.includes(deviceId)) {
    if (!isNew && list.sequence > contact.deviceListSequence) {
      // Keep what we learned (other devices may be gone too), though this message is refused.
      const updated = withList(contact, list);
      await ctx.store.batch(ctx.contactWrites(updated));
      ctx.emit("contact", updated);
    }
    throw deviceRemoved(ctx, contact.userId, deviceId, contactId);
  }
  return withList(contact, list);
}

/** Tells the app our account's device list changed (`devices` event), once it is stored. */
export function ownDevicesChanged(ctx: ClientContext): void {
  ctx.emit("devices", { deviceIds: ctx.local.deviceIds });
}

/**
 * One of our own devices, checked (sync copies): listed on our newest list, or on a newer one
 * the relay serves (returned as a write: the caller stores it, then calls `ownDevicesChanged`).
 * Throws ERR_DEVICE_REMOVED otherwise.
 */
export async function listedOwnDevice(ctx: ClientContext, deviceId: number): Promise<StoreWrite | undefined> {
  const local = ctx.local;
  if (local.deviceIds.includes(deviceId)) return undefined;
  const bytes = await fetchList(ctx, local.userId, deviceId);
  if (!bytes) throw deviceRemoved(ctx, local.userId, deviceId, undefined);
  const list = verifyNewerList(ctx, bytes, local.accountPublicKey, local.identity.deviceListSequence);
  if (!list.deviceIds.includes(deviceId)) {
    if (list.sequence > local.identity.deviceListSequence) {
      await ctx.store.batch([local.adoptDeviceList(list.encoded, list.sequence)]);
      ownDevicesChanged(ctx);
    }
    throw deviceRemoved(ctx, local.userId, deviceId, undefined);
  }
  return local.adoptDeviceList(list.encoded, list.sequence);
}

/**
 * Re-reads our own account's list through our handle (no prekey spent), so a linked device
 * learns of devices added or removed by the primary: sync copies then go to exactly those.
 * Without a handle, the list is learned when an unknown own device writes.
 */
export async function refreshOwnList(ctx: ClientContext): Promise<void> {
  const local = ctx.local;
  if (!local.identity.handle) return;
  let answer: HandleFrame;
  try {
    answer = (await ctx.connection.request({ t: "lookup_handle", handle: local.identity.handle })) as HandleFrame;
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.Relay) || ParleyError.is(error, ErrorCode.Timeout)) return;
    throw error;
  }
  if (hex(answer.userId) !== hex(local.userId)) return; // The handle moved away from us: nothing to learn here.
  const list = verifyNewerList(ctx, answer.deviceList, local.accountPublicKey, local.identity.deviceListSequence);
  if (list.sequence > local.identity.deviceListSequence) {
    await ctx.store.batch([local.adoptDeviceList(list.encoded, list.sequence)]);
    ownDevicesChanged(ctx);
  }
}

/**
 * Removes one of our devices (primary only): publishes a shorter list with the next sequence,
 * then stores it. The relay disconnects the device and drops its mailbox.
 */
export async function publishListWithout(ctx: ClientContext, deviceId: number): Promise<void> {
  const { deviceList, sequence } = ctx.local.listWithout(ctx.deps, deviceId);
  await ctx.connection.request({ t: "publish_devices", deviceList });
  await ctx.store.batch([ctx.local.adoptDeviceList(deviceList, sequence)]);
  ownDevicesChanged(ctx);
}

/**
 * A contact we know no device of (met only through our other devices' sync copies), with the
 * devices of its account's current list, stored. Unchanged when the relay does not know the user.
 * Only the list is read: sessions are then set up per device as usual.
 */
export async function learnDevices(ctx: ClientContext, contact: Contact): Promise<Contact> {
  const bytes = await fetchDeviceList(ctx, contact.userId);
  if (!bytes) return contact;
  const updated = withList(contact, verifyNewerList(ctx, bytes, contact.accountKey, contact.deviceListSequence));
  await ctx.store.batch(ctx.contactWrites(updated));
  ctx.emit("contact", updated);
  return updated;
}
