// A user changes the account's display name on the primary device: contacts, the user's other
// devices and group members who have had messages from the user show the new name; the name
// survives a reopen; bad names are refused before anything is stored or sent.
import { ErrorCode, ParleyError } from "@parley/protocol";
import { MAX_DISPLAY_NAME_BYTES, MemoryStore, type ParleyClient } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import { collect, eventually, newClient, reopenClient, waitFor } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";
import { linkDevice } from "./support/linking.js";

const shared = sharedRelay();
const clients = shared.clients;

async function client(name: string, store?: MemoryStore): Promise<ParleyClient> {
  const c = await newClient(shared.relay.wsUrl, name, store);
  clients.push(c);
  return c;
}

/** Alice and Bob after one message each way: each holds the other's profile. */
async function acquainted(prefix: string, alice?: ParleyClient) {
  alice ??= await client("Alice");
  const bob = await client("Bob");
  await alice.claimHandle(`${prefix}alice`);
  const aliceAtBob = await bob.findContact(`${prefix}alice`);
  const first = waitFor(alice, "message", (m) => m.text === "hello");
  await bob.sendText(aliceAtBob.id, "hello");
  const bobAtAlice = (await first).contactId;
  const reply = waitFor(bob, "message", (m) => m.text === "hi");
  await alice.sendText(bobAtAlice, "hi");
  await reply;
  await eventually(async () => (await bob.contact(aliceAtBob.id))?.displayName === "Alice");
  return { alice, bob, aliceAtBob, bobAtAlice };
}

const expectCode = async (promise: Promise<unknown>, code: string) => {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(ParleyError.is(error, code as ErrorCode), `expected ${code}, got ${String(error)}`).toBe(true);
};

describe("setDisplayName", () => {
  test("Bob sees Alice's new name (a contact event), and her linked device takes it", async () => {
    const alice = await client("Alice");
    const laptop = await linkDevice(shared.relay.wsUrl, alice);
    clients.push(laptop);
    const { bob, aliceAtBob } = await acquainted("dn1", alice);
    const ownEvents = collect(alice, "profile");
    const atBob = waitFor(bob, "contact", (c) => c.id === aliceAtBob.id && c.displayName === "Alice Liddell");
    const atLaptop = waitFor(laptop, "profile", (p) => p.displayName === "Alice Liddell");

    await alice.setDisplayName("  Alice Liddell ");

    expect(alice.displayName).toBe("Alice Liddell");
    expect(ownEvents).toEqual([{ displayName: "Alice Liddell" }]);
    await atBob;
    expect((await bob.contact(aliceAtBob.id))?.displayName).toBe("Alice Liddell");
    await atLaptop;
    expect(laptop.displayName).toBe("Alice Liddell");
    // Her messages keep flowing, sealed with the same token.
    const later = waitFor(alice, "message", (m) => m.text === "nice name");
    await bob.sendText(aliceAtBob.id, "nice name");
    await later;
  });

  test("the new name is kept across a reopen, on the primary and on the linked device", async () => {
    const aliceStore = new MemoryStore();
    const laptopStore = new MemoryStore();
    const alice = await client("Alice", aliceStore);
    const laptop = await linkDevice(shared.relay.wsUrl, alice, { store: laptopStore });
    clients.push(laptop);
    const atLaptop = waitFor(laptop, "profile", (p) => p.displayName === "Ali");
    await alice.setDisplayName("Ali");
    await atLaptop;
    await alice.flush();
    await alice.close();
    await laptop.close();
    const again = await reopenClient(shared.relay.wsUrl, aliceStore);
    const laptopAgain = await reopenClient(shared.relay.wsUrl, laptopStore);
    clients.push(again, laptopAgain);
    expect(again.displayName).toBe("Ali");
    expect(laptopAgain.displayName).toBe("Ali");
  });

  test("a group member who is no 1:1 contact sees the new name once the user has written in the group", async () => {
    const [alice, bob, carol] = await Promise.all([client("Alice"), client("Bob"), client("Carol")]);
    await alice.claimHandle("dn3alice");
    await carol.claimHandle("dn3carol");
    const members = [(await bob.findContact("dn3alice")).id, (await bob.findContact("dn3carol")).id];
    const joined = [alice, carol].map((c) => waitFor(c, "group"));
    const group = await bob.groups.create({ name: "Three", members });
    await Promise.all(joined);
    const atCarol = waitFor(carol, "message", (m) => m.text === "hi all");
    await alice.sendText(group.id, "hi all");
    await atCarol;
    const aliceAtCarol = async () => (await carol.groups.members(group.id)).find((m) => m.userId === alice.userId);
    // Carol has no 1:1 conversation with Alice: she knows her as a group member only.
    expect((await carol.conversations()).map((c) => c.id)).toEqual([group.id]);
    // Her name came with her first message to Carol, and stays (not overwritten by a device lookup).
    await eventually(async () => (await aliceAtCarol())?.displayName === "Alice");

    const renamed = waitFor(carol, "contact", (c) => c.displayName === "Alice L.");
    await alice.setDisplayName("Alice L.");
    await renamed;
    expect((await aliceAtCarol())?.displayName).toBe("Alice L.");
    await eventually(async () => (await bob.groups.members(group.id)).find((m) => m.userId === alice.userId)?.displayName === "Alice L.");
  });

  test(`names of ${MAX_DISPLAY_NAME_BYTES} UTF-8 bytes are taken and reach contacts; one more byte is ERR_LIMIT_EXCEEDED`, async () => {
    const { alice, bob, aliceAtBob, bobAtAlice } = await acquainted("dn4");
    const atLimit = `${"é".repeat((MAX_DISPLAY_NAME_BYTES - 2) / 2)}ab`;
    expect(new TextEncoder().encode(atLimit).length).toBe(MAX_DISPLAY_NAME_BYTES);
    const received = waitFor(bob, "contact", (c) => c.id === aliceAtBob.id && c.displayName === atLimit);
    await alice.setDisplayName(atLimit);
    await received;

    const sent = collect(bob, "contact");
    await expectCode(alice.setDisplayName(`${atLimit}c`), ErrorCode.LimitExceeded);
    expect(alice.displayName).toBe(atLimit);
    // Trimming comes first: white space around a name at the limit does not count, and the
    // unchanged name sends no profile.
    await alice.setDisplayName(`  ${atLimit}\n`);
    expect(alice.displayName).toBe(atLimit);
    const after = waitFor(bob, "message", (m) => m.text === "after");
    await alice.sendText(bobAtAlice, "after");
    await after;
    expect(sent).toEqual([]);
  });

  test("an empty or blank name is ERR_INVALID_DISPLAY_NAME, and nothing changes", async () => {
    const alice = await client("Alice");
    const events = collect(alice, "profile");
    await expectCode(alice.setDisplayName(""), ErrorCode.InvalidDisplayName);
    await expectCode(alice.setDisplayName(" \t\n "), ErrorCode.InvalidDisplayName);
    expect(alice.displayName).toBe("Alice");
    expect(events).toEqual([]);
    await expect(alice.setDisplayName(42 as unknown as string)).rejects.toBeInstanceOf(TypeError);
  });

  test("a linked device cannot change the account's name (ERR_IDENTITY_MISMATCH)", async () => {
    const alice = await client("Alice");
    const laptop = await linkDevice(shared.relay.wsUrl, alice);
    clients.push(laptop);
    await expectCode(laptop.setDisplayName("Laptop Alice"), ErrorCode.IdentityMismatch);
    expect(laptop.displayName).toBe("Alice");
    expect(alice.displayName).toBe("Alice");
  });

  test("after close, setDisplayName is ERR_CLOSED", async () => {
    const alice = await client("Alice");
    await alice.close();
    await expectCode(alice.setDisplayName("Later"), ErrorCode.Closed);
  });
});

