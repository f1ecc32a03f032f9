// Bounded memory per non-reading connection (issue 13, relay item 2), over real sockets on
// 127.0.0.1: a device that stops reading makes mailbox delivery pause (and resume once it reads
// again), ephemeral frames for it are dropped and the sender told DROPPED, the relay's buffered
// bytes for it stay near sendBufferHighWaterBytes, and a socket that stays full past
// sendStallTimeoutMs is closed. Also the login deadline: a socket that never authenticates is
// closed with 4002.
import type { Socket } from "node:net";
import { CloseCode, SendResult } from "@parley/protocol/wire";
import { afterEach, describe, expect, it } from "vitest";
import type { Connection } from "../src/connection.js";
import { mailboxKey } from "../src/delivery/live-devices.js";
import type { Limits } from "../src/limits.js";
import { messageId, newIdentity, type TestIdentity } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const HIGH_WATER = 256 * 1024;
const ENVELOPE = 60 * 1024;
let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

async function start(limits: Partial<Limits>): Promise<TestServer> {
  t = await startTestServer({
    sendBufferHighWaterBytes: HIGH_WATER,
    connectionByteBurst: 256 * 1024 * 1024,
    connectionFrameBurst: 100_000,
    recipientMessageBurst: 100_000,
    ...limits,
  });
  return t;
}

async function device(server: TestServer, identity: TestIdentity): Promise<SocketClient> {
  const c = await SocketClient.connect(server.url);
  expect((await c.register(identity)).t).toBe("ok");
  return c;
}

/** The relay-side connection of a device. */
const serverSide = (server: TestServer, who: TestIdentity): Connection | undefined =>
  server.relay.context.live.get(mailboxKey({ userId: who.account.userId, deviceId: who.device.deviceId }));

const pause = (c: SocketClient) => (c.ws as unknown as { _socket: Socket })._socket.pause();
const resume = (c: SocketClient) => (c.ws as unknown as { _socket: Socket })._socket.resume();
const to = (who: TestIdentity) => ({
  userId: who.account.userId,
  deviceId: who.device.deviceId,
  messageId: messageId(),
  envelope: new Uint8Array(ENVELOPE).fill(1),
});

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}

/** Sends ephemeral frames to `bob` until one is not OK (at most `max`); returns that result and the largest buffered amount seen. */
async function floodEphemeral(server: TestServer, alice: SocketClient, bob: TestIdentity, max: number) {
  let maxBuffered = 0;
  for (let i = 0; i < max; i++) {
    const answer = (await alice.request({ t: "send", ephemeral: true, messages: [to(bob)] })) as { results: readonly string[] };
    maxBuffered = Math.max(maxBuffered, serverSide(server, bob)?.transport.bufferedAmount ?? 0);
    if (answer.results[0] !== SendResult.Ok) return { result: answer.results[0], sent: i, maxBuffered };
  }
  return { result: SendResult.Ok, sent: max, maxBuffered };
}

