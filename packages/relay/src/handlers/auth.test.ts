// Identity handlers in-process: registration checks every signature and the device-list rules,
// auth needs the challenge signed by the registered device key, one live connection per device.
import { signAuthChallenge } from "@parley/protocol/wire";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { codeOf, createHarness, type Harness, RELAY_ID, request } from "../../test/harness.js";
import { addDevice, deps, newIdentity } from "../../test/identities.js";

let h: Harness;
beforeEach(async () => {
  h = await createHarness();
});
afterEach(async () => {
  await h.close();
});

describe("register and auth", () => {
  it("registers a new account, then tells the device its prekeys are low and its queue is empty", async () => {
    const alice = newIdentity();
    const c = await h.register(alice);
    expect(c.ofType("prekeys_low")).toEqual([{ t: "prekeys_low", oneTime: 0, kem: 0 }]);
    expect(c.ofType("queue_empty")).toHaveLength(1);
  });

  it("refuses a challenge signed by another key, for another relay, or for another nonce", async () => {
    const alice = newIdentity();
    const mallory = newIdentity();
    const reg = (signature: Uint8Array) =>
      request(h.connect(), { t: "register", certificate: alice.device.certificate, deviceList: alice.deviceList, signature });
    const c = h.connect();
    const wrongKey = signAuthChallenge(deps, mallory.device, c.nonce(), RELAY_ID);
    expect(
      codeOf(await request(c, { t: "register", certificate: alice.device.certificate, deviceList: alice.deviceList, signature: wrongKey })),
    ).toBe("UNAUTHORIZED");
    const c2 = h.connect();
    const wrongRelay = signAuthChallenge(deps, alice.device, c2.nonce(), "http://evil.test");
    expect(
      codeOf(
        await request(c2, { t: "register", certificate: alice.device.certificate, deviceList: alice.deviceList, signature: wrongRelay }),
      ),
    ).toBe("UNAUTHORIZED");
    // A signature over a nonce of another connection.
    expect(codeOf(await reg(signAuthChallenge(deps, alice.device, c.nonce(), RELAY_ID)))).toBe("UNAUTHORIZED");
  });

  it("refuses a tampered certificate, a list signed by another account, and a list without the device", async () => {
    const alice = newIdentity();
    const other = newIdentity();
    const c = h.connect();
    const signature = signAuthChallenge(deps, alice.device, c.nonce(), RELAY_ID);
    const tampered = alice.device.certificate.slice();
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] as number) ^ 1;
    expect(codeOf(await request(c, { t: "register", certificate: tampered, deviceList: alice.deviceList, signature }))).toBe(
      "BAD_SIGNATURE",
    );
    expect(
      codeOf(await request(c, { t: "register", certificate: alice.device.certificate, deviceList: other.deviceList, signature })),
    ).toBe("BAD_REQUEST");
    const withoutDevice = addDevice(alice, 2, [2]);
    expect(
      codeOf(await request(c, { t: "register", certificate: alice.device.certificate, deviceList: withoutDevice.deviceList, signature })),
    ).toBe("STALE_DEVICE_LIST");
  });

  it("logs a registered device in with a fresh challenge, and only once per connection", async () => {
    const alice = newIdentity();
    await h.register(alice);
    const c = h.connect();
    const auth = () =>
      request(c, {
        t: "auth",
        userId: alice.account.userId,
        deviceId: 1,
        signature: signAuthChallenge(deps, alice.device, c.nonce(), RELAY_ID),
      });
    expect(codeOf(await auth())).toBe("ok");
    expect(codeOf(await auth())).toBe("ALREADY_AUTHENTICATED");
  });

  it("refuses auth for an unknown device exactly like a bad signature", async () => {
    const ghost = newIdentity();
    const c = h.connect();
    const response = await request(c, {
      t: "auth",
      userId: ghost.account.userId,
      deviceId: 1,
      signature: signAuthChallenge(deps, ghost.device, c.nonce(), RELAY_ID),
    });
    expect(response).toMatchObject({ t: "error", code: "UNAUTHORIZED", message: "authentication failed" });
  });

  it("replaces an older live connection of the same device with close code 4001", async () => {
    const alice = newIdentity();
    const first = await h.register(alice);
    await h.register(alice);
    expect(first.closedWith).toBe(4001);
  });

  it("adds a device with a newer list and refuses replaying the older list", async () => {
    const alice = newIdentity();
    await h.register(alice);
    const second = addDevice(alice, 2, [1, 2]);
    await h.register(second);
    const stale = { ...addDevice(alice, 3, [1, 3], 1) };
    const c = h.connect();
    const response = await request(c, {
      t: "register",
      certificate: stale.device.certificate,
      deviceList: stale.deviceList,
      signature: signAuthChallenge(deps, stale.device, c.nonce(), RELAY_ID),
    });
    expect(codeOf(response)).toBe("STALE_DEVICE_LIST");
  });

  it("removes a device with a newer list: it is disconnected (4003) and can no longer log in", async () => {
    const alice = newIdentity();
    const one = await h.register(alice);
    const second = addDevice(alice, 2, [1, 2]);
    const two = await h.register(second);
    const { signDeviceList } = await import("@parley/protocol");
    const list = signDeviceList(deps, alice.account, 3, [1]);
    expect(codeOf(await request(one, { t: "publish_devices", deviceList: list }))).toBe("ok");
    expect(two.closedWith).toBe(4003);
    expect(codeOf(await request(one, { t: "publish_devices", deviceList: list }))).toBe("STALE_DEVICE_LIST");
    const c = h.connect();
    const response = await request(c, {
      t: "auth",
      userId: alice.account.userId,
      deviceId: 2,
      signature: signAuthChallenge(deps, second.device, c.nonce(), RELAY_ID),
    });
    expect(codeOf(response)).toBe("UNAUTHORIZED");
  });
});
