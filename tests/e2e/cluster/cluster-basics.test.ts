// A relay cluster as users meet it: three relay nodes sharing PostgreSQL (a private schema on the
// shared server) and a private Redis bus, behind HAProxy run from packages/relay/deploy/haproxy.cfg,
// with real SDK clients that only know the balancer's URL. Clients spread over the nodes; 1:1
// chats, a group and an attachment work whichever node each party landed on.
import { randomBytes } from "node:crypto";
import type { ChatMessage, ParleyClient } from "@parley/protocol/client";
import { afterAll, describe, expect, test } from "vitest";
import { readAll, waitFor } from "../support/clients.js";
import { until } from "./support/child.js";
import { useCluster } from "./support/cluster.js";
import { skipReason } from "./support/prerequisites.js";
import { clients, pairUp } from "./support/traffic.js";

const skip = await skipReason();
const c = useCluster({ nodes: 3 }, skip === undefined);
const everyone: ParleyClient[] = [];
afterAll(async () => {
  await Promise.all(everyone.splice(0).map((client) => client.close()));
}, 30_000);

/** A client whose WebSocket HAProxy sends to node `index`. */
async function clientOn(index: number, name: string): Promise<ParleyClient> {
  const [client] = await c.cluster.through(index, () => clients(c.cluster.wsUrl, name, 1));
  everyone.push(client as ParleyClient);
  return client as ParleyClient;
}

const isText = (text: string) => (m: ChatMessage) => m.text === text;

describe.skipIf(skip !== undefined)("three relay nodes behind HAProxy", () => {
  test("clients dialling the balancer spread over every node, and each reaches every other", async () => {
    const before = await c.cluster.devicesPerNode();
    const spread = await clients(c.cluster.wsUrl, "spread", 6);
    everyone.push(...spread);
    const after = await c.cluster.devicesPerNode();
    const added = after.map((n, i) => (n ?? 0) - (before[i] ?? 0));
    expect(added.reduce((a, b) => a + b, 0)).toBe(6);
    for (const [i, n] of added.entries()) expect(n, `node${i + 1} serves some of the clients`).toBeGreaterThan(0);
    // Everyone writes to the next one round the ring and gets an answer.
    const pairs = await pairUp(spread, [...spread.slice(1), spread[0] as ParleyClient], "ring");
    expect(pairs).toHaveLength(6);
  });

  test("a 1:1 conversation between clients on different nodes, both ways, in order", async () => {
    const alice = await clientOn(0, "alice");
    const bob = await clientOn(1, "bob");
    const [pair] = await pairUp([alice], [bob], "ab");
    if (!pair) throw new Error("no pair");
    const texts = Array.from({ length: 20 }, (_, i) => `alice to bob ${i}`);
    const last = waitFor(bob, "message", isText(texts.at(-1) as string), 15_000);
    for (const text of texts) await alice.sendText(pair.receiverAtSender, text);
    await last;
    const atBob = (await bob.messages(pair.senderAtReceiver)).map((m) => m.text).filter((t) => t?.startsWith("alice to bob"));
    expect(atBob).toEqual(texts);
    const reply = waitFor(alice, "message", isText("got all 20"), 15_000);
    await bob.sendText(pair.senderAtReceiver, "got all 20");
    await reply;
    // Delivery receipts crossed back over the bus too.
    await expect
      .poll(async () => (await alice.messages(pair.receiverAtSender)).filter((m) => m.outgoing && m.status === "delivered").length, {
        timeout: 15_000,
      })
      .toBeGreaterThanOrEqual(20);
  });

  test("a group whose members sit on three different nodes: every member reads every member", async () => {
    const members = [await clientOn(0, "gina"), await clientOn(1, "hugo"), await clientOn(2, "ivan"), await clientOn(1, "jane")];
    const [gina, ...rest] = members as [ParleyClient, ...ParleyClient[]];
    // Each member writes to Gina first, so she holds their profiles.
    const atGina: string[] = [];
    for (const member of rest) {
      const ginaId = (await member.findContact("gina0")).id;
      const hello = `hello gina from ${member.handle}`;
      const arrived = waitFor(gina, "message", isText(hello), 15_000);
      await member.sendText(ginaId, hello);
      atGina.push((await arrived).contactId);
    }
    const joined = rest.map((m) => waitFor(m, "group", () => true, 15_000));
    const group = await gina.groups.create({ name: "Across nodes", members: atGina });
    await Promise.all(joined);
    for (const [i, author] of members.entries()) {
      const text = `group message from member ${i}`;
      const readers = members.filter((m) => m !== author).map((m) => waitFor(m, "message", isText(text), 15_000));
      await author.sendText(group.id, text);
      await Promise.all(readers);
    }
    for (const member of members) {
      const shown = (await member.messages(group.id)).filter((m) => m.kind === "text").map((m) => m.text);
      expect(shown).toEqual(members.map((_, i) => `group message from member ${i}`));
    }
  });

  test("an attachment uploaded through one node downloads, verified, through another", async () => {
    const sender = await clientOn(0, "kate");
    const receiver = await clientOn(2, "liam");
    const [pair] = await pairUp([sender], [receiver], "file");
    if (!pair) throw new Error("no pair");
    const bytes = new Uint8Array(randomBytes(700_000));
    const uploadsBefore = await Promise.all(c.cluster.nodes.map((n) => n.metric("parley_blobs_uploaded_total")));
    // The upload can only go to node1 ...
    const sent = await c.cluster.through(0, () =>
      sender.sendFile(
        pair.receiverAtSender,
        (async function* () {
          yield bytes;
        })(),
        { size: bytes.length, fileName: "photo.bin", contentType: "application/octet-stream" },
      ),
    );
    const uploadsAfter = await Promise.all(c.cluster.nodes.map((n) => n.metric("parley_blobs_uploaded_total")));
    expect(uploadsAfter.map((n, i) => (n ?? 0) - (uploadsBefore[i] ?? 0))).toEqual([1, 0, 0]);
    // It may arrive before sendFile resolves: look in the conversation rather than for the event.
    await until(
      "the file message at the receiver",
      async () => (await receiver.message(pair.senderAtReceiver, sent.id)) !== undefined,
      15_000,
    );
    const received = (await receiver.message(pair.senderAtReceiver, sent.id)) as ChatMessage;
    expect(received.attachment?.size).toBe(bytes.length);
    // ... and the download cannot: node1 is out of rotation while it runs.
    await c.cluster.maintenance(0, true);
    try {
      const downloaded = await readAll(receiver.openAttachment(received));
      expect(Buffer.from(downloaded).equals(Buffer.from(bytes))).toBe(true);
    } finally {
      await c.cluster.maintenance(0, false);
    }
  });
});
