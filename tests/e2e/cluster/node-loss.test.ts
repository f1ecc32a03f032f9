// Losing a relay node while people chat: a node killed with SIGKILL (a crash, a lost machine) and
// a node stopped with SIGTERM (a deploy: it drains). Either way its clients reconnect through the
// balancer to the other nodes, and every message a sender saw acknowledged shows up exactly once
// at its receiver.
import type { ParleyClient } from "@parley/protocol/client";
import { afterAll, describe, expect, test } from "vitest";
import { until } from "./support/child.js";
import { useCluster } from "./support/cluster.js";
import { skipReason } from "./support/prerequisites.js";
import { clients, expectExactlyOnce, type Pair, pairUp, startTraffic } from "./support/traffic.js";

const skip = await skipReason();
const c = useCluster({ nodes: 3, drainTimeout: "3s" }, skip === undefined);
const everyone: ParleyClient[] = [];
afterAll(async () => {
  await Promise.all(everyone.splice(0).map((client) => client.close()));
}, 30_000);

/** Two clients on each node; pairs write from node i to node i+1, so every node sends and receives. */
async function pairsAcrossNodes(prefix: string): Promise<{ pairs: Pair[]; onNode: ParleyClient[][] }> {
  const onNode: ParleyClient[][] = [];
  for (const i of [0, 1, 2]) {
    const placed = await c.cluster.through(i, () => clients(c.cluster.wsUrl, `${prefix}n${i}_`, 2));
    everyone.push(...placed);
    onNode.push(placed);
  }
  const senders = onNode.map((placed) => placed[0] as ParleyClient);
  const receivers = onNode.map((_, i) => onNode[(i + 1) % 3]?.[1] as ParleyClient);
  return { pairs: await pairUp(senders, receivers, prefix), onNode };
}

/** Waits until the running nodes together hold `total` authenticated devices again. */
async function allReconnected(total: number): Promise<void> {
  await until(
    `all ${total} clients logged in again on the remaining nodes`,
    async () => (await c.cluster.devicesPerNode()).reduce<number>((sum, n) => sum + (n ?? 0), 0) === total,
    20_000,
    100,
  );
}

describe.skipIf(skip !== undefined)("losing a node", () => {
  test("kill -9 of a node during traffic: its clients reconnect through the balancer, nothing acknowledged is lost or shown twice", async () => {
    const { pairs } = await pairsAcrossNodes("k");
    const victim = c.cluster.nodes[0];
    if (!victim) throw new Error("no node");
    expect(await victim.metric("parley_authenticated_devices")).toBeGreaterThanOrEqual(2);
    const traffic = startTraffic(pairs, 40);
    await new Promise((r) => setTimeout(r, 1_000));
    await victim.kill();
    await c.cluster.balancer.waitForStatus(victim.nodeId, /DOWN/, 5_000);
    await allReconnected(everyone.length);
    // Traffic carries on through the two remaining nodes for a while.
    await new Promise((r) => setTimeout(r, 1_000));
    await traffic.stop();
    expect(traffic.failures).toEqual([]);
    const delivered = await expectExactlyOnce(pairs, traffic);
    expect(delivered).toBeGreaterThan(pairs.length * 10);
    // The node comes back and takes connections again.
    await victim.restart();
    await c.cluster.waitForAllUp();
  });

  test("SIGTERM drains a node: /healthz says draining, its clients move to the others, nothing is lost, it exits 0", async () => {
    const before = everyone.length;
    const { pairs } = await pairsAcrossNodes("d");
    const draining = c.cluster.nodes[1];
    if (!draining) throw new Error("no node");
    expect(await draining.metric("parley_authenticated_devices")).toBeGreaterThanOrEqual(2);
    const traffic = startTraffic(pairs, 40);
    await new Promise((r) => setTimeout(r, 800));
    const exited = draining.terminate(15_000);
    // While it drains (its connections are closed over a quarter of --drain-timeout) it tells
    // the balancer to send nobody new.
    await until(
      "the draining node's /healthz to say 503 draining",
      async () => {
        const health = await draining.health();
        return health.status === 503 && health.body.status === "draining";
      },
      3_000,
      20,
    );
    await c.cluster.balancer.waitForStatus(draining.nodeId, /DOWN/, 5_000);
    expect(await exited).toBe(0);
    expect(draining.output()).toContain("stopped");
    await allReconnected(everyone.length);
    await new Promise((r) => setTimeout(r, 800));
    await traffic.stop();
    expect(traffic.failures).toEqual([]);
    expect(await expectExactlyOnce(pairs, traffic)).toBeGreaterThan(pairs.length * 10);
    expect(everyone.length).toBe(before + 6);
    await draining.restart();
    await c.cluster.waitForAllUp();
  });
});
