/**
 * What the client keeps per group, and where: the group's state (and its newest changes with the
 * states they replaced, to switch to the winner of a fork), our own sender key with the devices that
 * hold it, the sender keys of other members' devices, group messages waiting for a sender
 * key, and our sends waiting for a member's delivery token. Encoded like every client record (msgpack, records.ts).
 */

import { bytesToHex as hex } from "../../crypto/bytes.js";
import type { Address } from "../../keys/identity.js";
import { addressKey } from "../../keys/identity.js";
import { MAX_GROUP_FORK_DEPTH } from "../../limits.js";
import type { ClientContext } from "../context.js";
import { decodeRecord, encodeRecord } from "../records.js";
import type { StoreWrite } from "../store/store.js";
import type { AppliedChange } from "./history.js";

/** Store namespaces of the group module. */
export const GROUP_NS = {
  /** groupId hex → GroupRecord. */
  groups: "groups",
  /** groupId hex → OwnSenderKey. */
  ownKeys: "group-own-keys",
  /** "<groupId hex>/<addressKey>" → encoded SenderKeyState of that member device. */
  senderKeys: "group-sender-keys",
  /** "<groupId hex>/<15-digit arrival>-<seq>" → PendingGroupMessage. */
  pending: "group-pending",
  /** "<groupId hex>/<10-digit version>-<hash>" → an encoded change ahead of our state (ones before it still on their way). */
  heldChanges: "group-held-changes",
  /** "<groupId hex>/<userId hex>/<outbox-ordered key>" → AwaitingTokenSend: a member's part of a send, waiting for its delivery token. */
  awaitingToken: "group-awaiting-token",
} as const;

/** One group as this device keeps it. */
export interface GroupRecord {
  readonly groupId: Uint8Array;
  /** The encoded current GroupState. */
  readonly state: Uint8Array;
  /**
   * The newest applied changes (at most MAX_GROUP_FORK_DEPTH, oldest first), each with the state
   * it replaced: a competing change that wins may replace any of them and every one after it.
   */
  readonly chain?: readonly ChainLink[];
  /** Records written before `chain`: the last applied change only (read by `chainOf`, never written). */
  readonly previous?: ChainLink;
  /** The changes applied, by version and hash (the newest MAX_GROUP_CHANGE_HISTORY): a replay and a fork look alike otherwise. */
  readonly history?: readonly AppliedChange[];
  /** False once we left or were removed: kept for the conversation's history, nothing is sent. */
  readonly active: boolean;
  /** Our clock when this device learned of the group. */
  readonly joinedAt: number;
}

/** An applied change and the encoded state it replaced. */
export interface ChainLink {
  readonly state: Uint8Array;
  readonly change: Uint8Array;
}

/** The changes a record can go back over, oldest first. */
export function chainOf(record: GroupRecord): readonly ChainLink[] {
  return record.chain ?? (record.previous ? [record.previous] : []);
}

/** `record` after `change` was applied to its state: the new state, the link added (the oldest dropped past the depth). */
export function withLink(record: GroupRecord, links: readonly ChainLink[], state: Uint8Array): GroupRecord {
  const { previous: _older, ...rest } = record;
  return { ...rest, state, chain: links.slice(-MAX_GROUP_FORK_DEPTH) };
}

/** Our sender key for a group and the member devices it was distributed to. */
export interface OwnSenderKey {
  /** Encoded SenderKeyState (with its signing private key). */
  readonly key: Uint8Array;
  /** Address keys of the devices the key went to; a holder that is no longer a member device forces a new key. */
  readonly holders: readonly string[];
}

/** A group message that arrived before its sender's key: authenticated sender, not yet decrypted. */
export interface PendingGroupMessage {
  readonly userId: Uint8Array;
  readonly deviceId: number;
  /** The sender's verified certificate (from the envelope). */
  readonly certificate: Uint8Array;
  /** The sender-key message. */
  readonly message: Uint8Array;
  readonly receivedAt: number;
}

export async function loadGroup(ctx: ClientContext, groupId: Uint8Array): Promise<GroupRecord | undefined> {
  const raw = await ctx.store.get(GROUP_NS.groups, hex(groupId));
  return raw ? decodeRecord<GroupRecord>(raw) : undefined;
}

export async function listGroups(ctx: ClientContext): Promise<GroupRecord[]> {
  return (await ctx.store.list(GROUP_NS.groups)).map(([, v]) => decodeRecord<GroupRecord>(v));
}

export function groupWrite(record: GroupRecord): StoreWrite {
  return { namespace: GROUP_NS.groups, key: hex(record.groupId), value: encodeRecord(record) };
}

export async function loadOwnKey(ctx: ClientContext, groupId: Uint8Array): Promise<OwnSenderKey | undefined> {
  const raw = await ctx.store.get(GROUP_NS.ownKeys, hex(groupId));
  return raw ? decodeRecord<OwnSenderKey>(raw) : undefined;
}

export function ownKeyWrite(groupId: Uint8Array, own: OwnSenderKey | undefined): StoreWrite {
  return { namespace: GROUP_NS.ownKeys, key: hex(groupId), value: own ? encodeRecord(own) : undefined };
}

function senderKeyKey(groupId: Uint8Array, sender: Address): string {
  return `${hex(groupId)}/${addressKey(sender)}`;
}

export async function loadSenderKey(ctx: ClientContext, groupId: Uint8Array, sender: Address): Promise<Uint8Array | undefined> {
  return ctx.store.get(GROUP_NS.senderKeys, senderKeyKey(groupId, sender));
}

export function senderKeyWrite(groupId: Uint8Array, sender: Address, state: Uint8Array | undefined): StoreWrite {
  return { namespace: GROUP_NS.senderKeys, key: senderKeyKey(groupId, sender), value: state };
}

/** Deletes of every stored sender key of `userIdHex`'s devices in the group (a member who left or was removed). */
export async function senderKeyDeletes(ctx: ClientContext, groupId: Uint8Array, userIdHex: string): Promise<StoreWrite[]> {
  const prefix = `${hex(groupId)}/${userIdHex}.`;
  return (await ctx.store.list(GROUP_NS.senderKeys, prefix)).map(([key]) => ({ namespace: GROUP_NS.senderKeys, key, value: undefined }));
}
