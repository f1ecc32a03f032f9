// Keyed rate buckets stay bounded: at most maxKeys buckets (N kept, the N+1th key first prunes
// full buckets, then drops the oldest), so claimed keys cannot grow the map without end.
import { describe, expect, it } from "vitest";
import { KeyedBuckets } from "./rate-limit.js";

describe("KeyedBuckets", () => {
  it("keeps maxKeys buckets and drops the oldest for one more", () => {
    const clock = { now: 0 };
    const buckets = new KeyedBuckets(1, 2, () => clock.now, 3);
    for (const key of ["a", "b", "c"]) expect(buckets.take(key, 2)).toBe(true);
    expect(buckets.size).toBe(3);
    expect(buckets.take("a")).toBe(false);
    expect(buckets.take("d")).toBe(true);
    expect(buckets.size).toBe(3);
    // "a" was the oldest and was forgotten; "b" is still empty.
    expect(buckets.take("b")).toBe(false);
  });

  it("prunes refilled buckets before dropping a busy one", () => {
    const clock = { now: 0 };
    const buckets = new KeyedBuckets(1, 2, () => clock.now, 2);
    expect(buckets.take("a", 2)).toBe(true);
    clock.now += 5_000; // "a" refills
    expect(buckets.take("b", 2)).toBe(true);
    expect(buckets.take("c")).toBe(true);
    expect(buckets.size).toBe(2);
    expect(buckets.take("b")).toBe(false);
  });
});
