// A forged sealed envelope must not make a client act (issue 12, item 1): whoever can put bytes in
// a mailbox — any registered account, or a hostile relay — could claim to be a known contact and
// force a session reset, a bundle fetch (spending one-time prekeys), a sessionReset and notices.
// Bob's transport here plays the hostile relay: it injects envelopes into his stream. The genuine
// repair of a broken session still happens, once, and its limit survives a restart.
import { createProvider, decodeSessionRecord, ErrorCode, type ParleyError, SecretKeyPair, type SessionRecord } from "@parley/protocol";
import {
  ParleyClient as Client,
  MemoryStore,
  type ParleyClient,
  type TransportFactory,
  type TransportHandlers,
} from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame, encodeFrame } from "@parley/protocol/wire";
import { describe, expect, test } from "vitest";
import { sealEnvelope } from "../../packages/protocol/src/envelope/sealed.js";
import { breakBobsSession, collect, eventually, FAST_BACKOFF, newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import type { RelayProcess } from "./support/relay-process.js";

const { cleanups, relay: relayForTest } = perTestCleanups();

/** A transport that records the frame types a client sends and can inject `message` frames. */
function hostileRelay() {
  const sent: string[] = [];
  /** Every envelope delivered to the client, kept as a relay could keep it. */
  const delivered: Uint8Array[] = [];
  let current: TransportHandlers | undefined;
  const factory: TransportFactory = (url, handlers) => {
    const inner = nodeTransport(url, {
      ...handlers,
      onMessage: (data) => {
        const frame = decodeFrame(data);
        if (frame.t === "message") delivered.push(frame.envelope);
        handlers.onMessage(data);
      },
    });
    return {
      send(data) {
        const t = decodeFrame(data).t;
        // The logged-in connection is the one mail arrives on (sealed sends use another one).
        if (t === "auth" || t === "register") current = handlers;
        sent.push(t);
        inner.send(data);
      },
      close: (code, reason) => inner.close(code, reason),
    };
  };
  const inject = (envelope: Uint8Array) =>
    current?.onMessage(
      encodeFrame({ t: "message", messageId: crypto.getRandomValues(new Uint8Array(16)), envelope, receivedAt: Date.now() }),
    );
  return { factory, sent, delivered, inject };
}

async function bobWith(relay: RelayProcess, store: MemoryStore, factory: TransportFactory, open = false): Promise<ParleyClient> {
  const options = { relayUrl: relay.wsUrl, store, transport: factory, backoff: FAST_BACKOFF, requestTimeoutMs: 5_000, keepStoreOpen: true };
  const bob = open ? await Client.open(options) : await Client.create({ ...options, displayName: "Bob" });
  cleanups.push(() => bob.close());
  await bob.connect();
  return bob;
}

/**
 * Alice (plain) and Bob (behind the hostile relay's transport) in a conversation: Alice said
 * hello, Bob's delivered receipt is back, and Bob has nothing left to send.
 */
async function watchedPair(relay: RelayProcess, aliceStore: MemoryStore, bobStore: MemoryStore) {
  const alice = await newClient(relay.wsUrl, "Alice", aliceStore);
  cleanups.push(() => alice.close());
  const hostile = hostileRelay();
  const bob = await bobWith(relay, bobStore, hostile.factory);
  await bob.claimHandle("bob");
  const bobId = (await alice.findContact("bob")).id;
  const first = waitFor(bob, "message");
  await alice.sendText(bobId, "hello");
  const aliceId = (await first).contactId;
  await eventually(async () => (await alice.messages(bobId)).some((m) => m.status === "delivered"));
  await bob.flush();
  return { alice, bob, hostile, bobId, aliceId };
}

async function onlyRecord(store: MemoryStore): Promise<{ key: string; record: SessionRecord; raw: Uint8Array }> {
  const entries = await store.list("sessions");
  expect(entries.length).toBe(1);
  const [key, raw] = entries[0] as [string, Uint8Array];
  return { key, raw, record: decodeSessionRecord(raw) };
}

/** A ratchet message that decrypts under no session: what a forger can put inside an envelope. */
function garbageMessage(): Uint8Array {
  const m = crypto.getRandomValues(new Uint8Array(100));
  m[0] = 1;
  m[1] = 1;
  return m;
}

describe("forged envelopes, end to end", () => {
  test("a forged envelope claiming a known contact: no reset, bundle fetch, notice or sessionReset; an error event", async () => {
    const relay = await relayForTest();
    const deps = { crypto: await createProvider("node") };
    const aliceStore = new MemoryStore();
    const bobStore = new MemoryStore();
    const { alice, bob, hostile, bobId, aliceId } = await watchedPair(relay, aliceStore, bobStore);

    const { record: aliceView } = await onlyRecord(aliceStore);
    const bobIdentityKey = aliceView.current?.remoteIdentityKey as Uint8Array;
    const before = await onlyRecord(bobStore);
    const sentBefore = hostile.sent.length;
    const errors = collect(bob, "error");
    const bobMessages = collect(bob, "message");
    const aliceMessages = collect(alice, "message");

    // 1. Alice's (public) certificate, sealed by someone without Alice's identity key.
    const aliceCertificate = before.record.current?.remoteCertificate as Uint8Array;
    const randomKey = SecretKeyPair.from(deps.crypto.x25519GenerateKeyPair());
    hostile.inject(sealEnvelope(deps, { certificate: aliceCertificate, identityKey: randomKey }, bobIdentityKey, garbageMessage()));
    // 2. A made-up device of Alice's account: her certificate with device id 777 and the forger's key.
    const madeUp = aliceCertificate.slice();
    new DataView(madeUp.buffer).setUint32(33, 777);
    madeUp.set(randomKey.publicKey, 1 + 32 + 4 + 32);
    hostile.inject(sealEnvelope(deps, { certificate: madeUp, identityKey: randomKey }, bobIdentityKey, garbageMessage()));
    await eventually(() => errors.length >= 2);
    // Reported as envelopes that do not open; the cause says why (no identity key, no account signature).
    expect(errors.map((e) => (e as ParleyError).code)).toEqual([ErrorCode.DecryptFailed, ErrorCode.DecryptFailed]);
    expect(errors.map((e) => ((e as ParleyError).cause as ParleyError).code)).toEqual([
      ErrorCode.DecryptFailed,
      ErrorCode.InvalidSignature,
    ]);
    await new Promise((r) => setTimeout(r, 500));
    await bob.flush();

    expect(hostile.sent.slice(sentBefore).filter((t) => t === "fetch_bundles" || t === "send" || t === "sealed_send")).toEqual([]);
    expect(bobMessages).toEqual([]);
    expect(aliceMessages).toEqual([]);
    expect((await bob.messages(aliceId)).filter((m) => m.kind === "notice")).toEqual([]);
    expect((await onlyRecord(bobStore)).raw).toEqual(before.raw);
    // A replayed genuine envelope is reported as a duplicate, and changes nothing either.
    const duplicates = collect(bob, "duplicate");
    hostile.inject(hostile.delivered[0] as Uint8Array);
    await eventually(() => duplicates.length === 1);
    expect(duplicates[0]).toMatchObject({ userId: aliceId, reason: "session" });
    expect((await onlyRecord(bobStore)).raw).toEqual(before.raw);
    // The conversation carries on, on the same session.
    const next = waitFor(bob, "message", (m) => m.text === "still here");
    await alice.sendText(bobId, "still here");
    await next;
  });

  test("a genuine broken session is repaired once; a replayed old envelope after a restart does not repair it again", async () => {
    const relay = await relayForTest();
    const bobStore = new MemoryStore();
    const { alice, bob, hostile, bobId, aliceId } = await watchedPair(relay, new MemoryStore(), bobStore);

    // Bob loses his session state with Alice: her next message cannot be decrypted.
    await breakBobsSession(alice, bob, bobStore, bobId);
    const broken = hostile.delivered.at(-1) as Uint8Array;
    await bob.flush();
    await bob.close();

    // Bob restarts; the relay delivers the old envelope again. It is authentic (Alice sealed it)
    // and undecryptable, but the repair already made has not been answered yet.
    const again = hostileRelay();
    const restarted = await bobWith(relay, bobStore, again.factory, true);
    await eventually(() => again.sent.includes("auth"));
    const errors = collect(restarted, "error");
    const sentBefore = again.sent.length;
    again.inject(broken);
    await eventually(() => errors.length >= 1);
    await new Promise((r) => setTimeout(r, 500));
    await restarted.flush();
    expect(again.sent.slice(sentBefore).filter((t) => t === "fetch_bundles" || t === "send" || t === "sealed_send")).toEqual([]);
    expect((await restarted.messages(aliceId)).filter((m) => m.kind === "notice").length).toBe(1);
    expect((await alice.messages(bobId)).filter((m) => m.kind === "notice").length).toBe(1);

    // The repaired session works both ways.
    const fromBob = waitFor(alice, "message", (m) => m.text === "can you hear me?");
    await restarted.sendText(aliceId, "can you hear me?");
    await fromBob;
    const fromAlice = waitFor(restarted, "message", (m) => m.text === "yes");
    await alice.sendText(bobId, "yes");
    await fromAlice;
  });
});
