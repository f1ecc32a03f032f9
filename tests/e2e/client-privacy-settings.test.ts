// Privacy settings against a real relay: with read receipts off the sender never sees "read"
// (1:1 and in a group) while "delivered" still comes; typing and presence off send nothing,
// and turning presence off sends one last "offline". Settings survive a reopen. Contacts'
// presence carries `lastSeen`, kept on the contact.

import { type ChatMessage, type ClientEvents, MemoryStore, type ParleyClient } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { collect, eventually, newClient, reopenClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();
const isText = (text: string) => (m: ChatMessage) => m.text === text;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** `waitFor` with a generous limit: the test machine is shared. */
const until = <K extends keyof ClientEvents>(client: ParleyClient, event: K, filter: (p: ClientEvents[K]) => boolean = () => true) =>
  waitFor(client, event, filter, 30_000);

/** Alice and Bob with handles, each having written to the other. */
async function pair(wsUrl: string, bobStore = new MemoryStore()) {
  const alice = await newClient(wsUrl, "Alice");
  const bob = await newClient(wsUrl, "Bob", bobStore);
  cleanups.push(
    () => alice.close(),
    () => bob.close(),
  );
  await alice.claimHandle("alice");
  await bob.claimHandle("bob");
  const bobAtAlice = (await alice.findContact("bob")).id;
  const first = until(bob, "message", isText("hi Bob"));
  await alice.sendText(bobAtAlice, "hi Bob");
  const aliceAtBob = (await first).contactId;
  const back = until(alice, "message", isText("hi Alice"));
  await bob.sendText(aliceAtBob, "hi Alice");
  await back;
  return { alice, bob, bobAtAlice, aliceAtBob, bobStore };
}

/** Sends `text` from `from` and waits until it is delivered. */
async function sendDelivered(from: ParleyClient, to: ParleyClient, conversationId: string, text: string) {
  const arrived = until(to, "message", isText(text));
  const sent = await from.sendText(conversationId, text);
  const delivered = until(from, "messageUpdated", (m) => m.id === sent.id && m.status === "delivered");
  const received = await arrived;
  await delivered;
  return { sent, received };
}

describe("privacy settings", () => {
  test("defaults are on; read receipts off: marked read locally, the sender gets delivered but never read; persisted", async () => {
    const relay = await relayForTest();
    const { alice, bob, bobAtAlice, aliceAtBob, bobStore } = await pair(relay.wsUrl);
    expect(bob.settings).toEqual({ readReceipts: true, typingIndicators: true, presence: true });
    const changed = until(bob, "settings");
    expect(await bob.updateSettings({ readReceipts: false })).toEqual({ readReceipts: false, typingIndicators: true, presence: true });
    expect((await changed).readReceipts).toBe(false);
    await expect(bob.updateSettings({ readReceipts: "no" } as never)).rejects.toThrow(TypeError);
    await expect(bob.updateSettings({ colour: true } as never)).rejects.toThrow(TypeError);

    const { sent, received } = await sendDelivered(alice, bob, bobAtAlice, "private read");
    const updates = collect(alice, "messageUpdated");
    await bob.markRead(aliceAtBob, [received.id]);
    expect((await bob.messages(aliceAtBob)).find((m) => m.id === received.id)?.status).toBe("read");
    // A later message with receipts on proves the relay path is clear: its "read" arrives, the first's never.
    await bob.updateSettings({ readReceipts: true });
    const probe = await sendDelivered(alice, bob, bobAtAlice, "probe");
    const probeRead = until(alice, "messageUpdated", (m) => m.id === probe.sent.id && m.status === "read");
    await bob.markRead(aliceAtBob, [probe.received.id]);
    await probeRead;
    expect(updates.some((m) => m.id === sent.id && m.status === "read")).toBe(false);
    expect((await alice.messages(bobAtAlice)).find((m) => m.id === sent.id)?.status).toBe("delivered");

    // Persisted: off again, reopened from the same store, still off.
    await bob.updateSettings({ readReceipts: false, typingIndicators: false });
    await bob.close();
    const reopened = await reopenClient(relay.wsUrl, bobStore);
    cleanups.push(() => reopened.close());
    expect(reopened.settings).toEqual({ readReceipts: false, typingIndicators: false, presence: true });
  });

  test("read receipts off in a group: the author sees the member's delivered, never read", async () => {
    const relay = await relayForTest();
    const { alice, bob, bobAtAlice } = await pair(relay.wsUrl);
    const joined = until(bob, "group");
    const group = await alice.groups.create({ name: "Quiet readers", members: [bobAtAlice] });
    await joined;
    await bob.updateSettings({ readReceipts: false });
    const { sent, received } = await sendDelivered(alice, bob, group.id, "group read");
    const updates = collect(alice, "messageUpdated");
    await bob.markRead(group.id, [received.id]);
    expect((await bob.messages(group.id)).find((m) => m.id === received.id)?.status).toBe("read");
    // A probe with receipts on: its read comes through, so the first one's would have too.
    await bob.updateSettings({ readReceipts: true });
    const probe = await sendDelivered(alice, bob, group.id, "group probe");
    const probeRead = until(alice, "messageUpdated", (m) => m.id === probe.sent.id && m.status === "read");
    await bob.markRead(group.id, [probe.received.id]);
    await probeRead;
    expect(updates.some((m) => m.id === sent.id && (m.status === "read" || m.receipts?.[bob.userId] === "read"))).toBe(false);
  });

  test("typing off: the peer gets no typing event (1:1 and group); presence off: none, after one last offline; lastSeen recorded", async () => {
    const relay = await relayForTest();
    const { alice, bob, bobAtAlice, aliceAtBob } = await pair(relay.wsUrl);
    const joined = until(bob, "group");
    const group = await alice.groups.create({ name: "Typists", members: [bobAtAlice] });
    await joined;
    await sendDelivered(alice, bob, group.id, "sender key first"); // Ephemeral group sends need Bob to hold Alice's key.

    // Typing: on → the peer sees it; off → nothing, though a later "on" still arrives.
    const seen = until(bob, "typing", (t) => t.typing);
    await alice.setTyping(bobAtAlice, true);
    await seen;
    const typing = collect(bob, "typing");
    await alice.updateSettings({ typingIndicators: false });
    await alice.setTyping(bobAtAlice, true);
    await alice.setTyping(group.id, true);
    await alice.updateSettings({ typingIndicators: true });
    const marker = until(bob, "typing", (t) => t.contactId === group.id);
    await alice.setTyping(group.id, false);
    await marker;
    expect(typing.filter((t) => t.typing)).toEqual([]);

    // Presence: on → online arrives with lastSeen, kept on the contact.
    const before = Date.now();
    const online = until(bob, "presence", (p) => p.presence === "online");
    await alice.setPresence("online");
    const event = await online;
    expect(event.lastSeen).toBeGreaterThanOrEqual(before);
    await eventually(async () => (await bob.contact(aliceAtBob))?.lastSeen === event.lastSeen);
    expect((await bob.contact(aliceAtBob))?.presence).toBe("online");

    // Off: one last "offline" goes, then nothing.
    const offline = until(bob, "presence", (p) => p.presence === "offline");
    const presence = collect(bob, "presence");
    await alice.updateSettings({ presence: false });
    await offline;
    await alice.setPresence("online");
    await alice.setPresence("away");
    // A message after the presence sends proves the line is clear: they would have arrived first.
    await sendDelivered(alice, bob, bobAtAlice, "after presence off");
    await pause(200);
    expect(presence.map((p) => p.presence)).toEqual(["offline"]);
    expect((await bob.contact(aliceAtBob))?.presence).toBe("offline");
  });
});
