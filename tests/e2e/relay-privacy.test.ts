// After real clients chat, the relay's database (with its WAL) and logs hold no plaintext and
// no trace of who wrote to whom once sealed sending is in use.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { eventually, newClient, waitFor } from "./support/clients.js";
import { type RelayProcess, startRelay } from "./support/relay-process.js";

let relay: RelayProcess;
beforeAll(async () => {
  relay = await startRelay();
});
afterAll(async () => {
  await relay?.stop();
  relay?.cleanup();
});

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

test("relay storage and logs contain no plaintext and no sealed sender's identity", async () => {
  const alice = await newClient(relay.wsUrl, "Alice");
  const bob = await newClient(relay.wsUrl, "Bob");
  try {
    await bob.claimHandle("bob");
    const bobId = (await alice.findContact("bob")).id;
    const first = waitFor(bob, "message");
    await alice.sendText(bobId, "hello");
    const aliceId = (await first).contactId;
    // Alice now has Bob's delivery token: from here on her envelopes are sealed and anonymous.
    await eventually(async () => (await alice.contact(bobId))?.deliveryToken !== undefined);
    await bob.close();
    const marker = "PLAINTEXT-MARKER-7f3a9c";
    await alice.sendText(bobId, marker);
    await alice.flush();
    const blobs = filesUnder(relay.dataDir).map((f) => readFileSync(f));
    const everything = Buffer.concat([...blobs, Buffer.from(relay.output())]);
    expect(everything.includes(marker)).toBe(false);
    expect(everything.includes(Buffer.from(marker).toString("base64"))).toBe(false);
    // The logs never name Alice (her user id appears in the database only in her own account row).
    const aliceUser = Buffer.from(alice.userId, "hex");
    const logs = relay.output();
    expect(logs.includes(alice.userId)).toBe(false);
    expect(logs.includes(aliceUser.toString("base64"))).toBe(false);
    expect(logs.includes(aliceUser.toString("base64url"))).toBe(false);
    expect(aliceId).not.toBe(bobId);
  } finally {
    await alice.close();
    await bob.close();
  }
});
