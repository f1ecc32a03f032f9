// The cluster's shared servers failing while people chat: Redis (the bus) killed and started
// again empty, and PostgreSQL (the store) stopped and started again. Both are private instances
// of this file. While an outage lasts each node's /healthz says so (200 degraded for the bus, so
// nodes keep serving their own clients; 503 storage_failing for the store, so the balancer sends
// nobody new); afterwards delivery resumes and nothing acknowledged is lost or shown twice.
import type { ParleyClient } from "@parley/protocol/client";
import { afterAll, describe, expect, test } from "vitest";
import { until } from "./support/child.js";
import { useCluster } from "./support/cluster.js";
import { skipReason } from "./support/prerequisites.js";
import { clients, expectExactlyOnce, type Pair, pairUp, startTraffic } from "./support/traffic.js";

const skip = await skipReason({ privatePostgres: true });
// Store and blob bytes both in the private PostgreSQL: after its restart, /healthz must recover by
// its own probes (no client traffic reaches nodes the balancer took out).
const c = useCluster({ nodes: 3, privatePostgres: true, blobs: "postgres" }, skip === undefined);
const everyone: ParleyClient[] = [];
afterAll(async () => {
  await Promise.all(everyone.splice(0).map((client) => client.close()));
}, 30_000);

/** One client on each node; each writes to the client on the next node. */
async function ring(prefix: string): Promise<Pair[]> {
  const placed: ParleyClient[] = [];
  for (const i of [0, 1, 2]) placed.push(...(await c.cluster.through(i, () => clients(c.cluster.wsUrl, `${prefix}n${i}_`, 1))));
  everyone.push(...placed);
  return pairUp(placed, [...placed.slice(1), placed[0] as ParleyClient], prefix);
}

/** Waits until every node's /healthz answers `status` with a body holding `fields`; the last answers are in the error. */
async function everyNodeHealth(status: number, fields: Record<string, unknown>, ms = 10_000): Promise<void> {
  let last: unknown[] = [];
  const matches = (health: { status: number; body: Record<string, unknown> }) =>
    health.status === status && Object.entries(fields).every(([key, value]) => health.body[key] === value);
  try {
    await until(
      `every node's /healthz to be ${status} ${JSON.stringify(fields)}`,
      async () => {
        last = await Promise.all(c.cluster.nodes.map((node) => node.health().catch((error: Error) => error.message)));
        return last.every((health) => typeof health === "object" && matches(health as never));
      },
      ms,
      100,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last answers: ${JSON.stringify(last)}\n${c.cluster.logs()}`);
  }
}

describe.skipIf(skip !== undefined)("outages of the cluster's servers", () => {
  test("Redis lost and restarted during traffic: /healthz reports the bus down (200 degraded), then delivery carries on with nothing lost", async () => {
    const pairs = await ring("r");
    await everyNodeHealth(200, { status: "ok", bus: "up" });
    const traffic = startTraffic(pairs, 40);
    await new Promise((r) => setTimeout(r, 800));
    await c.cluster.redis.kill();
    await everyNodeHealth(200, { status: "degraded", bus: "down" });
    // The balancer keeps every node in rotation: each still serves its own clients.
    for (const node of c.cluster.nodes) expect(await c.cluster.balancer.serverStatus(node.nodeId)).toMatch(/^UP/);
    await new Promise((r) => setTimeout(r, 1_000));
    await c.cluster.redis.start();
    await everyNodeHealth(200, { status: "ok", bus: "up" }, 15_000);
    await new Promise((r) => setTimeout(r, 800));
    await traffic.stop();
    expect(traffic.failures).toEqual([]);
    expect(await expectExactlyOnce(pairs, traffic)).toBeGreaterThan(pairs.length * 10);
  });

  test("PostgreSQL stopped and restarted during traffic: /healthz is 503 storage_failing while it is down, then every acknowledged message arrives once", async () => {
    const pairs = await ring("p");
    await everyNodeHealth(200, { status: "ok", bus: "up" });
    const traffic = startTraffic(pairs, 40);
    await new Promise((r) => setTimeout(r, 800));
    const postgres = c.cluster.postgres;
    if (!postgres) throw new Error("no private PostgreSQL");
    await postgres.stop();
    await everyNodeHealth(503, { status: "storage_failing" });
    for (const node of c.cluster.nodes) await c.cluster.balancer.waitForStatus(node.nodeId, /DOWN/, 5_000);
    await new Promise((r) => setTimeout(r, 1_000));
    await postgres.start();
    await everyNodeHealth(200, { status: "ok", bus: "up" }, 20_000);
    await c.cluster.waitForAllUp();
    await new Promise((r) => setTimeout(r, 800));
    await traffic.stop();
    // Sends during the outage wait in the SDK's outbox (they are not refused to the user).
    expect(traffic.failures).toEqual([]);
    expect(await expectExactlyOnce(pairs, traffic, 40_000)).toBeGreaterThan(pairs.length * 10);
  });
});
