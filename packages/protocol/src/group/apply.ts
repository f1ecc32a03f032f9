/**
 * Applying group changes (spec/group-state.md §4): every member runs `applyChange` on every
 * change it receives, so a change from a non-member or an author without the right, a replay,
 * a fork or a change that breaks an invariant is refused with a typed error and the state held
 * is left as it was. `createGroup` and `proposeChange` make changes that pass the same checks.
 */

import { bytesToHex, equalBytes } from "../crypto/bytes.js";
import { type Deps, randomBytes } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import type { GroupAction } from "./action.js";
import { decodeGroupChange, type GroupAuthor, type GroupChange, signGroupChange, verifyGroupChangeSignature } from "./change.js";
import { mayPerform } from "./roles.js";
import {
  checkGroupState,
  compareUserIds,
  DEFAULT_GROUP_SETTINGS,
  findMember,
  GROUP_ID_LENGTH,
  GROUP_STATE_HASH_LENGTH,
  type GroupMember,
  type GroupRole,
  type GroupSettings,
  type GroupState,
  groupStateHash,
} from "./state.js";

/** What a new group starts with; the creator is added as an admin. */
export interface GroupInit {
  readonly name: string;
  readonly description?: string;
  readonly avatar?: Uint8Array;
  readonly settings?: Partial<GroupSettings>;
  /** The other members (the creator may be listed too: it becomes an admin either way). */
  readonly members?: readonly { readonly userId: Uint8Array; readonly role?: GroupRole; readonly deliveryToken?: Uint8Array }[];
  /** The creator's own delivery token. */
  readonly deliveryToken?: Uint8Array;
  /** Group id; 16 random bytes from `deps` unless given (tests, vectors). */
  readonly groupId?: Uint8Array;
}

/** A state together with the signed change that produced it. */
export interface GroupUpdate {
  readonly state: GroupState;
  readonly change: GroupChange;
}

/** Why a change is stale (ParleyError.reason of ERR_GROUP_STALE). */
export type GroupStaleReason = "replay" | "fork" | "ahead";

function fail(code: ErrorCode, message: string, reason?: string): ParleyError {
  return new ParleyError(code, message, reason === undefined ? undefined : { reason });
}
const invalid = (message: string) => fail(ErrorCode.GroupInvalid, message);
const stale = (message: string, reason: GroupStaleReason) => fail(ErrorCode.GroupStale, message, reason);
const denied = (message: string) => fail(ErrorCode.GroupPermission, message);

const ZERO_HASH = new Uint8Array(GROUP_STATE_HASH_LENGTH);

/**
 * Applies `actions` by `author` to `state` (VAL-120 … VAL-136), judging permissions against
 * `state` itself. Returns the next state (version + 1). Throws ERR_GROUP_PERMISSION or
 * ERR_GROUP_INVALID; `state` is never modified.
 */
export function applyActions(state: GroupState, author: Uint8Array, actions: readonly GroupAction[]): GroupState {
  const authorEntry = findMember(state, author);
  if (!authorEntry) throw denied("the author of a group change is not a member (VAL-120)");
  for (const action of actions) {
    if (!mayPerform(authorEntry.role, action, state.settings)) {
      throw denied(`a ${authorEntry.role} may not ${action.type} under this group's settings (VAL-121)`);
    }
  }
  const members = new Map<string, GroupMember>(state.members.map((m) => [bytesToHex(m.userId), m]));
  const authorKey = bytesToHex(author);
  let { name, description, avatar, settings } = state;
  actions.forEach((action, index) => {
    const target = "userId" in action ? bytesToHex(action.userId) : authorKey;
    const current = members.get(target);
    switch (action.type) {
      case "create":
        throw invalid("create is only the first change of a group (VAL-130)");
      case "add":
        if (current) throw invalid("the user added is already a member (VAL-131)");
        members.set(target, {
          userId: action.userId.slice(),
          role: action.role ?? "member",
          ...(action.deliveryToken ? { deliveryToken: action.deliveryToken.slice() } : {}),
        });
        return;
      case "remove":
        if (!current) throw invalid("the user removed is not a member (VAL-132)");
        if (target === authorKey) throw invalid("an author removes itself with leave, not remove (VAL-132)");
        members.delete(target);
        return;
      case "leave":
        if (index !== actions.length - 1) throw invalid("leave is the last action of its change (VAL-133)");
        members.delete(authorKey);
        return;
      case "promote":
      case "demote": {
        const role: GroupRole = action.type === "promote" ? "admin" : "member";
        if (!current) throw invalid(`the user to ${action.type} is not a member (VAL-134)`);
        if (current.role === role) throw invalid(`the user to ${action.type} already has that role (VAL-134)`);
        members.set(target, { ...current, role });
        return;
      }
      case "setName":
        name = action.name;
        return;
      case "setDescription":
        description = action.description;
        return;
      case "setAvatar":
        avatar = action.avatar;
        return;
      case "setSettings":
        settings = { ...action.settings };
        return;
      case "setOwnToken":
        if (!current) throw invalid("the author is no longer a member (VAL-133)");
        members.set(authorKey, { ...current, deliveryToken: action.deliveryToken.slice() });
        return;
    }
  });
  const next: GroupState = {
    groupId: state.groupId,
    version: state.version + 1,
    name,
    description,
    ...(avatar && avatar.length > 0 ? { avatar } : {}),
    settings,
    members: [...members.values()].sort((a, b) => compareUserIds(a.userId, b.userId)),
  };
  // VAL-135: the result keeps every invariant (at least one admin, at most MAX_GROUP_MEMBERS…).
  checkGroupState(next);
  return next;
}

