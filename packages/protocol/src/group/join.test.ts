// Joining (spec/group-state.md §4.3): a new member starts from the create change, or from the
// change that added it applied to the state it replaced; anything else is refused.
import { expect, test } from "vitest";
import { accounts, groupDeps as deps, errorOf } from "../../test/group-fixtures.js";
import type { AccountKeys } from "../keys/identity.js";
import { createGroup, proposeChange } from "./apply.js";
import { joinGroup } from "./join.js";
import { encodeGroupState } from "./state.js";

const [admin, alice, bob] = accounts(deps, 3) as [AccountKeys, AccountKeys, AccountKeys];

test("a member listed at creation joins from the create change alone", () => {
  const created = createGroup(deps, admin, { name: "g", members: [{ userId: alice.userId }] });
  expect(encodeGroupState(joinGroup(deps, alice.userId, created.change.encoded))).toEqual(encodeGroupState(created.state));
  expect(errorOf(() => joinGroup(deps, bob.userId, created.change.encoded))).toBe("ERR_NOT_GROUP_MEMBER");
});

test("a later member joins from the state the adding change replaced plus that change, given as bytes or objects", () => {
  const created = createGroup(deps, admin, { name: "g", members: [{ userId: alice.userId }] });
  const renamed = proposeChange(deps, created.state, alice, [{ type: "setName", name: "h" }]);
  const added = proposeChange(deps, renamed.state, admin, [{ type: "add", userId: bob.userId }]);
  const joined = joinGroup(deps, bob.userId, added.change.encoded, encodeGroupState(renamed.state));
  expect(encodeGroupState(joined)).toEqual(encodeGroupState(added.state));
  expect(joinGroup(deps, bob.userId, added.change, renamed.state).name).toBe("h");
  // The adder cannot hand over a doctored previous state: it no longer hashes to previousHash.
  const doctored = { ...renamed.state, name: "fake" };
  expect(errorOf(() => joinGroup(deps, bob.userId, added.change, doctored))).toBe("ERR_GROUP_STALE:fork");
  // Nor a change that does not add the joiner.
  expect(errorOf(() => joinGroup(deps, bob.userId, renamed.change, created.state))).toBe("ERR_NOT_GROUP_MEMBER");
  expect(errorOf(() => joinGroup(deps, bob.userId, added.change))).toBe("ERR_GROUP_STALE:ahead");
});
