// Redis outage under two relay nodes (a PRIVATE redis-server child on a random port, killed and
// restarted; the shared Redis is never touched): both nodes keep serving their own
// connections, mail committed on one node still reaches a device on the other by polling the
// shared store, /healthz says degraded (200); when Redis returns, the bus is up again, a
// device's earlier connection is still replaced by a newer one (claims restored after Redis
// lost its data), and a device connected to both nodes during the outage ends with one.
import type { ChildProcess } from "node:child_process";
import { CloseCode, SendResult, type ServerFrame } from "@parley/protocol/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OUTAGE_POLL_MS } from "../src/cluster/cluster-node.js";
import {
  freePort,
  health,
  killChild,
  redisUnavailable,
  startCluster,
  startPrivateRedis,
  type TestCluster,
  waitFor,
} from "./cluster-nodes.js";
import { messageId, newIdentity, type TestIdentity, utf8 } from "./identities.js";
import { SocketClient } from "./socket-client.js";

const skip = await redisUnavailable();
if (skip) console.warn(`cluster outage tests skipped: ${skip}`);

let redis: ChildProcess | undefined;
let port = 0;
let cluster: TestCluster | undefined;
const clients: SocketClient[] = [];

async function on(node: number, identity: TestIdentity, how: "register" | "auth"): Promise<SocketClient> {
  const client = await SocketClient.connect(cluster?.nodes[node]?.url ?? "");
  clients.push(client);
  expect((await (how === "register" ? client.register(identity) : client.auth(identity))).t).toBe("ok");
  return client;
}

async function send(from: SocketClient, to: TestIdentity, text: string): Promise<string> {
  const frame = await from.request({
    t: "send",
    messages: [{ userId: to.account.userId, deviceId: to.device.deviceId, messageId: messageId(), envelope: utf8(text) }],
  });
  return frame.t === "sent" ? String(frame.results[0]) : frame.t;
}

const text = (frame: ServerFrame) => (frame.t === "message" ? new TextDecoder().decode(frame.envelope) : "");

describe.skipIf(skip !== undefined)("a Redis outage under two nodes", () => {
  beforeAll(async () => {
    port = await freePort();
    redis = await startPrivateRedis(port);
    cluster = await startCluster(2, { redisUrl: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.stop();
    if (redis) await killChild(redis);
  });

  it("keeps serving, delivers across nodes by polling, reports degraded, and recovers claims when Redis returns", async () => {
    const nodes = cluster?.nodes ?? [];
    const alice = newIdentity();
    const bob = newIdentity();
    const carol = newIdentity();
    const dave = newIdentity();
    const aliceOnA = await on(0, alice, "register");
    const bobOnA = await on(0, bob, "register");
    const carolOnB = await on(1, carol, "register");
    const daveOnA = await on(0, dave, "register"); // connected before the outage: has a generation
    await (await on(0, newIdentity(), "register")).close();

    if (redis) await killChild(redis);
    await waitFor(() => nodes.every((n) => !n.bus.up), 5000, "both nodes to see the bus down");
    for (const node of nodes) expect(await health(node.httpUrl)).toEqual({ code: 200, body: { status: "degraded", bus: "down" } });

    // Local traffic on node A goes on as before.
    expect(await send(aliceOnA, bob, "local during outage")).toBe(SendResult.Ok);
    await bobOnA.next((f) => text(f) === "local during outage", 1000);

    // Mail committed on A for a device on B arrives through B's polling of the shared store.
    const before = performance.now();
    expect(await send(aliceOnA, carol, "cross-node during outage")).toBe(SendResult.Ok);
    await carolOnB.next((f) => text(f) === "cross-node during outage", OUTAGE_POLL_MS + 1500);
    console.info(`cross-node delivery with the bus down: ${(performance.now() - before).toFixed(0)} ms (poll every ${OUTAGE_POLL_MS} ms)`);

    // A device that connects to both nodes during the outage is live on both for now.
    const erin = newIdentity();
    await (await on(0, erin, "register")).close();
    const erinOnA = await on(0, erin, "auth");
    const erinOnB = await on(1, erin, "auth");
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(erinOnA.closeInfo).toBeUndefined();
    expect(erinOnB.closeInfo).toBeUndefined();

    // Redis returns with no data (nothing saved): the nodes rejoin.
    redis = await startPrivateRedis(port);
    await waitFor(() => nodes.every((n) => n.bus.up), 10_000, "both nodes to see the bus up again");
    for (const node of nodes) expect(await health(node.httpUrl)).toEqual({ code: 200, body: { status: "ok", bus: "up" } });

    // Claims re-published: of erin's two connections exactly one is left.
    await waitFor(() => [erinOnA, erinOnB].some((c) => c.closeInfo), 3000, "one of erin's connections to be replaced");
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([erinOnA, erinOnB].filter((c) => !c.closeInfo)).toHaveLength(1);
    expect([erinOnA, erinOnB].find((c) => c.closeInfo)?.closeInfo?.code).toBe(CloseCode.Replaced);

    // Dave's generation was restored: his newer connection on B replaces the one on A, not the reverse.
    const daveOnB = await on(1, dave, "auth");
    const closed = await Promise.race([daveOnA.closed, new Promise<undefined>((r) => setTimeout(() => r(undefined), 3000))]);
    expect(closed?.code).toBe(CloseCode.Replaced);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(daveOnB.closeInfo).toBeUndefined();

    // Cross-node wake-ups are back to milliseconds.
    const again = performance.now();
    expect(await send(aliceOnA, carol, "cross-node after recovery")).toBe(SendResult.Ok);
    await carolOnB.next((f) => text(f) === "cross-node after recovery", 500);
    expect(performance.now() - again).toBeLessThan(500);
  });
});
