// Fork resolution (spec/group-state.md §5, VAL-140): members that applied competing changes in
// either order converge on the same winner, and a non-admin cannot win against an admin by
// grinding its change's hash (the attack is reproduced: the ground change does hash lower).
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { accounts, groupDeps as deps, errorOf, flip, token } from "../../test/group-fixtures.js";
import { equalBytes } from "../crypto/bytes.js";
import type { AccountKeys } from "../keys/identity.js";
import { applyChange, createGroup, proposeChange } from "./apply.js";
import { type GroupChange, groupChangeHash, signGroupChange } from "./change.js";
import { compareCompetingChanges, rebaseActions, resolveFork } from "./fork.js";
import { compareUserIds as compareBytes, encodeGroupState, findMember, groupStateHash } from "./state.js";

const [admin, admin2, member] = accounts(deps, 3) as [AccountKeys, AccountKeys, AccountKeys];
const created = createGroup(deps, admin, {
  name: "g",
  members: [{ userId: admin2.userId, role: "admin" }, { userId: member.userId }],
});
const previous = created.state;

describe("resolveFork", () => {
  test("two admins' competing changes: both members end on the change with the lower hash, whatever the arrival order", () => {
    const a = proposeChange(deps, previous, admin, [{ type: "setName", name: "A" }]);
    const b = proposeChange(deps, previous, admin2, [{ type: "setName", name: "B" }]);
    const aWins = compareBytes(groupChangeHash(deps, a.change), groupChangeHash(deps, b.change)) < 0;
    // One member applied A first, the other B.
    const atFirst = resolveFork(deps, previous, a.change, b.change.encoded);
    const atSecond = resolveFork(deps, previous, b.change, a.change);
    const final1 = atFirst.winner === "applied" ? a.state : atFirst.state;
    const final2 = atSecond.winner === "applied" ? b.state : atSecond.state;
    expect(encodeGroupState(final1)).toEqual(encodeGroupState(final2));
    expect(final1.name).toBe(aWins ? "A" : "B");
    expect(Math.sign(compareCompetingChanges(deps, previous, a.change, b.change))).toBe(aWins ? -1 : 1);
  });

  test("an admin's change beats a member's, even when the member grinds its change to a lower hash", () => {
    const removal = proposeChange(deps, previous, admin, [{ type: "remove", userId: member.userId }]);
    const removalHash = groupChangeHash(deps, removal.change);
    // The attack: the member varies its token until its change hashes below the removal.
    let ground: ReturnType<typeof proposeChange> | undefined;
    for (let i = 0; i < 256 && !ground; i++) {
      const attempt = proposeChange(deps, previous, member, [{ type: "setOwnToken", deliveryToken: token(i) }]);
      if (compareBytes(groupChangeHash(deps, attempt.change), removalHash) < 0) ground = attempt;
    }
    if (!ground) throw new Error("no lower hash found in 256 tries");
    // Ordered by hash alone the member would win and undo its removal; the admin rank keeps it out.
    const atRemoved = resolveFork(deps, previous, ground.change, removal.change);
    expect(atRemoved.winner).toBe("incoming");
    if (atRemoved.winner === "incoming") expect(findMember(atRemoved.state, member.userId)).toBeUndefined();
    expect(resolveFork(deps, previous, removal.change, ground.change).winner).toBe("applied");
  });

  test("the same change again is a replay; a change that does not compete or does not verify is refused", () => {
    const a = proposeChange(deps, previous, admin, [{ type: "setName", name: "A" }]);
    const next = proposeChange(deps, a.state, admin, [{ type: "setName", name: "A2" }]);
    expect(errorOf(() => resolveFork(deps, previous, a.change, a.change.encoded))).toBe("ERR_GROUP_STALE:replay");
    expect(errorOf(() => resolveFork(deps, previous, a.change, next.change))).toBe("ERR_GROUP_STALE:ahead");
    // A competing change by a member without the right: refused, not a fork candidate.
    const forged = signGroupChange(deps, member, {
      groupId: previous.groupId,
      version: 1,
      previousHash: groupStateHash(deps, previous),
      actions: [{ type: "remove", userId: admin.userId }],
    });
    expect(errorOf(() => resolveFork(deps, previous, a.change, forged))).toBe("ERR_GROUP_PERMISSION");
    const tampered = flip(a.change.encoded, -5);
    const b = proposeChange(deps, previous, admin2, [{ type: "setName", name: "B" }]);
    expect(errorOf(() => resolveFork(deps, previous, b.change, tampered))).toBe("ERR_INVALID_SIGNATURE");
    expect(() => resolveFork(deps, a.state, a.change, b.change)).toThrow(RangeError);
    // The applied change must be the one made from `previous`, not one made from a lookalike.
    const lookalike = proposeChange(deps, { ...previous, name: "other" }, admin, [{ type: "setName", name: "A" }]);
    expect(() => resolveFork(deps, previous, lookalike.change, b.change)).toThrow(RangeError);
  });

  test("after switching, the winner's later changes apply and the loser's do not", () => {
    const a = proposeChange(deps, previous, admin, [{ type: "setName", name: "A" }]);
    const b = proposeChange(deps, previous, admin2, [{ type: "setName", name: "B" }]);
    const [winner, loser] = compareCompetingChanges(deps, previous, a.change, b.change) < 0 ? [a, b] : [b, a];
    const afterWinner = proposeChange(deps, winner.state, admin, [{ type: "setDescription", description: "w" }]);
    const afterLoser = proposeChange(deps, loser.state, admin, [{ type: "setDescription", description: "l" }]);
    const switched = resolveFork(deps, previous, loser.change, winner.change);
    expect(switched.winner).toBe("incoming");
    const state = switched.winner === "incoming" ? switched.state : loser.state;
    expect(applyChange(deps, state, afterWinner.change).description).toBe("w");
    expect(errorOf(() => applyChange(deps, state, afterLoser.change))).toBe("ERR_GROUP_STALE:fork");
  });
});

