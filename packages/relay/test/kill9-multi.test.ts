// Durability and atomicity of fan-out under SIGKILL (relay.md §7.8, REL-084): multi_sends to 60
// devices of 20 users, pipelined, through a relay process killed with SIGKILL mid-stream. On the
// data left behind, every fan-out is in all 60 mailboxes or in none (one transaction each, its
// payload stored once), and every one the relay answered `sent` is there. After a restart the
// sender retries what was not answered (derived ids make retries of stored ones DUPLICATE), and
// then every fan-out is in every mailbox exactly once.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MultiSendRecipient } from "@parley/protocol/wire";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { addDevice, deps, newIdentity, type TestIdentity } from "./identities.js";
import { buildRelay, type RelayProcess, startRelayProcess } from "./relay-process.js";
import { SocketClient } from "./socket-client.js";

const USERS = 20;
const DEVICES = 3;
const TOTAL = 300;
const KILL_AFTER_ACKS = 100;
const PIPELINE = 8;

let dataDir: string | undefined;
let relay: RelayProcess | undefined;
const generous = [
  "connectionFramesPerSecond=1000000",
  "connectionFrameBurst=1000000",
  "recipientMessagesPerSecond=1000000",
  "recipientMessageBurst=1000000",
  "sealedAddressMessagesPerSecond=1000000",
  "sealedAddressMessageBurst=1000000",
  "maxQueuedPerSender=100000",
  "maxQueuedPerAddress=100000",
  "fanOutDevicesPerSecond=1000000",
  "fanOutDeviceBurst=1000000",
  "connectionBytesPerSecond=1000000000",
  "connectionByteBurst=1000000000",
  "addressBytesPerSecond=1000000000",
  "addressByteBurst=1000000000",
].flatMap((l) => ["--limit", l]);

beforeAll(() => {
  buildRelay();
  dataDir = mkdtempSync(join(tmpdir(), "parley-kill9-multi-"));
});
afterAll(async () => {
  if (relay && relay.child.exitCode === null) {
    relay.child.kill("SIGKILL");
    await relay.exited;
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** The payload of fan-out `i`: its number in the first bytes, padded to a valid payload length. */
function payloadOf(i: number): Uint8Array {
  const out = new Uint8Array(300);
  new DataView(out.buffer).setUint32(0, i);
  out.set(deps.crypto.randomBytes(32), 4);
  return out;
}

async function pump(
  client: SocketClient,
  pending: Map<number, Uint8Array>,
  recipients: MultiSendRecipient[],
  answered: Set<number>,
  onAnswer: () => void,
) {
  const queue = [...pending.keys()];
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      const i = queue[next++] as number;
      const response = await client.request({ t: "multi_send", payload: pending.get(i) as Uint8Array, recipients }, 15_000);
      if (response.t === "sent" && response.results.every((r) => r === "OK" || r === "DUPLICATE")) {
        answered.add(i);
        pending.delete(i);
        onAnswer();
      }
    }
  };
  await Promise.allSettled(Array.from({ length: PIPELINE }, worker));
}

/** payload number → rows naming it, read from the stopped relay's file. */
function fanOutsOnDisk(): Map<number, number> {
  const db = new Database(join(dataDir as string, "relay.sqlite"), { readonly: true });
  try {
    const rows = db
      .prepare(
        "SELECT p.payload AS payload, count(m.seq) AS n FROM shared_payloads p LEFT JOIN messages m ON m.payload_id = p.payload_id GROUP BY p.payload_id",
      )
      .all() as { payload: Buffer; n: number }[];
    const out = new Map<number, number>();
    for (const r of rows) out.set(r.payload.readUInt32BE(0), (out.get(r.payload.readUInt32BE(0)) ?? 0) + r.n);
    return out;
  } finally {
    db.close();
  }
}

describe("kill -9 during fan-out", () => {
  it(`keeps every fan-out all-or-nothing and every answered one stored, over ${TOTAL} fan-outs to ${USERS * DEVICES} devices`, async () => {
    if (!dataDir) throw new Error("no data dir");
    relay = await startRelayProcess(["--port", "0", "--data", dataDir, "--log-level", "warn", ...generous]);
    const port = relay.port;
    const users: TestIdentity[][] = [];
    for (let u = 0; u < USERS; u++) {
      const base = newIdentity();
      const ids = Array.from({ length: DEVICES }, (_, d) => d + 1);
      const devices = [base, ...ids.slice(1).map((id) => addDevice(base, id, ids, 1 + id))];
      for (const d of devices) {
        const c = await SocketClient.connect(relay.url);
        expect(await c.register(d)).toMatchObject({ t: "ok" });
        if (d === base) expect(await c.request({ t: "set_delivery_token", open: true })).toMatchObject({ t: "ok" });
        await c.close();
      }
      users.push(devices);
    }
    const recipients: MultiSendRecipient[] = users.map((devices) => ({
      userId: (devices[0] as TestIdentity).account.userId,
      devices: devices.map((d) => ({ deviceId: d.device.deviceId, header: deps.crypto.randomBytes(48) })),
    }));
    const pending = new Map(Array.from({ length: TOTAL }, (_, i) => [i, payloadOf(i)] as const));
    const answered = new Set<number>();
    const a = await SocketClient.connect(relay.url);
    const victim = relay;
    let killed = false;
    await pump(a, pending, recipients, answered, () => {
      if (!killed && answered.size >= KILL_AFTER_ACKS) {
        killed = true;
        victim.child.kill("SIGKILL");
        a.ws.terminate();
      }
    });
    expect((await victim.exited).signal).toBe("SIGKILL");
    expect(answered.size).toBeGreaterThanOrEqual(KILL_AFTER_ACKS);
    expect(answered.size).toBeLessThan(TOTAL);

    // What the crash left: whole fan-outs only, every answered one among them.
    const afterCrash = fanOutsOnDisk();
    for (const [i, rows] of afterCrash) expect(rows, `fan-out ${i}`).toBe(USERS * DEVICES);
    for (const i of answered) expect(afterCrash.get(i), `answered fan-out ${i}`).toBe(USERS * DEVICES);

    relay = await startRelayProcess(["--port", String(port), "--data", dataDir, "--log-level", "warn", ...generous]);
    const a2 = await SocketClient.connect(relay.url);
    await pump(a2, pending, recipients, answered, () => {});
    expect(pending.size).toBe(0);
    await a2.close();
    const stopping = relay;
    stopping.child.kill("SIGTERM");
    expect(await stopping.exited).toEqual({ code: 0, signal: null });

    const final = fanOutsOnDisk();
    expect(final.size).toBe(TOTAL);
    for (const [i, rows] of final) expect(rows, `fan-out ${i}`).toBe(USERS * DEVICES);
  }, 180_000);
});