/**
 * Checks a change against the state held and returns the next state (spec/group-state.md §4).
 * With no state, only a create is accepted (a new group, or a new member's first change).
 *
 * Errors, state unchanged: ERR_GROUP_INVALID (another group, malformed create, invariant
 * broken), ERR_GROUP_STALE with `reason` "replay" (version not above the state's), "fork"
 * (right version, another previous state) or "ahead" (changes missing in between),
 * ERR_INVALID_SIGNATURE, ERR_GROUP_PERMISSION.
 */
export function applyChange(deps: Deps, state: GroupState | undefined, change: GroupChange | Uint8Array): GroupState {
  // Always the decoded bytes: what is applied is exactly what the signature covers, even if a
  // caller hands in a change object whose fields were altered after decoding.
  const c = decodeGroupChange(change instanceof Uint8Array ? change : change.encoded);
  if (state === undefined) return applyCreate(deps, c);
  if (!equalBytes(c.groupId, state.groupId)) throw invalid("the change is for another group (VAL-110)");
  if (c.version <= state.version) throw stale(`version ${c.version} is not above the group's version ${state.version} (VAL-111)`, "replay");
  if (c.version > state.version + 1) throw stale(`version ${c.version} skips changes after ${state.version} (VAL-111)`, "ahead");
  if (!equalBytes(c.previousHash, groupStateHash(deps, state))) {
    throw stale("the change replaces another state than the one held: a fork (VAL-112)", "fork");
  }
  verifyGroupChangeSignature(deps, c);
  return applyActions(state, c.authorUserId, c.actions);
}

/** VAL-114: a create is version 0, names no previous state, is alone, and lists its author as an admin. */
function applyCreate(deps: Deps, change: GroupChange): GroupState {
  const [action] = change.actions;
  if (change.version !== 0 || action?.type !== "create") {
    throw stale("no state is held for this group: only its create change applies (VAL-114)", "ahead");
  }
  if (change.actions.length !== 1) throw invalid("a create change has no other action (VAL-114)");
  if (!equalBytes(change.previousHash, ZERO_HASH)) throw invalid("a create change names no previous state (VAL-114)");
  const state = action.state;
  if (state.version !== 0 || !equalBytes(state.groupId, change.groupId)) {
    throw invalid("a create change carries version 0 of its own group (VAL-114)");
  }
  verifyGroupChangeSignature(deps, change);
  checkGroupState(state);
  if (findMember(state, change.authorUserId)?.role !== "admin") throw denied("the creator of a group is one of its admins (VAL-114)");
  return state;
}

/**
 * Creates a group with the author as its first admin. Returns version 0 and the signed create
 * change to send to the members. Throws ERR_GROUP_INVALID (e.g. more than MAX_GROUP_MEMBERS
 * members, a user listed twice, a name too long) or ERR_LIMIT_EXCEEDED.
 */
export function createGroup(deps: Deps, author: GroupAuthor, init: GroupInit): GroupUpdate {
  const groupId = init.groupId ?? randomBytes(deps, GROUP_ID_LENGTH);
  const authorKey = bytesToHex(author.userId);
  const listed = init.members ?? [];
  const own = listed.find((m) => bytesToHex(m.userId) === authorKey);
  const token = init.deliveryToken ?? own?.deliveryToken;
  const members: GroupMember[] = [
    { userId: author.userId.slice(), role: "admin", ...(token ? { deliveryToken: token.slice() } : {}) },
    ...listed
      .filter((m) => m !== own)
      .map((m) => ({ userId: m.userId, role: m.role ?? "member", ...(m.deliveryToken ? { deliveryToken: m.deliveryToken } : {}) })),
  ];
  const state: GroupState = {
    groupId,
    version: 0,
    name: init.name,
    description: init.description ?? "",
    ...(init.avatar && init.avatar.length > 0 ? { avatar: init.avatar } : {}),
    settings: { ...DEFAULT_GROUP_SETTINGS, ...init.settings },
    members,
  };
  checkGroupState(state);
  const encoded = signGroupChange(deps, author, {
    groupId,
    version: 0,
    previousHash: ZERO_HASH,
    actions: [{ type: "create", state }],
  });
  const change = decodeGroupChange(encoded);
  return { state: applyChange(deps, undefined, change), change };
}

/**
 * Makes the signed change that performs `actions` on `state`, checking locally everything a
 * receiver will check. Returns the next state and the change to send. Throws
 * ERR_GROUP_PERMISSION, ERR_GROUP_INVALID or ERR_LIMIT_EXCEEDED; RangeError on bad arguments.
 */
export function proposeChange(deps: Deps, state: GroupState, author: GroupAuthor, actions: readonly GroupAction[]): GroupUpdate {
  applyActions(state, author.userId, actions);
  const encoded = signGroupChange(deps, author, {
    groupId: state.groupId,
    version: state.version + 1,
    previousHash: groupStateHash(deps, state),
    actions,
  });
  const change = decodeGroupChange(encoded);
  return { state: applyChange(deps, state, change), change };
}
