// One writer per store, end to end: a second ParleyClient on the same IndexedDB database (a
// second tab) claims the store, and the first client's next send is refused with
// ERR_STORE_TAKEN_OVER and an `error` event — no ciphertext leaves it, so no message key is used
// twice. A second FileStore open of the same directory is refused by the lock.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IndexedDbStore, ParleyClient, StoreError, type TransportFactory } from "@parley/protocol/client";
import { FileStore, nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { IDBFactory, IDBKeyRange } from "fake-indexeddb";
import { expect, test } from "vitest";
import { FAST_BACKOFF, newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";

const { cleanups, relay: relayForTest } = perTestCleanups();

/** nodeTransport, recording the type of every frame the client sends. */
function recording(sent: string[]): TransportFactory {
  return (url, handlers) => {
    const inner = nodeTransport(url, handlers);
    return {
      send: (data) => {
        sent.push(String(decodeFrame(data).t));
        inner.send(data);
      },
      close: (code, reason) => inner.close(code, reason),
    };
  };
}

test("a second client on the same IndexedDB database takes over: the first one's send is refused, with an error event, and sends nothing", async () => {
  const relay = await relayForTest();
  const indexedDB = new IDBFactory();
  const openTab = () => IndexedDbStore.open("parley-alice", { indexedDB, keyRange: IDBKeyRange });
  const tabA = await openTab();
  const sentByA: string[] = [];
  const alice = await ParleyClient.create({
    relayUrl: relay.wsUrl,
    store: tabA,
    transport: recording(sentByA),
    displayName: "Alice",
    backoff: FAST_BACKOFF,
    requestTimeoutMs: 5_000,
  });
  await alice.connect();
  const bob = await newClient(relay.wsUrl, "Bob");
  cleanups.push(async () => {
    await alice.close();
    await bob.close();
    await tabA.close();
  });
  await bob.claimHandle("bob");
  const bobId = (await alice.findContact("bob")).id;
  const first = waitFor(bob, "message");
  await alice.sendText(bobId, "before");
  const aliceId = (await first).contactId;
  expect(sentByA).toContain("send");

  const errors: Error[] = [];
  alice.on("error", (e) => errors.push(e));
  const tabB = await openTab();
  const second = await ParleyClient.open({ relayUrl: relay.wsUrl, store: tabB, transport: nodeTransport, backoff: FAST_BACKOFF });
  cleanups.push(async () => {
    await second.close();
    await tabB.close();
  });

  sentByA.length = 0;
  const refused = await alice.sendText(bobId, "after").then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.is(refused, "ERR_STORE_TAKEN_OVER"), String(refused)).toBe(true);
  expect(errors.some((e) => StoreError.is(e, "ERR_STORE_TAKEN_OVER"))).toBe(true);
  await new Promise((r) => setTimeout(r, 300));
  expect(sentByA.filter((t) => t === "send")).toEqual([]);
  expect((await bob.messages(aliceId)).filter((m) => m.kind === "text").map((m) => m.text)).toEqual(["before"]);
});

test("a second FileStore open of the same directory is refused with ERR_STORE_LOCKED while a client uses it", async () => {
  const relay = await relayForTest();
  const dir = mkdtempSync(join(tmpdir(), "parley-one-writer-"));
  const kdf = { N: 1024, r: 8, p: 1 };
  const store = await FileStore.open(dir, { passphrase: "correct horse", kdf });
  const alice = await newClient(relay.wsUrl, "Alice", store);
  cleanups.push(async () => {
    await alice.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const error = await FileStore.open(dir, { passphrase: "correct horse", kdf }).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(StoreError.is(error, "ERR_STORE_LOCKED"), String(error)).toBe(true);
  await alice.claimHandle("alice"); // the first client still writes
});
