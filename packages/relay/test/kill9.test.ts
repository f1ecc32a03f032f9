// Durability: ≥ 10,000 messages sent through a relay process that is killed with SIGKILL
// mid-stream and restarted on the same data. Every message the relay acknowledged is
// delivered afterwards; after client-side dedupe by message id, each arrives exactly once.
// Ends with SIGTERM: the relay drains and exits 0, keeping what is queued.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeFrame } from "@parley/protocol/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageId, newIdentity, utf8 } from "./identities.js";
import { buildRelay, type RelayProcess, startRelayProcess } from "./relay-process.js";
import { SocketClient } from "./socket-client.js";

const TOTAL = 10_000;
const KILL_AFTER_ACKS = 4_000;
const PIPELINE = 256;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

let dataDir: string | undefined;
let relay: RelayProcess | undefined;
const generous = [
  "connectionFramesPerSecond=1000000",
  "connectionFrameBurst=1000000",
  "recipientMessagesPerSecond=1000000",
  "recipientMessageBurst=1000000",
  "maxQueueDepth=100000",
  "maxQueuedPerSender=100000",
  "connectionBytesPerSecond=1000000000",
  "connectionByteBurst=1000000000",
  "addressBytesPerSecond=1000000000",
  "addressByteBurst=1000000000",
].flatMap((l) => ["--limit", l]);

beforeAll(() => {
  buildRelay();
  dataDir = mkdtempSync(join(tmpdir(), "parley-kill9-"));
});
afterAll(async () => {
  if (relay && relay.child.exitCode === null) {
    relay.child.kill("SIGKILL");
    await relay.exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** Sends `pending` one message per frame, PIPELINE in flight; resolves ids as they are acked. Stops at `stopAfter` acks or a closed socket. */
async function pump(
  client: SocketClient,
  pending: Map<string, { id: Uint8Array; i: number }>,
  to: Uint8Array,
  acked: Set<string>,
  onAck: () => void,
) {
  const queue = [...pending.entries()];
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const [key, { id, i }] = queue[next++] as [string, { id: Uint8Array; i: number }];
      const response = await client.request(
        { t: "send", messages: [{ userId: to, deviceId: 1, messageId: id, envelope: utf8(`msg-${i}`) }] },
        15_000,
      );
      if (response.t === "sent" && (response.results[0] === "OK" || response.results[0] === "DUPLICATE")) {
        acked.add(key);
        pending.delete(key);
        onAck();
      }
    }
  };
  await Promise.allSettled(Array.from({ length: PIPELINE }, worker));
}

describe("kill -9", () => {
  it(`delivers every acknowledged message of ${TOTAL} after SIGKILL mid-stream and a restart`, async () => {
    if (!dataDir) throw new Error("no data dir");
    relay = await startRelayProcess(["--port", "0", "--data", dataDir, "--log-level", "warn", ...generous]);
    const port = relay.port;
    const alice = newIdentity();
    const bob = newIdentity();
    const bobClient = await SocketClient.connect(relay.url);
    expect(await bobClient.register(bob)).toMatchObject({ t: "ok" });
    await bobClient.close();
    const a = await SocketClient.connect(relay.url);
    expect(await a.register(alice)).toMatchObject({ t: "ok" });

    const pending = new Map<string, { id: Uint8Array; i: number }>();
    const contentOf = new Map<string, string>();
    for (let i = 0; i < TOTAL; i++) {
      const id = messageId();
      pending.set(hex(id), { id, i });
      contentOf.set(hex(id), `msg-${i}`);
    }
    const acked = new Set<string>();
    const victim = relay;
    let killed = false;
    await pump(a, pending, bob.account.userId, acked, () => {
      if (!killed && acked.size >= KILL_AFTER_ACKS) {
        killed = true;
        victim.child.kill("SIGKILL");
        a.ws.terminate();
      }
    });
    expect((await victim.exited).signal).toBe("SIGKILL");
    const ackedBeforeKill = acked.size;
    expect(ackedBeforeKill).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(ackedBeforeKill).toBeLessThan(TOTAL);

    relay = await startRelayProcess(["--port", String(port), "--data", dataDir, "--log-level", "warn", ...generous]);
    const a2 = await SocketClient.connect(relay.url);
    expect(await a2.auth(alice)).toMatchObject({ t: "ok" });
    await pump(a2, pending, bob.account.userId, acked, () => {});
    expect(pending.size).toBe(0);
    expect(acked.size).toBe(TOTAL);
    await a2.close();

    // Bob drains his mailbox, acking as he goes, until every acknowledged message arrived.
    const b = await SocketClient.connect(relay.url);
    const received = new Map<string, string>();
    let rawDeliveries = 0;
    const done = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${received.size} of ${TOTAL} delivered`)), 30_000);
      b.ws.on("message", () => {
        const batch = b.pushed.splice(0).filter((f) => f.t === "message");
        if (batch.length === 0) return;
        rawDeliveries += batch.length;
        for (const m of batch) if (m.t === "message") received.set(hex(m.messageId), new TextDecoder().decode(m.envelope));
        b.ws.send(encodeAck(batch.map((m) => (m as { messageId: Uint8Array }).messageId)));
        if (received.size >= TOTAL) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await b.auth(bob);
    await done;
    for (const key of acked) expect(received.get(key), key).toBe(contentOf.get(key));
    expect(received.size).toBe(TOTAL);
    expect(rawDeliveries).toBe(TOTAL); // the relay's own per-mailbox dedupe left nothing for the client to drop
    await b.close();

    // SIGTERM: stops accepting, drains, exits 0.
    const stopping = relay;
    stopping.child.kill("SIGTERM");
    expect(await stopping.exited).toEqual({ code: 0, signal: null });
  }, 120_000);
});

let ackIds = 1_000_000;
function encodeAck(ids: Uint8Array[]): Uint8Array {
  return encodeFrame({ t: "ack", id: ackIds++, messageIds: ids });
}
