// Group members this account never chatted with are stored as contacts (the group send needs
// their devices and keys), but `conversations()` lists a contact's 1:1 conversation only once it
// is a real one: it has messages, or the user started it by looking the contact up.

import type { ChatMessage } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();
const isText = (text: string) => (m: ChatMessage) => m.text === text;

describe("conversations() with group members", () => {
  test("a member known only through a group is a contact but not a conversation, until looked up or written to", async () => {
    const relay = await relayForTest();
    const [alice, bob, carol] = await Promise.all([
      newClient(relay.wsUrl, "Alice"),
      newClient(relay.wsUrl, "Bob"),
      newClient(relay.wsUrl, "Carol"),
    ]);
    cleanups.push(...[alice, bob, carol].map((c) => () => c.close()));
    await bob.claimHandle("convbob");
    await carol.claimHandle("convcarol");
    const members = [(await alice.findContact("convbob")).id, (await alice.findContact("convcarol")).id];
    const joined = [bob, carol].map((c) => waitFor(c, "group", () => true));
    const group = await alice.groups.create({ name: "Members", members });
    await Promise.all(joined);
    // Bob and Carol each write to the group: each now holds the other as a contact (keys, devices).
    const fromCarol = waitFor(bob, "message", isText("hi from Carol"));
    await carol.sendText(group.id, "hi from Carol");
    await fromCarol;
    const fromBob = waitFor(carol, "message", isText("hi from Bob"));
    await bob.sendText(group.id, "hi from Bob");
    await fromBob;

    const carolAtBob = (await bob.contacts()).find((c) => c.id === carol.userId || Buffer.from(c.userId).toString("hex") === carol.userId);
    expect(carolAtBob).toBeDefined();
    const listed = async () => (await bob.conversations()).map((s) => s.id);
    expect(await listed()).toEqual([group.id]);
    expect((await carol.conversations()).map((s) => s.id)).toEqual([group.id]);

    // Looking Carol up starts the conversation (no message yet); it is the same contact.
    const found = await bob.findContact("convcarol");
    expect(found.id).toBe(carolAtBob?.id);
    expect(await listed()).toContain(found.id);
    // Bob writes to Carol: her 1:1 conversation with him appears (it has a message).
    const atCarol = waitFor(carol, "message", isText("just us"));
    await bob.sendText(found.id, "just us");
    const line = await atCarol;
    expect((await carol.conversations()).map((s) => s.id).sort()).toEqual([group.id, line.contactId].sort());
  });
});
