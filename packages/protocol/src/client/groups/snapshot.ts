/**
 * A new member's first view of a group: a `groupSnapshot` (the change that added us and the
 * state it replaced), checked as every member checks that change, accepted only from a member
 * and only when it lists us, never taking us back to an older state.
 */

import type { Content } from "../../content/content.js";
import { bytesToHex as hex } from "../../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../../errors.js";
import type { Address } from "../../keys/identity.js";
import type { ClientContext } from "../context.js";
import type { Applied } from "../incoming.js";
import { retryHeldChanges } from "./change-receive.js";
import {
  decodeGroupChange,
  decodeGroupState,
  encodeGroupState,
  findMember,
  type GroupChange,
  type GroupState,
  groupChangeHash,
  joinGroup,
} from "./core.js";
import { withApplied } from "./history.js";
import { groupConversationId } from "./ids.js";
import { groupInfo } from "./info.js";
import { changeGroup, stateLock } from "./membership.js";
import { changeNotice, lineWrites, nameBook } from "./notices.js";
import { drainPending } from "./pending.js";
import { type GroupRecord, groupWrite, loadGroup } from "./records.js";

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
      // The change that added us, with the state it replaced: a competing change to it can be settled.
      chain: content.state.length > 0 ? [{ state: content.state, change: change.encoded }] : [],
      history: withApplied(existing?.history, change.version, groupChangeHash(ctx.deps, change)),
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
    // Changes other members made before our snapshot reached us (their setOwnToken): applied now.
    applied.followUps.push(() => retryHeldChanges(ctx, groupId));
    // Members send to us sealed with the token the group lists for us: make it ours if it is not.
    const mine = findMember(state, ctx.local.userId)?.deliveryToken;
    if (ctx.local.account && (!mine || hex(mine) !== hex(ctx.local.identity.deliveryToken))) {
      const token = ctx.local.identity.deliveryToken;
      applied.followUps.push(() => changeGroup(ctx, groupId, [{ type: "setOwnToken", deliveryToken: token }]).then(() => undefined));
    }
  });
}
