// A group send the relay refuses for a member's delivery token (TOKEN_INVALID) is never silent
// and never resent in a way that names the sender: the member is reported (`groupTokenRefused`)
// and its status for the message is `failed`, unless a newer token is known (the member's
// `setOwnToken` in the group state, published when it replaces its token), when the message is
// resent to that member with it.

import type { ChatMessage, ClientEvents, ParleyClient, TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { describe, expect, test } from "vitest";
import type { ClientContext } from "../../packages/protocol/src/client/context.js";
import { setTokenAtRelay } from "../../packages/protocol/src/client/delivery-token.js";
import { collect, eventually, newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();
const isText = (text: string) => (m: ChatMessage) => m.text === text;
const internals = (client: ParleyClient) => (client as unknown as { ctx: ClientContext }).ctx;

/** A transport that, once armed, holds back the client's outgoing `multi_send` frames until released. */
function holdingMultiSends() {
  let armed = false;
  const held: Array<() => void> = [];
  const factory: TransportFactory = (url, handlers) => {
    const inner = nodeTransport(url, handlers);
    return {
      send: (data) => {
        if (armed && decodeFrame(data).t === "multi_send") held.push(() => inner.send(data));
        else inner.send(data);
      },
      close: (code, reason) => inner.close(code, reason),
    };
  };
  return {
    factory,
    arm: () => (armed = true),
    held: () => held.length,
    release: () => {
      armed = false;
      for (const send of held.splice(0)) send();
    },
  };
}

/** Alice (admin), Bob and Carol in one group, each having received a first message in it. */
async function trio(wsUrl: string, aliceOptions: Parameters<typeof newClient>[3] = {}) {
  const alice = await newClient(wsUrl, "Alice", undefined, aliceOptions);
  const bob = await newClient(wsUrl, "Bob");
  const carol = await newClient(wsUrl, "Carol");
  cleanups.push(
    () => alice.close(),
    () => bob.close(),
    () => carol.close(),
  );
  await bob.claimHandle("tokbob");
  await carol.claimHandle("tokcarol");
  const bobAtAlice = (await alice.findContact("tokbob")).id;
  const carolAtAlice = (await alice.findContact("tokcarol")).id;
  const joined = [bob, carol].map((c) => waitFor(c, "group", () => true));
  const group = await alice.groups.create({ name: "Tokens", members: [bobAtAlice, carolAtAlice] });
  await Promise.all(joined);
  // Each member publishes its own token in the group (setOwnToken) once it has the group.
  await eventually(async () => (await alice.groups.get(group.id))?.version === 2);
  const first = [bob, carol].map((c) => waitFor(c, "message", isText("welcome")));
  await alice.sendText(group.id, "welcome");
  await Promise.all(first);
  return { alice, bob, carol, group };
}

describe("a member's refused delivery token in a group send", () => {
  test("is reported naming the group, member and message, marks that member failed, and never goes unsealed", async () => {
    const relay = await relayForTest();
    const { alice, bob, carol, group } = await trio(relay.wsUrl);
    // Bob's relay now accepts another token, which nobody in the group has been told of.
    await setTokenAtRelay(internals(bob), new Uint8Array(32).fill(7));
    const refused = collect(alice, "groupTokenRefused");
    const unsealed = collect(alice, "unsealedFallback");
    const bobGot = collect(bob, "message");
    const atCarol = waitFor(carol, "message", isText("after Bob's token changed"));
    const reported = waitFor(alice, "groupTokenRefused");
    const marked = waitFor(alice, "messageUpdated", (m) => m.receipts?.[bob.userId] === "failed");
    const sent = await alice.sendText(group.id, "after Bob's token changed");
    await atCarol;
    const event: ClientEvents["groupTokenRefused"] = await reported;
    expect(event).toEqual({
      conversationId: group.id,
      groupId: group.groupId,
      userId: bob.userId,
      messageId: sent.id,
      reason: "TOKEN_INVALID",
      resent: false,
    });
    expect((await marked).id).toBe(sent.id);
    const stored = (await alice.messages(group.id)).find((m) => m.id === sent.id);
    expect(stored?.receipts?.[bob.userId]).toBe("failed");
    expect(stored?.sentUnsealed).toBeUndefined();
    await new Promise((r) => setTimeout(r, 300));
    expect(refused).toHaveLength(1);
    expect(unsealed).toHaveLength(0);
    expect(bobGot.filter(isText("after Bob's token changed"))).toHaveLength(0);
  });

  test("is resent with the member's newer token once the group state gives one (setOwnToken)", async () => {
    const relay = await relayForTest();
    const network = holdingMultiSends();
    const { alice, bob, group } = await trio(relay.wsUrl, { transport: network.factory });
    // Alice's send is made with the token the group lists for Bob, and held on its way to the relay...
    network.arm();
    await alice.sendText(group.id, "queued with Bob's old token");
    await eventually(() => network.held() > 0);
    // ...while Bob replaces his token: the relay refuses the old one, and he publishes the new one in the group.
    const published = waitFor(alice, "group", (g) => g.id === group.id && g.version === 3);
    await bob.replaceDeliveryToken();
    await published;
    const atBob = waitFor(bob, "message", isText("queued with Bob's old token"));
    const reported = waitFor(alice, "groupTokenRefused");
    network.release();
    expect(await reported).toMatchObject({ userId: bob.userId, resent: true });
    await atBob;
    // Later sends use the new token straight away.
    const refused = collect(alice, "groupTokenRefused");
    const next = waitFor(bob, "message", isText("with the new token"));
    await alice.sendText(group.id, "with the new token");
    await next;
    expect(refused).toHaveLength(0);
  });
});
