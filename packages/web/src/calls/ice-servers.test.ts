// The web client's ICE servers on a fake clock, over the SDK's real cache (IceServerCache, the
// one client.iceServers() uses) with a stand-in relay that issues credentials `ttl` ahead: every
// new connection gets credentials that are not about to expire, open connections get new ones
// before theirs expire (and again and again in a long call, also when a refresh falls due while
// the connection is still being made), refreshes stop with the last connection, a failed
// refresh is retried, and the relay-only setting (policy "relay", or a
// clear error without TURN).
import { IceServerCache, type IceServers } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import {
  hasTurnServer,
  IceServerSource,
  LEG_SETUP_GRACE_MS,
  MIN_REFRESH_DELAY_MS,
  NoTurnServerError,
  REFRESH_RETRY_MS,
  RELAY_CALLS_KEY,
  relayCallsEnabled,
  setRelayCalls,
} from "./ice-servers.js";

/** A fake clock with timers that run when `advance` passes their time. */
function fakeClock(start = 1_700_000_000_000) {
  let now = start;
  let next = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer: (fn: () => void, ms: number) => {
      const id = next++;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimer: (id: unknown) => void timers.delete(id as number),
    pending: () => timers.size,
    /** Moves time forward by `ms`, running due timers in order (and letting their promises settle). */
    async advance(ms: number) {
      const end = now + ms;
      for (let guard = 0; guard < 10_000; guard++) {
        const due = [...timers.entries()].filter(([, t]) => t.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        for (let i = 0; i < 10; i++) await Promise.resolve();
      }
      now = end;
    },
  };
}

function relay(clock: { now: () => number }, ttl: number) {
  let requests = 0;
  let failing = false;
  const fetch = async (): Promise<IceServers> => {
    if (failing) throw new Error("offline");
    requests += 1;
    const expiresAt = Math.floor((clock.now() + ttl) / 1000) * 1000;
    return {
      iceServers: [
        { urls: ["stun:127.0.0.1:3478"] },
        { urls: ["turn:127.0.0.1:3478"], username: `${expiresAt / 1000}:dev`, credential: `c${requests}` },
      ],
      expiresAt,
    };
  };
  return {
    fetch,
    requests: () => requests,
    fail: (on: boolean) => {
      failing = on;
    },
  };
}

function setup(ttl: number, relayOnly = false) {
  const clock = fakeClock();
  const r = relay(clock, ttl);
  const cache = new IceServerCache(r.fetch, clock.now);
  const applied: { at: number; iceServers: RTCIceServer[] }[] = [];
  const errors: unknown[] = [];
  let open = 0;
  const source = new IceServerSource({
    fetch: () => cache.get(),
    active: () => open > 0,
    apply: (iceServers) => applied.push({ at: clock.now(), iceServers }),
    relayOnly: () => relayOnly,
    onError: (e) => errors.push(e),
    now: clock.now,
    setTimer: clock.setTimer,
    clearTimer: clock.clearTimer,
  });
  const setOpen = (n: number) => {
    open = n;
  };
  return { clock, r, source, applied, errors, setOpen };
}

const expiryOf = (servers: readonly RTCIceServer[]) => Number(String(servers[1]?.username).split(":")[0]) * 1000;

describe("IceServerSource", () => {
  test("a new connection after the credentials' refresh time gets new credentials (never expired ones)", async () => {
    const { clock, r, source } = setup(6 * 3_600_000);
    const first = await source.configuration();
    expect(first.iceTransportPolicy).toBeUndefined();
    expect(first.iceServers?.[1]?.credential).toBe("c1");
    await clock.advance(60_000);
    expect((await source.configuration()).iceServers?.[1]?.credential).toBe("c1");
    expect(r.requests()).toBe(1);
    // 5 hours later (past a fifth of the lifetime left): the next call fetches.
    await clock.advance(5 * 3_600_000);
    const later = await source.configuration();
    expect(later.iceServers?.[1]?.credential).toBe("c2");
    expect(expiryOf(later.iceServers ?? []) - clock.now()).toBeGreaterThan(5 * 3_600_000);
  });

  test("a call that outlives several lifetimes: its connections get new credentials before each expiry", async () => {
    const ttl = 20_000;
    const { clock, source, applied, setOpen } = setup(ttl);
    const config = await source.configuration();
    setOpen(1);
    await clock.advance(5 * ttl);
    expect(applied.length).toBeGreaterThanOrEqual(5);
    let current = config.iceServers ?? [];
    for (const next of applied) {
      // Applied while the previous credentials were still valid, with new ones that last longer.
      expect(next.at).toBeLessThan(expiryOf(current));
      expect(expiryOf(next.iceServers)).toBeGreaterThan(expiryOf(current));
      current = next.iceServers;
    }
    // At any moment of the call, the last applied credentials are valid.
    expect(expiryOf(current)).toBeGreaterThan(clock.now());
  });

  test("refreshes stop with the last connection", async () => {
    const { clock, r, source, applied, setOpen } = setup(20_000);
    await source.configuration();
    setOpen(1);
    await clock.advance(15_000);
    expect(applied).toHaveLength(1);
    setOpen(0);
    // No fetch without a connection; the wait for a late connection ends after the grace period.
    await clock.advance(LEG_SETUP_GRACE_MS + 60_000);
    expect(applied).toHaveLength(1);
    expect(clock.pending()).toBe(0);
    expect(r.requests()).toBe(2);
  });

  test("a refresh due before the connection exists (camera still starting) still reaches it", async () => {
    const { clock, source, applied, setOpen } = setup(20_000);
    await source.configuration(); // credentials fetched now, refresh due in 10 s
    await clock.advance(9_500);
    // A new leg: the cached credentials (refresh due in 0.5 s), then getUserMedia takes 3 s.
    const config = await source.configuration();
    await clock.advance(3_000);
    expect(applied).toHaveLength(0);
    setOpen(1);
    await clock.advance(MIN_REFRESH_DELAY_MS);
    expect(applied).toHaveLength(1);
    expect(expiryOf(applied[0]?.iceServers ?? [])).toBeGreaterThan(expiryOf(config.iceServers ?? []));
    // And the chain goes on for the rest of the call.
    await clock.advance(60_000);
    expect(applied.length).toBeGreaterThanOrEqual(6);
  });

  test("with no connection after the grace period, refreshes stop", async () => {
    const { clock, r, source, applied } = setup(20_000);
    await source.configuration();
    await clock.advance(LEG_SETUP_GRACE_MS + 60_000);
    expect(applied).toHaveLength(0);
    expect(r.requests()).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  test("a failed refresh is reported and retried; stop() cancels", async () => {
    const { clock, r, source, applied, errors, setOpen } = setup(120_000);
    await source.configuration();
    setOpen(1);
    r.fail(true);
    await clock.advance(60_050);
    expect(errors).toHaveLength(1);
    expect(applied).toHaveLength(0);
    r.fail(false);
    await clock.advance(REFRESH_RETRY_MS);
    expect(applied).toHaveLength(1);
    source.stop();
    expect(clock.pending()).toBe(0);
  });

  test("refreshes never come closer together than the minimum delay", async () => {
    // Credentials that are already expired when they arrive (a clock far behind the relay's).
    const clock = fakeClock();
    let calls = 0;
    const source = new IceServerSource({
      fetch: async () => {
        calls += 1;
        return { iceServers: [], expiresAt: clock.now() - 1, refreshAt: clock.now() - 1 };
      },
      active: () => true,
      apply: () => undefined,
      now: clock.now,
      setTimer: clock.setTimer,
      clearTimer: clock.clearTimer,
    });
    await source.configuration();
    await clock.advance(10 * MIN_REFRESH_DELAY_MS);
    expect(calls).toBeLessThanOrEqual(11);
  });

  test("relay-only: policy relay with TURN; a clear error without it", async () => {
    const { source } = setup(3_600_000, true);
    expect((await source.configuration()).iceTransportPolicy).toBe("relay");
    const stunOnly = new IceServerSource({
      fetch: async () => ({ iceServers: [{ urls: ["stun:127.0.0.1:3478"] }] }),
      active: () => false,
      apply: () => undefined,
      relayOnly: () => true,
    });
    await expect(stunOnly.configuration()).rejects.toBeInstanceOf(NoTurnServerError);
    await expect(stunOnly.configuration()).rejects.toThrow(/no relay for calls/);
  });
});

describe("relay calls setting", () => {
  test("stored per browser under one key, off by default", () => {
    const data = new Map<string, string>();
    const storage = {
      getItem: (k: string) => data.get(k) ?? null,
      setItem: (k: string, v: string) => void data.set(k, v),
      removeItem: (k: string) => void data.delete(k),
    };
    expect(relayCallsEnabled(storage)).toBe(false);
    setRelayCalls(true, storage);
    expect(data.get(RELAY_CALLS_KEY)).toBe("1");
    expect(relayCallsEnabled(storage)).toBe(true);
    setRelayCalls(false, storage);
    expect(data.size).toBe(0);
    expect(relayCallsEnabled(storage)).toBe(false);
  });

  test("hasTurnServer needs a turn:/turns: URL with credentials", () => {
    expect(hasTurnServer({ iceServers: [] })).toBe(false);
    expect(hasTurnServer({ iceServers: [{ urls: ["stun:a"] }] })).toBe(false);
    expect(hasTurnServer({ iceServers: [{ urls: ["turn:a"] }] })).toBe(false);
    expect(hasTurnServer({ iceServers: [{ urls: ["turns:a"], username: "1:x", credential: "y" }] })).toBe(true);
  });
});