describe("convergence", () => {
  const candidates = [
    proposeChange(deps, previous, admin, [{ type: "setName", name: "by admin" }]),
    proposeChange(deps, previous, admin2, [{ type: "setDescription", description: "by admin2" }]),
    proposeChange(deps, previous, admin2, [{ type: "remove", userId: member.userId }]),
    proposeChange(deps, previous, member, [{ type: "setOwnToken", deliveryToken: token(7) }]),
    proposeChange(deps, previous, member, [{ type: "setName", name: "by member" }]),
  ].map((u) => u.change);
  const byAdmin = new Set([0, 1, 2]);
  const indices = candidates.map((_, i) => i);

  test.prop([fc.array(fc.shuffledSubarray(indices, { minLength: 1 }), { minLength: 2, maxLength: 5 })], { numRuns: 100 })(
    "members receiving any competing changes in any order each end on the best one they received; an admin's always beats a member's",
    (arrivals) => {
      for (const order of arrivals) {
        let applied = candidates[order[0] as number] as GroupChange;
        for (const i of order.slice(1)) {
          const r = resolveFork(deps, previous, applied, (candidates[i] as GroupChange).encoded);
          if (r.winner === "incoming") applied = r.change;
        }
        const best = [...order].sort((a, b) =>
          compareCompetingChanges(deps, previous, candidates[a] as GroupChange, candidates[b] as GroupChange),
        )[0];
        expect(applied.encoded).toEqual((candidates[best as number] as GroupChange).encoded);
        const winner = indices.find((i) => equalBytes((candidates[i] as GroupChange).encoded, applied.encoded)) as number;
        if (order.some((i) => byAdmin.has(i))) expect(byAdmin.has(winner)).toBe(true);
      }
    },
  );
});

describe("rebaseActions", () => {
  test("keeps a lost token and rename on an admin's winning change; drops what the winner already did", () => {
    const winner = proposeChange(deps, previous, admin, [
      { type: "setName", name: "by admin" },
      { type: "setDescription", description: "same" },
    ]).state;
    const lost = [
      { type: "setOwnToken", deliveryToken: token(9) },
      { type: "setDescription", description: "same" },
      { type: "setName", name: "by member" },
    ] as const;
    expect(rebaseActions(winner, member.userId, lost)).toEqual([lost[0], lost[2]]);
    // The result proposes and applies as a change of its own.
    const again = proposeChange(deps, winner, member, rebaseActions(winner, member.userId, lost));
    expect(again.state.name).toBe("by member");
    expect(findMember(again.state, member.userId)?.deliveryToken).toEqual(token(9));
  });

  test("drops actions no longer valid: a member already removed, a right lost with the settings, all of a removed author", () => {
    const other = accounts(deps, 4)[3] as AccountKeys;
    const withOther = proposeChange(deps, previous, admin, [{ type: "add", userId: other.userId }]).state;
    const removedByWinner = proposeChange(deps, withOther, admin2, [{ type: "remove", userId: other.userId }]).state;
    expect(
      rebaseActions(removedByWinner, admin.userId, [
        { type: "remove", userId: other.userId },
        { type: "setName", name: "x" },
      ]),
    ).toEqual([{ type: "setName", name: "x" }]);
    const locked = proposeChange(deps, previous, admin, [
      { type: "setSettings", settings: { addMembers: "all", editInfo: "admins", send: "all" } },
    ]).state;
    expect(
      rebaseActions(locked, member.userId, [
        { type: "setName", name: "y" },
        { type: "setOwnToken", deliveryToken: token(3) },
      ]),
    ).toEqual([{ type: "setOwnToken", deliveryToken: token(3) }]);
    const memberGone = proposeChange(deps, previous, admin, [{ type: "remove", userId: member.userId }]).state;
    expect(rebaseActions(memberGone, member.userId, [{ type: "setOwnToken", deliveryToken: token(3) }])).toEqual([]);
  });

  test("keeps the order, and a leave stays last", () => {
    const actions = [{ type: "promote", userId: member.userId }, { type: "setName", name: "bye" }, { type: "leave" }] as const;
    expect(rebaseActions(previous, admin.userId, actions)).toEqual(actions);
  });
});
