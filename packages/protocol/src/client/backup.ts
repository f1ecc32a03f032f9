/**
 * Encrypted backups of contacts and history (spec/backup.md): exporting one, restoring one into
 * an empty store as a NEW device of the same account, and importing one into a device of the
 * same account (a merge). The container and payload are backup-format.ts.
 *
 * A restore never reuses anything that encrypted messages: the backup holds no sessions,
 * prekeys, sender keys or device keys. The restored device gets fresh device keys and prekeys,
 * certified by the account key from the backup, and a new signed device list naming it next to
 * the account's current devices (read from the relay, so devices linked after the backup stay
 * listed; the old device stays too, for the user to remove). Contacts see a new device of the
 * same account — no safety-number change — and sessions are set up afresh on the first message
 * either way; group members send their sender keys to the new device once they learn of it.
 */

import { bytesToHex as hex } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { signDeviceList, verifyDeviceList } from "../keys/device-list.js";
import { accountFromSeed } from "../keys/identity.js";
import type { DevicesFrame } from "../wire/frames.js";
import { type BackupCodecOptions, type BackupPayload, decryptBackup, encryptBackup, passphraseBytes } from "./backup-format.js";
import type { ParleyClientOptions } from "./client-options.js";
import type { ClientContext } from "./context.js";
import type { ChatMessage } from "./conversation.js";
import { groupConversationId } from "./groups/ids.js";
import { groupWrite, listGroups, loadGroup } from "./groups/records.js";
import { LocalDevice } from "./local-device.js";
import type { Contact } from "./records.js";
import { RelayConnection } from "./relay-connection.js";
import { privacySettings } from "./settings.js";
import type { StoreWrite } from "./store/store.js";
import { webSocketTransport } from "./transport.js";

/** What `importBackup` added (things already here are kept as they are). */
export interface BackupImportResult {
  readonly contacts: number;
  readonly groups: number;
  readonly messages: number;
}

/** A contact as backed up: its presence is stale by the time anyone restores, so it is left out (lastSeen stays). */
function backedUpContact(contact: Contact): Contact {
  const { presence: _presence, ...rest } = contact;
  return rest;
}

/** A message as restored: one still pending had its send in the outbox, which is not backed up, so it shows failed. */
function restoredMessage(message: ChatMessage, conversationId: string): ChatMessage {
  return { ...message, contactId: conversationId, status: message.status === "pending" ? "failed" : message.status };
}

/** Collects this device's account, contacts, groups and history and encrypts them under `passphrase`. */
export async function exportBackup(ctx: ClientContext, passphrase: string, codec: BackupCodecOptions = {}): Promise<Uint8Array> {
  passphraseBytes(passphrase); // A bad passphrase fails before any work.
  const identity = ctx.local.identity;
  const contacts = (await ctx.contacts()).map(backedUpContact);
  const groups = await listGroups(ctx);
  const conversations = [];
  for (const id of [...contacts.map((c) => c.id), ...groups.map((g) => groupConversationId(g.groupId))]) {
    const messages = await ctx.messages(id);
    if (messages.length > 0) conversations.push({ id, messages });
  }
  const payload: BackupPayload = {
    v: 1,
    createdAt: ctx.now(),
    account: {
      userId: ctx.local.userId,
      accountPublicKey: identity.accountPublicKey,
      ...(identity.accountSeed ? { accountSeed: identity.accountSeed } : {}),
      deliveryToken: identity.deliveryToken,
      deviceList: identity.deviceList,
      deviceListSequence: identity.deviceListSequence,
      deviceId: identity.deviceId,
      displayName: identity.displayName,
      ...(identity.handle ? { handle: identity.handle } : {}),
    },
    settings: privacySettings(ctx.local),
    contacts,
    groups,
    conversations,
  };
  return encryptBackup(ctx.deps.crypto, payload, passphrase, codec);
}

/** A restore decided but not yet written: the new device and everything to store with it. */
export interface PreparedRestore {
  readonly device: LocalDevice;
  readonly payload: BackupPayload;
  readonly writes: readonly StoreWrite[];
}

/**
 * Restore, step 1 (nothing is written): decrypts the backup, reads the account's current device
 * list from the relay (anonymously: public, signed data) and makes the new device with a list
 * naming it. ERR_BACKUP_PASSPHRASE / ERR_BACKUP_CORRUPT for the backup, ERR_BACKUP_ACCOUNT
 * (`NO_ACCOUNT_KEY`) for a linked device's backup.
 */
