// Property tests for the group state core: every decoder (state, change, and applyChange /
// resolveFork fed bytes) either succeeds or throws a ParleyError on arbitrary and mutated
// input; no single-bit change of a valid signed change is ever accepted; and random histories of
// changes by random members keep every invariant, with every member computing the same state.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { mutated, onlyParleyErrors } from "../../test/fuzz.js";
import { accounts, groupDeps as deps, fakeUserId, token } from "../../test/group-fixtures.js";
import { ParleyError } from "../errors.js";
import type { AccountKeys } from "../keys/identity.js";
import type { GroupAction } from "./action.js";
import { applyChange, createGroup, proposeChange } from "./apply.js";
import { decodeGroupChange } from "./change.js";
import { resolveFork } from "./fork.js";
import { joinGroup } from "./join.js";
import { checkGroupState, decodeGroupState, encodeGroupState, type GroupState, groupStateHash } from "./state.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 300);
const HISTORY_RUNS = Math.max(20, RUNS / 10);
const people = accounts(deps, 6) as AccountKeys[];
const [admin, second] = people as [AccountKeys, AccountKeys];
const created = createGroup(deps, admin, {
  name: "fuzz",
  description: "all kinds",
  avatar: Uint8Array.of(1, 2, 3),
  deliveryToken: token(1),
  members: [{ userId: second.userId, role: "admin", deliveryToken: token(2) }, { userId: fakeUserId(3) }],
  settings: { send: "admins" },
});
const allKinds = proposeChange(deps, created.state, admin, [
  { type: "add", userId: fakeUserId(4), role: "member", deliveryToken: token(4) },
  { type: "remove", userId: fakeUserId(3) },
  { type: "promote", userId: fakeUserId(4) },
  { type: "demote", userId: fakeUserId(4) },
  { type: "setName", name: "renamed ✓" },
  { type: "setDescription", description: "d" },
  { type: "setAvatar", avatar: Uint8Array.of(9) },
  { type: "setAvatar" },
  { type: "setSettings", settings: { addMembers: "admins", editInfo: "admins", send: "all" } },
  { type: "setOwnToken", deliveryToken: token(5) },
  { type: "leave" },
]);
const competitor = proposeChange(deps, created.state, second, [{ type: "setName", name: "other" }]);

/** name → [decoder, a valid input]. */
const decoders: Record<string, [(bytes: Uint8Array) => unknown, Uint8Array]> = {
  "group state": [decodeGroupState, encodeGroupState(allKinds.state)],
  "group change (create)": [decodeGroupChange, created.change.encoded],
  "group change (every action)": [decodeGroupChange, allKinds.change.encoded],
  "applyChange (create, no state held)": [(b) => applyChange(deps, undefined, b), created.change.encoded],
  "applyChange (to the state held)": [(b) => applyChange(deps, created.state, b), allKinds.change.encoded],
  "resolveFork (incoming)": [(b) => resolveFork(deps, created.state, competitor.change, b), allKinds.change.encoded],
  "joinGroup (previous state as bytes)": [(b) => joinGroup(deps, second.userId, allKinds.change, b), encodeGroupState(created.state)],
};

describe.each(Object.entries(decoders))("%s", (_name, [decode, valid]) => {
  test.prop([fc.uint8Array({ maxLength: 4096 })], { numRuns: RUNS })("arbitrary bytes give a ParleyError or a value", (bytes) => {
    onlyParleyErrors(decode, bytes);
  });

  test.prop([mutated(valid)], { numRuns: RUNS })("mutations of a valid input give a ParleyError or a value", (bytes) => {
    onlyParleyErrors(decode, bytes);
  });

  test.prop([fc.uint8Array({ minLength: 2, maxLength: 8 })], { numRuns: 50 })(
    "a version prefix followed by garbage is rejected",
    (bytes) => {
      expect(() => decode(Uint8Array.of(1, ...bytes))).toThrow(ParleyError);
    },
  );
});

describe("signed changes", () => {
  const valid = allKinds.change.encoded;
  test.prop([fc.nat({ max: valid.length * 8 - 1 })], { numRuns: RUNS })("no single-bit change of a valid change is accepted", (bit) => {
    const copy = valid.slice();
    copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
    expect(() => applyChange(deps, created.state, copy)).toThrow(ParleyError);
  });
});

/** A random action by a random person: valid, invalid or unauthorised alike. */
const action: fc.Arbitrary<GroupAction> = fc.oneof(
  fc.record({
    type: fc.constant("add" as const),
    userId: fc.nat({ max: 9 }).map(fakeUserId),
    role: fc.constantFrom("admin" as const, "member" as const),
  }),
  fc.record({ type: fc.constant("remove" as const), userId: fc.nat({ max: 9 }).map(fakeUserId) }),
  fc.record({ type: fc.constant("promote" as const), userId: fc.nat({ max: 9 }).map(fakeUserId) }),
  fc.record({ type: fc.constant("demote" as const), userId: fc.nat({ max: 9 }).map(fakeUserId) }),
  fc.constant({ type: "leave" as const }),
  fc.string({ maxLength: 20 }).map((name) => ({ type: "setName" as const, name })),
  fc.nat({ max: 255 }).map((n) => ({ type: "setOwnToken" as const, deliveryToken: token(n) })),
  fc
    .record({
      addMembers: fc.constantFrom("all" as const, "admins" as const),
      editInfo: fc.constantFrom("all" as const, "admins" as const),
      send: fc.constantFrom("all" as const, "admins" as const),
    })
    .map((settings) => ({ type: "setSettings" as const, settings })),
);

describe("histories", () => {
  let accepted = 0;
  // Authors lean towards the first admin so that a fair share of changes is allowed.
  const author = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.nat({ max: people.length - 1 }) });
  test.prop([fc.array(fc.tuple(author, fc.array(action, { minLength: 1, maxLength: 3 })), { minLength: 10, maxLength: 25 })], {
    numRuns: HISTORY_RUNS,
  })("every accepted change keeps the invariants and every member reaches the same state; refusals change nothing", (steps) => {
    const founders = people.slice(1, 4).map((p) => ({ userId: p.userId }));
    let state: GroupState = createGroup(deps, admin, { name: "h", groupId: new Uint8Array(16).fill(1), members: founders }).state;
    let observer: GroupState = state;
    for (const [who, actions] of steps) {
      const author = people[who] as AccountKeys;
      const before = encodeGroupState(state);
      let next: ReturnType<typeof proposeChange> | undefined;
      try {
        next = proposeChange(deps, state, author, actions);
      } catch (error) {
        if (!(error instanceof ParleyError) || !["ERR_GROUP_PERMISSION", "ERR_GROUP_INVALID"].includes(error.code)) throw error;
      }
      expect(encodeGroupState(state)).toEqual(before);
      if (!next) continue;
      checkGroupState(next.state);
      expect(next.state.version).toBe(state.version + 1);
      expect(next.change.previousHash).toEqual(groupStateHash(deps, state));
      observer = applyChange(deps, observer, next.change.encoded);
      expect(encodeGroupState(observer)).toEqual(encodeGroupState(next.state));
      expect(decodeGroupState(encodeGroupState(next.state))).toEqual(next.state);
      state = next.state;
      accepted++;
    }
  });

  test("the random histories above do accept changes (the property is not vacuous)", () => {
    expect(accepted).toBeGreaterThanOrEqual(HISTORY_RUNS);
  });
});
