/**
 * Fork resolution (spec/group-state.md §5, VAL-140): two different valid changes to the same
 * version from the same previous state. Every member picks the same winner without talking to
 * anyone: a change by an admin of the previous state beats one by a non-admin (so a member
 * cannot grind hashes to undo its own removal), then the lower SHA-256 of the encoded change
 * wins. A client keeps its newest applied changes with the states they replaced so it can switch
 * (MAX_GROUP_FORK_DEPTH), and re-proposes its own lost actions that still apply (`rebaseActions`).
 */

import { equalBytes } from "../crypto/bytes.js";
import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import type { GroupAction } from "./action.js";
import { applyActions, applyChange } from "./apply.js";
import { decodeGroupChange, type GroupChange, groupChangeHash } from "./change.js";
import { compareUserIds, encodeGroupState, type GroupState, groupStateHash, isGroupAdmin } from "./state.js";

/** The outcome of `resolveFork`: keep the applied change, or switch to the incoming one's state. */
export type ForkResolution =
  | { readonly winner: "applied" }
  | { readonly winner: "incoming"; readonly state: GroupState; readonly change: GroupChange };

/**
 * Orders two changes competing for the same version of the same previous state: negative when
 * `a` wins, positive when `b` wins, 0 only for the same change. Does not validate them.
 */
export function compareCompetingChanges(deps: Deps, previous: GroupState, a: GroupChange, b: GroupChange): number {
  const rank = (c: GroupChange) => (isGroupAdmin(previous, c.authorUserId) ? 0 : 1);
  const byRank = rank(a) - rank(b);
  return byRank !== 0 ? byRank : compareUserIds(groupChangeHash(deps, a), groupChangeHash(deps, b));
}

/**
 * Decides between the change a client applied to `previous` and a competing `incoming` one
 * (same version, same previous state). `incoming` is checked in full against `previous`
 * (applyChange's errors); the same change again is ERR_GROUP_STALE "replay"; a change that
 * does not compete (another version or previous state) is ERR_GROUP_STALE. `applied` must be
 * the change the client applied to `previous` (RangeError otherwise).
 */
export function resolveFork(deps: Deps, previous: GroupState, applied: GroupChange, incoming: GroupChange | Uint8Array): ForkResolution {
  if (
    applied.version !== previous.version + 1 ||
    !equalBytes(applied.groupId, previous.groupId) ||
    !equalBytes(applied.previousHash, groupStateHash(deps, previous))
  ) {
    throw new RangeError("the applied change is not the one made from the previous state");
  }
  const change = incoming instanceof Uint8Array ? decodeGroupChange(incoming) : incoming;
  if (equalBytes(change.encoded, applied.encoded)) {
    throw new ParleyError(ErrorCode.GroupStale, "the change is the one already applied (VAL-140)", { reason: "replay" });
  }
  const next = applyChange(deps, previous, change);
  return compareCompetingChanges(deps, previous, change, applied) < 0 ? { winner: "incoming", state: next, change } : { winner: "applied" };
}

/**
 * The actions of a change that lost a fork (its author's own) that still make sense on `state`,
 * the winner's result, in their order: an action is kept when the change made of it and the ones
 * kept before it would be valid for `author` (the checks of `proposeChange`, without signing)
 * and it alters the state (the winner may already have done the same: a token set, a name). The
 * author re-proposes what is kept as one new change (spec/group-state.md §5); empty when nothing
 * is left to do.
 */
export function rebaseActions(state: GroupState, author: Uint8Array, actions: readonly GroupAction[]): GroupAction[] {
  const kept: GroupAction[] = [];
  let current = encodeGroupState({ ...state, version: state.version + 1 });
  for (const action of actions) {
    let next: Uint8Array;
    try {
      next = encodeGroupState(applyActions(state, author, [...kept, action]));
    } catch {
      continue; // No longer valid here: a member already added or removed, a right lost.
    }
    if (equalBytes(next, current)) continue; // Done by the winner already.
    kept.push(action);
    current = next;
  }
  return kept;
}
