// Applying group changes: each rule of spec/group-state.md §4 and the attack it stops (a
// non-member's or under-privileged member's change, forged signatures and impersonation,
// replays, forks, gaps, self-granted rights), with the held state left untouched on refusal.
import { describe, expect, test } from "vitest";
import { allDeps, seededRandom } from "../../test/fixtures.js";
import { accounts, groupDeps as deps, errorOf, flip, token } from "../../test/group-fixtures.js";
import type { AccountKeys } from "../keys/identity.js";
import type { GroupAction } from "./action.js";
import { applyChange, createGroup, proposeChange } from "./apply.js";
import { decodeGroupChange, type GroupAuthor, signGroupChange } from "./change.js";
import { encodeGroupState, findMember, type GroupState, groupStateHash } from "./state.js";

const [admin, alice, bob, carol, outsider] = accounts(deps, 5) as [AccountKeys, AccountKeys, AccountKeys, AccountKeys, AccountKeys];

/** admin (admin), alice and bob (members); settings as given. */
function group(settings: Partial<GroupState["settings"]> = {}) {
  return createGroup(deps, admin, { name: "team", members: [{ userId: alice.userId }, { userId: bob.userId }], settings });
}

/** A change signed by `author` with no local checks: what an attacker can send. */
function forge(author: GroupAuthor, state: GroupState, actions: GroupAction[], over: { version?: number; previousHash?: Uint8Array } = {}) {
  return signGroupChange(deps, author, {
    groupId: state.groupId,
    version: over.version ?? state.version + 1,
    previousHash: over.previousHash ?? groupStateHash(deps, state),
    actions,
  });
}

/** Applies `change` to `state` and checks that a refusal leaves `state` exactly as it was. */
function refusal(state: GroupState, change: Uint8Array): string {
  const before = encodeGroupState(state);
  const code = errorOf(() => applyChange(deps, state, change));
  expect(encodeGroupState(state)).toEqual(before);
  return code;
}

describe.each(allDeps)("with the %s provider", (_name, providerDeps) => {
  test("a creation verifies for a new member and every member computes the same states", () => {
    const d = { crypto: providerDeps.crypto, random: seededRandom(1) };
    const created = createGroup(d, admin, { name: "team", description: "d", members: [{ userId: alice.userId, deliveryToken: token(1) }] });
    const atAlice = applyChange(d, undefined, created.change.encoded);
    expect(encodeGroupState(atAlice)).toEqual(encodeGroupState(created.state));
    expect(findMember(atAlice, admin.userId)?.role).toBe("admin");
    expect(atAlice.version).toBe(0);
    const next = proposeChange(d, created.state, admin, [
      { type: "add", userId: bob.userId },
      { type: "setName", name: "team 2" },
    ]);
    expect(encodeGroupState(applyChange(d, atAlice, next.change.encoded))).toEqual(encodeGroupState(next.state));
  });
});

