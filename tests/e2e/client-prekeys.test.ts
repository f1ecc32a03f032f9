// Prekey upkeep against the real relay (in-process, on 127.0.0.1): top-ups bring each kind back
// to its target from the relay's reported counts and never past it, a relay repeating
// `prekeys_low` gets at most one top-up per interval, and the signed prekey and the last-resort
// ML-KEM prekey rotate weekly while old private keys stay for queued messages, then go.

import { MemoryStore, type ParleyClient } from "@parley/protocol/client";
import { describe, expect, test } from "vitest";
import {
  KEM_PREKEY_TARGET,
  ONE_TIME_PREKEY_TARGET,
  PREKEY_RETENTION_MS,
  PREKEY_TOPUP_MIN_INTERVAL_MS,
  SIGNED_PREKEY_ROTATION_MS,
} from "../../packages/protocol/src/client/prekey-maintenance.js";
import { decodeRecord, NS } from "../../packages/protocol/src/client/records.js";
import { hexToBytes } from "../../packages/protocol/src/crypto/bytes.js";
import { mailboxKey } from "../../packages/relay/src/delivery/live-devices.js";
import { notifyIfPreKeysLow } from "../../packages/relay/src/handlers/session.js";
import { startTestServer, type TestServer } from "../../packages/relay/test/server-fixture.js";
import { collect, eventually, newClient, reopenClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups } = perTestCleanups();

async function relayForTest(): Promise<TestServer> {
  const server = await startTestServer();
  cleanups.push(() => server.stop());
  return server;
}

function mailboxOf(client: ParleyClient) {
  return { userId: hexToBytes(client.userId), deviceId: client.deviceId };
}

/** What a bundle fetch does at the relay (take one of each kind, tell the owner when low), without its per-connection rate limit. */
async function drain(server: TestServer, client: ParleyClient, n: number): Promise<void> {
  const mailbox = mailboxOf(client);
  for (let i = 0; i < n; i++) {
    const taken = await server.relay.context.store.takeBundle(mailbox);
    if (taken) await notifyIfPreKeysLow(server.relay.context, mailbox, taken.remaining);
  }
}

const localKeys = async (store: MemoryStore, prefix: string) => (await store.list(NS.preKeys, prefix)).length;

describe("one-time prekey top-ups", () => {
  test("a new device uploads exactly the target of each kind", async () => {
    const server = await relayForTest();
    const store = new MemoryStore();
    const alice = await newClient(server.url, "Alice", store);
    cleanups.push(() => alice.close());
    const counts = () => server.relay.context.store.countPreKeys(mailboxOf(alice));
    await eventually(async () => (await counts()).oneTime === ONE_TIME_PREKEY_TARGET && (await counts()).kem === KEM_PREKEY_TARGET);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await counts()).toEqual({ oneTime: ONE_TIME_PREKEY_TARGET, kem: KEM_PREKEY_TARGET });
    expect(await localKeys(store, "o:")).toBe(ONE_TIME_PREKEY_TARGET);
  });

  test("draining bundles again and again tops each kind up to its target, never past it, with no failed upload", async () => {
    const server = await relayForTest();
    let clock = Date.now();
    const store = new MemoryStore();
    const alice = await newClient(server.url, "Alice", store, { now: () => clock });
    cleanups.push(() => alice.close());
    const errors = collect(alice, "error");
    const counts = () => server.relay.context.store.countPreKeys(mailboxOf(alice));
    await eventually(async () => (await counts()).kem === KEM_PREKEY_TARGET);
    for (let round = 0; round < 6; round++) {
      clock += 5 * 60_000; // Minutes apart: each round is a genuine new shortage.
      // Down to one below the relay's threshold (10): one prekeys_low, with counts 59 and 9.
      await drain(server, alice, KEM_PREKEY_TARGET - 9);
      await eventually(async () => (await counts()).kem === KEM_PREKEY_TARGET);
      const now = await counts();
      expect(now.oneTime).toBe(ONE_TIME_PREKEY_TARGET);
      expect(now.kem).toBe(KEM_PREKEY_TARGET);
    }
    expect(errors).toEqual([]);
    // Handed-out private keys wait for their messages (up to the relay's message lifetime)…
    const handedOut = 6 * (KEM_PREKEY_TARGET - 9);
    expect(await localKeys(store, "o:")).toBe(ONE_TIME_PREKEY_TARGET + handedOut);
    // …and are deleted after it: only this round's handed-out keys remain besides those held.
    clock += PREKEY_RETENTION_MS;
    await drain(server, alice, KEM_PREKEY_TARGET - 9);
    await eventually(async () => (await localKeys(store, "o:")) === ONE_TIME_PREKEY_TARGET + KEM_PREKEY_TARGET - 9);
  });

  test("a relay repeating prekeys_low gets one top-up per interval (N − 1 ms ignored, N answered), and local secrets stay bounded", async () => {
    const server = await relayForTest();
    let clock = Date.now();
    const store = new MemoryStore();
    const alice = await newClient(server.url, "Alice", store, { now: () => clock });
    cleanups.push(() => alice.close());
    const counts = () => server.relay.context.store.countPreKeys(mailboxOf(alice));
    await eventually(async () => (await counts()).kem === KEM_PREKEY_TARGET);
    const conn = server.relay.context.live.get(mailboxKey(mailboxOf(alice)));
    expect(conn).toBeDefined();
    const lie = async (times: number) => {
      for (let i = 0; i < times; i++) conn?.send({ t: "prekeys_low", oneTime: 0, kem: 0 });
      await new Promise((resolve) => setTimeout(resolve, 600));
    };
    clock += PREKEY_TOPUP_MIN_INTERVAL_MS; // The first upload counts as a top-up.
    await lie(30);
    // One top-up of a full target each (the relay claimed to hold none), not thirty.
    expect(await counts()).toEqual({ oneTime: 2 * ONE_TIME_PREKEY_TARGET, kem: 2 * KEM_PREKEY_TARGET });
    expect(await localKeys(store, "o:")).toBe(2 * ONE_TIME_PREKEY_TARGET);
    clock += PREKEY_TOPUP_MIN_INTERVAL_MS - 1;
    await lie(1);
    expect(await counts()).toEqual({ oneTime: 2 * ONE_TIME_PREKEY_TARGET, kem: 2 * KEM_PREKEY_TARGET });
    clock += 1;
    await lie(1);
    expect(await counts()).toEqual({ oneTime: 3 * ONE_TIME_PREKEY_TARGET, kem: 3 * KEM_PREKEY_TARGET });
  });
});

