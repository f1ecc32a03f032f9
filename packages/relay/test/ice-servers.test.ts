// `fetch_ice_servers`: STUN and TURN URLs with coturn `use-auth-secret` credentials (checked
// against a vector computed with openssl, and re-derived from the answer), only for
// authenticated devices, rate-limited per account (N answered, N+1 RATE_LIMITED), and empty when
// nothing is configured. coturn is not installed on the build machine, so no live TURN
// allocation is tried here.
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { turnCredential, turnHandle } from "../src/push/ice-servers.js";
import { codeOf, createHarness, type Harness, request } from "./harness.js";
import { addDevice, newIdentity } from "./identities.js";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const ice = {
  stunUrls: ["stun:stun.example:3478"],
  turnUrls: ["turn:turn.example:3478?transport=udp", "turns:turn.example:5349?transport=tcp"],
  turnSecret: "north-turn-secret",
  turnTtlMs: 3600_000,
};

describe("TURN credentials", () => {
  it("match the coturn use-auth-secret vector (openssl dgst -sha1 -hmac)", () => {
    // printf '1700000000:alice' | openssl dgst -sha1 -hmac 'north-turn-secret' -binary | base64
    expect(turnCredential("north-turn-secret", "alice", 1_700_000_000)).toEqual({
      username: "1700000000:alice",
      credential: "ms/KwPgqxwhpdflis6Yuv1XjyTA=",
    });
  });

  it("use an opaque handle per device that does not contain the account id", () => {
    const alice = newIdentity();
    const handle = turnHandle("s", { userId: alice.account.userId, deviceId: 1 });
    expect(handle).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(turnHandle("s", { userId: alice.account.userId, deviceId: 2 })).not.toBe(handle);
    expect(turnHandle("other", { userId: alice.account.userId, deviceId: 1 })).not.toBe(handle);
    expect(handle).not.toContain(Buffer.from(alice.account.userId).toString("hex").slice(0, 8));
  });
});

describe("fetch_ice_servers", () => {
  it("answers STUN and TURN servers with credentials expiring turnTtlMs ahead", async () => {
    h = await createHarness({}, { ice });
    const alice = await h.register(newIdentity());
    const answer = await request(alice, { t: "fetch_ice_servers" });
    if (answer.t !== "ice_servers") throw new Error(JSON.stringify(answer));
    const expiry = Math.floor((h.clock.now + ice.turnTtlMs) / 1000);
    expect(answer.expiresAt).toBe(expiry * 1000);
    expect(answer.servers[0]).toEqual({ urls: ice.stunUrls });
    const turn = answer.servers[1];
    expect(turn?.urls).toEqual(ice.turnUrls);
    expect(turn?.username).toMatch(new RegExp(`^${expiry}:[A-Za-z0-9_-]{22}$`));
    expect(turn?.credential).toBe(
      createHmac("sha1", ice.turnSecret)
        .update(turn?.username ?? "")
        .digest("base64"),
    );
  });

  it("gives each device its own TURN user name", async () => {
    h = await createHarness({}, { ice });
    const alice = newIdentity();
    const phone = await h.register(alice);
    const laptop = await h.register(addDevice(alice, 2, [1, 2]));
    const name = async (c: typeof phone) => {
      const answer = await request(c, { t: "fetch_ice_servers" });
      return answer.t === "ice_servers" ? answer.servers[1]?.username : undefined;
    };
    expect(await name(phone)).not.toBe(await name(laptop));
  });

  it("lists no TURN server without a secret, and nothing when nothing is configured", async () => {
    h = await createHarness({}, { ice: { stunUrls: ice.stunUrls, turnUrls: ice.turnUrls } });
    const alice = await h.register(newIdentity());
    expect(await request(alice, { t: "fetch_ice_servers" })).toEqual({
      t: "ice_servers",
      id: expect.any(Number),
      servers: [{ urls: ice.stunUrls }],
    });
    await h.close();
    h = await createHarness();
    const bob = await h.register(newIdentity());
    expect(await request(bob, { t: "fetch_ice_servers" })).toEqual({ t: "ice_servers", id: expect.any(Number), servers: [] });
  });

  it("needs an authenticated device", async () => {
    h = await createHarness({}, { ice });
    expect(codeOf(await request(h.connect(), { t: "fetch_ice_servers" }))).toBe("UNAUTHORIZED");
  });

  it("answers iceServerRequestBurst requests per account and refuses the next (N and N+1), across devices", async () => {
    h = await createHarness({ iceServerRequestBurst: 3, iceServerRequestsPerSecond: 1 }, { ice });
    const alice = newIdentity();
    const phone = await h.register(alice);
    const laptop = await h.register(addDevice(alice, 2, [1, 2]));
    for (const c of [phone, laptop, phone]) expect(codeOf(await request(c, { t: "fetch_ice_servers" }))).toBe("ice_servers");
    expect(codeOf(await request(laptop, { t: "fetch_ice_servers" }))).toBe("RATE_LIMITED");
    const bob = await h.register(newIdentity());
    expect(codeOf(await request(bob, { t: "fetch_ice_servers" }))).toBe("ice_servers");
    h.clock.now += 1000;
    expect(codeOf(await request(phone, { t: "fetch_ice_servers" }))).toBe("ice_servers");
  });
});
