/**
 * Group membership and settings as signed changes. Locally: a change is proposed (GS checks the
 * author's rights), applied, stored with a notice line, then sent pairwise — `groupChange` to
 * every member before and after it (a removed member learns it was removed) and to our other
 * devices, `groupSnapshot` (the state and the change that added them) to new members. Received:
 * every change is checked with `applyChange`; a refusal leaves the state as it was and emits
 * `groupChangeRefused`; a competing change to the version we hold is settled by `resolveFork`.
 * Only the primary device holds the account key that signs changes.
 */

import type { Content, ContentBody } from "../../content/content.js";
import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import type { Address } from "../../keys/identity.js";
import { MAX_GROUP_PENDING } from "../../limits.js";
import type { ClientContext } from "../context.js";
import type { ChatMessage } from "../conversation.js";
import type { Applied } from "../incoming.js";
import { notice } from "../incoming.js";
import { newContent, sendContent, sendToOwnDevices } from "../outgoing.js";
import type { StoreWrite } from "../store/store.js";
import {
  applyChange,
  createGroup,
  decodeGroupChange,
  decodeGroupState,
  encodeGroupState,
  findMember,
  type GroupAction,
  type GroupChange,
  type GroupSettings,
  type GroupState,
  joinGroup,
  membersRemoved,
  proposeChange,
  resolveFork,
} from "./core.js";
import { groupConversationId } from "./ids.js";
import { groupInfo } from "./info.js";
import { memberContact } from "./members.js";
import { drainPending } from "./pending.js";
import { GROUP_NS, type GroupRecord, groupWrite, loadGroup, ownKeyWrite, senderKeyDeletes } from "./records.js";

/** The lock serialising changes to one group's stored state. */
function stateLock(groupId: Uint8Array): string {
  return `group-state:${hex(groupId)}`;
}

function author(ctx: ClientContext) {
  const account = ctx.local.account;
  if (!account) throw new ParleyError(ErrorCode.GroupPermission, "only the primary device holds the account key that signs group changes");
  return { userId: ctx.local.userId, accountKeyPair: account.signingKey };
}

/** Creates a group with us as its admin and the given members; sends them its creation. */
export async function createGroupWith(
  ctx: ClientContext,
  init: {
    name: string;
    description?: string;
    avatar?: Uint8Array;
    settings?: Partial<GroupSettings>;
    members: readonly { userId: Uint8Array; deliveryToken?: Uint8Array }[];
  },
): Promise<GroupState> {
  const { state, change } = createGroup(ctx.deps, author(ctx), {
    name: init.name,
    ...(init.description !== undefined ? { description: init.description } : {}),
    ...(init.avatar ? { avatar: init.avatar } : {}),
    ...(init.settings ? { settings: init.settings } : {}),
    members: init.members.map((m) => ({ userId: m.userId, ...(m.deliveryToken ? { deliveryToken: m.deliveryToken } : {}) })),
    deliveryToken: ctx.local.identity.deliveryToken,
  });
  const record: GroupRecord = { groupId: state.groupId, state: encodeGroupState(state), active: true, joinedAt: ctx.now() };
  const line = changeNotice(ctx, state, change, await nameBook(ctx, state));
  await ctx.store.batch([groupWrite(record), ...lineWrites(ctx, line)]);
  if (line) ctx.emit("message", line);
  ctx.emit("group", await groupInfo(ctx, record));
  const snapshot = { kind: "groupSnapshot" as const, groupId: state.groupId, state: new Uint8Array(0), change: change.encoded };
  await sendToMembers(ctx, state.members, snapshot);
  await sendToOwn(ctx, snapshot);
  return state;
}

/** Proposes, applies, stores and sends one change; resolves with the new state. */
export async function changeGroup(ctx: ClientContext, groupId: Uint8Array, actions: readonly GroupAction[]): Promise<GroupState> {
  const signer = author(ctx);
  const done = await ctx.lock.run(stateLock(groupId), async () => {
    const record = await loadGroup(ctx, groupId);
    if (!record?.active) throw new ParleyError(ErrorCode.NotGroupMember, "you are not a member of this group");
    const before = decodeGroupState(record.state);
    const { state, change } = proposeChange(ctx.deps, before, signer, actions);
    const next: GroupRecord = {
      ...record,
      state: encodeGroupState(state),
      previous: { state: record.state, change: change.encoded },
      active: findMember(state, ctx.local.userId) !== undefined,
    };
    const writes: StoreWrite[] = [groupWrite(next)];
    writes.push(...(await afterChangeWrites(ctx, before, state)));
    const line = changeNotice(ctx, state, change, await nameBook(ctx, before, state));
    writes.push(...lineWrites(ctx, line));
    await ctx.store.batch(writes);
    if (line) ctx.emit("message", line);
    ctx.emit("group", await groupInfo(ctx, next));
    return { before, state, change };
  });
  await distributeChange(ctx, done.before, done.state, done.change);
  return done.state;
}

