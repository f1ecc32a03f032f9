// The ICE server cache on a fake clock: reuse until a fifth of the lifetime is left (at least
// 60 s before the expiry, at most half-way), a new fetch at and after that moment, one request
// for callers asking together, no caching of a failure, copies that callers cannot corrupt.
import { describe, expect, test } from "vitest";
import { ICE_REFRESH_MIN_MARGIN_MS, ICE_SERVERS_NO_EXPIRY_REUSE_MS, IceServerCache, iceRefreshAt } from "./ice-servers.js";
import type { IceServers } from "./push.js";

const H = 3_600_000;

describe("iceRefreshAt", () => {
  test("a fifth of the lifetime before the expiry when that is over 60 s", () => {
    expect(iceRefreshAt(0, 6 * H)).toBe(6 * H - (6 * H) / 5);
    expect(iceRefreshAt(1_000, 1_000 + 10 * 60_000)).toBe(1_000 + 8 * 60_000);
  });

  test("at least 60 s before the expiry: N = 5 min is the boundary, under it the margin stays 60 s", () => {
    expect(iceRefreshAt(0, 5 * 60_000)).toBe(4 * 60_000); // a fifth = 60 s exactly
    expect(iceRefreshAt(0, 5 * 60_000 - 1)).toBe(5 * 60_000 - 1 - ICE_REFRESH_MIN_MARGIN_MS);
    expect(iceRefreshAt(0, 3 * 60_000)).toBe(2 * 60_000);
  });

  test("never later than half-way, so short lifetimes are still reused for a while", () => {
    expect(iceRefreshAt(0, 2 * 60_000)).toBe(60_000); // 60 s margin = half: the boundary
    expect(iceRefreshAt(0, 2 * 60_000 - 2)).toBe(60_000 - 1);
    expect(iceRefreshAt(0, 20_000)).toBe(10_000);
  });

  test("already expired: refresh at once; no expiry: reuse for 10 minutes", () => {
    expect(iceRefreshAt(5_000, 5_000)).toBe(5_000);
    expect(iceRefreshAt(5_000, 1_000)).toBe(5_000);
    expect(iceRefreshAt(5_000, undefined)).toBe(5_000 + ICE_SERVERS_NO_EXPIRY_REUSE_MS);
  });
});

/** A relay stand-in that issues credentials `ttl` ahead of the fake clock and counts requests. */
function relay(clock: { now: number }, ttl: number | undefined) {
  let requests = 0;
  const fetch = async (): Promise<IceServers> => {
    requests += 1;
    const n = requests;
    if (ttl === undefined) return { iceServers: [{ urls: ["stun:s.example"] }] };
    return {
      iceServers: [{ urls: ["turn:t.example"], username: `${Math.floor((clock.now + ttl) / 1000)}:dev`, credential: `c${n}` }],
      expiresAt: clock.now + ttl,
    };
  };
  return { fetch, requests: () => requests };
}

describe("IceServerCache", () => {
  test("reuses the answer until the refresh time, then fetches new credentials", async () => {
    const clock = { now: 1_000_000 };
    const r = relay(clock, 6 * H);
    const cache = new IceServerCache(r.fetch, () => clock.now);
    const first = await cache.get();
    expect(first.iceServers[0]?.credential).toBe("c1");
    expect(first.refreshAt).toBe(1_000_000 + 6 * H - (6 * H) / 5);
    clock.now = (first.refreshAt ?? 0) - 1;
    expect((await cache.get()).iceServers[0]?.credential).toBe("c1");
    expect(r.requests()).toBe(1);
    clock.now = first.refreshAt ?? 0;
    const second = await cache.get();
    expect(second.iceServers[0]?.credential).toBe("c2");
    expect(second.expiresAt).toBe(clock.now + 6 * H);
    expect(r.requests()).toBe(2);
    // Well past the old expiry: never the old credentials.
    clock.now += 10 * H;
    expect((await cache.get()).iceServers[0]?.credential).toBe("c3");
  });

  test("the cached credentials always have at least the margin left when handed out", async () => {
    const clock = { now: 0 };
    const cache = new IceServerCache(relay(clock, 20_000).fetch, () => clock.now);
    for (let t = 0; t < 100_000; t += 1_000) {
      clock.now = t;
      const got = await cache.get();
      expect((got.expiresAt ?? 0) - t).toBeGreaterThan(10_000 - 1);
    }
  });

  test("callers asking together share one request; a failure is not cached", async () => {
    const clock = { now: 0 };
    let requests = 0;
    let fail = true;
    const cache = new IceServerCache(
      async () => {
        requests += 1;
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (fail) throw new Error("relay unreachable");
        return { iceServers: [], expiresAt: clock.now + H };
      },
      () => clock.now,
    );
    const [a, b] = await Promise.allSettled([cache.get(), cache.get()]);
    expect(a.status).toBe("rejected");
    expect(b.status).toBe("rejected");
    expect(requests).toBe(1);
    fail = false;
    await Promise.all([cache.get(), cache.get(), cache.get()]);
    expect(requests).toBe(2);
  });

  test("servers without TURN are reused for 10 minutes; clear() forgets them", async () => {
    const clock = { now: 0 };
    const r = relay(clock, undefined);
    const cache = new IceServerCache(r.fetch, () => clock.now);
    expect((await cache.get()).expiresAt).toBeUndefined();
    clock.now = ICE_SERVERS_NO_EXPIRY_REUSE_MS - 1;
    await cache.get();
    expect(r.requests()).toBe(1);
    clock.now = ICE_SERVERS_NO_EXPIRY_REUSE_MS;
    await cache.get();
    expect(r.requests()).toBe(2);
    cache.clear();
    await cache.get();
    expect(r.requests()).toBe(3);
  });

  test("each caller gets its own copy", async () => {
    const clock = { now: 0 };
    const cache = new IceServerCache(relay(clock, H).fetch, () => clock.now);
    const first = await cache.get();
    first.iceServers[0]?.urls.push("turn:evil.example");
    first.iceServers.length = 0;
    const again = await cache.get();
    expect(again.iceServers).toHaveLength(1);
    expect(again.iceServers[0]?.urls).toEqual(["turn:t.example"]);
  });
});