describe("signed and last-resort prekey rotation", () => {
  test("rotates after a week, old keys still open queued first messages, and are deleted after the retention", async () => {
    const server = await relayForTest();
    let clock = Date.now();
    const store = new MemoryStore();
    const alice = await newClient(server.url, "Alice", store, { now: () => clock });
    await alice.claimHandle("alice");
    const bob = await newClient(server.url, "Bob");
    cleanups.push(() => bob.close());
    const aliceContact = await bob.findContact("alice");
    await alice.close();

    // Bob's first message is built on Alice's current (soon old) signed prekey and waits at the relay.
    await drain(server, alice, KEM_PREKEY_TARGET); // Also uses up the one-time ML-KEM keys: the last-resort one is used.
    await bob.sendText(aliceContact.id, "sent before the rotation");
    await bob.flush();
    expect(await localKeys(store, "s:")).toBe(1);

    clock += SIGNED_PREKEY_ROTATION_MS + 60_000;
    const back = await reopenClient(server.url, store, { now: () => clock });
    cleanups.push(() => back.close());
    const got = waitFor(back, "message", (m) => m.text === "sent before the rotation");
    await back.connect();
    expect((await got).text).toBe("sent before the rotation");
    // The relay now serves the new signed prekey (id 2) and the new last-resort ML-KEM prekey.
    const served = async () => await server.relay.context.store.takeBundle(mailboxOf(back));
    await eventually(async () => (await served())?.signedPreKey[4] === 2);
    const stored = await store.get(NS.preKeys, "s:2");
    expect((await served())?.signedPreKey).toEqual(stored && decodeRecord<{ record: Uint8Array }>(stored).record);
    expect((await served())?.kemPreKey[4]).toBe(KEM_PREKEY_TARGET + 2); // Ids: 1 last-resort, 2–51 one-time, then the new one.
    expect(await localKeys(store, "s:")).toBe(2); // The old one stays for messages still queued.
    await back.close();

    // After the relay's message lifetime the old private keys are gone.
    clock += PREKEY_RETENTION_MS + 60_000;
    const later = await reopenClient(server.url, store, { now: () => clock });
    cleanups.push(() => later.close());
    await later.connect();
    await eventually(async () => (await store.get(NS.preKeys, "s:1")) === undefined);
    // s:2 is over a week old by now, so it was replaced too, and is kept for the next 30 days.
    await eventually(async () => (await store.get(NS.preKeys, "s:3")) !== undefined);
    expect(await store.get(NS.preKeys, "s:2")).toBeDefined();
  });
});
