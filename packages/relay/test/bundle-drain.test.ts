// Draining a victim's one-time prekeys (issue 12 item 7, relay side) over real sockets. Today's
// attack: 10 fresh connections × 10 fetches took all 100 one-time prekeys, because the only limit
// was per connection. Limits now hold per requesting account (all its devices and connections),
// per requester and target, and per target: past the target's budget bundles are still served,
// with the last-resort ML-KEM key and no one-time keys, so an honest requester is never refused.
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS, type Limits } from "../src/limits.js";
import { addDevice, newIdentity, preKeyRecords, type TestIdentity } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function start(limits: Partial<Limits> = {}): Promise<TestServer> {
  t = await startTestServer(limits);
  return t;
}

async function registered(server: TestServer, identity: TestIdentity): Promise<SocketClient> {
  const c = await SocketClient.connect(server.url);
  expect(await c.register(identity)).toMatchObject({ t: "ok" });
  return c;
}

/** Registers a victim with `count` one-time prekeys of each kind (uploaded in frames that fit). */
async function victimWith(server: TestServer, count: number): Promise<TestIdentity> {
  const victim = newIdentity();
  const c = await registered(server, victim);
  for (let first = 1; first <= count; first += 40) {
    const n = Math.min(40, count - first + 1);
    expect(await c.request({ t: "upload_prekeys", ...preKeyRecords(victim, n, first) })).toMatchObject({ t: "ok" });
  }
  await c.close();
  return victim;
}

const oneTimeLeft = async (server: TestServer, victim: TestIdentity) =>
  (await server.relay.context.store.countPreKeys({ userId: victim.account.userId, deviceId: 1 })).oneTime;

async function fetchBundle(c: SocketClient, victim: TestIdentity) {
  const answer = await c.request({ t: "fetch_bundles", userId: victim.account.userId });
  if (answer.t === "error") return { code: answer.code, oneTime: false };
  if (answer.t !== "bundles") throw new Error(`unexpected ${answer.t}`);
  expect(answer.bundles).toHaveLength(1);
  return { code: "bundles", oneTime: answer.bundles[0]?.oneTimePreKey !== undefined };
}

describe("bundle fetch limits", () => {
  it("keeps a victim's one-time prekeys when one account fetches 10 × 10 over fresh connections (defaults)", async () => {
    const server = await start();
    const victim = await victimWith(server, 100);
    const attacker = newIdentity();
    (await registered(server, attacker)).close();
    const outcomes: string[] = [];
    for (let round = 0; round < 10; round++) {
      const c = await SocketClient.connect(server.url);
      await c.auth(attacker);
      for (let i = 0; i < 10; i++) outcomes.push((await fetchBundle(c, victim)).code);
      await c.close();
    }
    const pairBurst = DEFAULT_LIMITS.pairBundleFetchBurst;
    expect(outcomes.filter((o) => o === "bundles")).toHaveLength(pairBurst);
    expect(outcomes.filter((o) => o === "RATE_LIMITED")).toHaveLength(100 - pairBurst);
    expect(await oneTimeLeft(server, victim)).toBe(100 - pairBurst);
  });

  it("limits a requesting account across its devices' connections: N fetches served, N+1 → RATE_LIMITED", async () => {
    const N = 4;
    const server = await start({ requesterBundleFetchBurst: N, pairBundleFetchBurst: 100 });
    const victims = [await victimWith(server, 5), await victimWith(server, 5)];
    const d1 = newIdentity();
    const d2 = addDevice(d1, 2, [1, 2]);
    const d3 = addDevice(d2, 3, [1, 2, 3]);
    const conns = [await registered(server, d1), await registered(server, d2), await registered(server, d3)];
    const codes: string[] = [];
    for (let i = 0; i < N; i++) codes.push((await fetchBundle(conns[i % 3] as SocketClient, victims[i % 2] as TestIdentity)).code);
    expect(codes).toEqual(Array<string>(N).fill("bundles"));
    expect((await fetchBundle(conns[N % 3] as SocketClient, victims[0] as TestIdentity)).code).toBe("RATE_LIMITED");
    // Another account is not affected by this one's use.
    const other = await registered(server, newIdentity());
    expect((await fetchBundle(other, victims[0] as TestIdentity)).code).toBe("bundles");
    await Promise.all([...conns, other].map((c) => c.close()));
  });

  it("limits one requester per target (N, N+1 → RATE_LIMITED) and shares a target's one-time budget without starving anyone", async () => {
    const server = await start({ pairBundleFetchBurst: 2, targetOneTimePreKeyBurst: 3 });
    const victim = await victimWith(server, 20);
    const attacker = await registered(server, newIdentity());
    expect(await fetchBundle(attacker, victim)).toEqual({ code: "bundles", oneTime: true });
    expect(await fetchBundle(attacker, victim)).toEqual({ code: "bundles", oneTime: true });
    expect((await fetchBundle(attacker, victim)).code).toBe("RATE_LIMITED");
    // A second attacking account spends the rest of the target's budget…
    const accomplice = await registered(server, newIdentity());
    expect(await fetchBundle(accomplice, victim)).toEqual({ code: "bundles", oneTime: true });
    expect(await fetchBundle(accomplice, victim)).toEqual({ code: "bundles", oneTime: false });
    // …and an honest requester still gets a working bundle (last-resort ML-KEM key, no one-time key).
    const honest = await registered(server, newIdentity());
    expect(await fetchBundle(honest, victim)).toEqual({ code: "bundles", oneTime: false });
    expect(await oneTimeLeft(server, victim)).toBe(17);
    await Promise.all([attacker, accomplice, honest].map((c) => c.close()));
  });
});
