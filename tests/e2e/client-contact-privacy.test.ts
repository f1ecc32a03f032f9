// The relay must not learn a user's contact list from identity re-checks: no handle lookups on
// the logged-in connection at login; re-checks go one at a time, spread out, over the
// anonymous connection, and still catch a handle that now names another account.
import { MemoryStore, type TransportFactory } from "@parley/protocol/client";
import { nodeTransport } from "@parley/protocol/node";
import { decodeFrame } from "@parley/protocol/wire";
import { expect, test } from "vitest";
import { eventually, newClient, reopenClient, waitFor } from "./support/clients.js";
import { perTestCleanups } from "./support/fixtures.js";
import { startRelay } from "./support/relay-process.js";

const { cleanups } = perTestCleanups();

/** nodeTransport, recording each connection's outgoing frame types and whether it logged in. */
function recording(): { transport: TransportFactory; connections: Array<{ loggedIn: boolean; frames: Array<{ t: string; at: number }> }> } {
  const connections: Array<{ loggedIn: boolean; frames: Array<{ t: string; at: number }> }> = [];
  const transport: TransportFactory = (url, handlers) => {
    const record = { loggedIn: false, frames: [] as Array<{ t: string; at: number }> };
    connections.push(record);
    const inner = nodeTransport(url, handlers);
    return {
      send: (data) => {
        const t = String(decodeFrame(data).t);
        if (t === "auth" || t === "register") record.loggedIn = true;
        record.frames.push({ t, at: Date.now() });
        inner.send(data);
      },
      close: (code, reason) => inner.close(code, reason),
    };
  };
  return { transport, connections };
}

test("identity re-checks never send the contact list over the logged-in connection, and still catch a re-pointed handle", async () => {
  const relay = await startRelay();
  cleanups.push(async () => {
    await relay.stop();
    relay.cleanup();
  });
  const store = new MemoryStore();
  const alice = await newClient(relay.wsUrl, "Alice", store);
  const friends = [];
  for (const name of ["bob", "carol", "dave", "erin"]) {
    const friend = await newClient(relay.wsUrl, name);
    cleanups.push(() => friend.close());
    await friend.claimHandle(name);
    await alice.findContact(name);
    friends.push(friend);
  }
  await alice.close();

  // Bob gives up his handle and Mallory takes it: a re-check must notice.
  await friends[0]?.claimHandle("bob_elsewhere");
  const mallory = await newClient(relay.wsUrl, "Mallory");
  cleanups.push(() => mallory.close());
  await mallory.claimHandle("bob");

  const { transport, connections } = recording();
  const back = await reopenClient(relay.wsUrl, store, { transport, identityRecheck: { meanGapMs: 40, intervalMs: 60_000 } });
  cleanups.push(() => back.close());
  const changed = waitFor(back, "identityChanged", (c) => c.handle === "bob", 10_000);
  await back.connect();
  expect((await changed).handle).toBe("bob");
  const anonymousLookups = () =>
    connections
      .filter((c) => !c.loggedIn)
      .flatMap((c) => c.frames)
      .filter((f) => f.t === "lookup_handle");
  await eventually(() => anonymousLookups().length >= 4, 3_000).catch(() => undefined);

  const loggedIn = connections.filter((c) => c.loggedIn).flatMap((c) => c.frames);
  expect(loggedIn.filter((f) => f.t === "lookup_handle").map((f) => f.t)).toEqual([]);
  // One lookup per contact, spread out rather than in one burst at login.
  const anonymous = anonymousLookups();
  expect(anonymous.length).toBeGreaterThanOrEqual(4);
  const span = (anonymous.at(3)?.at ?? 0) - (anonymous.at(0)?.at ?? 0);
  expect(span).toBeGreaterThan(0);
});
