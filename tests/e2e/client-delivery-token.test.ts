// The delivery token is account-wide: linking a device keeps contacts sending sealed, and a
// refused token (stale, or a hostile relay saying so) never silently turns into a send that
// names the sender. The fallback is a policy the app chooses, reported per message and by event.
import { type ChatMessage, MemoryStore, ParleyClient, type ParleyClientOptions } from "@parley/protocol/client";
import { expect, test } from "vitest";
import { collect, eventually, FAST_BACKOFF, newClient, waitFor } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";
import { linkDevice } from "./support/linking.js";
import { type TamperingTransport, tamperingTransport } from "./support/tampering-transport.js";

const shared = sharedRelay();
const clients = shared.clients;

async function watchedClient(
  displayName: string,
  options: Partial<ParleyClientOptions> = {},
): Promise<{ client: ParleyClient; wire: TamperingTransport }> {
  const wire = tamperingTransport();
  const client = await ParleyClient.create({
    relayUrl: shared.relay.wsUrl,
    store: new MemoryStore(),
    transport: wire.factory,
    displayName,
    backoff: FAST_BACKOFF,
    requestTimeoutMs: 5_000,
    ...options,
  });
  clients.push(client);
  await client.connect();
  return { client, wire };
}

/** Alice and Bob, each with the other's profile (so each holds the other's delivery token). */
async function acquainted(bobOptions: Partial<ParleyClientOptions> = {}, prefix = "") {
  const alice = await newClient(shared.relay.wsUrl, "Alice");
  clients.push(alice);
  const { client: bob, wire } = await watchedClient("Bob", bobOptions);
  await alice.claimHandle(`${prefix}alice`);
  await bob.claimHandle(`${prefix}bob`);
  const aliceAtBob = await bob.findContact(`${prefix}alice`);
  const first = waitFor(alice, "message", (m) => m.text === "hello");
  await bob.sendText(aliceAtBob.id, "hello");
  const atAlice = await first;
  const reply = waitFor(bob, "message", (m) => m.text === "hi bob");
  await alice.sendText(atAlice.contactId, "hi bob");
  await reply;
  await eventually(async () => (await bob.contact(aliceAtBob.id))?.displayName === "Alice");
  return { alice, bob, wire, aliceAtBob, bobAtAlice: atAlice.contactId };
}

/** Frames Bob sent for Alice's user id, by kind. */
function framesTo(wire: TamperingTransport, userIdHex: string) {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  const sealed = wire.sent.filter((f) => f.t === "sealed_send" && hex(f.userId) === userIdHex);
  const named = wire.sent.filter((f) => f.t === "send" && f.messages.some((m) => hex(m.userId) === userIdHex));
  return { sealed, named };
}

test("after Alice links a second device, Bob keeps sending to her sealed", async () => {
  const { alice, bob, wire, aliceAtBob } = await acquainted({}, "ta");
  const laptop = await linkDevice(shared.relay.wsUrl, alice);
  clients.push(laptop);
  const unsealed = collect(bob, "unsealedFallback");
  const before = framesTo(wire, alice.userId).named.length;
  await bob.findContact("taalice"); // Bob learns the laptop.
  const atPhone = waitFor(alice, "message", (m) => m.text === "still sealed?");
  const atLaptop = waitFor(laptop, "message", (m) => m.text === "still sealed?");
  const sent = await bob.sendText(aliceAtBob.id, "still sealed?");
  await Promise.all([atPhone, atLaptop]);
  await bob.flush();
  // Nothing went to Alice over the authenticated path that names Bob.
  expect(framesTo(wire, alice.userId).named.length).toBe(before);
  expect(unsealed).toEqual([]);
  const stored = (await bob.messages(aliceAtBob.id)).find((m) => m.id === sent.id) as ChatMessage & { sentUnsealed?: boolean };
  expect(stored.status).toBe("sent");
  expect(stored.sentUnsealed).not.toBe(true);
});

test('a relay answering TOKEN_INVALID gets no unsealed send under unsealedFallback "never", and the app is told', async () => {
  const { alice, bob, wire, aliceAtBob } = await acquainted({ unsealedFallback: "never" }, "tb");
  const unsealed = collect(bob, "unsealedFallback");
  const before = framesTo(wire, alice.userId).named.length;
  wire.tampering = {
    answer: (request) => (request.t === "sealed_send" ? { t: "error", id: request.id, code: "TOKEN_INVALID" } : undefined),
  };
  const failed = waitFor(bob, "messageUpdated", (m) => m.text === "do not name me" && m.status === "failed");
  const sent = await bob.sendText(aliceAtBob.id, "do not name me");
  await failed;
  expect(framesTo(wire, alice.userId).named.length).toBe(before);
  // Every refused send is reported (a receipt may be among them), none of them was sent.
  expect(unsealed.filter((e) => e.messageId === sent.id)).toMatchObject([
    { contactId: aliceAtBob.id, messageId: sent.id, sent: false, reason: "TOKEN_INVALID" },
  ]);
  expect(unsealed.every((e) => !e.sent)).toBe(true);
  await eventually(async () => (await bob.messages(aliceAtBob.id)).find((m) => m.id === sent.id)?.status === "failed");
  // What was withheld may have been Bob's profile: it goes again before his next message.
  expect((await bob.contact(aliceAtBob.id))?.profileSent).toBe(false);
  wire.tampering = {};
  const again = waitFor(alice, "message", (m) => m.text === "sealed again");
  await bob.sendText(aliceAtBob.id, "sealed again");
  await again;
  expect(framesTo(wire, alice.userId).named.length).toBe(before);
});

