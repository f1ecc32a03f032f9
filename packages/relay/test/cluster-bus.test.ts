// Two relay nodes sharing one store and one Redis bus (random key prefix on the shared Redis),
// with real WebSocket clients: cross-node delivery (and its latency), one live connection per
// device across nodes (also when two connect at once), cluster-wide rate limits and queue
// shares at N and N+1, health and metrics, and a malformed bus message that changes nothing.

import { signDeviceList } from "@parley/protocol";
import { CloseCode, RelayErrorCode, SendResult, type ServerFrame } from "@parley/protocol/wire";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FLUSH_MS } from "../src/cluster/quota-sync.js";
import { health, redisUnavailable, SHARED_REDIS, startCluster, type TestCluster, waitFor } from "./cluster-nodes.js";
import { addDevice, deps, messageId, newIdentity, type TestIdentity, utf8 } from "./identities.js";
import { SocketClient } from "./socket-client.js";

const skip = await redisUnavailable();
if (skip) console.warn(`cluster-bus tests skipped: ${skip}`);

/** The bus lag the tests allow for a quota to reach the other node: a flush plus delivery. */
const LAG_MS = FLUSH_MS + 150;
const RATE_BURST = 10;
const SHARE_CAP = 3;

let cluster: TestCluster;
const clients: SocketClient[] = [];

async function connect(node: number, on: TestCluster = cluster): Promise<SocketClient> {
  const client = await SocketClient.connect(on.nodes[node]?.url ?? "");
  clients.push(client);
  return client;
}

async function registered(
  ...args: [node: number, identity: TestIdentity] | [on: TestCluster, node: number, identity: TestIdentity]
): Promise<SocketClient> {
  const [on, node, identity] = args.length === 2 ? [cluster, ...args] : args;
  const client = await connect(node, on);
  const answer = await client.register(identity);
  expect(answer.t).toBe("ok");
  return client;
}

async function loggedIn(node: number, identity: TestIdentity): Promise<SocketClient> {
  const client = await connect(node);
  const answer = await client.auth(identity);
  expect(answer.t).toBe("ok");
  return client;
}

function send(from: SocketClient, to: TestIdentity, text: string, id = messageId()): Promise<ServerFrame> {
  return from.request({
    t: "send",
    messages: [{ userId: to.account.userId, deviceId: to.device.deviceId, messageId: id, envelope: utf8(text) }],
  });
}

/** The per-message result of a `sent` answer (or the error code). */
function resultOf(frame: ServerFrame): string {
  if (frame.t === "sent") return String(frame.results[0]);
  if (frame.t === "error") return frame.code;
  return frame.t;
}

const text = (frame: ServerFrame) => (frame.t === "message" ? new TextDecoder().decode(frame.envelope) : "");

