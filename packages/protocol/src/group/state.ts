/**
 * The group state: a group's id, version, name, description, avatar, settings and members with
 * their roles (spec/group-state.md §2). It holds no account keys, only user ids (each the hash
 * of an account key), so a full 1,000-member state fits one group change content. Its canonical
 * encoding (members in user id order) is what changes chain to by hash.
 */

import { bytesToHex, equalBytes } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { ByteReader } from "../encoding/reader.js";
import { ByteWriter } from "../encoding/writer.js";
import { ErrorCode, invalidEncoding, ParleyError } from "../errors.js";
import { USER_ID_LENGTH } from "../keys/identity.js";
import { PROTOCOL_VERSION } from "../labels.js";
import { MAX_GROUP_AVATAR_BYTES, MAX_GROUP_DESCRIPTION_BYTES, MAX_GROUP_MEMBERS, MAX_GROUP_NAME_BYTES } from "../limits.js";

/** Length of a group id: 16 random bytes chosen by the creator. */
export const GROUP_ID_LENGTH = 16;

/** Length of a member's delivery token (the relay checks it on sealed sends to that member). */
export const GROUP_TOKEN_LENGTH = 32;

/** Length of a group state hash (SHA-256). */
export const GROUP_STATE_HASH_LENGTH = 32;

/** Highest group version (u32). */
export const MAX_GROUP_VERSION = 0xffff_ffff;

/** A member's role. Admins may do everything; members what the settings allow. */
export type GroupRole = "admin" | "member";

/** Who may do something: every member, or admins only. */
export type GroupAccess = "all" | "admins";

/** What non-admins may do. `send: "admins"` makes an announcement group. */
export interface GroupSettings {
  readonly addMembers: GroupAccess;
  readonly editInfo: GroupAccess;
  readonly send: GroupAccess;
}

/** One member of a group. */
export interface GroupMember {
  readonly userId: Uint8Array;
  readonly role: GroupRole;
  /** The member's delivery token, so other members can send sealed messages to it. */
  readonly deliveryToken?: Uint8Array;
}

/** A group at one version. Treat as immutable; changes produce a new state. */
export interface GroupState {
  readonly groupId: Uint8Array;
  /** 0 at creation, +1 with each applied change. */
  readonly version: number;
  readonly name: string;
  readonly description: string;
  /** An encoded attachment pointer (opaque here), 1 … MAX_GROUP_AVATAR_BYTES bytes, or absent. */
  readonly avatar?: Uint8Array;
  readonly settings: GroupSettings;
  /** Ascending by user id, unique, 1 … MAX_GROUP_MEMBERS, at least one admin. */
  readonly members: readonly GroupMember[];
}

/** Settings of a new group unless the creator chooses others (spec/group-state.md §2). */
export const DEFAULT_GROUP_SETTINGS: GroupSettings = { addMembers: "all", editInfo: "all", send: "all" };

const SETTING_BITS = { addMembers: 1, editInfo: 2, send: 4 } as const;
const MEMBER_ADMIN = 1;
const MEMBER_HAS_TOKEN = 2;

/** The settings byte: bit 0 addMembers, bit 1 editInfo, bit 2 send; a set bit means "admins". */
export function settingsToBits(settings: GroupSettings): number {
  let bits = 0;
  for (const [key, bit] of Object.entries(SETTING_BITS)) if (settings[key as keyof GroupSettings] === "admins") bits |= bit;
  return bits;
}

/** Reads the settings byte; unknown bits are ERR_INVALID_ENCODING. */
export function settingsFromBits(bits: number): GroupSettings {
  if (bits > 7) throw invalidEncoding("group settings have unknown bits");
  const access = (bit: number): GroupAccess => (bits & bit ? "admins" : "all");
  return { addMembers: access(SETTING_BITS.addMembers), editInfo: access(SETTING_BITS.editInfo), send: access(SETTING_BITS.send) };
}

const utf8Length = (s: string): number => new TextEncoder().encode(s).length;

function invalid(message: string): ParleyError {
  return new ParleyError(ErrorCode.GroupInvalid, message);
}

