// Groups among people who never wrote to each other one to one: Alice creates a group with Bob
// and Carol, found by handle, and messages go out at once — before any member's delivery token
// has reached the sender (the group state lists none yet; each member publishes its own with
// `setOwnToken` once it has the group) and before any pairwise session exists. Every member
// receives every message exactly once: right away, with a member offline at send time and
// connecting later (its session's prekey message and the group message in one batch), with the
// group message reaching a member before the sender key it needs, and with two senders at once.

import { randomBytes } from "node:crypto";
import { type ChatMessage, type ClientEvents, MemoryStore, type ParleyClient, type TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { describe, expect, test } from "vitest";
import type { ClientContext } from "../../packages/protocol/src/client/context.js";
import { decodeRecord } from "../../packages/protocol/src/client/records.js";
import { bytesToHex } from "../../packages/protocol/src/crypto/bytes.js";
import { collect, eventually, newClient, reopenClient, waitFor } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";

const shared = sharedRelay();
/** Iterations per scenario: enough to show a race that loses one message in a few runs. */
const ROUNDS = 8;
const internals = (client: ParleyClient) => (client as unknown as { ctx: ClientContext }).ctx;

/** The group's current signed state as a client stores it (hex). */
async function groupState(client: ParleyClient, groupIdHex: string): Promise<string> {
  const raw = await internals(client).store.get("groups", groupIdHex);
  return raw ? bytesToHex(decodeRecord<{ state: Uint8Array }>(raw).state) : "";
}

/**
 * A receiving transport that, once armed, holds back pairwise envelopes (type 0x03: a sender
 * key's distribution, a snapshot) until a group message (0x04) was handed over, then delivers
 * them: the group message reaches the client before the key it needs.
 */
function groupMessageFirst() {
  let armed = false;
  let reordered = 0;
  const held: Uint8Array[] = [];
  const factory: TransportFactory = (url, h) =>
    nodeTransport(url, {
      ...h,
      onMessage: (data) => {
        const frame = decodeFrame(data);
        if (armed && frame.t === "message" && frame.envelope[1] === 0x03) {
          held.push(data);
          return;
        }
        h.onMessage(data);
        if (armed && frame.t === "message" && frame.envelope[1] === 0x04) {
          armed = false;
          if (held.length > 0) reordered++;
          for (const late of held.splice(0)) h.onMessage(late);
        }
      },
    });
  return { factory, arm: () => (armed = true), reordered: () => reordered };
}

/**
 * A receiving transport that, once armed, holds back pairwise envelopes (0x03) until released,
 * then delivers them newest first: what other members sent us overtakes the snapshot that adds
 * us to the group (sent before them).
 */
function snapshotLast() {
  let armed = false;
  const held: Uint8Array[] = [];
  let deliver: ((data: Uint8Array) => void) | undefined;
  const factory: TransportFactory = (url, h) => {
    deliver = (data) => h.onMessage(data);
    return nodeTransport(url, {
      ...h,
      onMessage: (data) => {
        const frame = decodeFrame(data);
        if (armed && frame.t === "message" && frame.envelope[1] === 0x03) held.push(data);
        else h.onMessage(data);
      },
    });
  };
  return {
    factory,
    arm: () => (armed = true),
    held: () => held.length,
    release: () => {
      armed = false;
      for (const data of held.splice(0).reverse()) deliver?.(data);
    },
  };
}

interface Trio {
  alice: ParleyClient;
  bob: ParleyClient;
  carol: ParleyClient;
  /** Carol's store (she may go offline and come back on it). */
  carolStore: MemoryStore;
  bobAtAlice: string;
  carolAtAlice: string;
}

/** Three new accounts that never exchanged a message; Alice knows Bob and Carol by handle only. */
async function strangers(options: { carolTransport?: TransportFactory; bobTransport?: TransportFactory } = {}): Promise<Trio> {
  const tag = randomBytes(4).toString("hex");
  const carolStore = new MemoryStore();
  const [alice, bob, carol] = await Promise.all([
    newClient(shared.relay.wsUrl, "Alice"),
    newClient(shared.relay.wsUrl, "Bob", undefined, options.bobTransport ? { transport: options.bobTransport } : {}),
    newClient(shared.relay.wsUrl, "Carol", carolStore, options.carolTransport ? { transport: options.carolTransport } : {}),
  ]);
  shared.clients.push(alice, bob, carol);
  for (const [name, c] of Object.entries({ alice, bob, carol })) {
    c.on("error", (e) => {
      const code = (e as { code?: string }).code ?? "";
      if (code !== "ERR_CLOSED") console.error(name, code, e.message);
    });
  }
  await bob.claimHandle(`b${tag}`);
  await carol.claimHandle(`c${tag}`);
  const bobAtAlice = (await alice.findContact(`b${tag}`)).id;
  const carolAtAlice = (await alice.findContact(`c${tag}`)).id;
  return { alice, bob, carol, carolStore, bobAtAlice, carolAtAlice };
}

/** Texts of the group messages a client emitted, in arrival order. */
function groupTexts(client: ParleyClient, conversationId: () => string | undefined): string[] {
  const out: string[] = [];
  client.on("message", (m: ChatMessage) => {
    if (m.contactId === conversationId() && m.kind !== "notice" && m.text !== undefined) out.push(m.text);
  });
  return out;
}

/** Waits until `got` holds every text, then a little longer, and checks each arrived exactly once. */
async function exactlyOnce(got: () => string[], texts: readonly string[], who: string): Promise<void> {
  await eventually(() => texts.every((t) => got().includes(t)), 15_000).catch(() => {
    throw new Error(`${who} is missing ${JSON.stringify(texts.filter((t) => !got().includes(t)))} (got ${JSON.stringify(got())})`);
  });
  await new Promise((r) => setTimeout(r, 150));
  for (const t of texts)
    expect(
      got().filter((g) => g === t),
      `${who}: ${t}`,
    ).toHaveLength(1);
}

/** No member was marked failed, and no token refusal ended as a failure. */
function noFailures(refused: ClientEvents["groupTokenRefused"][]): void {
  expect(refused.filter((r) => !r.resent)).toEqual([]);
}

describe("group messages to members never met one to one", () => {
  test(`Alice, then Bob, send right after the group is made; every member gets every message once (${ROUNDS} rounds)`, async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { alice, bob, carol, bobAtAlice, carolAtAlice } = await strangers();
      let id: string | undefined;
      const at = { alice: groupTexts(alice, () => id), bob: groupTexts(bob, () => id), carol: groupTexts(carol, () => id) };
      const refused = collect(alice, "groupTokenRefused");
      const bobRefused = collect(bob, "groupTokenRefused");
      const bobJoined = waitFor(bob, "group", () => true, 15_000);
      const group = await alice.groups.create({ name: `Strangers ${round}`, members: [bobAtAlice, carolAtAlice] });
      id = group.id;
      await alice.sendText(group.id, `from Alice ${round}`);
      await bobJoined;
      await bob.sendText(group.id, `from Bob ${round}`);
      await exactlyOnce(() => at.bob, [`from Alice ${round}`, `from Bob ${round}`], `Bob, round ${round}`);
      await exactlyOnce(() => at.carol, [`from Alice ${round}`, `from Bob ${round}`], `Carol, round ${round}`);
      await exactlyOnce(() => at.alice, [`from Alice ${round}`, `from Bob ${round}`], `Alice, round ${round}`);
      noFailures([...refused, ...bobRefused]);
      await Promise.all([alice.close(), bob.close(), carol.close()]);
    }
  });

  test(`a member offline at send time gets the messages (and its first sessions' prekey messages) when it connects (${ROUNDS / 2} rounds)`, async () => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const { alice, bob, carol, carolStore, bobAtAlice, carolAtAlice } = await strangers();
      await carol.close();
      let id: string | undefined;
      const at = { alice: groupTexts(alice, () => id), bob: groupTexts(bob, () => id) };
      const refused = collect(alice, "groupTokenRefused");
      const bobJoined = waitFor(bob, "group", () => true, 15_000);
      const group = await alice.groups.create({ name: `Offline ${round}`, members: [bobAtAlice, carolAtAlice] });
      id = group.id;
      await alice.sendText(group.id, `Alice to the offline ${round}`);
      await bobJoined;
      await bob.sendText(group.id, `Bob to the offline ${round}`);
      await exactlyOnce(() => at.bob, [`Alice to the offline ${round}`], `Bob, round ${round}`);
      await exactlyOnce(() => at.alice, [`Bob to the offline ${round}`], `Alice, round ${round}`);
      const back = await reopenClient(shared.relay.wsUrl, carolStore);
      shared.clients.push(back);
      const atCarol = groupTexts(back, () => id);
      await back.connect();
      await exactlyOnce(() => atCarol, [`Alice to the offline ${round}`, `Bob to the offline ${round}`], `Carol, round ${round}`);
      noFailures(refused);
      await Promise.all([alice.close(), bob.close(), back.close()]);
      await carolStore.close();
    }
  });

  test(`group messages that reach a member before the sender keys they need wait for them (${ROUNDS / 2} rounds)`, async () => {
    let reordered = 0;
    for (let round = 0; round < ROUNDS / 2; round++) {
      const network = groupMessageFirst();
      const { alice, bob, carol, bobAtAlice, carolAtAlice } = await strangers({ carolTransport: network.factory });
      let id: string | undefined;
      const at = { alice: groupTexts(alice, () => id), bob: groupTexts(bob, () => id), carol: groupTexts(carol, () => id) };
      const refused = [alice, bob].map((c) => collect(c, "groupTokenRefused"));
      const group = await alice.groups.create({ name: `Reordered ${round}`, members: [bobAtAlice, carolAtAlice] });
      id = group.id;
      // Once both members published their tokens (versions 1 and 2: two setOwnToken changes after the
      // creation), nobody has sent a key yet:
      // Carol's network now hands her the first group message before the keys.
      await eventually(async () => {
        const versions = await Promise.all([alice, bob, carol].map(async (c) => (await c.groups.get(group.id))?.version ?? 0));
        return versions.every((v) => v >= 2);
      }, 15_000);
      network.arm();
      const texts = [`Alice ahead of her key ${round}`, `Bob ahead of his key ${round}`];
      await Promise.all([alice.sendText(group.id, texts[0] as string), bob.sendText(group.id, texts[1] as string)]);
      await exactlyOnce(() => at.carol, texts, `Carol, round ${round}`);
      await exactlyOnce(() => at.bob, texts, `Bob, round ${round}`);
      await exactlyOnce(() => at.alice, texts, `Alice, round ${round}`);
      noFailures(refused.flat());
      reordered += network.reordered();
      await Promise.all([alice.close(), bob.close(), carol.close()]);
    }
    // The reordering really happened (a group message was first at Carol's) in some round.
    expect(reordered).toBeGreaterThan(0);
  });

  test(`two senders at once, right after joining (${ROUNDS / 2} rounds)`, async () => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const { alice, bob, carol, bobAtAlice, carolAtAlice } = await strangers();
      let id: string | undefined;
      const at = { alice: groupTexts(alice, () => id), bob: groupTexts(bob, () => id), carol: groupTexts(carol, () => id) };
      const refused = [...[alice, bob, carol].map((c) => collect(c, "groupTokenRefused"))];
      const joined = [bob, carol].map((c) => waitFor(c, "group", () => true, 15_000));
      const group = await alice.groups.create({ name: `Together ${round}`, members: [bobAtAlice, carolAtAlice] });
      id = group.id;
      await Promise.all(joined);
      const texts = [`Alice at once ${round}`, `Bob at once ${round}`, `Carol at once ${round}`];
      await Promise.all([
        alice.sendText(group.id, texts[0] as string),
        bob.sendText(group.id, texts[1] as string),
        carol.sendText(group.id, texts[2] as string),
      ]);
      await exactlyOnce(() => at.alice, texts.slice(1), `Alice, round ${round}`);
      await exactlyOnce(() => at.bob, [texts[0] as string, texts[2] as string], `Bob, round ${round}`);
      await exactlyOnce(() => at.carol, texts.slice(0, 2), `Carol, round ${round}`);
      noFailures(refused.flat());
      await Promise.all([alice.close(), bob.close(), carol.close()]);
    }
  });

  test(`a member's token change that overtakes the snapshot adding us is applied after it: every member ends on one state (${ROUNDS / 2} rounds)`, async () => {
    for (let round = 0; round < ROUNDS / 2; round++) {
      const network = snapshotLast();
      const { alice, bob, carol, bobAtAlice, carolAtAlice } = await strangers({ bobTransport: network.factory });
      network.arm();
      const group = await alice.groups.create({ name: `Overtaken ${round}`, members: [bobAtAlice, carolAtAlice] });
      // Carol has the group and published her token (version 1) to Alice and to Bob, whose network
      // still holds Alice's snapshot: Carol's change reaches him first.
      await eventually(async () => (await alice.groups.get(group.id))?.version === 1 && network.held() >= 2, 15_000);
      await new Promise((r) => setTimeout(r, 300));
      network.release();
      // Bob installs the group, then Carol's change, then publishes his own token (version 2).
      await eventually(async () => {
        const versions = await Promise.all([alice, bob, carol].map(async (c) => (await c.groups.get(group.id))?.version ?? -1));
        return versions.every((v) => v === 2);
      }, 15_000).catch(async () => {
        const versions = await Promise.all([alice, bob, carol].map(async (c) => (await c.groups.get(group.id))?.version));
        throw new Error(`round ${round}: versions ${JSON.stringify(versions)}`);
      });
      await new Promise((r) => setTimeout(r, 200));
      // One signed state everywhere (the history each keeps may differ; the state must not).
      const current = await Promise.all([alice, bob, carol].map(async (c) => groupState(c, group.groupId)));
      expect(current[0]).not.toBe("");
      expect(current[1], `Bob, round ${round}`).toBe(current[0]);
      expect(current[2], `Carol, round ${round}`).toBe(current[0]);
      // And messages flow between all three.
      let id: string | undefined = group.id;
      const at = { alice: groupTexts(alice, () => id), bob: groupTexts(bob, () => id), carol: groupTexts(carol, () => id) };
      await bob.sendText(group.id, `Bob after the overtaken snapshot ${round}`);
      await exactlyOnce(() => at.carol, [`Bob after the overtaken snapshot ${round}`], `Carol, round ${round}`);
      await exactlyOnce(() => at.alice, [`Bob after the overtaken snapshot ${round}`], `Alice, round ${round}`);
      id = undefined;
      await Promise.all([alice.close(), bob.close(), carol.close()]);
    }
  });

  test("a message waits (pending) while no member's token is known and goes once one is; a member removed meanwhile gets nothing", async () => {
    const { alice, bob, carol, carolStore, bobAtAlice, carolAtAlice } = await strangers();
    await carol.close();
    // Only Carol, offline, never having published a token: the message waits, pending.
    const solo = await alice.groups.create({ name: "Just Carol", members: [carolAtAlice] });
    const waiting = await alice.sendText(solo.id, "for Carol when she is back");
    await new Promise((r) => setTimeout(r, 300));
    expect((await alice.messages(solo.id)).find((m) => m.id === waiting.id)?.status).toBe("pending");
    // Bob and Carol: Carol is removed before she ever connects; what waited for her is dropped.
    const bobJoined = waitFor(bob, "group", () => true, 15_000);
    const trio = await alice.groups.create({ name: "Without Carol", members: [bobAtAlice, carolAtAlice] });
    await bobJoined;
    const atBob = waitFor(bob, "message", (m) => m.text === "before Carol's removal", 15_000);
    const before = await alice.sendText(trio.id, "before Carol's removal");
    await atBob;
    await eventually(async () => (await alice.messages(trio.id)).find((m) => m.id === before.id)?.status !== "pending");
    const awaiting = () => internals(alice).store.list("group-awaiting-token");
    expect((await awaiting()).filter(([key]) => key.startsWith(`${trio.groupId}/`))).toHaveLength(1);
    await alice.groups.remove(trio.id, [carolAtAlice]);
    expect((await awaiting()).filter(([key]) => key.startsWith(`${trio.groupId}/`))).toHaveLength(0);
    // Carol connects: she publishes her token in the group she is still in, and its message reaches her once.
    const sent = waitFor(alice, "messageUpdated", (m) => m.id === waiting.id && m.status !== "pending", 15_000);
    const back = await reopenClient(shared.relay.wsUrl, carolStore);
    shared.clients.push(back);
    const atCarol = groupTexts(back, () => solo.id);
    const inTrio = groupTexts(back, () => trio.id);
    await back.connect();
    await exactlyOnce(() => atCarol, ["for Carol when she is back"], "Carol");
    await sent;
    expect(await awaiting()).toHaveLength(0);
    await new Promise((r) => setTimeout(r, 300));
    expect(inTrio).toEqual([]);
    await Promise.all([alice.close(), bob.close(), back.close()]);
    await carolStore.close();
  });
});