const sorted = (ids: readonly number[] | undefined) => [...(ids ?? [])].sort((a, b) => a - b);

describe("devices event", () => {
  test("linking and removing a device tell the primary at once; a linked device hears at its next login or when it asks", async () => {
    const laptopStore = new MemoryStore();
    const alice = await client("Alice");
    await alice.claimHandle("dn8alice");
    const lists = collect(alice, "devices");
    const laptop = await linkDevice(shared.relay.wsUrl, alice, { store: laptopStore });
    clients.push(laptop);
    expect(lists.map((l) => sorted(l.deviceIds))).toEqual([sorted([alice.deviceId, laptop.deviceId])]);
    const tablet = await linkDevice(shared.relay.wsUrl, alice);
    clients.push(tablet);
    const all = [alice.deviceId, laptop.deviceId, tablet.deviceId].sort((a, b) => a - b);
    expect(sorted(lists.at(-1)?.deviceIds)).toEqual(all);

    // The laptop was not told; it reads the account's list at its next login.
    expect(sorted(laptop.devices)).toEqual(sorted([alice.deviceId, laptop.deviceId]));
    await laptop.close();
    const laptopAgain = await reopenClient(shared.relay.wsUrl, laptopStore);
    clients.push(laptopAgain);
    const learned = waitFor(laptopAgain, "devices", (l) => l.deviceIds.length === 3);
    await laptopAgain.connect();
    expect(sorted((await learned).deviceIds)).toEqual(all);
    expect(sorted(laptopAgain.devices)).toEqual(all);

    await alice.removeDevice(tablet.deviceId);
    expect(sorted(lists.at(-1)?.deviceIds)).toEqual(sorted([alice.deviceId, laptop.deviceId]));
    expect(lists).toHaveLength(3);
    // A linked device asks without logging in again: refreshDevices.
    const heard = collect(laptopAgain, "devices");
    await laptopAgain.refreshDevices();
    expect(heard.map((l) => sorted(l.deviceIds))).toEqual([sorted([alice.deviceId, laptop.deviceId])]);
    expect(sorted(laptopAgain.devices)).toEqual(sorted([alice.deviceId, laptop.deviceId]));
    // Asking again when nothing changed tells nothing.
    await laptopAgain.refreshDevices();
    expect(heard).toHaveLength(1);
  });
});
