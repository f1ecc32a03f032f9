// Multi-device: a second device is linked to an account by its primary device; contacts reach
// both devices, and what one device sends appears on the other as a sync copy.
import { ErrorCode, ParleyError } from "@parley/protocol";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { expect, test } from "vitest";
import { eventually, FAST_BACKOFF, newClient, waitFor } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";

const shared = sharedRelay();
const clients = shared.clients;

test("a linked second device receives, sends, and sees what the first device sent", async () => {
  const phone = await newClient(shared.relay.wsUrl, "Alice");
  const bob = await newClient(shared.relay.wsUrl, "Bob");
  clients.push(phone, bob);
  await phone.claimHandle("alice");
  await bob.claimHandle("bob");

  // Link a laptop: request on the laptop, approve on the phone, complete on the laptop.
  const laptopStore = new MemoryStore();
  const { request, code } = await ParleyClient.requestLink({ store: laptopStore });
  const pending = await phone.approveLink(request);
  expect(pending.code).toBe(code);
  const approval = await pending.confirm(code);
  const laptop = await ParleyClient.completeLink(
    { relayUrl: shared.relay.wsUrl, store: laptopStore, transport: nodeTransport, backoff: FAST_BACKOFF },
    approval,
  );
  clients.push(laptop);
  await laptop.connect();
  expect(laptop.userId).toBe(phone.userId);
  expect(laptop.deviceId).not.toBe(phone.deviceId);
  expect(laptop.handle).toBe("alice");
  // A linked device cannot link further devices: only the primary holds the account key.
  const other = await ParleyClient.requestLink({ store: new MemoryStore() });
  await expect(laptop.approveLink(other.request)).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.IdentityMismatch));

  // Bob sees both of Alice's devices and reaches both.
  const alice = await bob.findContact("alice");
  expect(alice.deviceIds).toHaveLength(2);
  const onPhone = waitFor(phone, "message", (m) => m.text === "hi both");
  const onLaptop = waitFor(laptop, "message", (m) => m.text === "hi both");
  await bob.sendText(alice.id, "hi both");
  const [atPhone, atLaptop] = await Promise.all([onPhone, onLaptop]);
  expect(atPhone.id).toBe(atLaptop.id);

  // The phone answers; the laptop shows the answer in the same conversation, as sent by Alice.
  const synced = waitFor(laptop, "message", (m) => m.text === "from my phone");
  const atBob = waitFor(bob, "message", (m) => m.text === "from my phone");
  await phone.sendText(atPhone.contactId, "from my phone");
  const copy = await synced;
  await atBob;
  expect(copy.outgoing).toBe(true);
  expect(copy.contactId).toBe(atLaptop.contactId);

  // The laptop writes too, and the phone gets the copy.
  const back = waitFor(bob, "message", (m) => m.text === "and from my laptop");
  const phoneCopy = waitFor(phone, "message", (m) => m.text === "and from my laptop");
  await laptop.sendText(atLaptop.contactId, "and from my laptop");
  await back;
  expect((await phoneCopy).outgoing).toBe(true);
  await eventually(async () => (await laptop.messages(atLaptop.contactId)).filter((m) => m.kind === "text").length === 3);
  expect((await laptop.messages(atLaptop.contactId)).filter((m) => m.kind === "text").map((m) => m.text)).toEqual([
    "hi both",
    "from my phone",
    "and from my laptop",
  ]);
});
