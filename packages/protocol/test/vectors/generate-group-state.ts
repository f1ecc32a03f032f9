// Generator of test-vectors/group-state.json (spec/group-state.md), with its own seed so the
// other vector files do not change. A history of signed changes (create, add, promote, settings,
// info, token, remove, successor-then-leave), a fork with its winner, and refused changes each
// with the expected error. Every hash and signature is recomputed here from the spec's formulas
// and asserted against what the implementation did.
import { concatBytes, equalBytes, bytesToHex as hex } from "../../src/crypto/bytes.js";
import type { CryptoProvider } from "../../src/crypto/provider.js";
import type { Deps } from "../../src/deps.js";
import { ParleyError } from "../../src/errors.js";
import type { GroupAction } from "../../src/group/action.js";
import { applyChange, createGroup, type GroupUpdate, proposeChange } from "../../src/group/apply.js";
import { type GroupChange, signGroupChange } from "../../src/group/change.js";
import { resolveFork } from "../../src/group/fork.js";
import { decodeGroupState, encodeGroupState, type GroupState, groupStateHash } from "../../src/group/state.js";
import { type AccountKeys, generateAccount } from "../../src/keys/identity.js";
import { LABEL_GROUP_CHANGE } from "../../src/labels.js";
import { seededStream } from "./seeded.js";

const SEED = "parley group-state vectors v1";

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`group-state vector generator: ${what} disagrees with the specification`);
}

function errorCode(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ParleyError) return error.reason ? `${error.code}:${error.reason}` : error.code;
    throw error;
  }
  return "none";
}

/** JSON form of a state, field names as spec/group-state.md §2; bytes as hex. */
export function describeGroupState(s: GroupState): Record<string, unknown> {
  return {
    groupId: hex(s.groupId),
    groupVersion: s.version,
    name: s.name,
    description: s.description,
    avatar: s.avatar ? hex(s.avatar) : null,
    settings: s.settings,
    members: s.members.map((m) => ({ userId: hex(m.userId), role: m.role, deliveryToken: m.deliveryToken ? hex(m.deliveryToken) : null })),
  };
}

/** JSON form of an action: its type and fields, bytes as hex; a create's state in full. */
function describeAction(a: GroupAction): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(a)) {
    out[key] = value instanceof Uint8Array ? hex(value) : key === "state" ? describeGroupState(value as GroupState) : value;
  }
  return out;
}

/** Checks a change against the spec's formulas: signature over the label, user id derivation, previous hash. */
function recompute(crypto: CryptoProvider, change: GroupChange, previous: GroupState | undefined): void {
  const body = change.encoded.subarray(0, change.encoded.length - 64);
  check(
    crypto.ed25519Verify(change.authorAccountKey, concatBytes(LABEL_GROUP_CHANGE, Uint8Array.of(0), body), change.signature),
    "signature",
  );
  const userId = crypto
    .sha256(concatBytes(new TextEncoder().encode("Parley/v1/user-id"), Uint8Array.of(0), change.authorAccountKey))
    .slice(0, 16);
  check(equalBytes(userId, change.authorUserId), "author user id");
  const expected = previous ? crypto.sha256(encodeGroupState(previous)) : new Uint8Array(32);
  check(equalBytes(change.previousHash, expected), "previous hash");
}

const describeAccount = (a: AccountKeys) => ({ seed: hex(a.signingKey.privateKey), publicKey: hex(a.publicKey), userId: hex(a.userId) });

