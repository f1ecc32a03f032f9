/**
 * A new member's first state (spec/group-state.md §4.3). The member who added it sends the
 * change that did, and the state that change replaced (nothing for a create); the joiner checks
 * the change against that state like any other change and that the result lists it.
 */

import type { Deps } from "../deps.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { applyChange } from "./apply.js";
import type { GroupChange } from "./change.js";
import { decodeGroupState, findMember, type GroupState } from "./state.js";

/**
 * The state a joiner starts from: `change` applied to `previous` (absent for a create), which
 * must list `self`. Throws applyChange's errors (a `previous` that is not the state the change
 * replaced is ERR_GROUP_STALE "fork"), decoding errors for bytes, or ERR_NOT_GROUP_MEMBER.
 */
export function joinGroup(deps: Deps, self: Uint8Array, change: GroupChange | Uint8Array, previous?: GroupState | Uint8Array): GroupState {
  const base = previous instanceof Uint8Array ? decodeGroupState(previous) : previous;
  const state = applyChange(deps, base, change);
  if (!findMember(state, self)) throw new ParleyError(ErrorCode.NotGroupMember, "the group change does not make this user a member");
  return state;
}
