// Group state: canonical encoding, decoding rules and every limit at N and N+1 (spec/group-state.md §2).
import { describe, expect, test } from "vitest";
import { groupDeps as deps, errorOf, fakeUserId, token } from "../../test/group-fixtures.js";
import { encodeContent } from "../content/content.js";
import { generateAccount } from "../keys/identity.js";
import {
  MAX_GROUP_ACTIONS,
  MAX_GROUP_AVATAR_BYTES,
  MAX_GROUP_DESCRIPTION_BYTES,
  MAX_GROUP_MEMBERS,
  MAX_GROUP_NAME_BYTES,
  MAX_TEXT_BYTES,
} from "../limits.js";
import type { GroupAction } from "./action.js";
import { applyChange, createGroup, proposeChange } from "./apply.js";
import { decodeGroupChange, signGroupChange } from "./change.js";
import {
  canSendToGroup,
  decodeGroupState,
  encodeGroupState,
  type GroupMember,
  type GroupState,
  groupStateHash,
  membersAdded,
  membersRemoved,
} from "./state.js";

const creator = generateAccount(deps);
const groupId = new Uint8Array(16).fill(7);

function stateWith(members: readonly GroupMember[], extra: Partial<GroupState> = {}): GroupState {
  return {
    groupId,
    version: 0,
    name: "g",
    description: "",
    settings: { addMembers: "all", editInfo: "all", send: "all" },
    members,
    ...extra,
  };
}

const others = (n: number, withTokens = true) =>
  Array.from({ length: n }, (_, i) => ({ userId: fakeUserId(i), ...(withTokens ? { deliveryToken: token(i & 0xff) } : {}) }));

describe("encoding", () => {
  test("a state round-trips, and member order does not change its encoding or hash", () => {
    const a = { userId: fakeUserId(2), role: "member" as const, deliveryToken: token(1) };
    const b = { userId: fakeUserId(1), role: "admin" as const };
    const one = stateWith([a, b], {
      avatar: Uint8Array.of(1, 2, 3),
      description: "d",
      settings: { addMembers: "admins", editInfo: "all", send: "admins" },
    });
    const two = stateWith([b, a], one);
    expect(encodeGroupState(one)).toEqual(encodeGroupState(two));
    expect(groupStateHash(deps, one)).toEqual(groupStateHash(deps, two));
    const decoded = decodeGroupState(encodeGroupState(one));
    expect(decoded.members.map((m) => m.userId)).toEqual([fakeUserId(1), fakeUserId(2)]);
    expect(decoded).toEqual({ ...one, members: [b, a] });
    expect(encodeGroupState(decoded)).toEqual(encodeGroupState(one));
  });

  test("an absent avatar encodes as length 0 and decodes as absent", () => {
    const s = stateWith([{ userId: fakeUserId(1), role: "admin" }]);
    expect(decodeGroupState(encodeGroupState(s)).avatar).toBeUndefined();
    expect(errorOf(() => encodeGroupState({ ...s, avatar: new Uint8Array(0) }))).toBe("ERR_GROUP_INVALID");
  });

  test("decoding rejects unsorted or duplicate members, unknown bits, no admin, no member, trailing bytes and version 2", () => {
    const good = encodeGroupState(
      stateWith([
        { userId: fakeUserId(1), role: "admin" },
        { userId: fakeUserId(2), role: "member" },
      ]),
    );
    const membersAt = good.length - 2 * 17;
    const swapped = good.slice();
    swapped.set(good.subarray(membersAt + 17, membersAt + 34), membersAt);
    swapped.set(good.subarray(membersAt, membersAt + 17), membersAt + 17);
    const duplicate = good.slice();
    duplicate.set(good.subarray(membersAt, membersAt + 16), membersAt + 17);
    const flags = good.slice();
    flags[membersAt + 16] = 4;
    const settings = good.slice();
    settings[membersAt - 3] = 8;
    const noAdmin = good.slice();
    noAdmin[membersAt + 16] = 0;
    const noMembers = Uint8Array.of(...good.subarray(0, membersAt - 2), 0, 0);
    expect(decodeGroupState(good).members).toHaveLength(2);
    for (const bad of [
      swapped,
      duplicate,
      flags,
      settings,
      noAdmin,
      noMembers,
      Uint8Array.of(...good, 0),
      good.subarray(0, good.length - 1),
    ]) {
      expect(errorOf(() => decodeGroupState(bad))).toBe("ERR_INVALID_ENCODING");
    }
    expect(errorOf(() => decodeGroupState(Uint8Array.of(2, ...good.subarray(1))))).toBe("ERR_UNSUPPORTED_VERSION");
  });
});