/** Sends a change: snapshots to members it adds, the change to everyone else it concerns and to our other devices. */
async function distributeChange(ctx: ClientContext, before: GroupState, after: GroupState, change: GroupChange): Promise<void> {
  const had = new Set(before.members.map((m) => hex(m.userId)));
  const added = after.members.filter((m) => !had.has(hex(m.userId)));
  // Everyone who was a member (a removed member learns it was removed); new members get snapshots.
  const others = before.members;
  if (added.length > 0) {
    // The state the change replaced: the joiner checks the change against it like any member (joinGroup).
    const snapshot = { kind: "groupSnapshot" as const, groupId: after.groupId, state: encodeGroupState(before), change: change.encoded };
    await sendToMembers(ctx, added, snapshot);
  }
  const body = { kind: "groupChange" as const, groupId: after.groupId, change: change.encoded };
  await sendToMembers(ctx, others, body);
  await sendToOwn(ctx, body);
}

/** Sends a pairwise body to each member but us (no sync copy: our devices get their own). */
async function sendToMembers(ctx: ClientContext, members: readonly { userId: Uint8Array }[], body: ContentBody): Promise<void> {
  for (const member of members) {
    if (hex(member.userId) === ctx.me) continue;
    try {
      const contact = await memberContact(ctx, member.userId);
      if (!contact) continue;
      await sendContent(ctx, contact, newContent(ctx, body), { noSync: true });
    } catch (error) {
      // One member we cannot reach (identity changed, account gone) must not stop the others.
      ctx.emit("error", asError(error));
    }
  }
}