describe("membership and roles", () => {
  test("add, remove, promote, demote, rename, description, avatar, settings and own token apply as specified", () => {
    let { state } = group();
    state = proposeChange(deps, state, admin, [
      { type: "add", userId: carol.userId, role: "admin", deliveryToken: token(3) },
      { type: "remove", userId: bob.userId },
      { type: "promote", userId: alice.userId },
      { type: "setName", name: "renamed" },
      { type: "setDescription", description: "about" },
      { type: "setAvatar", avatar: Uint8Array.of(1, 2) },
      { type: "setSettings", settings: { addMembers: "admins", editInfo: "admins", send: "admins" } },
    ]).state;
    expect(state.version).toBe(1);
    expect(state.members.map((m) => [m.userId, m.role])).toEqual(
      [
        [admin.userId, "admin"],
        [alice.userId, "admin"],
        [carol.userId, "admin"],
      ].sort((a, b) => Buffer.compare(a[0] as Uint8Array, b[0] as Uint8Array)),
    );
    expect(findMember(state, carol.userId)?.deliveryToken).toEqual(token(3));
    expect([state.name, state.description, state.avatar]).toEqual(["renamed", "about", Uint8Array.of(1, 2)]);
    state = proposeChange(deps, state, carol, [{ type: "demote", userId: alice.userId }, { type: "setAvatar" }]).state;
    expect(findMember(state, alice.userId)?.role).toBe("member");
    expect(state.avatar).toBeUndefined();
    state = proposeChange(deps, state, alice, [{ type: "setOwnToken", deliveryToken: token(9) }]).state;
    expect(findMember(state, alice.userId)?.deliveryToken).toEqual(token(9));
    expect(state.version).toBe(3);
  });

  test("a member may add members and edit the info while the settings allow it, not after", () => {
    const open = group().state;
    expect(
      proposeChange(deps, open, alice, [
        { type: "add", userId: carol.userId },
        { type: "setName", name: "x" },
      ]).state.version,
    ).toBe(1);
    const closed = group({ addMembers: "admins", editInfo: "admins" }).state;
    expect(refusal(closed, forge(alice, closed, [{ type: "add", userId: carol.userId }]))).toBe("ERR_GROUP_PERMISSION");
    expect(refusal(closed, forge(alice, closed, [{ type: "setName", name: "mine" }]))).toBe("ERR_GROUP_PERMISSION");
    expect(refusal(closed, forge(alice, closed, [{ type: "setDescription", description: "x" }]))).toBe("ERR_GROUP_PERMISSION");
    expect(refusal(closed, forge(alice, closed, [{ type: "setAvatar" }]))).toBe("ERR_GROUP_PERMISSION");
    // The member's own token is always its own business.
    expect(applyChange(deps, closed, forge(alice, closed, [{ type: "setOwnToken", deliveryToken: token(4) }])).version).toBe(1);
  });

  test("the last admin cannot leave without naming a successor in the same change", () => {
    const { state } = group();
    expect(refusal(state, forge(admin, state, [{ type: "leave" }]))).toBe("ERR_GROUP_INVALID");
    expect(refusal(state, forge(admin, state, [{ type: "demote", userId: admin.userId }]))).toBe("ERR_GROUP_INVALID");
    expect(refusal(state, forge(admin, state, [{ type: "leave" }, { type: "promote", userId: alice.userId }]))).toBe("ERR_GROUP_INVALID");
    const left = applyChange(deps, state, forge(admin, state, [{ type: "promote", userId: alice.userId }, { type: "leave" }]));
    expect(findMember(left, admin.userId)).toBeUndefined();
    expect(findMember(left, alice.userId)?.role).toBe("admin");
    // A member leaves freely; an admin with another admin too.
    expect(findMember(proposeChange(deps, state, bob, [{ type: "leave" }]).state, bob.userId)).toBeUndefined();
  });

  test("meaningless actions are refused: adding a member twice, removing or promoting a non-member, no-op role changes, removing oneself", () => {
    const { state } = group();
    const cases: GroupAction[][] = [
      [{ type: "add", userId: alice.userId }],
      [
        { type: "add", userId: carol.userId },
        { type: "add", userId: carol.userId },
      ],
      [{ type: "remove", userId: carol.userId }],
      [{ type: "promote", userId: carol.userId }],
      [{ type: "demote", userId: carol.userId }],
      [{ type: "promote", userId: admin.userId }],
      [{ type: "demote", userId: alice.userId }],
      [{ type: "remove", userId: admin.userId }],
      [{ type: "create", state }],
    ];
    for (const actions of cases) {
      expect(refusal(state, forge(admin, state, actions)), actions.map((a) => a.type).join()).toBe("ERR_GROUP_INVALID");
      expect(errorOf(() => proposeChange(deps, state, admin, actions))).toBe("ERR_GROUP_INVALID");
    }
  });

  test("the last member cannot leave (the group would have no admin); it just forgets the group", () => {
    const solo = createGroup(deps, admin, { name: "solo" }).state;
    expect(refusal(solo, forge(admin, solo, [{ type: "leave" }]))).toBe("ERR_GROUP_INVALID");
  });
});