export async function prepareRestore(
  deps: Deps,
  options: ParleyClientOptions,
  backup: Uint8Array,
  passphrase: string,
  codec: BackupCodecOptions = {},
): Promise<PreparedRestore> {
  const payload = await decryptBackup(deps.crypto, backup, passphrase, codec);
  const saved = payload.account;
  if (!saved.accountSeed) {
    throw new ParleyError(
      ErrorCode.BackupAccount,
      "this backup was made on a linked device and holds no account key: import it on a device of the account (importBackup)",
      { reason: "NO_ACCOUNT_KEY" },
    );
  }
  const account = accountFromSeed(deps, saved.accountSeed);
  const current = (await currentList(deps, options, saved.userId, saved.accountPublicKey)) ?? {
    deviceIds: verifyDeviceList(deps, saved.deviceList, saved.accountPublicKey).deviceIds,
    sequence: saved.deviceListSequence,
  };
  const sequence = Math.max(current.sequence, saved.deviceListSequence) + 1;
  const deviceId = newDeviceId(deps, current.deviceIds);
  const deviceList = signDeviceList(deps, account, sequence, [...current.deviceIds, deviceId]);
  const { device, writes } = LocalDevice.restore(deps, account, deviceId, {
    deviceList,
    deviceListSequence: sequence,
    deliveryToken: saved.deliveryToken,
    displayName: saved.displayName,
    ...(saved.handle ? { handle: saved.handle } : {}),
    privacy: payload.settings,
  });
  return { device, payload, writes };
}

/** Restore, step 2: writes the new device, contacts, groups and history in one batch. */
export async function commitRestore(ctx: ClientContext, prepared: PreparedRestore): Promise<void> {
  const writes: StoreWrite[] = [...prepared.writes];
  for (const contact of prepared.payload.contacts) writes.push(...ctx.contactWrites(backedUpContact(contact)));
  for (const group of prepared.payload.groups) writes.push(groupWrite(group));
  for (const conversation of prepared.payload.conversations) {
    for (const message of conversation.messages) writes.push(...ctx.newMessageWrites(restoredMessage(message, conversation.id)));
  }
  await ctx.store.batch(writes);
}

/**
 * Merges a backup of this account into this device: contacts, groups and messages it does not
 * have yet are added; what it has is kept as it is (ours is newer). A contact whose id is taken
 * here by another user is skipped with its history. ERR_BACKUP_ACCOUNT for another account.
 */
export async function importBackup(
  ctx: ClientContext,
  backup: Uint8Array,
  passphrase: string,
  codec: BackupCodecOptions = {},
): Promise<BackupImportResult> {
  const payload = await decryptBackup(ctx.deps.crypto, backup, passphrase, codec);
  if (hex(payload.account.userId) !== ctx.me) {
    throw new ParleyError(ErrorCode.BackupAccount, "this backup is of another account");
  }
  const writes: StoreWrite[] = [];
  const added: Contact[] = [];
  const target = new Map<string, string>();
  for (const contact of payload.contacts) {
    const mine = await ctx.contactByUser(hex(contact.userId));
    if (mine && hex(mine.userId) === hex(contact.userId)) {
      target.set(contact.id, mine.id);
    } else if (!(await ctx.contact(contact.id))) {
      const restored = backedUpContact(contact);
      writes.push(...ctx.contactWrites(restored));
      added.push(restored);
      target.set(contact.id, contact.id);
    }
  }
  let groups = 0;
  for (const group of payload.groups) {
    if (!(await loadGroup(ctx, group.groupId))) {
      writes.push(groupWrite(group));
      groups++;
    }
    target.set(groupConversationId(group.groupId), groupConversationId(group.groupId));
  }
  let messages = 0;
  for (const conversation of payload.conversations) {
    const id = target.get(conversation.id);
    if (!id) continue;
    for (const message of conversation.messages) {
      if (await ctx.message(id, message.id)) continue;
      writes.push(...ctx.newMessageWrites(restoredMessage(message, id)));
      messages++;
    }
  }
  if (writes.length > 0) await ctx.store.batch(writes);
  for (const contact of added) ctx.emit("contact", contact);
  return { contacts: added.length, groups, messages };
}

/**
 * The account's current device list at the relay (`fetch_devices` on an anonymous connection),
 * checked against the account key; undefined when the relay does not know the account.
 */
async function currentList(
  deps: Deps,
  options: ParleyClientOptions,
  userId: Uint8Array,
  accountKey: Uint8Array,
): Promise<{ deviceIds: readonly number[]; sequence: number } | undefined> {
  const connection = new RelayConnection({
    url: options.relayUrl,
    transport: options.transport ?? webSocketTransport(),
    ...(options.requestTimeoutMs ? { requestTimeoutMs: options.requestTimeoutMs } : {}),
    ...(options.backoff ? { backoff: options.backoff } : {}),
  });
  connection.start();
  try {
    const answer = (await connection.request({ t: "fetch_devices", userId })) as DevicesFrame;
    return verifyDeviceList(deps, answer.deviceList, accountKey);
  } catch (error) {
    if (ParleyError.is(error, ErrorCode.Relay) && error.reason === "NOT_FOUND") return undefined;
    throw error;
  } finally {
    connection.close();
  }
}

/** A random device id not in `taken` (1 is the first device's), as a linked device picks one. */
function newDeviceId(deps: Deps, taken: readonly number[]): number {
  for (;;) {
    const id = 2 + (new DataView(deps.crypto.randomBytes(4).buffer).getUint32(0) % 0x7fff_fffd);
    if (!taken.includes(id)) return id;
  }
}