describe("limits at N and N+1", () => {
  test(`${MAX_GROUP_MEMBERS} members are accepted, ${MAX_GROUP_MEMBERS + 1} refused (create, add, decode)`, () => {
    const full = createGroup(deps, creator, { name: "full", members: others(MAX_GROUP_MEMBERS - 1) });
    expect(full.state.members).toHaveLength(MAX_GROUP_MEMBERS);
    expect(applyChange(deps, undefined, full.change.encoded).members).toHaveLength(MAX_GROUP_MEMBERS);
    expect(errorOf(() => createGroup(deps, creator, { name: "over", members: others(MAX_GROUP_MEMBERS) }))).toBe("ERR_GROUP_INVALID");
    expect(errorOf(() => proposeChange(deps, full.state, creator, [{ type: "add", userId: fakeUserId(5000) }]))).toBe("ERR_GROUP_INVALID");
    // A forged change that adds the 1,001st member is refused by receivers too.
    const forged = signGroupChange(deps, creator, {
      groupId: full.state.groupId,
      version: 1,
      previousHash: groupStateHash(deps, full.state),
      actions: [{ type: "add", userId: fakeUserId(5000) }],
    });
    expect(errorOf(() => applyChange(deps, full.state, forged))).toBe("ERR_GROUP_INVALID");
    // Encoded with 1,001 members (count patched, one more entry appended): refused by the decoder.
    const bytes = encodeGroupState(full.state);
    const countAt = bytes.length - (MAX_GROUP_MEMBERS - 1) * 49 - 17 - 2;
    const over = Uint8Array.of(...bytes, ...new Uint8Array(16).fill(0xff), 0);
    new DataView(over.buffer).setUint16(countAt, MAX_GROUP_MEMBERS + 1);
    expect(errorOf(() => decodeGroupState(over))).toBe("ERR_INVALID_ENCODING");
  });

  test("the largest possible state (1,000 members with tokens, longest name, description, avatar) fits MAX_TEXT_BYTES, and so does its create change", () => {
    const init = {
      name: "n".repeat(MAX_GROUP_NAME_BYTES),
      description: "d".repeat(MAX_GROUP_DESCRIPTION_BYTES),
      avatar: new Uint8Array(MAX_GROUP_AVATAR_BYTES).fill(9),
      deliveryToken: token(0xaa),
      members: others(MAX_GROUP_MEMBERS - 1),
    };
    const { state, change } = createGroup(deps, creator, init);
    const encoded = encodeGroupState(state);
    expect(encoded.length).toBe(52_358); // spec/group-state.md §2
    expect(encoded.length).toBeLessThanOrEqual(MAX_TEXT_BYTES);
    expect(change.encoded.length).toBeLessThanOrEqual(MAX_TEXT_BYTES);
    expect(change.encoded.length).toBe(encoded.length + 1 + 16 + 4 + 32 + 16 + 32 + 2 + 1 + 64);
    // It travels as one group change content.
    expect(() =>
      encodeContent({ kind: "groupChange", id: new Uint8Array(16), sentAt: 1, groupId: state.groupId, change: change.encoded }),
    ).not.toThrow();
  });

  test("name, description and avatar at their limit are accepted, one byte more refused", () => {
    const { state } = createGroup(deps, creator, { name: "g" });
    const cases: [GroupAction, GroupAction][] = [
      [
        { type: "setName", name: "é".repeat(MAX_GROUP_NAME_BYTES / 2) },
        { type: "setName", name: `${"é".repeat(MAX_GROUP_NAME_BYTES / 2)}x` },
      ],
      [
        { type: "setDescription", description: "x".repeat(MAX_GROUP_DESCRIPTION_BYTES) },
        { type: "setDescription", description: "x".repeat(MAX_GROUP_DESCRIPTION_BYTES + 1) },
      ],
      [
        { type: "setAvatar", avatar: new Uint8Array(MAX_GROUP_AVATAR_BYTES) },
        { type: "setAvatar", avatar: new Uint8Array(MAX_GROUP_AVATAR_BYTES + 1) },
      ],
    ];
    for (const [ok, over] of cases) {
      expect(proposeChange(deps, state, creator, [ok]).state.version).toBe(1);
      expect(errorOf(() => proposeChange(deps, state, creator, [over]))).toBe("ERR_GROUP_INVALID");
      expect(
        errorOf(() =>
          createGroup(deps, creator, {
            name: "g",
            ...("name" in over ? { name: over.name } : {}),
            ...("description" in over ? { description: over.description } : {}),
            ...("avatar" in over ? { avatar: over.avatar } : {}),
          }),
        ),
      ).toBe("ERR_GROUP_INVALID");
    }
  });

  test("a decoder accepts name, description and avatar at their limit and refuses one byte more", () => {
    const max = stateWith([{ userId: fakeUserId(1), role: "admin" }], {
      name: "n".repeat(MAX_GROUP_NAME_BYTES),
      description: "d".repeat(MAX_GROUP_DESCRIPTION_BYTES),
      avatar: new Uint8Array(MAX_GROUP_AVATAR_BYTES).fill(1),
    });
    const bytes = encodeGroupState(max);
    expect(decodeGroupState(bytes)).toEqual(max);
    // Each field is a u16 length then its bytes: lengthen one by a byte (0x61 'a').
    const fields = [21, 21 + 2 + MAX_GROUP_NAME_BYTES, 21 + 4 + MAX_GROUP_NAME_BYTES + MAX_GROUP_DESCRIPTION_BYTES];
    for (const at of fields) {
      const length = new DataView(bytes.buffer).getUint16(at);
      const longer = Uint8Array.of(...bytes.subarray(0, at + 2), 0x61, ...bytes.subarray(at + 2));
      new DataView(longer.buffer).setUint16(at, length + 1);
      expect(
        errorOf(() => decodeGroupState(longer)),
        `field at ${at}`,
      ).toBe("ERR_INVALID_ENCODING");
    }
  });

  test(`a change with ${MAX_GROUP_ACTIONS} actions is accepted, ${MAX_GROUP_ACTIONS + 1} refused`, () => {
    const { state } = createGroup(deps, creator, { name: "g" });
    const adds = (n: number): GroupAction[] => Array.from({ length: n }, (_, i) => ({ type: "add", userId: fakeUserId(i) }));
    const big = proposeChange(deps, state, creator, adds(MAX_GROUP_MEMBERS - 1));
    expect(big.change.actions).toHaveLength(MAX_GROUP_MEMBERS - 1);
    const renames = (n: number): GroupAction[] => Array.from({ length: n }, (_, i) => ({ type: "setName", name: `${i}` }));
    expect(proposeChange(deps, state, creator, renames(MAX_GROUP_ACTIONS)).state.name).toBe(`${MAX_GROUP_ACTIONS - 1}`);
    expect(() => proposeChange(deps, state, creator, renames(MAX_GROUP_ACTIONS + 1))).toThrow(RangeError);
    const encoded = proposeChange(deps, state, creator, renames(MAX_GROUP_ACTIONS)).change.encoded;
    const over = Uint8Array.of(...encoded.subarray(0, encoded.length - 64), 7, 0, 1, 0x31, ...encoded.subarray(encoded.length - 64));
    new DataView(over.buffer).setUint16(1 + 16 + 4 + 32 + 16 + 32, MAX_GROUP_ACTIONS + 1);
    expect(errorOf(() => decodeGroupChange(over))).toBe("ERR_INVALID_ENCODING");
  });

  test("a change larger than MAX_TEXT_BYTES cannot be made (ERR_LIMIT_EXCEEDED) nor decoded", () => {
    const { state } = createGroup(deps, creator, { name: "g" });
    const long: GroupAction[] = Array.from({ length: 40 }, () => ({
      type: "setDescription",
      description: "x".repeat(MAX_GROUP_DESCRIPTION_BYTES),
    }));
    expect(errorOf(() => proposeChange(deps, state, creator, long))).toBe("ERR_LIMIT_EXCEEDED");
    expect(errorOf(() => decodeGroupChange(new Uint8Array(MAX_TEXT_BYTES + 1)))).toBe("ERR_INVALID_ENCODING");
  });
});

