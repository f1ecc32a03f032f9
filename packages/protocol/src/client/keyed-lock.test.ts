import { describe, expect, test } from "vitest";
import { backoffDelay } from "./backoff.js";
import { KeyedLock } from "./keyed-lock.js";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("KeyedLock", () => {
  test("tasks on one key run one at a time, in order; other keys run alongside", async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const task = (key: string, name: string) =>
      lock.run(key, async () => {
        log.push(`start ${name}`);
        await tick();
        log.push(`end ${name}`);
      });
    await Promise.all([task("a", "a1"), task("a", "a2"), task("b", "b1")]);
    expect(log.indexOf("end a1")).toBeLessThan(log.indexOf("start a2"));
    expect(log.indexOf("start b1")).toBeLessThan(log.indexOf("end a1"));
    expect(lock.size).toBe(0);
  });

  test("a failing task releases the lock", async () => {
    const lock = new KeyedLock();
    await expect(lock.run("k", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await lock.run("k", async () => 42)).toBe(42);
    expect(lock.size).toBe(0);
  });

  test("runAll takes several keys without deadlocking against the reverse order", async () => {
    const lock = new KeyedLock();
    const results = await Promise.all([lock.runAll(["x", "y"], async () => 1), lock.runAll(["y", "x"], async () => 2)]);
    expect(results).toEqual([1, 2]);
  });
});

describe("backoffDelay", () => {
  test("grows exponentially up to the cap, with full jitter", () => {
    const top = (attempt: number) => backoffDelay(attempt, { random: () => 0.999999 });
    expect(top(0)).toBe(499);
    expect(top(3)).toBe(3999);
    expect(top(20)).toBe(29_999);
    expect(backoffDelay(5, { random: () => 0 })).toBe(0);
  });
});
