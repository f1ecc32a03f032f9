// The SDK as an app developer meets it, against a real relay: a closed client refuses work with
// ERR_CLOSED instead of queueing it silently, deleting a message keeps its delivery status, and
// the logger hook sees what happens without ever seeing a secret.
import { ErrorCode, ParleyError } from "@parley/protocol";
import { type ClientLogger, MemoryStore } from "@parley/protocol/client";
import { expect, test } from "vitest";
import { decodeRecord, type IdentityRecord, NS } from "../../packages/protocol/src/client/records.js";
import { bytesToHex } from "../../packages/protocol/src/crypto/bytes.js";
import { newClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import type { RelayProcess } from "./support/relay-process.js";

const { cleanups, relay: relayForTest } = perTestCleanups();

async function pair(relay: RelayProcess, aliceOptions: { logger?: ClientLogger; store?: MemoryStore } = {}) {
  const alice = await newClient(relay.wsUrl, "Alice", aliceOptions.store, aliceOptions.logger ? { logger: aliceOptions.logger } : {});
  const bob = await newClient(relay.wsUrl, "Bob");
  cleanups.push(
    () => alice.close(),
    () => bob.close(),
  );
  await bob.claimHandle("bob");
  const bobId = (await alice.findContact("bob")).id;
  const first = waitFor(bob, "message");
  await alice.sendText(bobId, "hello");
  const aliceId = (await first).contactId;
  return { alice, bob, bobId, aliceId };
}

test("sendText after close() rejects with ERR_CLOSED, as connect() does", async () => {
  const relay = await relayForTest();
  const { alice, bobId } = await pair(relay);
  await alice.close();
  const outcome = await alice.sendText(bobId, "into the void").then(
    () => "resolved",
    (e: unknown) => e,
  );
  expect(ParleyError.is(outcome, ErrorCode.Closed)).toBe(true);
  await expect(alice.connect()).rejects.toMatchObject({ code: ErrorCode.Closed });
});

/** A MemoryStore whose batches take `ms` each, in order, like a store that syncs to a slow disk. */
class SlowStore extends MemoryStore {
  private tail: Promise<void> = Promise.resolve();
  constructor(private readonly ms: number) {
    super();
  }
  override batch(writes: Parameters<MemoryStore["batch"]>[0]): Promise<void> {
    const run = this.tail.then(async () => {
      await new Promise((resolve) => setTimeout(resolve, this.ms));
      await super.batch(writes);
    });
    this.tail = run.catch(() => undefined);
    return run;
  }
}

test("deleting a message while its send completes leaves it deleted and sent (never back to pending)", async () => {
  const relay = await relayForTest();
  const { alice, bobId } = await pair(relay, { store: new SlowStore(15) });
  const lastUpdate = new Map<string, string>();
  alice.on("messageUpdated", (m) => lastUpdate.set(m.id, `${m.deleted ? "deleted" : "shown"} ${m.status}`));
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const { id } = await alice.sendText(bobId, `oops ${i}`);
    ids.push(id);
    // The delete reads the message while the relay's ack (pending → sent) is being stored.
    await alice.deleteMessage(bobId, id);
  }
  await alice.flush();
  const stored = (await alice.messages(bobId))
    .filter((m) => ids.includes(m.id))
    .map((m) => `${m.deleted ? "deleted" : "shown"} ${m.status}`);
  expect(stored).toHaveLength(5);
  for (const state of stored) expect(state).toMatch(/^deleted (sent|delivered)$/);
  // What the app was last told about each message is what is stored.
  expect(ids.map((id) => lastUpdate.get(id))).toEqual(stored);
});

test("the logger hook sees connection, login and sends at every level, and never a secret", async () => {
  const relay = await relayForTest();
  const lines: string[] = [];
  const logger: ClientLogger = {
    level: "debug",
    debug: (message, fields) => lines.push(`debug ${message} ${JSON.stringify(fields ?? {})}`),
    info: (message, fields) => lines.push(`info ${message} ${JSON.stringify(fields ?? {})}`),
    warn: (message, fields) => lines.push(`warn ${message} ${JSON.stringify(fields ?? {})}`),
    error: (message, fields) => lines.push(`error ${message} ${JSON.stringify(fields ?? {})}`),
  };
  const store = new MemoryStore();
  const { alice, bob, aliceId } = await pair(relay, { logger, store });
  const secretText = "the launch code is 0000";
  const got = waitFor(alice, "message", (m) => m.text === secretText);
  await bob.sendText(aliceId, secretText);
  await got;
  await alice.close();

  expect(lines.some((l) => l.startsWith("info ") && l.includes("ready"))).toBe(true);
  expect(lines.some((l) => l.startsWith("debug "))).toBe(true);
  const log = lines.join("\n");
  // newClient keeps a store it was given open, so it can be read after close().
  const identity = decodeRecord<IdentityRecord>((await store.get(NS.identity, "self")) ?? new Uint8Array());
  const secrets: Uint8Array[] = [identity.signingSeed, identity.identityPrivateKey, identity.deliveryToken];
  if (identity.accountSeed) secrets.push(identity.accountSeed);
  for (const secret of secrets) {
    expect(log).not.toContain(bytesToHex(secret));
    expect(log).not.toContain(Buffer.from(secret).toString("base64").slice(0, 20));
    expect(log).not.toContain(Buffer.from(secret).toString("base64url").slice(0, 20));
    expect(log).not.toContain(String(Array.from(secret.subarray(0, 8))));
  }
  expect(log).not.toContain(secretText);
});
