// `fetch_devices` in-process: the account key and newest signed device list of a user, on any
// connection, NOT_FOUND for an unknown user, no prekey consumed and no bundle budget spent, and
// one rate bucket shared with `lookup_handle` (N answered, N+1 RATE_LIMITED).
import { afterEach, describe, expect, it } from "vitest";
import { codeOf, createHarness, type Harness, request } from "../../test/harness.js";
import { addDevice, deps, newIdentity, preKeyRecords } from "../../test/identities.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const N = 4;

describe("fetch_devices", () => {
  it("answers the newest signed list of a known user, and NOT_FOUND for an unknown one", async () => {
    h = await createHarness();
    const alice = newIdentity();
    await h.register(alice);
    const laptop = addDevice(alice, 2, [1, 2]);
    await h.register(laptop);
    const bob = await h.register(newIdentity());
    expect(await request(bob, { t: "fetch_devices", userId: alice.account.userId })).toMatchObject({
      t: "devices",
      userId: alice.account.userId,
      accountKey: alice.account.publicKey,
      deviceList: laptop.deviceList,
    });
    expect(codeOf(await request(bob, { t: "fetch_devices", userId: deps.crypto.randomBytes(16) }))).toBe("NOT_FOUND");
  });

  it("is answered on an anonymous connection", async () => {
    h = await createHarness();
    const alice = newIdentity();
    await h.register(alice);
    const anonymous = h.connect();
    expect(await request(anonymous, { t: "fetch_devices", userId: alice.account.userId })).toMatchObject({
      t: "devices",
      deviceList: alice.deviceList,
    });
    expect(codeOf(await request(anonymous, { t: "fetch_devices", userId: deps.crypto.randomBytes(16) }))).toBe("NOT_FOUND");
  });

  it("consumes no prekey and spends none of the requester's bundle budgets", async () => {
    h = await createHarness({ pairBundleFetchBurst: 1, requesterBundleFetchBurst: 1, targetOneTimePreKeyBurst: 1 });
    const alice = newIdentity();
    const a = await h.register(alice);
    expect(codeOf(await request(a, { t: "upload_prekeys", ...preKeyRecords(alice, 5) }))).toBe("ok");
    const mailbox = { userId: alice.account.userId, deviceId: alice.device.deviceId };
    const before = await h.relay.context.store.countPreKeys(mailbox);
    const bob = await h.register(newIdentity());
    for (let i = 0; i < 10; i++) expect(codeOf(await request(bob, { t: "fetch_devices", userId: alice.account.userId }))).toBe("devices");
    expect(await h.relay.context.store.countPreKeys(mailbox)).toEqual(before);
    // The one bundle fetch each budget allows is still there, and takes a one-time prekey.
    const bundles = await request(bob, { t: "fetch_bundles", userId: alice.account.userId });
    expect(bundles).toMatchObject({ t: "bundles", bundles: [{ deviceId: 1, oneTimePreKey: expect.any(Uint8Array) }] });
    expect((await h.relay.context.store.countPreKeys(mailbox)).oneTime).toBe(before.oneTime - 1);
  });

  it("shares the lookup bucket per account: N lookups and list fetches answered, N+1 RATE_LIMITED", async () => {
    h = await createHarness({ handleLookupBurst: N });
    const alice = newIdentity();
    const a = await h.register(alice);
    await request(a, { t: "claim_handle", handle: "alice" });
    const bob = newIdentity();
    const conns = [await h.register(bob), await h.register(addDevice(bob, 2, [1, 2]))];
    const answers: string[] = [];
    for (let i = 0; i < N; i++) {
      const c = conns[i % 2];
      if (!c) throw new Error("no connection");
      const frame =
        i % 2 ? ({ t: "lookup_handle", handle: "alice" } as const) : ({ t: "fetch_devices", userId: alice.account.userId } as const);
      answers.push(codeOf(await request(c, frame)));
    }
    expect(answers).toEqual(["devices", "handle", "devices", "handle"]);
    const [first] = conns;
    if (!first) throw new Error("no connection");
    expect(codeOf(await request(first, { t: "fetch_devices", userId: alice.account.userId }))).toBe("RATE_LIMITED");
    expect(codeOf(await request(first, { t: "lookup_handle", handle: "alice" }))).toBe("RATE_LIMITED");
    // Another account has its own bucket.
    const carol = await h.register(newIdentity());
    expect(codeOf(await request(carol, { t: "fetch_devices", userId: alice.account.userId }))).toBe("devices");
  });

  it("shares the lookup bucket per network address on anonymous connections: N answered, N+1 RATE_LIMITED", async () => {
    h = await createHarness({ handleLookupBurst: N });
    const alice = newIdentity();
    await h.register(alice);
    const anonymous = [h.connect(), h.connect()];
    const answers: string[] = [];
    for (let i = 0; i < N; i++) {
      const c = anonymous[i % 2];
      if (!c) throw new Error("no connection");
      answers.push(codeOf(await request(c, { t: "fetch_devices", userId: alice.account.userId })));
    }
    expect(answers).toEqual(Array(N).fill("devices"));
    const [first] = anonymous;
    if (!first) throw new Error("no connection");
    expect(codeOf(await request(first, { t: "fetch_devices", userId: alice.account.userId }))).toBe("RATE_LIMITED");
    expect(codeOf(await request(first, { t: "lookup_handle", handle: "alice" }))).toBe("RATE_LIMITED");
  });
});
