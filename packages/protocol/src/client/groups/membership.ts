/**
 * Group membership and settings as signed changes made here. A change is proposed (GS checks the
 * author's rights), applied, stored with a notice line, then sent pairwise — `groupChange` to
 * every member before and after it (a removed member learns it was removed) and to our other
 * devices, `groupSnapshot` (the state and the change that added them) to new members. Only the
 * primary device holds the account key that signs changes. Received changes: change-receive.ts;
 * snapshots: snapshot.ts; notice lines: notices.ts.
 */

import type { ContentBody } from "../../content/content.js";
import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import type { ClientContext } from "../context.js";
import { newContent, sendContent, sendToOwnDevices } from "../outgoing.js";
import type { StoreWrite } from "../store/store.js";
import { awaitingTokenDeletes } from "./awaiting-token.js";
import {
  createGroup,
  decodeGroupState,
  encodeGroupState,
  findMember,
  type GroupAction,
  type GroupChange,
  type GroupSettings,
  type GroupState,
  groupChangeHash,
  membersRemoved,
  proposeChange,
  rebaseActions,
} from "./core.js";
import { withApplied } from "./history.js";
import { groupInfo } from "./info.js";
import { memberContact } from "./members.js";
import { changeNotice, lineWrites, nameBook } from "./notices.js";
import { chainOf, type GroupRecord, groupWrite, loadGroup, ownKeyWrite, senderKeyDeletes, withLink } from "./records.js";

/** The lock serialising changes to one group's stored state. */
export function stateLock(groupId: Uint8Array): string {
  return `group-state:${hex(groupId)}`;
}

/** This device as a change author; only the primary device holds the account key. */
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
  const record: GroupRecord = {
    groupId: state.groupId,
    state: encodeGroupState(state),
    history: withApplied(undefined, change.version, groupChangeHash(ctx.deps, change)),
    active: true,
    joinedAt: ctx.now(),
  };
  const line = changeNotice(ctx, state, change, await nameBook(ctx, state));
  await ctx.store.batch([groupWrite(record), ...lineWrites(ctx, line)]);
  if (line) ctx.emit("message", line);
  ctx.emit("group", await groupInfo(ctx, record));
  const snapshot = { kind: "groupSnapshot" as const, groupId: state.groupId, state: new Uint8Array(0), change: change.encoded };
  await sendToMembers(ctx, state.members, snapshot);
  await sendToOwn(ctx, snapshot);
  return state;
}

/**
 * Proposes, applies, stores and sends one change; resolves with the new state. With `rebase`
 * (our own actions that lost a fork, made again on the winner), only the actions that still apply
 * and still change something are made (`rebaseActions`); none left, nothing is sent (undefined).
 */
export async function changeGroup(ctx: ClientContext, groupId: Uint8Array, actions: readonly GroupAction[]): Promise<GroupState>;
export async function changeGroup(
  ctx: ClientContext,
  groupId: Uint8Array,
  actions: readonly GroupAction[],
  options: { rebase: true },
): Promise<GroupState | undefined>;
export async function changeGroup(
  ctx: ClientContext,
  groupId: Uint8Array,
  actions: readonly GroupAction[],
  options: { rebase?: boolean } = {},
): Promise<GroupState | undefined> {
  const signer = author(ctx);
  const done = await ctx.lock.run(stateLock(groupId), async () => {
    const record = await loadGroup(ctx, groupId);
    if (!record?.active) throw new ParleyError(ErrorCode.NotGroupMember, "you are not a member of this group");
    const before = decodeGroupState(record.state);
    const made = options.rebase ? rebaseActions(before, signer.userId, actions) : actions;
    if (made.length === 0) return undefined;
    const { state, change } = proposeChange(ctx.deps, before, signer, made);
    const next: GroupRecord = {
      ...withLink(record, [...chainOf(record), { state: record.state, change: change.encoded }], encodeGroupState(state)),
      history: withApplied(record.history, change.version, groupChangeHash(ctx.deps, change)),
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
  if (!done) return undefined;
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
export async function afterChangeWrites(ctx: ClientContext, before: GroupState, after: GroupState): Promise<StoreWrite[]> {
  const writes: StoreWrite[] = [];
  for (const removed of membersRemoved(before, after)) {
    writes.push(...(await senderKeyDeletes(ctx, after.groupId, hex(removed))));
    // What waited for its token is not sent to a member that left or was removed.
    writes.push(...(await awaitingTokenDeletes(ctx, after.groupId, hex(removed))));
  }
  if (!findMember(after, ctx.local.userId)) {
    // We are out: our key and every member's key for the group go (nothing new is for us).
    writes.push(ownKeyWrite(after.groupId, undefined), ...(await awaitingTokenDeletes(ctx, after.groupId)));
    for (const member of before.members) writes.push(...(await senderKeyDeletes(ctx, after.groupId, hex(member.userId))));
  }
  // Our own key rotates by itself before our next send: its holders include the removed devices.
  return writes;
}
