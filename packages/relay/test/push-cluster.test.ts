// Web Push in a cluster (two nodes, one store, the shared Redis with a random prefix): both nodes
// sign with the same VAPID key; mail committed on node A for a device connected to node B wakes
// no push (the bus's device claims say where it is); once it disconnects everywhere, node A
// pushes exactly once for a burst.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mailboxKey } from "../src/delivery/live-devices.js";
import { redisUnavailable, startCluster, type TestCluster, waitFor } from "./cluster-nodes.js";
import { messageId, newIdentity, type TestIdentity, utf8 } from "./identities.js";
import { type PushServiceStub, startPushServiceStub } from "./push-service-stub.js";
import { SocketClient } from "./socket-client.js";

const skip = await redisUnavailable();
if (skip) console.warn(`push-cluster tests skipped: ${skip}`);

let cluster: TestCluster;
let stub: PushServiceStub;
const clients: SocketClient[] = [];

async function registered(node: number, identity: TestIdentity): Promise<SocketClient> {
  const client = await SocketClient.connect(cluster.nodes[node]?.url ?? "");
  clients.push(client);
  expect((await client.register(identity)).t).toBe("ok");
  return client;
}
const mailTo = (to: TestIdentity, text: string) => ({
  t: "send" as const,
  messages: [{ userId: to.account.userId, deviceId: to.device.deviceId, messageId: messageId(), envelope: utf8(text) }],
});
const allIdle = () => Promise.all(cluster.nodes.map((n) => n.relay.context.push.sender.idle()));

describe.skipIf(skip !== undefined)("web push across relay nodes", () => {
  beforeAll(async () => {
    cluster = await startCluster(2, { push: { allowLoopback: true } });
    stub = await startPushServiceStub(() => cluster.nodes[0]?.relay.context.push.vapidPublicKey ?? new Uint8Array());
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
    await stub?.close();
  });

  it("uses one VAPID key on every node", () => {
    const [a, b] = cluster.nodes.map((n) => n.relay.context.push.vapidPublicKey);
    expect(a).toEqual(b);
  });

  it("pushes nothing while the device is connected to the other node, and once for a burst after it leaves", async () => {
    const alice = newIdentity();
    const aliceOnB = await registered(1, alice);
    const sub = stub.subscribe();
    expect((await aliceOnB.request({ t: "set_push", endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth })).t).toBe("ok");
    const key = mailboxKey({ userId: alice.account.userId, deviceId: 1 });
    const nodeA = cluster.nodes[0]?.relay.context.cluster;
    await waitFor(() => nodeA?.liveElsewhere(key) === true, 5000, "node A hears of alice on node B");
    const bobOnA = await registered(0, newIdentity());
    for (let i = 0; i < 5; i++) expect((await bobOnA.request(mailTo(alice, `m${i}`))).t).toBe("sent");
    await aliceOnB.next((f) => f.t === "message");
    await allIdle();
    expect(stub.received).toEqual([]);

    await aliceOnB.close();
    await waitFor(() => nodeA?.liveElsewhere(key) === false, 5000, "node A hears alice left");
    for (let i = 0; i < 20; i++) await bobOnA.request(mailTo(alice, `later ${i}`));
    await allIdle();
    expect(stub.received.map((p) => p.subscription)).toEqual([sub.id]);
    expect(new TextDecoder().decode(stub.received[0]?.plaintext)).toBe('{"t":"mail"}');
    expect(stub.refused).toEqual([]);
  });
});
