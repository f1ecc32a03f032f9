// Acknowledged ciphertext must not linger on disk (issue 13, relay item 6): after a recipient
// acks, the envelope's bytes are gone from relay.sqlite and relay.sqlite-wal within the store's
// checkpoint delay, for a small envelope (in the row's page) and a large one (overflow pages).
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deps, messageId, newIdentity } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(async () => {
  await t.stop();
});

const onDisk = (marker: Buffer): string[] =>
  ["relay.sqlite", "relay.sqlite-wal"].filter((name) => {
    const path = join(t.dataDir, name);
    return existsSync(path) && readFileSync(path).includes(marker);
  });

describe("acknowledged ciphertext", () => {
  it("is gone from the database and its WAL shortly after the ack", async () => {
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await SocketClient.connect(t.url);
    await a.register(alice);
    const b = await SocketClient.connect(t.url);
    await b.register(bob);
    await b.next((f) => f.t === "queue_empty");
    const markers = [Buffer.from(deps.crypto.randomBytes(32)), Buffer.from(deps.crypto.randomBytes(32))];
    const envelopes = [
      Buffer.concat([markers[0] as Buffer, Buffer.from(deps.crypto.randomBytes(200))]),
      // Large enough for overflow pages; the marker sits in the last one.
      Buffer.concat([Buffer.from(deps.crypto.randomBytes(20_000)), markers[1] as Buffer]),
    ];
    const to = { userId: bob.account.userId, deviceId: 1 };
    for (const envelope of envelopes) {
      expect(
        await a.request({ t: "send", messages: [{ ...to, messageId: messageId(), envelope: new Uint8Array(envelope) }] }),
      ).toMatchObject({
        results: ["OK"],
      });
    }
    for (const marker of markers) expect(onDisk(marker).length, "stored before the ack").toBeGreaterThan(0);
    for (let i = 0; i < 50 && b.ofType("message").length < 2; i++) await new Promise((r) => setTimeout(r, 20));
    const ids = b.ofType("message").map((m) => m.messageId);
    expect(ids).toHaveLength(2);
    expect(await b.request({ t: "ack", messageIds: ids })).toMatchObject({ t: "ok" });
    let left: string[] = [];
    for (let i = 0; i < 40; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = markers.flatMap((m, i) => onDisk(m).map((f) => `${i}:${f}`));
      if (left.length === 0) break;
    }
    expect(left).toEqual([]);
    await Promise.all([a.close(), b.close()]);
  });
});
