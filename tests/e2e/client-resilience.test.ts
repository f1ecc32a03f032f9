// What a user relies on when things go wrong: an offline recipient, a relay killed mid-stream,
// a client restarted from its encrypted file store, a broken session, tampered frames, and a
// contact whose identity changes.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ErrorCode, ParleyError } from "@parley/protocol";
import {
  ParleyClient as Client,
  IndexedDbStore,
  MemoryStore,
  type ParleyClient,
  type Store,
  type TransportFactory,
} from "@parley/protocol/client";
import { FileStore, nodeTransport } from "@parley/protocol/node";
import { decodeFrame, encodeFrame } from "@parley/protocol/wire";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { describe, expect, test } from "vitest";
import { breakBobsSession, collect, eventually, FAST_BACKOFF, newClient, reopenClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

const { cleanups, relay: relayForTest } = perTestCleanups();

function track(...clients: ParleyClient[]): void {
  for (const c of clients) cleanups.push(() => c.close());
}

/** Alice and Bob, Bob reachable as @bob, with Alice's first message delivered. */
async function pair(relay: RelayProcess, options: { aliceStore?: Store; bobStore?: Store; firstText?: string } = {}) {
  const alice = await newClient(relay.wsUrl, "Alice", options.aliceStore);
  const bob = await newClient(relay.wsUrl, "Bob", options.bobStore);
  track(alice, bob);
  await bob.claimHandle("bob");
  const bobId = (await alice.findContact("bob")).id;
  const first = waitFor(bob, "message");
  await alice.sendText(bobId, options.firstText ?? "hello");
  const aliceId = (await first).contactId;
  return { alice, bob, bobId, aliceId };
}

/** Reopens a client on a store opened again by `open`, connected; both are closed after the test. */
async function reopen(relay: RelayProcess, open: () => Promise<Store & { close(): Promise<void> }>) {
  const store = await open();
  const client = await reopenClient(relay.wsUrl, store);
  cleanups.push(async () => {
    await client.close();
    await store.close();
  });
  await client.connect();
  return client;
}

const texts = async (client: ParleyClient, contactId: string) =>
  (await client.messages(contactId)).filter((m) => m.kind === "text").map((m) => m.text);

describe("client resilience, end to end", () => {
  test("an offline recipient receives everything, in order, when it comes back", async () => {
    const relay = await relayForTest();
    const bobStore = new MemoryStore();
    const { alice, bob, bobId, aliceId } = await pair(relay, { bobStore });
    await bob.close();
    for (let i = 0; i < 25; i++) await alice.sendText(bobId, `while you were away ${i}`);
    await alice.flush();
    const back = await reopenClient(relay.wsUrl, bobStore);
    track(back);
    const synced = waitFor(back, "synced");
    await back.connect();
    await synced;
    await eventually(async () => (await texts(back, aliceId)).length === 26);
    expect(await texts(back, aliceId)).toEqual(["hello", ...Array.from({ length: 25 }, (_, i) => `while you were away ${i}`)]);
  });

  test("a relay killed with SIGKILL mid-conversation and restarted loses nothing and duplicates nothing", async () => {
    const relay = await startRelay();
    const port = Number(new URL(relay.url).port);
    let current = relay;
    cleanups.push(async () => {
      await current.stop().catch(() => undefined);
      relay.cleanup();
    });
    const { alice, bob, bobId, aliceId } = await pair(relay);
    const sending = (async () => {
      for (let i = 0; i < 40; i++) {
        await alice.sendText(bobId, `m${i}`);
        if (i === 15) {
          await relay.kill();
          // Sends keep being accepted into the outbox while the relay is down.
        }
        if (i === 25) current = await startRelay({ dataDir: relay.dataDir, port });
      }
    })();
    await sending;
    await alice.flush();
    await eventually(async () => (await texts(bob, aliceId)).length === 41, 30_000);
    expect(await texts(bob, aliceId)).toEqual(["hello", ...Array.from({ length: 40 }, (_, i) => `m${i}`)]);
  });

  test("a client restarted from its encrypted file store continues its sessions", async () => {
    const relay = await relayForTest();
    const dir = mkdtempSync(join(tmpdir(), "parley-e2e-filestore-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const kdf = { N: 2 ** 12, r: 8, p: 1 };
    const store = await FileStore.open(dir, { passphrase: "correct horse", kdf });
    const { alice, bob, bobId, aliceId } = await pair(relay, { aliceStore: store, firstText: "before restart" });
    const replied = waitFor(alice, "message");
    await bob.sendText(aliceId, "reply before restart");
    await replied;
    await alice.close();
    await store.close();

    const again = await reopen(relay, () => FileStore.open(dir, { passphrase: "correct horse" }));
    expect(again.userId).toBe(alice.userId);
    expect(await texts(again, bobId)).toEqual(["before restart", "reply before restart"]);
    const after = waitFor(bob, "message", (m) => m.text === "after restart");
    await again.sendText(bobId, "after restart");
    await after;
    const back = waitFor(again, "message", (m) => m.text === "welcome back");
    await bob.sendText(aliceId, "welcome back");
    await back;
    // The same session carried on: nobody saw a reset notice.
    expect((await bob.messages(aliceId)).some((m) => m.kind === "notice")).toBe(false);
    expect((await again.messages(bobId)).some((m) => m.kind === "notice")).toBe(false);
  });

  test("a client on the IndexedDB store chats, closes, reopens and carries on", async () => {
    const relay = await relayForTest();
    const indexedDB = new IDBFactory();
    const open = () => IndexedDbStore.open("parley-alice", { indexedDB, keyRange: IDBKeyRange });
    const store = await open();
    const { alice, bob, bobId, aliceId } = await pair(relay, { aliceStore: store, firstText: "from the browser store" });
    await alice.close();
    await store.close();
    const again = await reopen(relay, open);
    const after = waitFor(bob, "message", (m) => m.text === "still me");
    await again.sendText(bobId, "still me");
    await after;
    expect(await texts(bob, aliceId)).toEqual(["from the browser store", "still me"]);
  });

  test("a tampered frame is rejected and the conversation carries on", async () => {
    const relay = await relayForTest();
    const alice = await newClient(relay.wsUrl, "Alice");
    // Bob's transport flips one byte inside the next delivered envelope.
    let tamperNext = false;
    const tampering: TransportFactory = (url, handlers) =>
      nodeTransport(url, {
        ...handlers,
        onMessage: (data) => {
          const frame = decodeFrame(data);
          if (tamperNext && frame.t === "message") {
            tamperNext = false;
            const envelope = frame.envelope.slice();
            envelope[envelope.length - 5] = (envelope[envelope.length - 5] as number) ^ 0x20;
            handlers.onMessage(encodeFrame({ ...frame, envelope }));
            return;
          }
          handlers.onMessage(data);
        },
      });
    const bob = await Client.create({
      relayUrl: relay.wsUrl,
      store: new MemoryStore(),
      transport: tampering,
      displayName: "Bob",
      backoff: FAST_BACKOFF,
    });
    await bob.connect();
    track(alice, bob);
    await bob.claimHandle("bob");
    const bobId = (await alice.findContact("bob")).id;
    const first = waitFor(bob, "message");
    await alice.sendText(bobId, "hello");
    const aliceId = (await first).contactId;
    const errors = collect(bob, "error");
    tamperNext = true;
    await alice.sendText(bobId, "tampered in transit");
    await eventually(() => errors.length > 0);
    expect(ParleyError.is(errors[0], ErrorCode.DecryptFailed)).toBe(true);
    const next = waitFor(bob, "message", (m) => m.text === "after the tampering");
    await alice.sendText(bobId, "after the tampering");
    await next;
    expect(await texts(bob, aliceId)).toEqual(["hello", "after the tampering"]);
  });

  test("a broken session is reset: both sides see a notice and keep talking", async () => {
    const relay = await relayForTest();
    const bobStore = new MemoryStore();
    const { alice, bob, bobId, aliceId } = await pair(relay, { bobStore });
    // Let Bob's delivered receipt for "hello" go out first, so nothing else touches the session.
    await eventually(async () => (await alice.messages(bobId)).some((m) => m.status === "delivered"));
    await bob.flush();
    // Bob loses his session state with Alice (a corrupted or restored-from-old-backup store).
    await breakBobsSession(alice, bob, bobStore, bobId);
    const fromBob = waitFor(alice, "message", (m) => m.text === "can you hear me?");
    await bob.sendText(aliceId, "can you hear me?");
    await fromBob;
    const fromAlice = waitFor(bob, "message", (m) => m.text === "yes");
    await alice.sendText(bobId, "yes");
    await fromAlice;
  });

  test("a changed identity blocks sending until the user accepts it", async () => {
    const relay = await relayForTest();
    const { alice, bob, bobId } = await pair(relay);
    // Bob moves to another handle and someone else takes @bob: Alice's pinned contact no longer matches.
    await bob.claimHandle("robert");
    const mallory = await newClient(relay.wsUrl, "Mallory");
    track(mallory);
    await mallory.claimHandle("bob");
    const changed = waitFor(alice, "identityChanged");
    const refreshed = await alice.findContact("bob");
    expect((await changed).id).toBe(bobId);
    expect(refreshed.pendingIdentity).toBeDefined();
    await expect(alice.sendText(bobId, "are you still you?")).rejects.toSatisfy((e) => ParleyError.is(e, ErrorCode.UntrustedIdentity));
    const before = await alice.safetyNumber(bobId);
    const accepted = await alice.acceptIdentity(bobId);
    expect(accepted.verified).toBe(false);
    expect((await alice.safetyNumber(bobId)).digits).not.toBe(before.digits);
    const toMallory = waitFor(mallory, "message", (m) => m.text === "hello again");
    await alice.sendText(bobId, "hello again");
    await toMallory;
  });
});
