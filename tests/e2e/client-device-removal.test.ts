// Removed devices lose trust: the primary publishes a shorter signed device list, contacts and the
// account's own devices check every sender against the newest list they have seen (fetching it when
// a device they do not know appears), refuse a removed device with ERR_DEVICE_REMOVED, and refuse an
// older list a relay replays.
import { ErrorCode, ParleyError } from "@parley/protocol";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { expect, test } from "vitest";
import { collect, eventually, FAST_BACKOFF, newClient, reopenClient, waitFor } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";
import { linkDevice } from "./support/linking.js";
import { tamperingTransport } from "./support/tampering-transport.js";

const shared = sharedRelay();
const clients = shared.clients;

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

async function watchedBob() {
  const wire = tamperingTransport();
  const bob = await ParleyClient.create({
    relayUrl: shared.relay.wsUrl,
    store: new MemoryStore(),
    transport: wire.factory,
    displayName: "Bob",
    backoff: FAST_BACKOFF,
    requestTimeoutMs: 5_000,
  });
  clients.push(bob);
  await bob.connect();
  return { bob, wire };
}

test("after Alice removes her laptop, Bob and Alice's phone refuse its messages and Bob stops sending to it", async () => {
  const phone = await newClient(shared.relay.wsUrl, "Alice");
  clients.push(phone);
  const { bob, wire } = await watchedBob();
  await phone.claimHandle("rmalice");
  await bob.claimHandle("rmbob");
  const laptop = await linkDevice(shared.relay.wsUrl, phone);
  clients.push(laptop);

  // Everyone talks once, so every pair of devices has a session.
  const aliceAtBob = await bob.findContact("rmalice");
  expect(aliceAtBob.deviceIds).toHaveLength(2);
  const onLaptop = waitFor(laptop, "message", (m) => m.text === "hi both");
  await bob.sendText(aliceAtBob.id, "hi both");
  const bobAtLaptop = (await onLaptop).contactId;
  const back = waitFor(bob, "message", (m) => m.text === "from the laptop");
  const copy = waitFor(phone, "message", (m) => m.text === "from the laptop");
  await laptop.sendText(bobAtLaptop, "from the laptop");
  await Promise.all([back, copy]);

  await phone.removeDevice(laptop.deviceId);
  expect((await bob.findContact("rmalice")).deviceIds).toEqual([phone.deviceId]);

  // The removed laptop still holds sessions and Bob's delivery token: it writes anyway.
  const bobErrors = collect(bob, "error");
  const bobMessages = collect(bob, "message");
  const refusedAtBob = waitFor(bob, "error", (e) => ParleyError.is(e, ErrorCode.DeviceRemoved));
  const refusedAtPhone = waitFor(phone, "error", (e) => ParleyError.is(e, ErrorCode.DeviceRemoved));
  const removedEvent = waitFor(bob, "deviceRemoved", (e) => e.deviceId === laptop.deviceId);
  await laptop.sendText(bobAtLaptop, "after removal");
  await Promise.all([refusedAtBob, refusedAtPhone, removedEvent]);
  expect(bobMessages.filter((m) => m.text === "after removal")).toEqual([]);
  expect(bobErrors.length).toBeGreaterThan(0);
  expect((await bob.contact(aliceAtBob.id))?.deviceIds).toEqual([phone.deviceId]);

  // Bob answers: only the phone is addressed.
  const sentBefore = wire.sent.length;
  const atPhone = waitFor(phone, "message", (m) => m.text === "only your phone");
  await bob.sendText(aliceAtBob.id, "only your phone");
  await atPhone;
  await bob.flush();
  const addressed = wire.sent
    .slice(sentBefore)
    .flatMap((f) =>
      f.t === "sealed_send" && hex(f.userId) === phone.userId
        ? f.messages.map((m) => m.deviceId)
        : f.t === "send"
          ? f.messages.filter((m) => hex(m.userId) === phone.userId).map((m) => m.deviceId)
          : [],
    );
  expect(new Set(addressed)).toEqual(new Set([phone.deviceId]));
});

test("an older device list replayed by the relay is refused", async () => {
  const phone = await newClient(shared.relay.wsUrl, "Alice");
  clients.push(phone);
  const { bob, wire } = await watchedBob();
  await phone.claimHandle("rpalice");
  let oldList: Uint8Array | undefined;
  wire.tampering = {
    rewrite: (frame) => {
      if (frame.t === "handle") oldList ??= frame.deviceList;
      return frame;
    },
  };
  await bob.findContact("rpalice");
  const laptop = await linkDevice(shared.relay.wsUrl, phone);
  clients.push(laptop);
  const current = await bob.findContact("rpalice");
  expect(current.deviceIds).toHaveLength(2);

  // The relay now answers with the list from before the laptop was linked.
  wire.tampering = { rewrite: (frame) => (frame.t === "handle" && oldList ? { ...frame, deviceList: oldList } : frame) };
  await expect(bob.findContact("rpalice")).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.StaleDeviceList));
  expect((await bob.contact(current.id))?.deviceIds).toEqual(current.deviceIds);
  await eventually(async () => (await bob.contact(current.id))?.deviceListSequence === current.deviceListSequence);
});

test("a linked device learns at login which devices the primary added and removed", async () => {
  const phone = await newClient(shared.relay.wsUrl, "Alice");
  clients.push(phone);
  await phone.claimHandle("olalice");
  const laptopStore = new MemoryStore();
  const laptop = await linkDevice(shared.relay.wsUrl, phone, { store: laptopStore });
  const tablet = await linkDevice(shared.relay.wsUrl, phone);
  clients.push(tablet);
  expect(laptop.devices).not.toContain(tablet.deviceId);
  await laptop.close();

  // Next login: the laptop knows the tablet, so its sync copies reach it.
  const later = await reopenClient(shared.relay.wsUrl, laptopStore);
  await later.connect();
  await eventually(() => later.devices.includes(tablet.deviceId));
  await later.close();

  await phone.removeDevice(tablet.deviceId);
  expect(phone.devices).not.toContain(tablet.deviceId);
  const again = await reopenClient(shared.relay.wsUrl, laptopStore);
  clients.push(again);
  await again.connect();
  await eventually(() => !again.devices.includes(tablet.deviceId));
  expect([...again.devices].sort((a, b) => a - b)).toEqual([phone.deviceId, again.deviceId].sort((a, b) => a - b));
});