/** Orders user ids bytewise (the canonical member order). */
export function compareUserIds(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = (a[i] as number) - (b[i] as number);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/**
 * Checks every invariant of a state (VAL-100 … VAL-104); throws ERR_GROUP_INVALID naming the
 * rule. Members need not be sorted: encoding sorts them.
 */
export function checkGroupState(state: GroupState): void {
  if (!(state.groupId instanceof Uint8Array) || state.groupId.length !== GROUP_ID_LENGTH)
    throw invalid("group id must be 16 bytes (VAL-100)");
  if (!Number.isInteger(state.version) || state.version < 0 || state.version > MAX_GROUP_VERSION) {
    throw invalid("group version must be a u32 (VAL-100)");
  }
  if (utf8Length(state.name) > MAX_GROUP_NAME_BYTES) throw invalid(`group name is longer than ${MAX_GROUP_NAME_BYTES} bytes (VAL-101)`);
  if (utf8Length(state.description) > MAX_GROUP_DESCRIPTION_BYTES) {
    throw invalid(`group description is longer than ${MAX_GROUP_DESCRIPTION_BYTES} bytes (VAL-101)`);
  }
  if (state.avatar !== undefined && (state.avatar.length === 0 || state.avatar.length > MAX_GROUP_AVATAR_BYTES)) {
    throw invalid(`group avatar must be 1 to ${MAX_GROUP_AVATAR_BYTES} bytes (VAL-101)`);
  }
  for (const key of Object.keys(SETTING_BITS) as (keyof GroupSettings)[]) {
    const value = state.settings[key];
    if (value !== "all" && value !== "admins") throw invalid(`group setting ${key} must be "all" or "admins" (VAL-101)`);
  }
  if (state.members.length === 0) throw invalid("a group has at least one member (VAL-102)");
  if (state.members.length > MAX_GROUP_MEMBERS) throw invalid(`a group has at most ${MAX_GROUP_MEMBERS} members (VAL-102)`);
  const seen = new Set<string>();
  let admins = 0;
  for (const m of state.members) {
    if (!(m.userId instanceof Uint8Array) || m.userId.length !== USER_ID_LENGTH) throw invalid("member user id must be 16 bytes (VAL-103)");
    if (m.role !== "admin" && m.role !== "member") throw invalid('member role must be "admin" or "member" (VAL-103)');
    if (m.deliveryToken !== undefined && m.deliveryToken.length !== GROUP_TOKEN_LENGTH) {
      throw invalid("member delivery token must be 32 bytes (VAL-103)");
    }
    const key = bytesToHex(m.userId);
    if (seen.has(key)) throw invalid("a user is listed twice in the group (VAL-103)");
    seen.add(key);
    if (m.role === "admin") admins++;
  }
  if (admins === 0) throw invalid("a group has at least one admin (VAL-104)");
}

/**
 * Canonical encoding of a state (spec/group-state.md §2.1). Throws ERR_GROUP_INVALID when the
 * state breaks an invariant.
 */
export function encodeGroupState(state: GroupState): Uint8Array {
  checkGroupState(state);
  const members = [...state.members].sort((a, b) => compareUserIds(a.userId, b.userId));
  const w = new ByteWriter(64 + members.length * (USER_ID_LENGTH + 1 + GROUP_TOKEN_LENGTH))
    .u8(PROTOCOL_VERSION)
    .bytes(state.groupId)
    .u32(state.version)
    .string16(state.name)
    .string16(state.description)
    .bytes16(state.avatar ?? new Uint8Array(0))
    .u8(settingsToBits(state.settings))
    .u16(members.length);
  for (const m of members) {
    w.bytes(m.userId).u8((m.role === "admin" ? MEMBER_ADMIN : 0) | (m.deliveryToken ? MEMBER_HAS_TOKEN : 0));
    if (m.deliveryToken) w.bytes(m.deliveryToken);
  }
  return w.finish();
}

/** Reads a state from a reader positioned at its version byte (used inside group changes too). */
export function readGroupState(r: ByteReader): GroupState {
  r.version(PROTOCOL_VERSION);
  const groupId = r.bytes(GROUP_ID_LENGTH);
  const version = r.u32();
  const name = r.string16(MAX_GROUP_NAME_BYTES);
  const description = r.string16(MAX_GROUP_DESCRIPTION_BYTES);
  const avatarBytes = r.bytes16(MAX_GROUP_AVATAR_BYTES);
  const settings = settingsFromBits(r.u8());
  const count = r.u16();
  if (count === 0 || count > MAX_GROUP_MEMBERS) throw invalidEncoding("group state has a bad member count");
  const members: GroupMember[] = [];
  let admins = 0;
  for (let i = 0; i < count; i++) {
    const userId = r.bytes(USER_ID_LENGTH);
    const previous = members[i - 1];
    if (previous && compareUserIds(previous.userId, userId) >= 0) throw invalidEncoding("group members must be ascending and unique");
    const flags = r.u8();
    if (flags > 3) throw invalidEncoding("group member has unknown flags");
    const role: GroupRole = flags & MEMBER_ADMIN ? "admin" : "member";
    if (role === "admin") admins++;
    members.push(flags & MEMBER_HAS_TOKEN ? { userId, role, deliveryToken: r.bytes(GROUP_TOKEN_LENGTH) } : { userId, role });
  }
  if (admins === 0) throw invalidEncoding("group state has no admin");
  const base = { groupId, version, name, description, settings, members };
  return avatarBytes.length > 0 ? { ...base, avatar: avatarBytes } : base;
}

/**
 * Decodes a state. Throws ERR_INVALID_ENCODING (malformed, out of order, over a limit, no
 * admin) or ERR_UNSUPPORTED_VERSION.
 */
export function decodeGroupState(bytes: Uint8Array): GroupState {
  const r = new ByteReader(bytes, "group state");
  const state = readGroupState(r);
  r.end();
  return state;
}

/** `SHA-256(encodeGroupState(state))`: what the next change names as `previousHash`. */
export function groupStateHash(deps: Deps, state: GroupState): Uint8Array {
  return deps.crypto.sha256(encodeGroupState(state));
}

/** The member entry for `userId`, if it is a member. */
export function findMember(state: GroupState, userId: Uint8Array): GroupMember | undefined {
  return state.members.find((m) => equalBytes(m.userId, userId));
}

/** True when `userId` is an admin of the group. */
export function isGroupAdmin(state: GroupState, userId: Uint8Array): boolean {
  return findMember(state, userId)?.role === "admin";
}

/** True when `userId` may send messages to the group (a member; an admin in an announcement group). */
export function canSendToGroup(state: GroupState, userId: Uint8Array): boolean {
  const member = findMember(state, userId);
  return member !== undefined && (state.settings.send === "all" || member.role === "admin");
}

/** User ids in `oldState` that `newState` no longer lists (removed or left): senders rotate their keys. */
export function membersRemoved(oldState: GroupState, newState: GroupState): Uint8Array[] {
  const now = new Set(newState.members.map((m) => bytesToHex(m.userId)));
  return oldState.members.filter((m) => !now.has(bytesToHex(m.userId))).map((m) => m.userId.slice());
}

/** User ids in `newState` that `oldState` did not list: they get the current sender keys only. */
export function membersAdded(oldState: GroupState, newState: GroupState): Uint8Array[] {
  return membersRemoved(newState, oldState);
}
