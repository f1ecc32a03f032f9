// QuotaSync between two nodes, on a fake clock, joined by an in-process bus (the transport is
// not what is tested here; cluster-bus.test.ts runs the same over Redis): N passes and N+1 is
// refused once the other node's consumption arrived, debt is carried so the sustained cluster
// rate is the single-node rate, connection keys stay local, and nothing piles up while down.
import { describe, expect, it } from "vitest";
import { SenderShares } from "../delivery/sender-shares.js";
import { KeyedBuckets } from "../rate-limit.js";
import type { Bus, BusListener } from "./bus.js";
import type { BusMessage } from "./bus-messages.js";
import { isConnectionKey, QuotaSync } from "./quota-sync.js";

/** Two buses that hand each published message to the other (on flush of the test). */
function busPair(): [Bus & { up: boolean; sent: BusMessage[] }, Bus & { up: boolean; sent: BusMessage[] }] {
  const make = () => {
    const bus = {
      nodeId: "n",
      up: true,
      sent: [] as BusMessage[],
      listener: undefined as BusListener | undefined,
      peer: undefined as { listener: BusListener | undefined } | undefined,
      publish(message: BusMessage) {
        if (!bus.up) return false;
        bus.sent.push(message);
        bus.peer?.listener?.(message);
        return true;
      },
      onMessage(listener: BusListener) {
        bus.listener = listener;
      },
      onStateChange() {},
      nextGeneration: async () => 1,
      restoreGeneration: async () => {},
      close: async () => {},
    };
    return bus;
  };
  const a = make();
  const b = make();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

function node(bus: Bus, now: () => number, burst: number, rate: number) {
  const buckets = new KeyedBuckets(rate, burst, now);
  const shares = new SenderShares();
  const sync = new QuotaSync(bus, [{ name: "send", buckets, shared: (k) => !isConnectionKey(k) }], shares, () => {});
  bus.onMessage((m) => {
    if (m.t === "quota") sync.apply(m.spends, m.holds, m.acks);
  });
  return { buckets, shares, sync };
}

describe("cluster-wide quotas", () => {
  it("admits N across two nodes and refuses N+1 on either once consumption is exchanged", () => {
    const t = 0;
    const [busA, busB] = busPair();
    const a = node(busA, () => t, 10, 1);
    const b = node(busB, () => t, 10, 1);
    for (let i = 0; i < 6; i++) expect(a.buckets.take("u:x")).toBe(true);
    a.sync.flush();
    for (let i = 0; i < 4; i++) expect(b.buckets.take("u:x")).toBe(true);
    expect(b.buckets.take("u:x")).toBe(false);
    b.sync.flush();
    expect(a.buckets.take("u:x")).toBe(false);
    a.sync.stop();
    b.sync.stop();
  });

  it("carries debt, so a client on two nodes gets the single-node rate, not twice it", () => {
    let t = 0;
    const [busA, busB] = busPair();
    const rate = 10;
    const a = node(busA, () => t, 10, rate);
    const b = node(busB, () => t, 10, rate);
    let admitted = 0;
    // Both nodes take greedily, and hear of each other only every 100 ms (the lag).
    for (let step = 0; step < 100; step++) {
      t += 100;
      while (a.buckets.take("u:x")) admitted++;
      while (b.buckets.take("u:x")) admitted++;
      a.sync.flush();
      b.sync.flush();
    }
    // 10 s at 10/s plus the burst is 110 on one node; the bound adds (k−1)·(burst + rate·lag) = 11.
    expect(admitted).toBeLessThanOrEqual(110 + 11);
    expect(admitted).toBeGreaterThanOrEqual(100);
  });

  it("keeps connection keys local and sends nothing while the bus is down", () => {
    const t = 0;
    const [busA, busB] = busPair();
    const a = node(busA, () => t, 1, 1);
    const b = node(busB, () => t, 1, 1);
    expect(a.buckets.take("c:5>user")).toBe(true);
    a.sync.flush();
    expect(b.buckets.take("c:5>user")).toBe(true); // another node's connection 5 is another connection
    busA.up = false;
    for (let i = 0; i < 1000; i++) a.buckets.take(`u:${i}`);
    a.sync.flush();
    expect(busA.sent.filter((m) => m.t === "quota" && m.spends.some(([, k]) => k.startsWith("u:")))).toHaveLength(0);
    a.sync.stop();
    b.sync.stop();
  });

  it("mirrors queue-share holds and releases them on an ack received by the other node", () => {
    const t = 0;
    const [busA, busB] = busPair();
    const a = node(busA, () => t, 10, 1);
    const b = node(busB, () => t, 10, 1);
    const cap = [{ key: "u:sender", max: 2 }];
    for (const id of ["01", "02"]) {
      const keys = a.shares.reserve("mb.1", cap);
      expect(keys).toBeDefined();
      a.shares.hold("mb.1", id, keys ?? [], 1000);
    }
    a.sync.flush();
    expect(b.shares.reserve("mb.1", cap)).toBeUndefined(); // at N on A, N+1 refused on B
    b.shares.acked("mb.1", ["01"]);
    b.sync.flush();
    expect(a.shares.reserve("mb.1", cap)).toBeDefined();
    a.sync.stop();
    b.sync.stop();
  });

  it("keeps acks received during an outage and sends them when the bus returns", () => {
    const t = 0;
    const [busA, busB] = busPair();
    const a = node(busA, () => t, 10, 1);
    const b = node(busB, () => t, 10, 1);
    const cap = [{ key: "u:sender", max: 1 }];
    a.shares.hold("mb.1", "01", a.shares.reserve("mb.1", cap) ?? [], 1000);
    a.sync.flush();
    busB.up = false;
    b.shares.acked("mb.1", ["01"]); // the recipient acks on B while the bus is down
    b.sync.flush();
    expect(a.shares.reserve("mb.1", cap)).toBeUndefined();
    busB.up = true;
    b.sync.flush(); // what the cluster node does when the bus returns
    expect(a.shares.reserve("mb.1", cap)).toBeDefined();
    a.sync.stop();
    b.sync.stop();
  });
});
