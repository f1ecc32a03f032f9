// The push sender on its own, with a real store and a real loopback HTTP server: whatever the
// push service does (500, 410, a stall past the timeout, a refused connection), the logs name
// the endpoint's origin only, never its path (a capability); stop() drops what is queued.
import { createECDH } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../limits.js";
import { createMetrics } from "../metrics.js";
import { openSqliteStore } from "../store/sqlite-store.js";
import type { Store } from "../store/store.js";
import { createPushMetrics } from "./push-metrics.js";
import { PushSender } from "./push-sender.js";
import { loadVapidKey } from "./vapid.js";

const SECRET_PATH = "capability-7f3a9c";
let server: Server | undefined;
let store: Store | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await store?.close();
  server = undefined;
});

async function pushService(answer: (respond: (status: number) => void) => void): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    req.on("end", () => answer((status) => res.writeHead(status).end()));
  });
  await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function senderFor(endpoint: string, deviceIds = [1], pushTimeoutMs = 200) {
  store = openSqliteStore(":memory:");
  const userId = new Uint8Array(16).fill(9);
  await store.saveDeviceList({
    userId,
    accountKey: new Uint8Array(32),
    deviceList: new Uint8Array([1]),
    sequence: 1,
    deviceIds,
    device: { userId, deviceId: 1, certificate: new Uint8Array(173), signingKey: new Uint8Array(32) },
  });
  const sub = {
    endpoint: `${endpoint}/${SECRET_PATH}`,
    p256dh: new Uint8Array(createECDH("prime256v1").generateKeys()),
    auth: new Uint8Array(16),
  };
  await store.setPushSubscription({ userId, deviceId: 1 }, sub);
  let logged = "";
  const log = pino(
    { level: "debug" },
    new Writable({
      write(chunk, _encoding, done) {
        logged += String(chunk);
        done();
      },
    }),
  );
  const metrics = createPushMetrics(createMetrics().registry);
  const sender = new PushSender({
    store,
    limits: { ...DEFAULT_LIMITS, pushTimeoutMs, pushConcurrency: 1 },
    key: await loadVapidKey(store),
    subject: () => "https://relay.example",
    now: Date.now,
    random: (n) => new Uint8Array(n),
    log,
    metrics,
    allowLoopback: true,
  });
  const outcomes = async () => Object.fromEntries((await metrics.pushes.get()).values.map((v) => [String(v.labels.outcome), v.value]));
  return { sender, mailbox: { userId, deviceId: 1 }, logs: () => logged, outcomes };
}

describe("PushSender", () => {
  for (const [name, behaviour] of [
    ["a 500", (respond: (status: number) => void) => respond(500)],
    ["a 410", (respond: (status: number) => void) => respond(410)],
    ["a stall past the timeout", () => undefined],
  ] as const) {
    it(`logs the origin and never the endpoint's path after ${name}`, async () => {
      const origin = await pushService(behaviour);
      const { sender, mailbox, logs } = await senderFor(origin);
      sender.offline(mailbox);
      await sender.idle();
      expect(logs()).toContain(origin);
      expect(logs()).not.toContain(SECRET_PATH);
    });
  }

  it("logs the origin only when the push service refuses the connection", async () => {
    const origin = await pushService((respond) => respond(201));
    server?.close();
    server?.closeAllConnections();
    await new Promise((resolve) => setTimeout(resolve, 20));
    server = undefined;
    const { sender, mailbox, logs, outcomes } = await senderFor(origin);
    sender.offline(mailbox);
    await sender.idle();
    expect(await outcomes()).toEqual({ failed: 1 });
    expect(logs()).toContain("network");
    expect(logs()).not.toContain(SECRET_PATH);
  });

  it("drops what is queued on stop, aborts what is in flight at once, and sends nothing after it", async () => {
    const origin = await pushService(() => undefined);
    const { sender, mailbox, outcomes } = await senderFor(origin, [1], 60_000);
    const other = { userId: new Uint8Array(16).fill(8), deviceId: 1 };
    sender.offline(mailbox);
    sender.offline(other);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the first request reaches the stalled service
    const started = performance.now();
    await sender.stop();
    expect(performance.now() - started).toBeLessThan(1000);
    sender.offline({ userId: new Uint8Array(16).fill(7), deviceId: 1 });
    expect(await outcomes()).toEqual({ failed: 1, dropped: 1 });
  });
});
