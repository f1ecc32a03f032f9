// A group member we have no contact for yet becomes one in two ways that can overlap: our group
// send looks its devices up at the relay (`fetch_devices`), and its own first message to us (a
// group change, a sender key) arrives with its profile — display name and delivery token. When
// the lookup's answer comes back after that message, the member must stay one contact with its
// name and token, not become a second, nameless contact (or lose the name to an older copy).

import { randomBytes } from "node:crypto";
import type { ChatMessage, ParleyClient, TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { describe, expect, test } from "vitest";
import { eventually, newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();

/** A transport that delays the relay's answers to `fetch_devices` while `slow` is set. */
function slowDeviceLookups() {
  const state = { slow: true, delayed: 0 };
  const factory: TransportFactory = (url, handlers) => {
    const lookups = new Set<number>();
    const inner = nodeTransport(url, {
      ...handlers,
      onMessage: (data) => {
        const frame = decodeFrame(data) as { id?: number };
        if (state.slow && frame.id !== undefined && lookups.delete(frame.id)) {
          state.delayed++;
          setTimeout(() => handlers.onMessage(data), 1_500);
          return;
        }
        handlers.onMessage(data);
      },
    });
    return {
      send: (data) => {
        const frame = decodeFrame(data) as { t: string; id: number };
        if (frame.t === "fetch_devices") lookups.add(frame.id);
        inner.send(data);
      },
      close: (code, reason) => inner.close(code, reason),
    };
  };
  return { factory, state };
}

describe("a group member who is not a contact yet", () => {
  test("stays one contact with its name and token when its first message overtakes our lookup of its devices", async () => {
    const relay = await relayForTest();
    const slow = slowDeviceLookups();
    const [alice, bob] = await Promise.all([newClient(relay.wsUrl, "Alice"), newClient(relay.wsUrl, "Bob")]);
    const carol = await newClient(relay.wsUrl, "Carol", undefined, { transport: slow.factory });
    cleanups.push(...[alice, bob, carol].map((c) => () => c.close()));
    const suffix = randomBytes(3).toString("hex");
    await Promise.all([bob.claimHandle(`mbob${suffix}`), carol.claimHandle(`mcarol${suffix}`)]);
    const ids = await Promise.all([alice.findContact(`mbob${suffix}`), alice.findContact(`mcarol${suffix}`)]);
    const joined = [bob, carol].map((c) => waitFor(c, "group", () => true, 30_000));
    const group = await alice.groups.create({ name: "Members", members: ids.map((c) => c.id) });
    await Promise.all(joined);
    // Carol writes to the group at once: her send looks Bob up, slowly; Bob writes too.
    const atCarol = waitFor(carol, "message", (m: ChatMessage) => m.text === "from Bob", 30_000);
    const atBob = waitFor(bob, "message", (m: ChatMessage) => m.text === "from Carol", 30_000);
    await Promise.all([carol.sendText(group.id, "from Carol"), bob.sendText(group.id, "from Bob")]);
    await Promise.all([atCarol, atBob]);
    await eventually(() => slow.state.delayed > 0);
    slow.state.slow = false;

    const bobAtCarol = async (client: ParleyClient) =>
      (await client.contacts()).filter((c) => Buffer.from(c.userId).toString("hex") === bob.userId);
    await eventually(async () => (await bobAtCarol(carol)).some((c) => c.displayName === "Bob"), 15_000);
    // Give any lookup still in flight time to land, then check nothing overwrote or split it.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const contacts = await bobAtCarol(carol);
    expect(contacts).toHaveLength(1);
    expect(contacts[0]?.displayName).toBe("Bob");
    expect(contacts[0]?.deliveryToken).toBeDefined();
  });
});