describe("a connection that stops reading", () => {
  it("gets no more ephemeral frames once its socket is full: the sender is told DROPPED and the buffer stays bounded", async () => {
    const server = await start({ sendStallTimeoutMs: 60_000 });
    const [aliceId, bobId] = [newIdentity(), newIdentity()];
    const alice = await device(server, aliceId);
    const bob = await device(server, bobId);
    pause(bob);
    const flood = await floodEphemeral(server, alice, bobId, 600);
    expect(flood.result).toBe(SendResult.Dropped);
    expect(flood.maxBuffered).toBeLessThanOrEqual(HIGH_WATER + 2 * ENVELOPE);
    await alice.close();
    bob.ws.terminate();
  }, 30_000);

  it("pauses mailbox delivery on backpressure and resumes it when the device reads again", async () => {
    const server = await start({ sendStallTimeoutMs: 60_000 });
    const [aliceId, bobId] = [newIdentity(), newIdentity()];
    const alice = await device(server, aliceId);
    const bob = await device(server, bobId);
    await bob.next((f) => f.t === "queue_empty");
    pause(bob);
    const count = 300;
    let maxBuffered = 0;
    for (let i = 0; i < count; i++) {
      const answer = (await alice.request({ t: "send", messages: [to(bobId)] })) as { results: readonly string[] };
      expect(answer.results).toEqual(["OK"]);
      maxBuffered = Math.max(maxBuffered, serverSide(server, bobId)?.transport.bufferedAmount ?? 0);
    }
    await new Promise((r) => setTimeout(r, 100));
    maxBuffered = Math.max(maxBuffered, serverSide(server, bobId)?.transport.bufferedAmount ?? 0);
    expect(maxBuffered).toBeLessThanOrEqual(HIGH_WATER + 2 * ENVELOPE);
    resume(bob);
    expect(await until(() => bob.ofType("message").length === count, 20_000)).toBe(true);
    await alice.close();
    await bob.close();
  }, 60_000);

  it("is closed once its socket stays full past sendStallTimeoutMs", async () => {
    const server = await start({ sendStallTimeoutMs: 300 });
    const [aliceId, bobId] = [newIdentity(), newIdentity()];
    const alice = await device(server, aliceId);
    const bob = await device(server, bobId);
    pause(bob);
    const flood = await floodEphemeral(server, alice, bobId, 600);
    expect(flood.result).toBe(SendResult.Dropped);
    expect(await until(() => serverSide(server, bobId) === undefined, 5_000)).toBe(true);
    const closes = await server.relay.context.metrics.closes.get();
    expect(closes.values.find((v) => v.labels.code === String(CloseCode.SlowConsumer))?.value).toBe(1);
    await alice.close();
    bob.ws.terminate();
  }, 30_000);
});

describe("sendBufferMaxBytes", () => {
  it("closes a connection at once when its send buffer reaches the maximum (here set below the high-water mark)", async () => {
    const max = 256 * 1024;
    const server = await start({ sendBufferHighWaterBytes: 64 * 1024 * 1024, sendBufferMaxBytes: max, sendStallTimeoutMs: 60_000 });
    const [aliceId, bobId] = [newIdentity(), newIdentity()];
    const alice = await device(server, aliceId);
    const bob = await device(server, bobId);
    pause(bob);
    let maxBuffered = 0;
    for (let i = 0; i < 600 && serverSide(server, bobId) !== undefined; i++) {
      await alice.request({ t: "send", ephemeral: true, messages: [to(bobId)] });
      maxBuffered = Math.max(maxBuffered, serverSide(server, bobId)?.transport.bufferedAmount ?? 0);
    }
    expect(serverSide(server, bobId)).toBeUndefined();
    // The frame that crossed the maximum is the last one it got.
    expect(maxBuffered).toBeLessThanOrEqual(max + 2 * ENVELOPE);
    const closes = await server.relay.context.metrics.closes.get();
    expect(closes.values.find((v) => v.labels.code === String(CloseCode.SlowConsumer))?.value).toBe(1);
    await alice.close();
    bob.ws.terminate();
  }, 30_000);
});

describe("the login deadline", () => {
  it("closes a socket that has not authenticated within loginTimeoutMs with 4002, and not an authenticated one", async () => {
    const server = await start({ loginTimeoutMs: 300 });
    const idle = await SocketClient.connect(server.url);
    const device1 = await device(server, newIdentity());
    const closed = await Promise.race([idle.closed, new Promise((r) => setTimeout(() => r(undefined), 3_000))]);
    expect(closed).toMatchObject({ code: CloseCode.LoginTimeout });
    await new Promise((r) => setTimeout(r, 400));
    expect(device1.closeInfo).toBeUndefined();
    expect(await device1.request({ t: "ping" })).toMatchObject({ t: "pong" });
    await device1.close();
  }, 20_000);
});
