// Competing group changes that reach members in different orders still converge. The race that
// motivated it: an admin changes a group right after creating it while the new members publish
// their delivery tokens (`setOwnToken`). The admin's change is held back on its way, so Bob and
// Carol settle their own two changes first (one wins, the other is made again on top: version 2)
// and only then receive the admin's change to version 1, which beats both of theirs. Each member
// goes back to version 0, takes the admin's change, and makes its own lost change again: every
// member ends on the same state, with the admin's change and both tokens, and group messages
// reach everyone sealed. Before, both members reported a diverged history and stayed apart.
// Also: a competing change deeper than MAX_GROUP_FORK_DEPTH is still reported, at N and N+1.

import { randomBytes } from "node:crypto";
import { ErrorCode } from "@parley/protocol";
import { type ChatMessage, MemoryStore, type ParleyClient, type TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { describe, expect, test } from "vitest";
import type { ClientContext } from "../../packages/protocol/src/client/context.js";
import { DIVERGED_NOTICE } from "../../packages/protocol/src/client/groups/change-receive.js";
import { decodeGroupState, proposeChange } from "../../packages/protocol/src/client/groups/core.js";
import { groupIdOf } from "../../packages/protocol/src/client/groups/ids.js";
import { loadGroup } from "../../packages/protocol/src/client/groups/records.js";
import { newContent, sendContent } from "../../packages/protocol/src/client/outgoing.js";
import { bytesToHex } from "../../packages/protocol/src/crypto/bytes.js";
import { MAX_GROUP_FORK_DEPTH } from "../../packages/protocol/src/limits.js";
import { collect, eventually, newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();
const internals = (client: ParleyClient) => (client as unknown as { ctx: ClientContext }).ctx;

/** A sending transport that, while holding, keeps every frame that carries mail until released. */
function holdingSends() {
  let holding = false;
  const held: Array<() => void> = [];
  const factory: TransportFactory = (url, handlers) => {
    const inner = nodeTransport(url, handlers);
    return {
      send: (data) => {
        const t = decodeFrame(data).t;
        if (holding && (t === "send" || t === "sealed_send" || t === "multi_send")) held.push(() => inner.send(data));
        else inner.send(data);
      },
      close: (code, reason) => inner.close(code, reason),
    };
  };
  return {
    factory,
    hold: () => (holding = true),
    release: () => {
      holding = false;
      for (const send of held.splice(0)) send();
    },
    held: () => held.length,
  };
}

/** The group's stored state as hex, and its version. */
async function stored(client: ParleyClient, groupId: string): Promise<{ hex: string; version: number }> {
  const record = await loadGroup(internals(client), groupIdOf(groupId));
  if (!record) return { hex: "", version: -1 };
  return { hex: bytesToHex(record.state), version: decodeGroupState(record.state).version };
}

describe("competing group changes reaching members in different orders", () => {
  test("an admin's change held back past two members' own changes: all converge, tokens and the change kept", async () => {
    const relay = await relayForTest();
    const slow = holdingSends();
    const alice = await newClient(relay.wsUrl, "Alice", new MemoryStore(), { transport: slow.factory, keepStoreOpen: false });
    const [bob, carol] = await Promise.all([newClient(relay.wsUrl, "Bob"), newClient(relay.wsUrl, "Carol")]);
    cleanups.push(...[alice, bob, carol].map((c) => () => c.close()));
    const suffix = randomBytes(3).toString("hex");
    await Promise.all([bob.claimHandle(`rbob${suffix}`), carol.claimHandle(`rcarol${suffix}`)]);
    const [bobAtAlice, carolAtAlice] = await Promise.all([alice.findContact(`rbob${suffix}`), alice.findContact(`rcarol${suffix}`)]);
    const refusedAtBob = collect(bob, "groupChangeRefused");
    const refusedAtCarol = collect(carol, "groupChangeRefused");

    const joined = Promise.all([waitFor(bob, "group", () => true), waitFor(carol, "group", () => true)]);
    const group = await alice.groups.create({ name: "Race", members: [bobAtAlice.id, carolAtAlice.id] });
    await joined;
    // Alice renames at once, but her change is held back on its way...
    slow.hold();
    await alice.groups.rename(group.id, "Renamed by the admin");
    await eventually(() => slow.held() >= 2); // To Bob and to Carol.
    // ...until Bob and Carol have both published their tokens and settled between them (version 2).
    await eventually(async () => (await stored(bob, group.id)).version === 2 && (await stored(carol, group.id)).version === 2, 15_000);
    expect((await stored(bob, group.id)).hex).toBe((await stored(carol, group.id)).hex);
    slow.release();

    // Every member converges on one state: the admin's rename and both members' tokens.
    await eventually(async () => {
      const [a, b, c] = await Promise.all([stored(alice, group.id), stored(bob, group.id), stored(carol, group.id)]);
      return a.hex === b.hex && b.hex === c.hex && a.version >= 3;
    }, 20_000);
    for (const client of [alice, bob, carol]) {
      const info = await client.groups.get(group.id);
      expect(info?.name).toBe("Renamed by the admin");
      const members = await client.groups.members(group.id);
      expect(members).toHaveLength(3);
    }
    const state = decodeGroupState((await loadGroup(internals(alice), groupIdOf(group.id)))?.state ?? new Uint8Array());
    expect(state.members.every((m) => m.deliveryToken !== undefined)).toBe(true);
    expect(refusedAtBob.filter((e) => e.error.reason === "fork")).toEqual([]);
    expect(refusedAtCarol.filter((e) => e.error.reason === "fork")).toEqual([]);
    for (const client of [bob, carol]) {
      expect((await client.messages(group.id)).some((m) => m.text === DIVERGED_NOTICE)).toBe(false);
    }

    // Later admin changes and messages reach everyone.
    await alice.groups.setDescription(group.id, "after the race");
    const texts = [bob, carol].map((c) => waitFor(c, "message", (m: ChatMessage) => m.contactId === group.id && m.text === "hello all"));
    await alice.sendText(group.id, "hello all");
    await Promise.all(texts);
    await eventually(async () => (await bob.groups.get(group.id))?.description === "after the race");
    await eventually(async () => (await carol.groups.get(group.id))?.description === "after the race");
  });

  test("an admin's change right after creating a group with new members, as it happens: every member converges, every round", async () => {
    const relay = await relayForTest();
    const alice = await newClient(relay.wsUrl, "Alice");
    cleanups.push(() => alice.close());
    for (let round = 0; round < 4; round++) {
      // New members each round: none has published a token to Alice yet.
      const [bob, carol] = await Promise.all([newClient(relay.wsUrl, "Bob"), newClient(relay.wsUrl, "Carol")]);
      cleanups.push(...[bob, carol].map((c) => () => c.close()));
      const suffix = randomBytes(3).toString("hex");
      await Promise.all([bob.claimHandle(`nbob${suffix}`), carol.claimHandle(`ncarol${suffix}`)]);
      const ids = await Promise.all([alice.findContact(`nbob${suffix}`), alice.findContact(`ncarol${suffix}`)]);
      const group = await alice.groups.create({ name: `Round ${round}`, members: ids.map((c) => c.id) });
      await alice.groups.setDescription(group.id, `set at once ${round}`);
      await eventually(async () => {
        const [a, b, c] = await Promise.all([stored(alice, group.id), stored(bob, group.id), stored(carol, group.id)]);
        const state = decodeGroupState((await loadGroup(internals(alice), groupIdOf(group.id)))?.state ?? new Uint8Array());
        return a.hex === b.hex && b.hex === c.hex && state.members.every((m) => m.deliveryToken);
      }, 20_000);
      expect((await carol.groups.get(group.id))?.description).toBe(`set at once ${round}`);
      expect((await bob.groups.get(group.id))?.description).toBe(`set at once ${round}`);
    }
  });

  test.each([
    [MAX_GROUP_FORK_DEPTH, "settled"],
    [MAX_GROUP_FORK_DEPTH + 1, "reported"],
  ] as const)("a winning change to a version %i changes back is %s", async (depth, outcome) => {
    const relay = await relayForTest();
    const [alice, bob] = await Promise.all([newClient(relay.wsUrl, "Alice"), newClient(relay.wsUrl, "Bob")]);
    cleanups.push(...[alice, bob].map((c) => () => c.close()));
    const handle = `dbob${randomBytes(3).toString("hex")}`;
    await bob.claimHandle(handle);
    const bobAtAlice = await alice.findContact(handle);
    const joined = waitFor(bob, "group", () => true);
    const group = await alice.groups.create({ name: "Deep", members: [bobAtAlice.id] });
    await joined;
    await eventually(async () => (await stored(alice, group.id)).version === 1); // Bob's token.
    await eventually(async () => (await stored(bob, group.id)).version === 1);
    const ctx = internals(alice);
    const base = decodeGroupState((await loadGroup(ctx, groupIdOf(group.id)))?.state ?? new Uint8Array());
    if (!ctx.local.account) throw new Error("not the primary device");
    const author = { userId: ctx.local.userId, accountKeyPair: ctx.local.account.signingKey };
    // Alice's `depth` renames reach Bob; a change competing with the first of them, made from the
    // same state, is kept back. Of the two, the lower change hash wins (both authors are admins):
    // pick a competitor that wins, so Bob must go back `depth` changes to take it.
    const first = proposeChange(ctx.deps, base, author, [{ type: "setName", name: "n1" }]).change;
    let competing = proposeChange(ctx.deps, base, author, [{ type: "setName", name: "competitor 0" }]).change;
    const hash = (c: typeof first) => bytesToHex(ctx.deps.crypto.sha256(c.encoded));
    for (let i = 1; hash(competing) > hash(first); i++) {
      competing = proposeChange(ctx.deps, base, author, [{ type: "setName", name: `competitor ${i}` }]).change;
    }
    const send = (change: Uint8Array) =>
      sendContent(ctx, bobAtAlice, newContent(ctx, { kind: "groupChange", groupId: groupIdOf(group.id), change }), { noSync: true });
    let state = base;
    for (let i = 1; i <= depth; i++) {
      const next = proposeChange(ctx.deps, state, author, [{ type: "setName", name: `n${i}` }]);
      if (i === 1) expect(next.change.encoded).toEqual(first.encoded);
      state = next.state;
      await send(next.change.encoded);
    }
    await eventually(async () => (await stored(bob, group.id)).version === base.version + depth);
    const refused = collect(bob, "groupChangeRefused");
    const marker = waitFor(bob, "message", (m: ChatMessage) => m.text === "after the competitor");
    await send(competing.encoded);
    await alice.sendText(bobAtAlice.id, "after the competitor");
    await marker;
    const info = await bob.groups.get(group.id);
    if (outcome === "settled") {
      expect(info?.name).toBe(competing.actions[0]?.type === "setName" ? competing.actions[0].name : "");
      expect(info?.version).toBe(base.version + 1);
      expect(refused).toEqual([]);
    } else {
      expect(info?.name).toBe(`n${depth}`);
      expect(info?.version).toBe(base.version + depth);
      expect(refused.map((e) => [e.error.code, e.error.reason])).toEqual([[ErrorCode.GroupStale, "fork"]]);
      expect((await bob.messages(group.id)).filter((m) => m.text === DIVERGED_NOTICE)).toHaveLength(1);
    }
  });
});