describe.skipIf(skip !== undefined)("two relay nodes on one bus", () => {
  beforeAll(async () => {
    cluster = await startCluster(2, {
      limits: { recipientMessageBurst: RATE_BURST, recipientMessagesPerSecond: 1 },
    });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
  });

  it("delivers a message sent on node A to a device connected to node B well under the 1 s poll", async () => {
    const alice = newIdentity();
    const bob = newIdentity();
    const aliceOnA = await registered(0, alice);
    const bobOnB = await registered(1, bob);
    await bobOnB.next((f) => f.t === "queue_empty");
    const latencies: number[] = [];
    for (let i = 0; i < 8; i++) {
      const before = performance.now();
      expect(resultOf(await send(aliceOnA, bob, `hello ${i}`))).toBe(SendResult.Ok);
      const arrived = await bobOnB.next((f) => text(f) === `hello ${i}`, 2000);
      latencies.push(performance.now() - before);
      if (arrived.t === "message") await bobOnB.request({ t: "ack", messageIds: [arrived.messageId] });
    }
    latencies.sort((a, b) => a - b);
    console.info(
      `cross-node delivery (send → message on the other node), ms: median ${latencies[4]?.toFixed(1)}, max ${latencies[7]?.toFixed(1)}`,
    );
    expect(latencies[7]).toBeLessThan(500);
  });

  it("closes a device's connection on node A with Replaced when it connects to node B", async () => {
    const carol = newIdentity();
    const onA = await registered(0, carol);
    const onB = await loggedIn(1, carol);
    const closed = await Promise.race([onA.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
    expect(closed?.code).toBe(CloseCode.Replaced);
    expect(onB.closeInfo).toBeUndefined();
    // The survivor still gets mail.
    const dave = await registered(0, newIdentity());
    expect(resultOf(await send(dave, carol, "still here"))).toBe(SendResult.Ok);
    await onB.next((f) => text(f) === "still here", 2000);
  });

  it("leaves exactly one live connection when a device connects to both nodes at once", async () => {
    const erin = newIdentity();
    await (await registered(0, erin)).close();
    for (let round = 0; round < 5; round++) {
      const [onA, onB] = await Promise.all([connect(0), connect(1)]);
      await Promise.all([onA.auth(erin), onB.auth(erin)].map((p) => p.catch(() => undefined)));
      await waitFor(() => [onA, onB].filter((c) => c.closeInfo).length >= 1, 3000, "one of the racing connections to close");
      await new Promise((resolve) => setTimeout(resolve, 300)); // a wrong second close would show by now
      const open = [onA, onB].filter((c) => !c.closeInfo);
      expect(open).toHaveLength(1);
      expect([onA, onB].find((c) => c.closeInfo)?.closeInfo?.code).toBe(CloseCode.Replaced);
      await open[0]?.close();
    }
  });

  it("holds a sender on two nodes to the cluster rate: N sends pass, N+1 is refused on either node", async () => {
    const frank = newIdentity();
    const frank2 = addDevice(frank, 2, [1, 2]);
    const target = newIdentity();
    const frankOnA = await registered(0, frank);
    const frank2OnB = await registered(1, frank2);
    await registered(0, target);
    for (let i = 0; i < 6; i++) expect(resultOf(await send(frankOnA, target, `a${i}`))).toBe(SendResult.Ok);
    await new Promise((resolve) => setTimeout(resolve, LAG_MS));
    for (let i = 0; i < RATE_BURST - 6; i++) expect(resultOf(await send(frank2OnB, target, `b${i}`))).toBe(SendResult.Ok);
    expect(resultOf(await send(frank2OnB, target, "one too many on B"))).toBe(RelayErrorCode.RateLimited);
    await new Promise((resolve) => setTimeout(resolve, LAG_MS));
    expect(resultOf(await send(frankOnA, target, "one too many on A"))).toBe(RelayErrorCode.RateLimited);
  });

  it("forwards an ephemeral frame to a device live on the other node, and answers OFFLINE once it left", async () => {
    const jane = newIdentity();
    const kim = newIdentity();
    const janeOnA = await registered(0, jane);
    const kimOnB = await registered(1, kim);
    await new Promise((resolve) => setTimeout(resolve, LAG_MS)); // kim's claim reaches node A
    const typing = (body: string) =>
      janeOnA.request({
        t: "send",
        ephemeral: true,
        messages: [{ userId: kim.account.userId, deviceId: 1, messageId: messageId(), envelope: utf8(body) }],
      });
    expect(resultOf(await typing("typing…"))).toBe(SendResult.Ok);
    const arrived = await kimOnB.next((f) => f.t === "ephemeral", 2000);
    expect(arrived.t === "ephemeral" && new TextDecoder().decode(arrived.envelope)).toBe("typing…");
    await kimOnB.close();
    await new Promise((resolve) => setTimeout(resolve, LAG_MS)); // the release reaches node A
    expect(resultOf(await typing("anyone?"))).toBe(SendResult.Offline);
  });

  it("closes a removed device's connection on the other node", async () => {
    const lee = newIdentity();
    const lee2 = addDevice(lee, 2, [1, 2]);
    const leeOnA = await registered(0, lee);
    const lee2OnB = await registered(1, lee2);
    const answer = await lee2OnB.request({ t: "publish_devices", deviceList: signDeviceList(deps, lee.account, 3, [2]) });
    expect(answer.t).toBe("ok");
    const closed = await Promise.race([leeOnA.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
    expect(closed?.code).toBe(CloseCode.DeviceRemoved);
    expect(lee2OnB.closeInfo).toBeUndefined();
  });

  it("reports the bus in /healthz and its traffic in /metrics", async () => {
    for (const node of cluster.nodes) {
      expect(await health(node.httpUrl)).toEqual({ code: 200, body: { status: "ok", bus: "up" } });
      const metrics = await (await fetch(`${node.httpUrl}/metrics`)).text();
      expect(metrics).toMatch(new RegExp(`parley_bus_up\\{node="${node.bus.nodeId}"\\} 1`));
      expect(metrics).toMatch(/parley_bus_messages_published_total\{node="node-\d",type="claim"\} [1-9]/);
      expect(metrics).toMatch(/parley_bus_messages_received_total\{node="node-\d",type="claim"\} [1-9]/);
      expect(metrics).toMatch(/parley_bus_messages_(published|received)_total\{node="node-\d",type="wake"\} [1-9]/);
    }
  });

  it("drops malformed bus messages without effect", async () => {
    const ivan = newIdentity();
    const onA = await registered(0, ivan);
    const publisher = new Redis(SHARED_REDIS);
    try {
      const channel = `${cluster.prefix}bus`;
      const key = cluster.nodes[0]?.relay.context.live.all().next().value?.mailboxKey ?? "";
      for (const junk of [
        "not json",
        "null",
        JSON.stringify({ from: "x", message: { t: "claim", key, generation: "99", node: "evil" } }),
        JSON.stringify({ from: "x", message: { t: "claim", key, generation: -1, node: "evil" } }),
        JSON.stringify({ from: "x", message: { t: "quota", spends: [["send", "u:x>y", "lots"]], holds: [], acks: [] } }),
        JSON.stringify({ from: "x", message: { t: "wake", keys: [1, 2] } }),
        JSON.stringify({ from: "x", message: { t: "ephemeral", key, envelope: "not base64!" } }),
        JSON.stringify({ from: "x", message: { t: "release", key, generation: 0 } }),
        JSON.stringify({ from: "x", message: { t: "removed", keys: key } }),
        JSON.stringify({ from: "x", message: { t: "unknown" } }),
      ]) {
        await publisher.publish(channel, junk);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(onA.closeInfo).toBeUndefined();
      expect((await health(cluster.nodes[0]?.httpUrl ?? "")).code).toBe(200);
    } finally {
      publisher.disconnect();
    }
  });
});

describe.skipIf(skip !== undefined)("queue shares across two nodes", () => {
  let sharesCluster: TestCluster;
  beforeAll(async () => {
    sharesCluster = await startCluster(2, { limits: { maxQueuedPerSender: SHARE_CAP } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await sharesCluster?.stop();
  });

  it("holds a sender on two nodes to its queue share, and the recipient's ack on the other node frees it", async () => {
    const gina = newIdentity();
    const gina2 = addDevice(gina, 2, [1, 2]);
    const henry = newIdentity();
    const ginaOnA = await registered(sharesCluster, 0, gina);
    const gina2OnB = await registered(sharesCluster, 1, gina2);
    const henryOnB = await registered(sharesCluster, 1, henry);
    await henryOnB.next((f) => f.t === "queue_empty");
    henryOnB.ws.pause(); // henry reads nothing yet: the queue fills
    expect(resultOf(await send(ginaOnA, henry, "q1"))).toBe(SendResult.Ok);
    expect(resultOf(await send(ginaOnA, henry, "q2"))).toBe(SendResult.Ok);
    await new Promise((resolve) => setTimeout(resolve, LAG_MS));
    expect(resultOf(await send(gina2OnB, henry, "q3"))).toBe(SendResult.Ok);
    expect(resultOf(await send(gina2OnB, henry, "q4 over the share"))).toBe(RelayErrorCode.QueueFull);
    await new Promise((resolve) => setTimeout(resolve, LAG_MS));
    expect(resultOf(await send(ginaOnA, henry, "q4 over the share on A"))).toBe(RelayErrorCode.QueueFull);
    henryOnB.ws.resume();
    const first = await henryOnB.next((f) => text(f) === "q1", 2000);
    if (first.t !== "message") throw new Error("expected a message");
    expect((await henryOnB.request({ t: "ack", messageIds: [first.messageId] })).t).toBe("ok");
    await new Promise((resolve) => setTimeout(resolve, LAG_MS));
    expect(resultOf(await send(ginaOnA, henry, "q4 after the ack"))).toBe(SendResult.Ok);
  });
});

describe.skipIf(skip !== undefined)("expiry across two nodes", () => {
  let expiryCluster: TestCluster;
  beforeAll(async () => {
    expiryCluster = await startCluster(2, { limits: { messageLifetimeMs: 200 } });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await expiryCluster?.stop();
  });

  it("tells a device on node B of mail that node A's sweep expired", async () => {
    const mia = newIdentity();
    const ned = newIdentity();
    const miaOnA = await registered(expiryCluster, 0, mia);
    const nedOnB = await registered(expiryCluster, 1, ned);
    await nedOnB.next((f) => f.t === "queue_empty");
    expect(resultOf(await send(miaOnA, ned, "soon gone"))).toBe(SendResult.Ok);
    await nedOnB.next((f) => text(f) === "soon gone", 2000); // delivered, never acknowledged
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expiryCluster.nodes[0]?.relay.sweep();
    const notice = await nedOnB.next((f) => f.t === "expired", 2000);
    expect(notice).toMatchObject({ t: "expired", count: 1 });
  });
});
