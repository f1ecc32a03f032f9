// Reading a contact's device list costs the contact nothing: a client that meets a device it does
// not know, or a contact it knows only from its other devices' sync copies, asks the relay for the
// signed list with `fetch_devices`, which consumes no one-time prekey. Only setting up a session
// for sending fetches a bundle, for one device. The relay is in-process on 127.0.0.1 so the test
// reads the prekey counts it holds.
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { afterEach, expect, test } from "vitest";
import { ONE_TIME_PREKEY_TARGET } from "../../packages/protocol/src/client/prekey-maintenance.js";
import { hexToBytes } from "../../packages/protocol/src/crypto/bytes.js";
import { startTestServer, type TestServer } from "../../packages/relay/test/server-fixture.js";
import { eventually, FAST_BACKOFF, newClient, waitFor } from "./support/clients.js";
import { linkDevice } from "./support/linking.js";
import { tamperingTransport } from "./support/tampering-transport.js";

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function relayForTest(): Promise<TestServer> {
  const server = await startTestServer();
  cleanups.push(() => server.stop());
  return server;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

/** The one-time X25519 prekeys the relay holds for `client`'s device. */
function oneTimeCount(server: TestServer, client: ParleyClient): Promise<number> {
  const mailbox = { userId: hexToBytes(client.userId), deviceId: client.deviceId };
  return server.relay.context.store.countPreKeys(mailbox).then((c) => c.oneTime);
}

/** Waits until the device's first upload is at the relay. */
async function uploaded(server: TestServer, client: ParleyClient): Promise<void> {
  await eventually(async () => (await oneTimeCount(server, client)) === ONE_TIME_PREKEY_TARGET);
}

test("a message from a contact's newly linked device is checked against the list without spending that device's prekeys", async () => {
  const server = await relayForTest();
  const wire = tamperingTransport();
  const bob = await ParleyClient.create({
    relayUrl: server.url,
    store: new MemoryStore(),
    transport: wire.factory,
    displayName: "Bob",
    backoff: FAST_BACKOFF,
    requestTimeoutMs: 5_000,
  });
  cleanups.push(() => bob.close());
  await bob.connect();
  const phone = await newClient(server.url, "Alice");
  cleanups.push(() => phone.close());
  await bob.claimHandle("dlbob");
  await phone.claimHandle("dlalice");
  const aliceAtBob = await bob.findContact("dlalice");
  expect(aliceAtBob.deviceIds).toEqual([phone.deviceId]);

  // Alice links a laptop after Bob last looked her up: Bob does not know it.
  const laptop = await linkDevice(server.url, phone);
  cleanups.push(() => laptop.close());
  await uploaded(server, laptop);
  const bobAtLaptop = await laptop.findContact("dlbob");

  const sentBefore = wire.sent.length;
  const atBob = waitFor(bob, "message", (m) => m.text === "from the laptop");
  await laptop.sendText(bobAtLaptop.id, "from the laptop");
  await atBob;
  expect((await bob.contact(aliceAtBob.id))?.deviceIds).toContain(laptop.deviceId);

  expect(await oneTimeCount(server, laptop)).toBe(ONE_TIME_PREKEY_TARGET);
  const asked = wire.sent.slice(sentBefore);
  expect(asked.filter((f) => f.t === "fetch_bundles")).toEqual([]);
  expect(asked.filter((f) => f.t === "fetch_devices").map((f) => (f.t === "fetch_devices" ? hex(f.userId) : ""))).toEqual([phone.userId]);
});

test("a contact known only from sync copies has its list read without a bundle of every device", async () => {
  const server = await relayForTest();
  const bobPhone = await newClient(server.url, "Bob");
  cleanups.push(() => bobPhone.close());
  const carol = await newClient(server.url, "Carol");
  cleanups.push(() => carol.close());
  await carol.claimHandle("dlcarol");
  const wire = tamperingTransport();
  const bobLaptop = await linkDevice(server.url, bobPhone, { transport: wire.factory });
  cleanups.push(() => bobLaptop.close());
  await uploaded(server, carol);

  // Bob's phone writes to Carol (one bundle of hers); the laptop sees only the sync copy.
  const carolAtPhone = await bobPhone.findContact("dlcarol");
  const copy = waitFor(bobLaptop, "message", (m) => m.text === "hi Carol");
  const first = waitFor(carol, "message", (m) => m.text === "hi Carol");
  await bobPhone.sendText(carolAtPhone.id, "hi Carol");
  const [synced] = await Promise.all([copy, first]);
  expect(await oneTimeCount(server, carol)).toBe(ONE_TIME_PREKEY_TARGET - 1);
  const carolAtLaptop = await bobLaptop.contact(synced.contactId);
  expect(carolAtLaptop?.deviceIds).toEqual([]);

  // The laptop writes to her: it reads her list, then fetches one bundle for its session.
  const sentBefore = wire.sent.length;
  const second = waitFor(carol, "message", (m) => m.text === "from Bob's laptop");
  await bobLaptop.sendText(synced.contactId, "from Bob's laptop");
  await second;
  expect(await oneTimeCount(server, carol)).toBe(ONE_TIME_PREKEY_TARGET - 2);
  const asked = wire.sent
    .slice(sentBefore)
    .filter((f) => (f.t === "fetch_bundles" || f.t === "fetch_devices") && hex(f.userId) === carol.userId);
  expect(asked.map((f) => [f.t, "deviceId" in f ? f.deviceId : undefined])).toEqual([
    ["fetch_devices", undefined],
    ["fetch_bundles", carol.deviceId],
  ]);
});