describe("helpers", () => {
  test("membersRemoved lists removed and departed members; membersAdded the new ones", () => {
    const [a, b, c] = [generateAccount(deps), generateAccount(deps), generateAccount(deps)];
    const v0 = createGroup(deps, creator, { name: "g", members: [{ userId: a.userId }, { userId: b.userId }] }).state;
    const v1 = proposeChange(deps, v0, creator, [
      { type: "remove", userId: a.userId },
      { type: "add", userId: c.userId },
    ]).state;
    const v2 = proposeChange(deps, v1, b, [{ type: "leave" }]).state;
    expect(membersRemoved(v0, v1)).toEqual([a.userId]);
    expect(membersAdded(v0, v1)).toEqual([c.userId]);
    expect(membersRemoved(v1, v2)).toEqual([b.userId]);
    expect(membersRemoved(v0, v0)).toEqual([]);
  });

  test("announcement groups: only admins may send", () => {
    const member = generateAccount(deps);
    const { state } = createGroup(deps, creator, { name: "news", members: [{ userId: member.userId }], settings: { send: "admins" } });
    expect(canSendToGroup(state, creator.userId)).toBe(true);
    expect(canSendToGroup(state, member.userId)).toBe(false);
    expect(canSendToGroup(state, fakeUserId(1))).toBe(false);
    const open = proposeChange(deps, state, creator, [{ type: "setSettings", settings: { ...state.settings, send: "all" } }]).state;
    expect(canSendToGroup(open, member.userId)).toBe(true);
  });
});
