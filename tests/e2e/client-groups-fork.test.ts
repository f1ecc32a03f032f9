// A competing group change that arrives after a member moved more than MAX_GROUP_FORK_DEPTH
// changes past its version cannot be settled there (the state it was made from is gone), but it is never dropped silently: the
// member reports it (`groupChangeRefused`, ERR_GROUP_STALE "fork") and adds one notice line
// asking for an admin to re-add them; a replay of a change it applied stays silent.

import { ErrorCode } from "@parley/protocol";
import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import type { ClientContext } from "../../packages/protocol/src/client/context.js";
import { DIVERGED_NOTICE } from "../../packages/protocol/src/client/groups/change-receive.js";
import { decodeGroupChange, decodeGroupState, proposeChange } from "../../packages/protocol/src/client/groups/core.js";
import { groupIdOf } from "../../packages/protocol/src/client/groups/ids.js";
import { loadGroup } from "../../packages/protocol/src/client/groups/records.js";
import { newContent, sendContent } from "../../packages/protocol/src/client/outgoing.js";
import { MAX_GROUP_FORK_DEPTH } from "../../packages/protocol/src/limits.js";
import { collect, eventually, newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();
const internals = (client: ParleyClient) => (client as unknown as { ctx: ClientContext }).ctx;

describe("a competing change to a version already moved past", () => {
  test("is reported as a fork with one notice line; a replay of an applied change stays silent", async () => {
    const relay = await relayForTest();
    const [alice, bob] = await Promise.all([newClient(relay.wsUrl, "Alice"), newClient(relay.wsUrl, "Bob")]);
    cleanups.push(...[alice, bob].map((c) => () => c.close()));
    await bob.claimHandle("forkbob");
    const bobAtAlice = await alice.findContact("forkbob");
    const joined = waitFor(bob, "group", () => true);
    const group = await alice.groups.create({ name: "Forks", members: [bobAtAlice.id] });
    await joined;
    const at = (client: ParleyClient, version: number) => eventually(async () => (await client.groups.get(group.id))?.version === version);
    await at(alice, 1); // Bob's setOwnToken.
    await alice.groups.rename(group.id, "A");
    await at(bob, 2);
    // A change competing with "A" (made from the same state, version 2), kept back by Alice...
    const ctx = internals(alice);
    const record = await loadGroup(ctx, groupIdOf(group.id));
    const previous = record?.chain?.at(-1);
    if (!previous || !ctx.local.account) throw new Error("no previous state");
    const author = { userId: ctx.local.userId, accountKeyPair: ctx.local.account.signingKey };
    const competing = proposeChange(ctx.deps, decodeGroupState(previous.state), author, [{ type: "setName", name: "B" }]).change;
    expect(competing.version).toBe(2);
    const applied = decodeGroupChange(previous.change);
    // ...until Bob has moved on past what he keeps (MAX_GROUP_FORK_DEPTH changes).
    const last = 2 + MAX_GROUP_FORK_DEPTH;
    for (let version = 3; version <= last; version++) await alice.groups.rename(group.id, `C${version}`);
    await at(bob, last);

    const refused = collect(bob, "groupChangeRefused");
    const send = (change: Uint8Array) =>
      sendContent(ctx, bobAtAlice, newContent(ctx, { kind: "groupChange", groupId: groupIdOf(group.id), change }), { noSync: true });
    // The change Bob applied, again (another content): silent.
    const marker = waitFor(bob, "message", (m: ChatMessage) => m.text === "after the replay");
    await send(applied.encoded);
    await alice.sendText(bobAtAlice.id, "after the replay");
    await marker;
    expect(refused).toHaveLength(0);

    const line = waitFor(bob, "message", (m: ChatMessage) => m.contactId === group.id && m.kind === "notice" && m.text === DIVERGED_NOTICE);
    const reported = waitFor(bob, "groupChangeRefused");
    await send(competing.encoded);
    const event = await reported;
    expect(event.conversationId).toBe(group.id);
    expect(event.author).toBe(alice.userId);
    expect(event.error.code).toBe(ErrorCode.GroupStale);
    expect(event.error.reason).toBe("fork");
    await line;
    // Reported again, but the notice line only once; the state stays as it was.
    const again = waitFor(bob, "groupChangeRefused");
    await send(competing.encoded);
    await again;
    const notices = (await bob.messages(group.id)).filter((m) => m.text === DIVERGED_NOTICE);
    expect(notices).toHaveLength(1);
    expect((await bob.groups.get(group.id))?.name).toBe(`C${last}`);
    expect((await bob.groups.get(group.id))?.version).toBe(last);
  });
});
