// Prekey handlers in-process: uploads are verified against the device's certified key; a bundle
// fetch atomically consumes one one-time key of each kind, then falls back to the last-resort
// ML-KEM prekey; the owner hears `prekeys_low`; bundles verify with the protocol's own checks.
import { generateKemPreKey, generateSignedPreKey, initiateSession, verifyBundle } from "@parley/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { codeOf, createHarness, type Harness, request } from "../../test/harness.js";
import { addDevice, deps, newIdentity, preKeyRecords } from "../../test/identities.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe("prekeys", () => {
  it("serves bundles that verify, consuming one-time keys then falling back to the last-resort ML-KEM key", async () => {
    h = await createHarness({ preKeyLowThreshold: 2 });
    const bob = newIdentity();
    const alice = newIdentity();
    const b = await h.register(bob);
    expect(codeOf(await request(b, { t: "upload_prekeys", ...preKeyRecords(bob, 3) }))).toBe("ok");
    const a = await h.register(alice);
    const seenOneTime = new Set<string>();
    for (let i = 0; i < 3; i++) {
      const response = await request(a, { t: "fetch_bundles", userId: bob.account.userId });
      if (response.t !== "bundles") throw new Error(codeOf(response));
      expect(response.deviceList).toEqual(bob.deviceList);
      const [bundle] = response.bundles;
      if (!bundle) throw new Error("no bundle");
      const verified = verifyBundle(
        deps,
        {
          deviceCertificate: bundle.certificate,
          signedPreKey: bundle.signedPreKey,
          oneTimePreKey: bundle.oneTimePreKey,
          kemPreKey: bundle.kemPreKey,
        },
        { accountKey: bob.account.publicKey, deviceId: 1 },
      );
      expect(verified.kemPreKey.kind).toBe("one-time");
      seenOneTime.add(String(verified.oneTimePreKey?.id));
    }
    expect(seenOneTime.size).toBe(3);
    const last = await request(a, { t: "fetch_bundles", userId: bob.account.userId, deviceId: 1 });
    if (last.t !== "bundles" || !last.bundles[0]) throw new Error("expected a bundle");
    expect(last.bundles[0].oneTimePreKey).toBeUndefined();
    const session = initiateSession(deps, alice.device, undefined, {
      deviceCertificate: last.bundles[0].certificate,
      signedPreKey: last.bundles[0].signedPreKey,
      kemPreKey: last.bundles[0].kemPreKey,
    });
    expect(session.remote.deviceId).toBe(1);
    // Threshold 2: after the second fetch (1 left of each kind) the owner is told.
    expect(b.ofType("prekeys_low").at(-1)).toEqual({ t: "prekeys_low", oneTime: 0, kem: 0 });
    expect(b.ofType("prekeys_low").length).toBeGreaterThanOrEqual(3);
  });

  it("returns a bundle per listed device, leaving out devices without prekeys", async () => {
    h = await createHarness();
    const bob = newIdentity();
    const bob2 = addDevice(bob, 2, [1, 2]);
    const bob3 = addDevice(bob, 3, [1, 2, 3], 3);
    const b1 = await h.register(bob);
    const b2 = await h.register(bob2);
    await h.register(bob3);
    await request(b1, { t: "upload_prekeys", ...preKeyRecords(bob, 1) });
    await request(b2, { t: "upload_prekeys", ...preKeyRecords(bob2, 1) });
    const a = await h.register(newIdentity());
    const response = await request(a, { t: "fetch_bundles", userId: bob.account.userId });
    expect(response.t === "bundles" && response.bundles.map((x) => x.deviceId)).toEqual([1, 2]);
    expect(codeOf(await request(a, { t: "fetch_bundles", userId: bob.account.userId, deviceId: 9 }))).toBe("NOT_FOUND");
    expect(codeOf(await request(a, { t: "fetch_bundles", userId: newIdentity().account.userId }))).toBe("NOT_FOUND");
  });

  it("refuses prekeys signed by another device key", async () => {
    h = await createHarness();
    const bob = newIdentity();
    const eve = newIdentity();
    const b = await h.register(bob);
    expect(codeOf(await request(b, { t: "upload_prekeys", signedPreKey: generateSignedPreKey(deps, eve.device, 1).record }))).toBe(
      "BAD_SIGNATURE",
    );
    expect(codeOf(await request(b, { t: "upload_prekeys", kemPreKeys: [generateKemPreKey(deps, eve.device, 1, "one-time").record] }))).toBe(
      "BAD_SIGNATURE",
    );
    const lastResorts = [1, 2].map((id) => generateKemPreKey(deps, bob.device, id, "last-resort").record);
    expect(codeOf(await request(b, { t: "upload_prekeys", kemPreKeys: lastResorts }))).toBe("BAD_REQUEST");
  });

  it("stores maxStoredPreKeys one-time prekeys of a kind and refuses one more (N, N+1)", async () => {
    h = await createHarness({ maxStoredPreKeys: 4 });
    const bob = newIdentity();
    const b = await h.register(bob);
    expect(codeOf(await request(b, { t: "upload_prekeys", ...preKeyRecords(bob, 4) }))).toBe("ok");
    expect(codeOf(await request(b, { t: "upload_prekeys", oneTimePreKeys: preKeyRecords(bob, 1, 50).oneTimePreKeys }))).toBe(
      "TOO_MANY_PREKEYS",
    );
    expect(await h.relay.context.store.countPreKeys({ userId: bob.account.userId, deviceId: 1 })).toEqual({ oneTime: 4, kem: 4 });
  });

  it("limits bundle fetches per connection (N, N+1)", async () => {
    h = await createHarness({ bundleFetchesPerSecond: 3 });
    const bob = newIdentity();
    await h.register(bob);
    const a = await h.register(newIdentity());
    for (let i = 0; i < 3; i++) expect(codeOf(await request(a, { t: "fetch_bundles", userId: bob.account.userId }))).toBe("bundles");
    expect(codeOf(await request(a, { t: "fetch_bundles", userId: bob.account.userId }))).toBe("RATE_LIMITED");
  });
});