describe("attacks", () => {
  test("a non-member's change is refused, whatever it does", () => {
    const { state } = group();
    for (const actions of [
      [{ type: "add", userId: outsider.userId }],
      [{ type: "setName", name: "pwned" }],
      [{ type: "setOwnToken", deliveryToken: token(1) }],
      [{ type: "leave" }],
    ] as GroupAction[][]) {
      expect(refusal(state, forge(outsider, state, actions))).toBe("ERR_GROUP_PERMISSION");
    }
    expect(errorOf(() => proposeChange(deps, state, outsider, [{ type: "setName", name: "x" }]))).toBe("ERR_GROUP_PERMISSION");
  });

  test("a member cannot remove, promote, demote, add an admin or change settings", () => {
    const { state } = group();
    for (const actions of [
      [{ type: "remove", userId: bob.userId }],
      [{ type: "promote", userId: alice.userId }],
      [{ type: "demote", userId: admin.userId }],
      [{ type: "add", userId: carol.userId, role: "admin" }],
      [{ type: "setSettings", settings: { addMembers: "all", editInfo: "all", send: "all" } }],
    ] as GroupAction[][]) {
      expect(refusal(state, forge(alice, state, actions))).toBe("ERR_GROUP_PERMISSION");
      expect(errorOf(() => proposeChange(deps, state, alice, actions))).toBe("ERR_GROUP_PERMISSION");
    }
  });

  test("a change cannot grant itself the rights it uses: permissions are judged on the state it replaces", () => {
    const { state } = group({ editInfo: "admins" });
    // An admin who demotes itself still had the right for the rest of its change…
    const withSecondAdmin = proposeChange(deps, state, admin, [{ type: "promote", userId: alice.userId }]).state;
    expect(
      applyChange(
        deps,
        withSecondAdmin,
        forge(admin, withSecondAdmin, [
          { type: "demote", userId: admin.userId },
          { type: "setName", name: "ok" },
        ]),
      ).name,
    ).toBe("ok");
    // …and a member cannot open the settings and use them in one change, nor promote itself first.
    expect(
      refusal(
        state,
        forge(bob, state, [
          { type: "setSettings", settings: { addMembers: "all", editInfo: "all", send: "all" } },
          { type: "setName", name: "x" },
        ]),
      ),
    ).toBe("ERR_GROUP_PERMISSION");
    expect(
      refusal(
        state,
        forge(bob, state, [
          { type: "promote", userId: bob.userId },
          { type: "remove", userId: alice.userId },
        ]),
      ),
    ).toBe("ERR_GROUP_PERMISSION");
  });

  test("a forged signature, an altered change, or a change claiming another member's user id is refused", () => {
    const { state } = group();
    const honest = forge(admin, state, [{ type: "setName", name: "fine" }]);
    const altered = flip(honest, -64 - 2); // a byte of the name
    expect(refusal(state, altered)).toBe("ERR_INVALID_SIGNATURE");
    const badSignature = flip(honest, -1, 0x40);
    expect(refusal(state, badSignature)).toBe("ERR_INVALID_SIGNATURE");
    // Bob claims to be the admin: the admin's user id with Bob's key and signature…
    const impersonation = forge({ userId: admin.userId, accountKeyPair: bob.signingKey }, state, [
      { type: "remove", userId: alice.userId },
    ]);
    expect(refusal(state, impersonation)).toBe("ERR_INVALID_SIGNATURE");
    // …or the admin's user id and account key, signed with Bob's key.
    const stolenKey = decodeGroupChange(impersonation);
    const swapped = impersonation.slice();
    swapped.set(admin.publicKey, 1 + 16 + 4 + 32 + 16);
    expect(decodeGroupChange(swapped).authorAccountKey).toEqual(admin.publicKey);
    expect(stolenKey.authorUserId).toEqual(admin.userId);
    expect(refusal(state, swapped)).toBe("ERR_INVALID_SIGNATURE");
  });

  test("replays are refused: the same change again, an older one, the creation, or a change of another group", () => {
    const created = group();
    const v1 = proposeChange(deps, created.state, admin, [{ type: "remove", userId: alice.userId }]);
    const v2 = proposeChange(deps, v1.state, admin, [{ type: "add", userId: alice.userId }]);
    expect(refusal(v2.state, v2.change.encoded)).toBe("ERR_GROUP_STALE:replay");
    // Replaying Alice's removal after she was added back would remove her again.
    expect(refusal(v2.state, v1.change.encoded)).toBe("ERR_GROUP_STALE:replay");
    expect(refusal(v2.state, created.change.encoded)).toBe("ERR_GROUP_STALE:replay");
    // The same admin's signed change in another group with the same members and history.
    const other = createGroup(deps, admin, { name: "team", members: [{ userId: alice.userId }, { userId: bob.userId }] });
    const elsewhere = proposeChange(deps, other.state, admin, [{ type: "remove", userId: bob.userId }]);
    expect(refusal(created.state, elsewhere.change.encoded)).toBe("ERR_GROUP_INVALID");
  });

  test("a fork (a change made from another state of the same version) and a gap are refused", () => {
    const { state } = group();
    const a = proposeChange(deps, state, admin, [{ type: "setName", name: "A" }]);
    const b = proposeChange(deps, state, alice, [{ type: "setName", name: "B" }]);
    const b2 = proposeChange(deps, b.state, alice, [{ type: "setName", name: "B2" }]);
    // At A: B competes for the version already held (resolveFork decides), B2 builds on B.
    expect(refusal(a.state, b.change.encoded)).toBe("ERR_GROUP_STALE:replay");
    expect(refusal(a.state, b2.change.encoded)).toBe("ERR_GROUP_STALE:fork");
    // A change whose previous hash names no state ever held, at the right version.
    expect(refusal(state, forge(admin, state, [{ type: "setName", name: "x" }], { previousHash: new Uint8Array(32).fill(1) }))).toBe(
      "ERR_GROUP_STALE:fork",
    );
    // Changes missing in between.
    expect(refusal(state, b2.change.encoded)).toBe("ERR_GROUP_STALE:ahead");
    expect(errorOf(() => applyChange(deps, undefined, b.change.encoded))).toBe("ERR_GROUP_STALE:ahead");
  });

  test("a forged creation is refused: author not an admin, wrong version, previous hash or group id, extra actions", () => {
    const good = group().state;
    const create = (
      author: GroupAuthor,
      s: GroupState,
      extra: { version?: number; previousHash?: Uint8Array; actions?: GroupAction[] } = {},
    ) =>
      signGroupChange(deps, author, {
        groupId: good.groupId,
        version: extra.version ?? 0,
        previousHash: extra.previousHash ?? new Uint8Array(32),
        actions: extra.actions ?? [{ type: "create", state: s }],
      });
    expect(applyChange(deps, undefined, create(admin, good)).version).toBe(0);
    expect(errorOf(() => applyChange(deps, undefined, create(alice, good)))).toBe("ERR_GROUP_PERMISSION");
    expect(errorOf(() => applyChange(deps, undefined, create(outsider, good)))).toBe("ERR_GROUP_PERMISSION");
    expect(errorOf(() => applyChange(deps, undefined, create(admin, { ...good, version: 5 })))).toBe("ERR_GROUP_INVALID");
    expect(errorOf(() => applyChange(deps, undefined, create(admin, { ...good, groupId: new Uint8Array(16) })))).toBe("ERR_GROUP_INVALID");
    expect(errorOf(() => applyChange(deps, undefined, create(admin, good, { previousHash: new Uint8Array(32).fill(1) })))).toBe(
      "ERR_GROUP_INVALID",
    );
    expect(
      errorOf(() =>
        applyChange(
          deps,
          undefined,
          create(admin, good, {
            actions: [
              { type: "create", state: good },
              { type: "setName", name: "x" },
            ],
          }),
        ),
      ),
    ).toBe("ERR_GROUP_INVALID");
    expect(errorOf(() => applyChange(deps, undefined, create(admin, good, { version: 1 })))).toBe("ERR_GROUP_STALE:ahead");
    const tampered = flip(create(admin, good), -70);
    expect(errorOf(() => applyChange(deps, undefined, tampered))).toMatch(/ERR_INVALID_SIGNATURE|ERR_INVALID_ENCODING/);
  });

  test("what is applied is what was signed, even if a decoded change object is altered in memory", () => {
    const { state } = group();
    const honest = proposeChange(deps, state, admin, [{ type: "setName", name: "signed" }]).change;
    const altered = { ...honest, actions: [{ type: "remove" as const, userId: alice.userId }], authorUserId: alice.userId };
    const result = applyChange(deps, state, altered);
    expect(result.name).toBe("signed");
    expect(findMember(result, alice.userId)).toBeDefined();
  });

  test("a removed member's later change is refused", () => {
    const { state } = group();
    const removed = proposeChange(deps, state, admin, [{ type: "remove", userId: bob.userId }]).state;
    expect(refusal(removed, forge(bob, removed, [{ type: "setOwnToken", deliveryToken: token(2) }]))).toBe("ERR_GROUP_PERMISSION");
    expect(refusal(removed, forge(bob, removed, [{ type: "add", userId: bob.userId }]))).toBe("ERR_GROUP_PERMISSION");
  });
});
