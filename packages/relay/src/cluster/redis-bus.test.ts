// RedisBus against the shared Redis (random key prefix) and against a port nothing listens on:
// messages reach the other bus instance and not the sender, generations are atomic and can be
// raised, and an unreachable Redis leaves a bus that is down, drops publishes and never throws.
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { freePort, redisUnavailable, SHARED_REDIS } from "../../test/cluster-nodes.js";
import type { BusMessage } from "./bus-messages.js";
import { openBus, parseBusUrl } from "./open-bus.js";
import { RedisBus } from "./redis-bus.js";

const log = pino({ level: "silent" });
const skip = await redisUnavailable();
const prefix = `parley-test-${randomBytes(6).toString("hex")}:`;

describe("--bus URLs", () => {
  it("takes redis:// and rediss:// with an optional prefix, and nothing else", () => {
    expect(parseBusUrl("redis://127.0.0.1:6379")).toEqual({ url: "redis://127.0.0.1:6379", prefix: "parley:" });
    expect(parseBusUrl("rediss://h:1/2?prefix=eu:")).toEqual({ url: "rediss://h:1/2", prefix: "eu:" });
    expect(() => parseBusUrl("http://127.0.0.1:6379")).toThrow(RangeError);
    expect(() => parseBusUrl("not a url")).toThrow(RangeError);
    expect(() => parseBusUrl("redis://h:1/?prefix=")).toThrow(RangeError);
  });

  it("never prints a password in its errors", () => {
    expect(() => parseBusUrl("http://user:hunter2@h:1")).toThrow(/\*\*\*/);
    try {
      parseBusUrl("http://user:hunter2@h:1");
    } catch (error) {
      expect((error as Error).message).not.toContain("hunter2");
    }
  });

  it("opens no bus without --bus", async () => {
    expect(await openBus(undefined, "n", log)).toBeUndefined();
  });
});

describe("RedisBus with Redis unreachable", () => {
  it("is down, drops publishes, gives no generation, and closes cleanly", async () => {
    const port = await freePort();
    const bus = new RedisBus({ url: `redis://127.0.0.1:${port}`, nodeId: "n", log });
    await expect(bus.ready(300)).rejects.toThrow(/did not connect/);
    expect(bus.up).toBe(false);
    for (let i = 0; i < 10_000; i++) expect(bus.publish({ t: "wake", keys: ["k"] })).toBe(false);
    expect(await bus.nextGeneration("k")).toBeUndefined();
    await bus.restoreGeneration("k", 5);
    await bus.close();
  });
});

describe.skipIf(skip !== undefined)("RedisBus on the shared Redis", () => {
  const buses: RedisBus[] = [];
  afterAll(async () => {
    await Promise.all(buses.map((b) => b.close()));
    const cleanup = new Redis(SHARED_REDIS);
    await cleanup.del(`${prefix}generations`);
    cleanup.disconnect();
  });

  it("delivers a message to the other instance, not back to its sender", async () => {
    const a = new RedisBus({ url: SHARED_REDIS, prefix, nodeId: "a", log });
    const b = new RedisBus({ url: SHARED_REDIS, prefix, nodeId: "b", log });
    buses.push(a, b);
    await Promise.all([a.ready(5000), b.ready(5000)]);
    const atA: BusMessage[] = [];
    const atB: BusMessage[] = [];
    a.onMessage((m) => atA.push(m));
    b.onMessage((m) => atB.push(m));
    expect(a.publish({ t: "wake", keys: ["x.1"] })).toBe(true);
    for (let i = 0; i < 100 && atB.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(atB).toEqual([{ t: "wake", keys: ["x.1"] }]);
    expect(atA).toEqual([]);
  });

  it("hands out increasing generations across instances and raises a lost counter", async () => {
    const [a, b] = buses as [RedisBus, RedisBus];
    const generations = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).nextGeneration("dev.1")));
    expect([...generations].sort((x, y) => (x ?? 0) - (y ?? 0))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    await a.restoreGeneration("dev.2", 57);
    await a.restoreGeneration("dev.2", 3); // never lowers
    expect(await b.nextGeneration("dev.2")).toBe(58);
  });
});
