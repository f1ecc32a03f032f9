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
