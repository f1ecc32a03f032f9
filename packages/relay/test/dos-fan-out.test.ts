// Fairness of fan-out (relay.md §7.8, REL-086), over real sockets and an on-disk store: while one
// anonymous client pushes maximal `multi_send`s back to back (1,000 recipient users, 4,000
// devices each, its fan-out budget opened wide), another client's round trips — a ping, and a
// stored sealed send with its commit — are served between them: they never wait for the whole
// burst, and the longest stays a fraction of it. The figures (baseline, under load, the relay's
// event-loop delay) are printed so regressions show in the log; the bounds are loose because
// the test machine is shared.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { encodeFrame, type MultiSendRecipient } from "@parley/protocol/wire";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deps, messageId, newIdentity, utf8 } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const USERS = 1000;
const DEVICES_PER_USER = 4;
const PAYLOAD_BYTES = 4096;

let t: TestServer;
const token = deps.crypto.randomBytes(32);
let recipients: MultiSendRecipient[];

beforeAll(async () => {
  t = await startTestServer({
    // The attacker's budgets are opened wide so only the fairness of the work itself is measured.
    fanOutDeviceBurst: 1_000_000,
    connectionByteBurst: 64 * 1024 * 1024,
    addressByteBurst: 64 * 1024 * 1024,
    recipientMessageBurst: 100_000,
    sealedAddressMessageBurst: 100_000,
  });
  // 1,000 accounts of four devices each, written to the store directly (registering them over
  // sockets would only test registration).
  const store = t.relay.context.store;
  const tokenHash = deps.crypto.sha256(token);
  recipients = [];
  for (let u = 0; u < USERS; u++) {
    const userId = deps.crypto.randomBytes(16);
    const deviceIds = Array.from({ length: DEVICES_PER_USER }, (_, i) => i + 1);
    for (const deviceId of deviceIds) {
      const device = { userId, deviceId, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) };
      await store.saveDeviceList({
        userId,
        accountKey: new Uint8Array(32),
        deviceList: new Uint8Array(100),
        sequence: 1,
        deviceIds,
        device,
      });
    }
    await store.setDeliveryToken(userId, tokenHash, false);
    recipients.push({ userId, token, devices: deviceIds.map((deviceId) => ({ deviceId, header: deps.crypto.randomBytes(48) })) });
  }
}, 120_000);
afterAll(async () => {
  await t?.stop();
});

const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * p))] ?? 0;

async function roundTrips(victim: SocketClient, sealed: () => Promise<unknown>, stop: () => boolean, min: number) {
  const pings: number[] = [];
  const sends: number[] = [];
  while (!stop() || pings.length < min) {
    let start = performance.now();
    await victim.request({ t: "ping" });
    pings.push(performance.now() - start);
    start = performance.now();
    await sealed();
    sends.push(performance.now() - start);
    await new Promise((r) => setTimeout(r, 2));
  }
  return { pings, sends };
}

describe("fan-out fairness", () => {
  it("a client's ping and sealed-send round trips stay short while another pushes maximal multi_sends", async () => {
    const bob = newIdentity();
    const b = await SocketClient.connect(t.url);
    expect((await b.register(bob)).t).toBe("ok");
    await b.request({ t: "set_delivery_token", open: true });
    const victim = await SocketClient.connect(t.url);
    const sealed = async () => {
      const answer = await victim.request({
        t: "sealed_send",
        userId: bob.account.userId,
        messages: [{ deviceId: 1, messageId: messageId(), envelope: utf8("hi") }],
      });
      expect(answer).toMatchObject({ t: "sent", results: ["OK"] });
    };

    // A warm relay: one fan-out first (the decoder's first large frame costs compilation once per process).
    const warmUp = await SocketClient.connect(t.url);
    expect(await warmUp.request({ t: "multi_send", payload: new Uint8Array(PAYLOAD_BYTES).fill(0xff), recipients })).toMatchObject({
      t: "sent",
    });
    await warmUp.close();
    const baseline = await roundTrips(victim, sealed, () => true, 30);

    const attacker = await SocketClient.connect(t.url);
    const FAN_OUTS = 4;
    // Frames encoded up front: the test measures the relay, not the attacker's encoder.
    const frames = Array.from({ length: FAN_OUTS }, (_, i) =>
      encodeFrame({ t: "multi_send", id: 9000 + i, payload: new Uint8Array(PAYLOAD_BYTES).fill(i), recipients }),
    );
    expect(Math.max(...frames.map((f) => f.length))).toBeLessThanOrEqual(1024 * 1024);
    // Sent raw, so the answers arrive as pushed frames carrying the ids.
    const answered = frames.map((_, i) => attacker.next((f) => "id" in f && f.id === 9000 + i, 100_000));
    let done = false;
    const loop = monitorEventLoopDelay({ resolution: 5 });
    loop.enable();
    const fanOutStart = performance.now();
    for (const frame of frames) attacker.sendRaw(frame);
    const all = Promise.all(answered).then(() => {
      done = true;
    });
    const loaded = await roundTrips(victim, sealed, () => done, 10);
    await all;
    for (const answer of await Promise.all(answered)) expect(answer).toMatchObject({ t: "sent" });
    const fanOutMs = performance.now() - fanOutStart;
    loop.disable();

    const report = {
      fanOuts: FAN_OUTS,
      devicesPerFanOut: USERS * DEVICES_PER_USER,
      frameBytes: frames[0]?.length,
      fanOutTotalMs: Math.round(fanOutMs),
      baselinePingP50: percentile(baseline.pings, 0.5).toFixed(1),
      baselineSendP50: percentile(baseline.sends, 0.5).toFixed(1),
      loadedPingP50: percentile(loaded.pings, 0.5).toFixed(1),
      loadedPingMax: Math.max(...loaded.pings).toFixed(1),
      loadedSendP50: percentile(loaded.sends, 0.5).toFixed(1),
      loadedSendMax: Math.max(...loaded.sends).toFixed(1),
      samples: loaded.pings.length,
      eventLoopDelayMaxMs: (loop.max / 1e6).toFixed(1),
      eventLoopDelayP99Ms: (loop.percentile(99) / 1e6).toFixed(1),
    };
    console.log("fan-out fairness", JSON.stringify(report));
    // Every device of every fan-out is stored.
    expect(await t.relay.context.store.queueDepth({ userId: recipients[0]?.userId as Uint8Array, deviceId: 1 })).toBe(FAN_OUTS + 1);
    // Served between the fan-outs, not after them: several round trips completed during the
    // burst, and the longest wait is well under the burst's length.
    expect(loaded.pings.length).toBeGreaterThanOrEqual(FAN_OUTS);
    expect(Math.max(...loaded.pings)).toBeLessThan(fanOutMs / 2);
    expect(Math.max(...loaded.sends)).toBeLessThan(fanOutMs / 2);
    expect(percentile(loaded.pings, 0.5)).toBeLessThan(150);
    await Promise.all([victim.close(), attacker.close(), b.close()]);
  }, 120_000);
});
