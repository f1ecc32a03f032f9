// Device linking: what the user compares commits to the new device's keys with at least 128 bits,
// so a request swapped in transit cannot be ground to show the victim's code; and the primary
// certifies and publishes nothing until the user has confirmed.
import { createHash } from "node:crypto";
import { ErrorCode, ParleyError } from "@parley/protocol";
import { MemoryStore, ParleyClient } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { Packr } from "msgpackr";
import { expect, test } from "vitest";
import { FAST_BACKOFF, newClient } from "./support/clients.js";
import { sharedRelay } from "./support/fixtures.js";
import { tamperingTransport } from "./support/tampering-transport.js";

const shared = sharedRelay();
const clients = shared.clients;

const packr = new Packr({ useRecords: false, mapsAsObjects: true, variableMapSize: true });
const fromB64 = (text: string) => new Uint8Array(Buffer.from(text, "base64url"));
const toB64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** The attack on a 20-bit code: vary the attacker's device id until the request hashes to the victim's 6 digits. */
function grind(attackerRequest: string, victimCode: string, maxTries = 30_000_000): string | undefined {
  const target = Number(victimCode.replace(/\D/g, "").slice(0, 6));
  const request = packr.unpack(fromB64(attackerRequest)) as Record<string, unknown>;
  const bytes = new Uint8Array(packr.pack({ ...request, deviceId: 0x4000_0000 }));
  const at = Buffer.from(bytes).indexOf(Buffer.from([0xce, 0x40, 0, 0, 0])) + 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  for (let i = 0; i < maxTries; i++) {
    view.setUint32(at, 0x4000_0000 + i);
    const h = createHash("sha256").update(bytes).digest();
    if ((((h[0] ?? 0) << 16) | ((h[1] ?? 0) << 8) | (h[2] ?? 0)) % 1_000_000 === target) return toB64(bytes);
  }
  return undefined;
}

test("a link request swapped in transit, ground to show the victim's 6-digit code, is refused", async () => {
  const phone = await newClient(shared.relay.wsUrl, "Alice");
  const bob = await newClient(shared.relay.wsUrl, "Bob");
  clients.push(phone, bob);
  await phone.claimHandle("lkalice");
  const victim = await ParleyClient.requestLink({ store: new MemoryStore() });
  const attacker = await ParleyClient.requestLink({ store: new MemoryStore() });
  const forged = grind(attacker.request, victim.code);
  expect(forged).toBeDefined();
  const pending = await phone.approveLink(forged as string);
  // The primary shows a code derived from the keys it received: it cannot match the victim's.
  expect(pending.code).not.toBe(victim.code);
  // The user types (or scans) the code the new device shows: refused, nothing certified.
  await expect(pending.confirm(victim.code)).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.IdentityMismatch));
  expect((await bob.findContact("lkalice")).deviceIds).toEqual([phone.deviceId]);
});

test("the primary certifies and publishes nothing before the user confirms the code", async () => {
  const wire = tamperingTransport();
  const phone = await ParleyClient.create({
    relayUrl: shared.relay.wsUrl,
    store: new MemoryStore(),
    transport: wire.factory,
    displayName: "Alice",
    backoff: FAST_BACKOFF,
  });
  const bob = await newClient(shared.relay.wsUrl, "Bob");
  clients.push(phone, bob);
  await phone.connect();
  await phone.claimHandle("lkcarol");
  const laptopStore = new MemoryStore();
  const { request, code } = await ParleyClient.requestLink({ store: laptopStore });
  // At least 128 bits to compare: 40 digits, like a safety number.
  expect(code.replace(/\D/g, "").length).toBeGreaterThanOrEqual(39);
  const pending = await phone.approveLink(request);
  expect(pending.code).toBe(code);
  expect(pending).not.toHaveProperty("approval");
  expect(wire.sent.filter((f) => f.t === "publish_devices")).toEqual([]);
  expect((await bob.findContact("lkcarol")).deviceIds).toEqual([phone.deviceId]);

  const approval = await pending.confirm(code);
  expect(wire.sent.filter((f) => f.t === "publish_devices")).toHaveLength(1);
  const laptop = await ParleyClient.completeLink(
    { relayUrl: shared.relay.wsUrl, store: laptopStore, transport: nodeTransport, backoff: FAST_BACKOFF },
    approval,
  );
  clients.push(laptop);
  await laptop.connect();
  // Only the device holding the account key can link and remove devices.
  expect([phone.isPrimary, laptop.isPrimary]).toEqual([true, false]);
  expect((await bob.findContact("lkcarol")).deviceIds).toEqual([phone.deviceId, laptop.deviceId].sort((a, b) => a - b));
  // A confirmed approval cannot be confirmed again (it would certify a second time).
  await expect(pending.confirm(code)).rejects.toBeInstanceOf(Error);
});

test("a wrong code typed at the primary is refused and a cancelled approval certifies nothing", async () => {
  const phone = await newClient(shared.relay.wsUrl, "Alice");
  clients.push(phone);
  const { request } = await ParleyClient.requestLink({ store: new MemoryStore() });
  const pending = await phone.approveLink(request);
  await expect(pending.confirm("0".repeat(40))).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.IdentityMismatch));
  pending.cancel();
  await expect(pending.confirm(pending.code)).rejects.toBeInstanceOf(Error);
});