/** Sends a pairwise body to our other devices, reporting (not throwing) a failure. */
async function sendToOwn(ctx: ClientContext, body: ContentBody): Promise<void> {
  await sendToOwnDevices(ctx, newContent(ctx, body)).catch((error) => ctx.emit("error", asError(error)));
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** Writes that follow a change: removed members' sender keys go; our own key too when we are out. */
async function afterChangeWrites(ctx: ClientContext, before: GroupState, after: GroupState): Promise<StoreWrite[]> {
  const writes: StoreWrite[] = [];
  for (const removed of membersRemoved(before, after)) writes.push(...(await senderKeyDeletes(ctx, after.groupId, hex(removed))));
  if (!findMember(after, ctx.local.userId)) {
    // We are out: our key and every member's key for the group go (nothing new is for us).
    writes.push(ownKeyWrite(after.groupId, undefined));
    for (const member of before.members) writes.push(...(await senderKeyDeletes(ctx, after.groupId, hex(member.userId))));
  }
  // Our own key rotates by itself before our next send: its holders include the removed devices.
  return writes;
}

/** Applies a change received from a member (or from our other device), into `applied`. */
export async function applyIncomingChange(ctx: ClientContext, groupId: Uint8Array, bytes: Uint8Array, applied: Applied): Promise<void> {
  const outcome = await applyChangeLocked(ctx, groupId, bytes, applied);
  if (outcome === "ahead") {
    // Changes in between are still on their way (they come from other members): keep it for later.
    applied.writes.push(...(await holdChangeWrites(ctx, groupId, bytes)));
  } else if (outcome === "applied") {
    applied.followUps.push(() => retryHeldChanges(ctx, groupId));
  }
}

/** What became of a received change. */
type ChangeOutcome = "applied" | "ahead" | "ignored" | "refused";

async function applyChangeLocked(ctx: ClientContext, groupId: Uint8Array, bytes: Uint8Array, applied: Applied): Promise<ChangeOutcome> {
  return ctx.lock.run(stateLock(groupId), async (): Promise<ChangeOutcome> => {
    const record = await loadGroup(ctx, groupId);
    if (!record?.active) return "ignored"; // Not a group we are in: a change that adds us comes with a snapshot.
    const before = decodeGroupState(record.state);
    let change: GroupChange | undefined;
    try {
      change = decodeGroupChange(bytes);
      if (hex(change.groupId) !== hex(groupId)) throw new ParleyError(ErrorCode.GroupInvalid, "the change is for another group");
      let base = before;
      let after: GroupState;
      let previous: GroupRecord["previous"] = { state: record.state, change: change.encoded };
      try {
        after = applyChange(ctx.deps, before, change);
      } catch (error) {
        // A competing change for the version we hold (applyChange calls it a replay: its version is
        // not above ours), or one made from the state before our last: settled by resolveFork.
        const competing =
          ParleyError.is(error, ErrorCode.GroupStale) &&
          (change.version === before.version || (error as ParleyError).reason === "fork") &&
          record.previous !== undefined;
        if (!competing || !record.previous) throw error;
        // A competing change to the version we hold: the deterministic winner stays (spec/group-state.md §Forks).
        const prior = decodeGroupState(record.previous.state);
        const lost = decodeGroupChange(record.previous.change);
        const resolution = resolveFork(ctx.deps, prior, lost, change);
        if (resolution.winner === "applied") return "ignored";
        if (hex(lost.authorUserId) === ctx.me && ctx.local.account) {
          // Our change lost the fork: make it again on top of the winner (it may no longer apply).
          applied.followUps.push(() =>
            changeGroup(ctx, groupId, lost.actions).then(
              () => undefined,
              () => undefined,
            ),
          );
        }
        base = prior;
        after = resolution.state;
        previous = { state: record.previous.state, change: change.encoded };
      }
      const next: GroupRecord = {
        ...record,
        state: encodeGroupState(after),
        previous,
        active: findMember(after, ctx.local.userId) !== undefined,
      };
      applied.writes.push(groupWrite(next), ...(await afterChangeWrites(ctx, base, after)));
      const line = changeNotice(ctx, after, change, await nameBook(ctx, base, after));
      applied.writes.push(...lineWrites(ctx, line));
      if (line) applied.events.push(() => ctx.emit("message", line));
      const info = await groupInfo(ctx, next);
      applied.events.push(() => ctx.emit("group", info));
      return "applied";
    } catch (error) {
      const reason = ParleyError.is(error, ErrorCode.GroupStale) ? (error as ParleyError).reason : undefined;
      if (reason === "replay") return "ignored"; // Seen already.
      if (reason === "ahead") return "ahead";
      const refused =
        error instanceof ParleyError ? error : new ParleyError(ErrorCode.GroupInvalid, "group change refused", { cause: error });
      const event = {
        conversationId: groupConversationId(groupId),
        groupId: hex(groupId),
        author: change ? hex(change.authorUserId) : undefined,
        error: refused,
      };
      applied.events.push(() => ctx.emit("groupChangeRefused", event));
      return "refused";
    }
  });
}

/** Writes holding a change that is ahead of our state (at most MAX_GROUP_PENDING per group, oldest dropped). */
async function holdChangeWrites(ctx: ClientContext, groupId: Uint8Array, bytes: Uint8Array): Promise<StoreWrite[]> {
  const prefix = `${hex(groupId)}/`;
  const held = await ctx.store.list(GROUP_NS.heldChanges, prefix);
  const writes: StoreWrite[] = held
    .slice(0, Math.max(0, held.length + 1 - MAX_GROUP_PENDING))
    .map(([key]) => ({ namespace: GROUP_NS.heldChanges, key, value: undefined }));
  const version = decodeGroupChange(bytes).version;
  const key = `${prefix}${String(version).padStart(10, "0")}-${hex(ctx.deps.crypto.sha256(bytes)).slice(0, 16)}`;
  writes.push({ namespace: GROUP_NS.heldChanges, key, value: bytes });
  return writes;
}

/** Applies held changes that now follow our state, in version order, until none does. */
async function retryHeldChanges(ctx: ClientContext, groupId: Uint8Array): Promise<void> {
  for (let progress = true; progress; ) {
    progress = false;
    for (const [key, bytes] of await ctx.store.list(GROUP_NS.heldChanges, `${hex(groupId)}/`)) {
      const applied: Applied = { writes: [], events: [], followUps: [] };
      const outcome = await applyChangeLocked(ctx, groupId, bytes, applied);
      if (outcome === "ahead") continue;
      await ctx.store.batch([...applied.writes, { namespace: GROUP_NS.heldChanges, key, value: undefined }]);
      for (const emit of applied.events) emit();
      for (const followUp of applied.followUps) ctx.spawn(followUp);
      if (outcome === "applied") progress = true;
    }
  }
}

/** A new member's first view of a group: the change that added it and the state that change replaced, checked. */
export async function installSnapshot(
  ctx: ClientContext,
  sender: Address,
  content: Extract<Content, { kind: "groupSnapshot" }>,
  applied: Applied,
): Promise<void> {
  await ctx.lock.run(stateLock(content.groupId), async () => {
    let state: GroupState;
    let change: GroupChange;
    try {
      change = decodeGroupChange(content.change);
      if (hex(change.groupId) !== hex(content.groupId)) throw new ParleyError(ErrorCode.GroupInvalid, "the snapshot is for another group");
      // The change checked against the state it replaced (none for a creation), as every member checks it.
      state = joinGroup(ctx.deps, ctx.local.userId, change, content.state.length > 0 ? content.state : undefined);
      // Only a member may hand us a group, and only one that lists us.
      if (!findMember(state, sender.userId) || !findMember(state, ctx.local.userId)) {
        throw new ParleyError(ErrorCode.GroupPermission, "a group snapshot from a non-member, or one that does not list us, was refused");
      }
    } catch (error) {
      const refused =
        error instanceof ParleyError ? error : new ParleyError(ErrorCode.GroupInvalid, "group snapshot refused", { cause: error });
      const event = {
        conversationId: groupConversationId(content.groupId),
        groupId: hex(content.groupId),
        author: hex(sender.userId),
        error: refused,
      };
      applied.events.push(() => ctx.emit("groupChangeRefused", event));
      return;
    }
    const existing = await loadGroup(ctx, content.groupId);
    // Never back to an older state (a replayed snapshot of an earlier addition, after a removal too).
    if (existing && decodeGroupState(existing.state).version >= state.version) return;
    const record: GroupRecord = {
      groupId: state.groupId,
      state: encodeGroupState(state),
      active: true,
      joinedAt: existing?.joinedAt ?? ctx.now(),
    };
    applied.writes.push(groupWrite(record));
    const line = changeNotice(ctx, state, change, await nameBook(ctx, state));
    applied.writes.push(...lineWrites(ctx, line));
    if (line) applied.events.push(() => ctx.emit("message", line));
    const info = await groupInfo(ctx, record);
    applied.events.push(() => ctx.emit("group", info));
    const groupId = state.groupId;
    applied.followUps.push(() => drainPending(ctx, groupId));
    // Members send to us sealed with the token the group lists for us: make it ours if it is not.
    const mine = findMember(state, ctx.local.userId)?.deliveryToken;
    if (ctx.local.account && (!mine || hex(mine) !== hex(ctx.local.identity.deliveryToken))) {
      const token = ctx.local.identity.deliveryToken;
      applied.followUps.push(() => changeGroup(ctx, groupId, [{ type: "setOwnToken", deliveryToken: token }]).then(() => undefined));
    }
  });
}

function lineWrites(ctx: ClientContext, line: ChatMessage | undefined): StoreWrite[] {
  return line ? ctx.newMessageWrites(line) : [];
}

/** Display names for a change's notice: "you", a contact's name, or a short user id. */
async function nameBook(ctx: ClientContext, ...states: GroupState[]): Promise<(userId: Uint8Array) => string> {
  const names = new Map<string, string>();
  for (const state of states) {
    for (const m of state.members) {
      const id = hex(m.userId);
      if (names.has(id)) continue;
      if (id === ctx.me) names.set(id, "You");
      else {
        const contact = await ctx.contactByUser(id);
        names.set(id, contact?.displayName ?? contact?.handle ?? id.slice(0, 8));
      }
    }
  }
  return (userId) => names.get(hex(userId)) ?? hex(userId).slice(0, 8);
}

/** The conversation line describing a change. */
function changeNotice(
  ctx: ClientContext,
  state: GroupState,
  change: GroupChange,
  name: (userId: Uint8Array) => string,
): ChatMessage | undefined {
  const by = name(change.authorUserId);
  const parts: string[] = [];
  for (const action of change.actions) {
    switch (action.type) {
      case "create":
        parts.push(`${by} created the group “${action.state.name}”`);
        break;
      case "add":
        parts.push(`${by} added ${name(action.userId)}${action.role === "admin" ? " as an admin" : ""}`);
        break;
      case "remove":
        parts.push(`${by} removed ${name(action.userId)}`);
        break;
      case "leave":
        parts.push(`${by} left`);
        break;
      case "promote":
        parts.push(`${by} made ${name(action.userId)} an admin`);
        break;
      case "demote":
        parts.push(`${by} made ${name(action.userId)} a member`);
        break;
      case "setName":
        parts.push(`${by} renamed the group to “${action.name}”`);
        break;
      case "setDescription":
        parts.push(`${by} changed the group's description`);
        break;
      case "setAvatar":
        parts.push(`${by} ${action.avatar ? "changed" : "removed"} the group's picture`);
        break;
      case "setSettings":
        parts.push(`${by} changed the group's settings${action.settings.send === "admins" ? ": only admins can send" : ""}`);
        break;
      case "setOwnToken":
        break;
    }
  }
  if (parts.length === 0) return undefined; // A member's own token: nothing to show.
  const text = `${parts.join("; ")}.`;
  return notice(ctx, { id: groupConversationId(state.groupId) }, hex(change.authorUserId), text);
}