test('under unsealedFallback "allow" the message goes unsealed, is flagged, and the event fires', async () => {
  const { alice, bob, wire, aliceAtBob } = await acquainted({ unsealedFallback: "allow" }, "tc");
  const unsealed = collect(bob, "unsealedFallback");
  wire.tampering = {
    answer: (request) => (request.t === "sealed_send" ? { t: "error", id: request.id, code: "TOKEN_INVALID" } : undefined),
  };
  const delivered = waitFor(alice, "message", (m) => m.text === "named, but known");
  const sent = await bob.sendText(aliceAtBob.id, "named, but known");
  await delivered;
  await eventually(() => unsealed.some((e) => e.messageId === sent.id));
  expect(unsealed.find((e) => e.messageId === sent.id)).toMatchObject({ contactId: aliceAtBob.id, sent: true, reason: "TOKEN_INVALID" });
  expect(framesTo(wire, alice.userId).named.length).toBeGreaterThan(0);
  await eventually(async () => {
    const stored = (await bob.messages(aliceAtBob.id)).find((m) => m.id === sent.id) as ChatMessage & { sentUnsealed?: boolean };
    return stored.status !== "pending" && stored.status !== "failed" && stored.sentUnsealed === true;
  });
});

test("our own profile arriving on another of our devices as a sync copy is not applied to the peer", async () => {
  const phone = await newClient(shared.relay.wsUrl, "Alice");
  const bob = await newClient(shared.relay.wsUrl, "Bob");
  clients.push(phone, bob);
  await bob.claimHandle("tdbob");
  const laptop = await linkDevice(shared.relay.wsUrl, phone);
  clients.push(laptop);
  const bobAtPhone = await phone.findContact("tdbob");
  const copy = waitFor(laptop, "message", (m) => m.text === "first words");
  // The phone's first message to Bob carries Alice's profile; the laptop gets sync copies of both.
  await phone.sendText(bobAtPhone.id, "first words");
  const synced = await copy;
  const bobAtLaptop = await laptop.contact(synced.contactId);
  expect(bobAtLaptop?.displayName).not.toBe("Alice");
  // The laptop met Bob only through copies; it can still write to him (it learns his devices).
  const atBob = waitFor(bob, "message", (m) => m.text === "laptop here");
  await laptop.sendText(synced.contactId, "laptop here");
  await atBob;
});

test("replacing the token re-sends the profile: contacts and the linked device keep sending sealed", async () => {
  const { alice, bob, wire, aliceAtBob, bobAtAlice } = await acquainted({}, "te");
  const laptop = await linkDevice(shared.relay.wsUrl, alice);
  clients.push(laptop);
  await bob.findContact("tealice");
  const refusedAtBob = collect(bob, "unsealedFallback");
  const refusedAtLaptop = collect(laptop, "unsealedFallback");
  const oldToken = (await bob.contact(aliceAtBob.id))?.deliveryToken;
  const newProfile = waitFor(bob, "contact", (c) => c.id === aliceAtBob.id && !!c.deliveryToken && !sameBytes(c.deliveryToken, oldToken));
  await alice.replaceDeliveryToken();
  await newProfile;
  // The laptop handles its mailbox in order: once it has the copy of this, it has the new token too.
  const copy = waitFor(laptop, "message", (m) => m.text === "new token");
  await alice.sendText(bobAtAlice, "new token");
  const bobAtLaptop = (await copy).contactId;

  const before = framesTo(wire, alice.userId).named.length;
  const atLaptop = waitFor(laptop, "message", (m) => m.text === "sealed with the new one");
  await bob.sendText(aliceAtBob.id, "sealed with the new one");
  await atLaptop;
  const atPhone = waitFor(alice, "message", (m) => m.text === "and from the laptop");
  await laptop.sendText(bobAtLaptop, "and from the laptop");
  await atPhone;
  await Promise.all([bob.flush(), laptop.flush()]);
  expect(framesTo(wire, alice.userId).named.length).toBe(before);
  expect(refusedAtBob).toEqual([]);
  expect(refusedAtLaptop).toEqual([]);
});

function sameBytes(a: Uint8Array, b: Uint8Array | undefined): boolean {
  return !!b && a.length === b.length && a.every((x, i) => x === b[i]);
}