/** The group-state vector file, keyed by file name. */
export function generateGroupStateVectors(crypto: CryptoProvider): Record<string, unknown> {
  const deps: Deps = { crypto, random: seededStream(crypto, SEED), now: () => 0 };
  const [admin, alice, bob, carol] = [0, 1, 2, 3].map(() => generateAccount(deps)) as [AccountKeys, AccountKeys, AccountKeys, AccountKeys];
  const token = (fill: number) => new Uint8Array(32).fill(fill);

  const steps: { name: string; author: string; update: GroupUpdate; previous: GroupState | undefined }[] = [];
  const created = createGroup(deps, admin, {
    name: "Parley team",
    description: "Vectors",
    deliveryToken: token(0xa0),
    members: [{ userId: alice.userId, deliveryToken: token(0xa1) }],
  });
  steps.push({ name: "create", author: "admin", update: created, previous: undefined });
  const step = (name: string, author: [string, AccountKeys], actions: GroupAction[]) => {
    const previous = (steps.at(-1) as (typeof steps)[number]).update.state;
    steps.push({ name, author: author[0], update: proposeChange(deps, previous, author[1], actions), previous });
  };
  step("alice adds bob with his token", ["alice", alice], [{ type: "add", userId: bob.userId, deliveryToken: token(0xb0) }]);
  step(
    "admin promotes alice, closes settings, sets info and avatar",
    ["admin", admin],
    [
      { type: "promote", userId: alice.userId },
      { type: "setSettings", settings: { addMembers: "admins", editInfo: "admins", send: "admins" } },
      { type: "setName", name: "Parley ✓" },
      { type: "setDescription", description: "Announcements" },
      { type: "setAvatar", avatar: Uint8Array.of(1, 2, 3, 4) },
    ],
  );
  step("bob sets his own token", ["bob", bob], [{ type: "setOwnToken", deliveryToken: token(0xb1) }]);
  step(
    "alice adds carol as admin and removes bob",
    ["alice", alice],
    [
      { type: "add", userId: carol.userId, role: "admin" },
      { type: "remove", userId: bob.userId },
    ],
  );
  step("admin demotes carol, then leaves", ["admin", admin], [{ type: "demote", userId: carol.userId }, { type: "leave" }]);
  steps.forEach((s) => {
    recompute(crypto, s.update.change, s.previous);
    check(
      equalBytes(encodeGroupState(applyChange(deps, s.previous, s.update.change.encoded)), encodeGroupState(s.update.state)),
      "replay of the history",
    );
  });

  // A fork: from the state after step 3, the two admins rename at once; and bob (a member) competes with the admin.
  const forkBase = (steps[3] as (typeof steps)[number]).update.state;
  const forkA = proposeChange(deps, forkBase, admin, [{ type: "setName", name: "fork A" }]);
  const forkB = proposeChange(deps, forkBase, alice, [{ type: "setName", name: "fork B" }]);
  const hashA = crypto.sha256(forkA.change.encoded);
  const hashB = crypto.sha256(forkB.change.encoded);
  const resolution = resolveFork(deps, forkBase, forkA.change, forkB.change);
  const lowerIsB = hex(hashB) < hex(hashA);
  check((resolution.winner === "incoming") === lowerIsB, "fork winner by change hash");
  const byBob = proposeChange(deps, forkBase, bob, [{ type: "setOwnToken", deliveryToken: token(0xb2) }]);
  check(resolveFork(deps, forkBase, byBob.change, forkA.change).winner === "incoming", "an admin's change beats a member's");

  // Refused changes, each against a listed state.
  const at = (i: number) => (steps[i] as (typeof steps)[number]).update;
  const s1 = at(1).state;
  const s2 = at(2).state;
  const forged = (
    author: AccountKeys | { userId: Uint8Array; accountKeyPair: AccountKeys["signingKey"] },
    state: GroupState,
    actions: GroupAction[],
    over: { version?: number; previousHash?: Uint8Array } = {},
  ) =>
    signGroupChange(deps, author, {
      groupId: state.groupId,
      version: over.version ?? state.version + 1,
      previousHash: over.previousHash ?? groupStateHash(deps, state),
      actions,
    });
  const tampered = at(2).change.encoded.slice();
  tampered[tampered.length - 65] = (tampered[tampered.length - 65] as number) ^ 1; // the avatar's last byte
  const failureInputs: { name: string; state: number | null; change: Uint8Array }[] = [
    { name: "a non-member's change", state: 1, change: forged(carol, s1, [{ type: "setName", name: "mine" }]) },
    { name: "a member removes someone (admins only)", state: 1, change: forged(bob, s1, [{ type: "remove", userId: alice.userId }]) },
    { name: "a member renames while editInfo is admins", state: 2, change: forged(bob, s2, [{ type: "setName", name: "x" }]) },
    {
      name: "a member opens the settings and uses them in one change",
      state: 2,
      change: forged(bob, s2, [
        { type: "setSettings", settings: { addMembers: "all", editInfo: "all", send: "all" } },
        { type: "setName", name: "x" },
      ]),
    },
    { name: "a replay of the change that made the state held", state: 2, change: at(2).change.encoded },
    { name: "a replay of an older change", state: 3, change: at(1).change.encoded },
    {
      name: "a change made from another state of the previous version (fork)",
      state: 2,
      change: forged(admin, s2, [{ type: "setName", name: "x" }], { previousHash: new Uint8Array(32).fill(0x55) }),
    },
    { name: "a change that skips a version", state: 1, change: at(3).change.encoded },
    { name: "a change with a byte altered", state: 1, change: tampered },
    {
      name: "a change claiming the admin's user id, signed by bob",
      state: 1,
      change: forged({ userId: admin.userId, accountKeyPair: bob.signingKey }, s1, [{ type: "remove", userId: alice.userId }]),
    },
    { name: "the last admin leaves without a successor", state: 1, change: forged(admin, s1, [{ type: "leave" }]) },
    { name: "adding an existing member", state: 1, change: forged(admin, s1, [{ type: "add", userId: bob.userId }]) },
    {
      name: "a change of another group",
      state: 1,
      change: forged(admin, { ...s1, groupId: new Uint8Array(16).fill(9) }, [{ type: "setName", name: "x" }], {
        previousHash: groupStateHash(deps, s1),
      }),
    },
    { name: "a non-create change with no state held", state: null, change: at(1).change.encoded },
    { name: "a change of version 2 format", state: 1, change: Uint8Array.of(2, ...at(2).change.encoded.subarray(1)) },
  ];
  const failures = failureInputs.map((f) => {
    const state = f.state === null ? undefined : at(f.state).state;
    return { name: f.name, state: f.state, change: hex(f.change), expectedError: errorCode(() => applyChange(deps, state, f.change)) };
  });
  check(
    failures.every((f) => f.expectedError !== "none"),
    "every refused change is refused",
  );

  const groupState = {
    description:
      "Group state and signed group changes (spec/group-state.md). steps[i].change applied to steps[i-1].state (nothing for step 0) gives steps[i].state; stateHash = SHA-256(state), changeHash = SHA-256(change). failures[].state is the index of the step whose state the change is applied to (null: none held); expectedError is code or code:reason.",
    accounts: { admin: describeAccount(admin), alice: describeAccount(alice), bob: describeAccount(bob), carol: describeAccount(carol) },
    steps: steps.map((s) => ({
      name: s.name,
      author: s.author,
      actions: s.update.change.actions.map(describeAction),
      change: hex(s.update.change.encoded),
      changeHash: hex(crypto.sha256(s.update.change.encoded)),
      state: hex(encodeGroupState(s.update.state)),
      stateHash: hex(groupStateHash(deps, s.update.state)),
      decoded: describeGroupState(decodeGroupState(encodeGroupState(s.update.state))),
    })),
    fork: {
      base: 3,
      changes: [hex(forkA.change.encoded), hex(forkB.change.encoded)],
      changeHashes: [hex(hashA), hex(hashB)],
      authors: ["admin", "alice"],
      winner: lowerIsB ? 1 : 0,
      winnerState: hex(encodeGroupState(lowerIsB ? forkB.state : forkA.state)),
      memberChange: hex(byBob.change.encoded),
      memberChangeHash: hex(crypto.sha256(byBob.change.encoded)),
      memberVersusAdminWinner: "admin",
    },
    failures,
  };
  return { "group-state.json": groupState };
}
