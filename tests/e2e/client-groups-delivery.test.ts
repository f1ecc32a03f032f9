// Groups across devices and outages: a member's linked device is a recipient like any member
// device (it reads, sends, and gets the group from its primary) until it is removed, when every
// sender's key rotates away from it; a group message that arrives before its sender's key waits
// for it; a group message queued while the relay is down goes out once when it returns.

import type { ChatMessage, ParleyClient, TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { describe, expect, test } from "vitest";
import type { ClientContext } from "../../packages/protocol/src/client/context.js";
import { decodeRecord } from "../../packages/protocol/src/client/records.js";
import { decodeSenderKeyState } from "../../packages/protocol/src/group/sender-key.js";
import { collect, eventually, newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import { linkDevice } from "./support/linking.js";
import { startRelay } from "./support/relay-process.js";

const { cleanups, relay: relayForTest } = perTestCleanups();

/**
 * A transport that, once armed, holds back every pairwise envelope (type 0x03) until a group
 * message (multi-recipient envelope, type 0x04) has been handed over: the network reordering a
 * sender key's distribution behind the message it is needed for.
 */
function reordering() {
  let armed = false;
  const held: Uint8Array[] = [];
  let everHeld = 0;
  const factory: TransportFactory = (url, h) => {
    return nodeTransport(url, {
      ...h,
      onMessage: (data) => {
        const frame = decodeFrame(data);
        if (armed && frame.t === "message" && frame.envelope[1] === 0x03) {
          held.push(data);
          everHeld++;
          return;
        }
        h.onMessage(data);
        if (armed && frame.t === "message" && frame.envelope[1] === 0x04) {
          armed = false;
          for (const late of held.splice(0)) h.onMessage(late);
        }
      },
    });
  };
  return { factory, arm: () => (armed = true), held: () => held.length, everHeld: () => everHeld };
}
const isText = (text: string) => (m: ChatMessage) => m.text === text;
const internals = (client: ParleyClient) => (client as unknown as { ctx: ClientContext }).ctx;

/** Alice and Bob, each having written to the other (so each holds the other's delivery token). */
async function pair(wsUrl: string, bob?: ParleyClient) {
  const alice = await newClient(wsUrl, "Alice");
  const b = bob ?? (await newClient(wsUrl, "Bob"));
  cleanups.push(
    () => alice.close(),
    () => b.close(),
  );
  await alice.claimHandle("alice");
  await b.claimHandle("bob");
  const bobAtAlice = (await alice.findContact("bob")).id;
  const first = waitFor(b, "message", isText("hi Bob"));
  await alice.sendText(bobAtAlice, "hi Bob");
  const aliceAtBob = (await first).contactId;
  const back = waitFor(alice, "message", isText("hi Alice"));
  await b.sendText(aliceAtBob, "hi Alice");
  await back;
  return { alice, bob: b, bobAtAlice };
}

describe("groups across devices and outages", () => {
  test("a member's linked device receives the group and its messages and sends as the member; once removed, keys rotate away from it", async () => {
    const relay = await relayForTest();
    const bob = await newClient(relay.wsUrl, "Bob");
    const bobPhone = await linkDevice(relay.wsUrl, bob);
    cleanups.push(() => bobPhone.close());
    const { alice, bobAtAlice } = await pair(relay.wsUrl, bob);
    expect((await alice.contact(bobAtAlice))?.deviceIds).toEqual([bob.deviceId, bobPhone.deviceId]);

    const onBob = waitFor(bob, "group", () => true);
    const onPhone = waitFor(bobPhone, "group", () => true);
    const group = await alice.groups.create({ name: "Two devices", members: [bobAtAlice] });
    expect((await onBob).id).toBe(group.id);
    expect((await onPhone).members.length).toBe(2);

    const both = [bob, bobPhone].map((c) => waitFor(c, "message", isText("to both of Bob's devices")));
    await alice.sendText(group.id, "to both of Bob's devices");
    await Promise.all(both);

    // The linked device sends: Alice sees Bob, and Bob's primary sees its own message.
    const atAlice = waitFor(alice, "message", isText("from Bob's phone"));
    const atPrimary = waitFor(bob, "message", isText("from Bob's phone"));
    await bobPhone.sendText(group.id, "from Bob's phone");
    expect((await atAlice).sender).toBe(bob.userId);
    const own = await atPrimary;
    expect(own.outgoing).toBe(true);
    expect(own.senderDevice).toBe(bobPhone.deviceId);
    // Only the primary device holds the account key that signs changes.
    await expect(bobPhone.groups.rename(group.id, "renamed")).rejects.toThrow(/primary device/);

    // Bob removes his phone. Alice's next send finds the device gone at the relay and re-reads
    // Bob's list; the send after it rotates her key away from the phone.
    const ownKey = async () => {
      const raw = await internals(alice).store.get("group-own-keys", group.groupId);
      const own = decodeRecord<{ key: Uint8Array; holders: string[] }>(raw as Uint8Array);
      return { keyId: decodeSenderKeyState(own.key).keyId, holders: own.holders };
    };
    const phoneAddress = `${bob.userId}.${bobPhone.deviceId}`;
    const before = await ownKey();
    expect(before.holders).toContain(phoneAddress);
    await bob.removeDevice(bobPhone.deviceId);
    const first = waitFor(bob, "message", isText("after the phone was removed"));
    await alice.sendText(group.id, "after the phone was removed");
    await first;
    await eventually(async () => (await alice.contact(bobAtAlice))?.deviceIds.length === 1);
    const second = waitFor(bob, "message", isText("with a new key"));
    await alice.sendText(group.id, "with a new key");
    await second;
    const after = await ownKey();
    expect(after.keyId).not.toBe(before.keyId);
    expect(after.holders).not.toContain(phoneAddress);
  });

  test("a group message that arrives before its sender's key waits for the key, then shows", async () => {
    const relay = await relayForTest();
    const network = reordering();
    const bob = await newClient(relay.wsUrl, "Bob", undefined, { transport: network.factory });
    const { alice, bobAtAlice } = await pair(relay.wsUrl, bob);
    const joined = waitFor(bob, "group", () => true);
    const group = await alice.groups.create({ name: "Reordered", members: [bobAtAlice] });
    await joined;
    network.arm();
    const shown = waitFor(bob, "message", isText("needs a key first"));
    await alice.sendText(group.id, "needs a key first");
    const message = await shown;
    expect(message.contactId).toBe(group.id);
    expect(network.held()).toBe(0);
    expect(network.everHeld()).toBeGreaterThan(0);
    // Held while waiting, and gone once shown.
    await eventually(
      async () =>
        (await (bob as unknown as { ctx: { store: { list(ns: string): Promise<unknown[]> } } }).ctx.store.list("group-pending")).length ===
        0,
    );
  });

  test("a file sent to a group reaches every member as one group message, and each opens it", async () => {
    const relay = await relayForTest();
    const carol = await newClient(relay.wsUrl, "Carol");
    cleanups.push(() => carol.close());
    const { alice, bob, bobAtAlice } = await pair(relay.wsUrl);
    await carol.claimHandle("carol");
    const aliceAtCarol = (await carol.findContact("alice")).id;
    const hello = waitFor(alice, "message", isText("hi from carol"));
    await carol.sendText(aliceAtCarol, "hi from carol");
    const carolAtAlice = (await hello).contactId;
    const joined = [bob, carol].map((c) => waitFor(c, "group", () => true));
    const group = await alice.groups.create({ name: "Photos", members: [bobAtAlice, carolAtAlice] });
    await Promise.all(joined);

    const bytes = new Uint8Array(200_000).map((_, i) => (i * 7) % 251);
    const arrived = [bob, carol].map((c) => waitFor(c, "message", (m) => m.kind === "attachment" && m.contactId === group.id, 20_000));
    const sent = await alice.sendFile(group.id, new Blob([bytes]), { caption: "the view", fileName: "view.bin" });
    expect(sent.contactId).toBe(group.id);
    for (const [i, got] of (await Promise.all(arrived)).entries()) {
      expect(got.text).toBe("the view");
      expect(got.sender).toBe(alice.userId);
      const reader = [bob, carol][i] as ParleyClient;
      const parts: Uint8Array[] = [];
      for await (const part of reader.openAttachment(got)) parts.push(part);
      expect(Buffer.compare(Buffer.concat(parts), bytes)).toBe(0);
    }
  });

  test("a group message queued while the relay is down is delivered once when it returns", async () => {
    const first = await startRelay();
    const { dataDir } = first;
    const port = Number(new URL(first.url).port);
    let current = first;
    cleanups.push(async () => {
      await current.stop().catch(() => undefined);
      current.cleanup();
    });
    const { alice, bob, bobAtAlice } = await pair(first.wsUrl);
    const joined = waitFor(bob, "group", () => true);
    const group = await alice.groups.create({ name: "Outage", members: [bobAtAlice] });
    await joined;
    const warm = waitFor(bob, "message", isText("before the outage"));
    await alice.sendText(group.id, "before the outage");
    await warm;

    await first.stop();
    const received = collect(bob, "message");
    const queued = await alice.sendText(group.id, "sent while the relay was down");
    expect(queued.status).toBe("pending");
    current = await startRelay({ dataDir, port });
    await eventually(() => received.some((m) => m.id === queued.id), 30_000);
    await alice.flush();
    await eventually(async () => (await alice.messages(group.id)).find((m) => m.id === queued.id)?.status !== "pending", 10_000);
    await new Promise((r) => setTimeout(r, 300));
    expect(received.filter((m) => m.id === queued.id)).toHaveLength(1);
    expect((await bob.messages(group.id)).filter((m) => m.text === "sent while the relay was down")).toHaveLength(1);
  });
});
