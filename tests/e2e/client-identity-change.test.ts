import { MemoryStore, type Store, type StoreWrite } from "@parley/protocol/client";
import { expect, test } from "vitest";
import { newClient, waitFor } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";

const shared = sharedRelay();
const clients = shared.clients;

test("a re-pointed handle is not verified, and the old account's messages leave the conversation once accepted", async () => {
  const bob = await newClient(shared.relay.wsUrl, "Bob");
  const carol = await newClient(shared.relay.wsUrl, "Carol");
  const mallory = await newClient(shared.relay.wsUrl, "Mallory");
  clients.push(bob, carol, mallory);
  await carol.claimHandle("idcarol");
  const found = await bob.findContact("idcarol");
  expect(await bob.markVerified(found.id)).toBe(true);
  const atCarol = waitFor(carol, "message", (m) => m.text === "hello carol");
  await bob.sendText(found.id, "hello carol");
  const bobAtCarol = (await atCarol).contactId;

  // Carol moves to another handle; Mallory takes hers.
  await carol.claimHandle("idcarolnew");
  await mallory.claimHandle("idcarol");
  const changed = waitFor(bob, "identityChanged");
  const pending = await bob.findContact("idcarol");
  await changed;
  expect(pending.pendingIdentity).toBeDefined();
  expect(pending.verified).toBe(false);

  const accepted = await bob.acceptIdentity(found.id);
  expect(accepted.userId).toEqual(new Uint8Array(Buffer.from(mallory.userId, "hex")));
  // Carol (the old account) writes: not shown as the accepted contact.
  const fromCarol = waitFor(bob, "message", (m) => m.text === "it is still me, carol");
  await carol.sendText(bobAtCarol, "it is still me, carol");
  expect((await fromCarol).contactId).not.toBe(found.id);
});

/** A MemoryStore whose writer's batches writing contact `id` wait while `gate` is set (to interleave a late profile with an acceptance). */
class GatedStore extends MemoryStore {
  gate: { id: string; hit: () => void; open: Promise<void> } | undefined;
  override async claim(): Promise<Store> {
    const view = await super.claim();
    const batch = view.batch.bind(view);
    view.batch = async (writes: readonly StoreWrite[]) => {
      const gate = this.gate;
      if (gate && writes.some((w) => w.namespace === "contacts" && w.key === gate.id)) {
        this.gate = undefined;
        gate.hit();
        await gate.open;
      }
      return batch(writes);
    };
    return view;
  }
}

test("a profile from the old account that is being applied while the new identity is accepted does not re-pin the contact", async () => {
  const store = new GatedStore();
  const bob = await newClient(shared.relay.wsUrl, "Bob", store);
  const carol = await newClient(shared.relay.wsUrl, "Carol");
  const mallory = await newClient(shared.relay.wsUrl, "Mallory");
  clients.push(bob, carol, mallory);
  await carol.claimHandle("racecarol");
  const found = await bob.findContact("racecarol");
  const atCarol = waitFor(carol, "message", (m) => m.text === "hello carol");
  const profiled = waitFor(bob, "contact", (c) => c.id === found.id && c.displayName === "Carol");
  await bob.sendText(found.id, "hello carol");
  const bobAtCarol = (await atCarol).contactId;
  await profiled;

  await carol.claimHandle("racecarolnew");
  await mallory.claimHandle("racecarol");
  const changed = waitFor(bob, "identityChanged");
  await bob.findContact("racecarol");
  await changed;

  // Carol's profile (a replaced token) is applied at Bob: its contact write is held until Bob accepted Mallory.
  let release = () => {};
  const hit = new Promise<void>((resolve) => {
    store.gate = { id: found.id, hit: resolve, open: new Promise<void>((r) => (release = r)) };
  });
  await carol.replaceDeliveryToken();
  await hit;
  const accepting = bob.acceptIdentity(found.id);
  await new Promise((r) => setTimeout(r, 50));
  release();
  const accepted = await accepting;
  expect(accepted.userId).toEqual(new Uint8Array(Buffer.from(mallory.userId, "hex")));
  const after = await bob.contact(found.id);
  expect(after?.userId).toEqual(new Uint8Array(Buffer.from(mallory.userId, "hex")));
  const fromCarol = waitFor(bob, "message", (m) => m.text === "still carol");
  await carol.sendText(bobAtCarol, "still carol");
  expect((await fromCarol).contactId).not.toBe(found.id);
});
