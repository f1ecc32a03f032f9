// Web Push end to end in-process: a real relay (SQLite, or PostgreSQL with
// PARLEY_TEST_STORE=postgres) sends to a local push-service stub that decrypts per RFC 8291 and
// checks the VAPID JWT independently of the relay's code. Proves: an offline device gets exactly
// one push for a burst, an online one none; the push names no sender and carries no text; 404/410
// and device removal delete the subscription; a slow push service delays no client and is bounded
// by concurrency, queue depth and timeout.
import { createECDH } from "node:crypto";
import { signAuthChallenge } from "@parley/protocol/wire";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Limits } from "../src/limits.js";
import { codeOf, createHarness, type FakeConnection, type Harness, RELAY_ID, request } from "./harness.js";
import { addDevice, deps, messageId, newIdentity, type TestIdentity, utf8 } from "./identities.js";
import { type PushServiceStub, type StubSubscription, startPushServiceStub } from "./push-service-stub.js";

let h: Harness | undefined;
let stub: PushServiceStub | undefined;
afterEach(async () => {
  await h?.close();
  await stub?.close();
  h = undefined;
  stub = undefined;
});

/** Requests the relay's push sender has open right now, and the most at once (counted around the real fetch). */
const inFlight = { now: 0, max: 0 };
const countingFetch: typeof fetch = async (input, init) => {
  inFlight.max = Math.max(inFlight.max, ++inFlight.now);
  try {
    return await fetch(input, init);
  } finally {
    inFlight.now--;
  }
};

async function setUp(limits: Partial<Limits> = {}, subject?: string): Promise<{ h: Harness; stub: PushServiceStub }> {
  inFlight.max = 0;
  h = await createHarness(limits, { push: { allowLoopback: true, fetch: countingFetch, ...(subject ? { subject } : {}) } });
  h.clock.now = Date.now(); // the stub checks the JWT's exp against real time
  const relay = h;
  stub = await startPushServiceStub(() => relay.relay.context.push.vapidPublicKey);
  return { h, stub };
}

const mailboxOf = (who: TestIdentity) => ({ userId: who.account.userId, deviceId: who.device.deviceId });
const subscribe = (c: FakeConnection, sub: StubSubscription) =>
  request(c, { t: "set_push", endpoint: sub.endpoint, p256dh: sub.p256dh, auth: sub.auth });
const mailTo = (to: TestIdentity, text = "hello") => ({
  t: "send" as const,
  messages: [{ userId: to.account.userId, deviceId: to.device.deviceId, messageId: messageId(), envelope: utf8(text) }],
});
async function pushes(harness: Harness): Promise<Record<string, number>> {
  await harness.relay.context.push.sender.idle();
  const metric = await harness.relay.context.metrics.registry.getSingleMetric("parley_pushes_total")?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [String(v.labels.outcome), v.value]));
}
/** Registers `who`, subscribes it to the stub and disconnects it. */
async function offlineWithPush(harness: Harness, service: PushServiceStub, who = newIdentity()) {
  const c = await harness.register(who);
  const sub = service.subscribe();
  expect(codeOf(await subscribe(c, sub))).toBe("ok");
  c.conn.close(1000, "bye");
  return { who, sub, conn: c };
}

describe("web push to offline devices", () => {
  it("sends exactly one push for a burst of 50 messages, and another after the coalescing window", async () => {
    const { h, stub } = await setUp({ pushCoalesceMs: 30_000 });
    const { who: alice, sub } = await offlineWithPush(h, stub);
    const bob = await h.register(newIdentity());
    for (let i = 0; i < 50; i++) expect(codeOf(await request(bob, mailTo(alice, `m${i}`)))).toBe("sent");
    expect(await pushes(h)).toMatchObject({ sent: 1, coalesced: 49 });
    expect(stub.received.map((p) => p.subscription)).toEqual([sub.id]);
    expect(stub.refused).toEqual([]);
    h.clock.now += 29_999;
    await request(bob, mailTo(alice));
    expect((await pushes(h)).sent).toBe(1);
    h.clock.now += 1;
    await request(bob, mailTo(alice));
    expect((await pushes(h)).sent).toBe(2);
    expect(stub.received).toHaveLength(2);
  });

  it("sends no push to a device that is online, and a fresh one right after it goes offline again", async () => {
    const { h, stub } = await setUp();
    const alice = newIdentity();
    const a = await h.register(alice);
    const sub = stub.subscribe();
    await subscribe(a, sub);
    const bob = await h.register(newIdentity());
    for (let i = 0; i < 5; i++) await request(bob, mailTo(alice));
    expect(a.ofType("message")).toHaveLength(5);
    expect(await pushes(h)).toEqual({});
    expect(stub.received).toEqual([]);
    a.conn.close(1000, "bye");
    await request(bob, mailTo(alice));
    expect((await pushes(h)).sent).toBe(1);
    // Connecting resets the window: the next offline period starts with a push at once.
    const again = h.connect();
    await request(again, {
      t: "auth",
      userId: alice.account.userId,
      deviceId: 1,
      signature: signAuthChallenge(deps, alice.device, again.nonce(), RELAY_ID),
    });
    again.conn.close(1000, "bye");
    await request(bob, mailTo(alice));
    expect((await pushes(h)).sent).toBe(2);
  });

  it("carries nothing that identifies the sender or the message: a fixed padded payload and standard headers", async () => {
    const { h, stub } = await setUp();
    const { who: alice } = await offlineWithPush(h, stub);
    const bobIdentity = newIdentity();
    const bob = await h.register(bobIdentity);
    const text = "meet me at the north gate";
    await request(bob, mailTo(alice, text));
    await h.relay.context.push.sender.idle();
    const [push] = stub.received;
    if (!push) throw new Error("no push");
    expect(new TextDecoder().decode(push.plaintext)).toBe('{"t":"mail"}');
    expect(push.paddedLength).toBe(64);
    expect(push.headers.ttl).toBe("86400");
    expect(push.headers.urgency).toBe("high");
    expect(push.headers.topic).toBeUndefined();
    expect(push.jwtClaims).toEqual({ aud: stub.origin, exp: expect.any(Number), sub: "http://relay.test" });
    const forbidden = [bobIdentity.account.userId, alice.account.userId].flatMap((id) => {
      const b = Buffer.from(id);
      return [b.toString("hex"), b.toString("base64"), b.toString("base64url")];
    });
    forbidden.push(text, "north gate");
    const visible = [
      JSON.stringify(push.headers),
      Buffer.from(push.body).toString("latin1"),
      Buffer.from(push.plaintext).toString("latin1"),
    ];
    for (const needle of forbidden) for (const hay of visible) expect(hay.includes(needle), needle).toBe(false);
  });

  it("signs with the operator's contact as the VAPID subject when one is configured", async () => {
    const { h, stub } = await setUp({}, "mailto:ops@relay.example");
    const { who } = await offlineWithPush(h, stub);
    await request(await h.register(newIdentity()), mailTo(who));
    await h.relay.context.push.sender.idle();
    expect(stub.received[0]?.jwtClaims.sub).toBe("mailto:ops@relay.example");
  });

  it("deletes the subscription when the push service answers 410 or 404, and pushes no more", async () => {
    const { h, stub } = await setUp({ pushCoalesceMs: 1000 });
    const bob = await h.register(newIdentity());
    for (const status of [410, 404]) {
      const { who, sub } = await offlineWithPush(h, stub);
      stub.behave(sub.id, { status });
      await request(bob, mailTo(who));
      await h.relay.context.push.sender.idle();
      expect(await h.relay.context.store.getPushSubscription(mailboxOf(who))).toBeUndefined();
      h.clock.now += 1000;
      await request(bob, mailTo(who));
    }
    expect(await pushes(h)).toEqual({ gone: 2 });
  });

  it("deletes the subscription of a device removed from its account, and on clear_push", async () => {
    const { h, stub } = await setUp();
    const alice = newIdentity();
    const phone = await h.register(alice);
    const laptopIdentity = addDevice(alice, 2, [1, 2]);
    const laptop = await h.register(laptopIdentity);
    expect(codeOf(await subscribe(laptop, stub.subscribe()))).toBe("ok");
    expect(codeOf(await subscribe(phone, stub.subscribe()))).toBe("ok");
    expect(await h.relay.context.store.getPushSubscription(mailboxOf(laptopIdentity))).toBeDefined();
    const onlyPhone = addDevice(laptopIdentity, 3, [1], laptopIdentity.listSequence + 1);
    expect(codeOf(await request(phone, { t: "publish_devices", deviceList: onlyPhone.deviceList }))).toBe("ok");
    expect(await h.relay.context.store.getPushSubscription(mailboxOf(laptopIdentity))).toBeUndefined();
    expect(await h.relay.context.store.getPushSubscription(mailboxOf(alice))).toBeDefined();
    expect(codeOf(await request(phone, { t: "clear_push" }))).toBe("ok");
    expect(await h.relay.context.store.getPushSubscription(mailboxOf(alice))).toBeUndefined();
    phone.conn.close(1000, "bye");
    const bob = await h.register(newIdentity());
    await request(bob, mailTo(alice));
    expect(await pushes(h)).toEqual({});
  });

  it("answers clients at once while the push service stalls: at most pushConcurrency requests, each cut at pushTimeoutMs", async () => {
    const { h, stub } = await setUp({ pushConcurrency: 2, pushTimeoutMs: 1000 });
    const devices = [];
    for (let i = 0; i < 5; i++) devices.push(await offlineWithPush(h, stub));
    for (const d of devices) stub.behave(d.sub.id, { stallMs: 10_000 });
    const bob = await h.register(newIdentity());
    const started = performance.now();
    for (const d of devices) expect(codeOf(await request(bob, mailTo(d.who)))).toBe("sent");
    expect(codeOf(await request(bob, { t: "ping" }))).toBe("pong");
    // Six requests answered in less than one push timeout, while five pushes stall.
    expect(performance.now() - started).toBeLessThan(1000);
    const waited = performance.now();
    expect(await pushes(h)).toEqual({ failed: 5 });
    expect(inFlight.max).toBe(2);
    // Three rounds of at most two requests, each cut at 1 s.
    expect(performance.now() - waited).toBeLessThan(5000);
  });

  it(`queues up to pushQueueDepth pushes and drops the next (N and N+1)`, async () => {
    const { h, stub } = await setUp({ pushConcurrency: 1, pushQueueDepth: 2, pushTimeoutMs: 200 });
    const devices = [];
    for (let i = 0; i < 4; i++) devices.push(await offlineWithPush(h, stub));
    for (const d of devices) stub.behave(d.sub.id, { stallMs: 10_000 });
    const bob = await h.register(newIdentity());
    // One batch: one in flight, two queued, the fourth dropped.
    await request(bob, { t: "send", messages: devices.flatMap((d) => mailTo(d.who).messages) });
    expect(await pushes(h)).toEqual({ failed: 3, dropped: 1 });
  });
});

describe("set_push", () => {
  let alice: FakeConnection;
  beforeEach(async () => {
    h = await createHarness();
    alice = await h.register(newIdentity());
  });
  const point = new Uint8Array(createECDH("prime256v1").generateKeys());
  const sub = (endpoint: string, p256dh = point) => ({ t: "set_push" as const, endpoint, p256dh, auth: new Uint8Array(16) });

  it("accepts public https endpoints and refuses http, loopback and private hosts without the test option (VAL-PUSH-2)", async () => {
    expect(codeOf(await request(alice, sub("https://fcm.googleapis.com/fcm/send/abc")))).toBe("ok");
    for (const endpoint of [
      "http://push.example/x",
      "http://127.0.0.1:9/x",
      "https://127.0.0.1/x",
      "https://localhost/x",
      "https://10.1.2.3/x",
      "https://192.168.0.1/x",
      "https://169.254.169.254/x",
      "https://[::1]/x",
      "https://[fd00::1]/x",
    ])
      expect(codeOf(await request(alice, sub(endpoint))), endpoint).toBe("BAD_REQUEST");
  });

  it("refuses a p256dh that is not a point on P-256", async () => {
    const offCurve = Uint8Array.of(4, ...new Uint8Array(64).fill(7));
    expect(codeOf(await request(alice, sub("https://push.example/x", offCurve)))).toBe("BAD_REQUEST");
  });

  it("needs an authenticated device; the VAPID key does not", async () => {
    const anonymous = h?.connect() as FakeConnection;
    expect(codeOf(await request(anonymous, sub("https://push.example/x")))).toBe("UNAUTHORIZED");
    expect(codeOf(await request(anonymous, { t: "clear_push" }))).toBe("UNAUTHORIZED");
    const key = await request(anonymous, { t: "fetch_push_key" });
    expect(key).toMatchObject({ t: "push_key", vapidPublicKey: h?.relay.context.push.vapidPublicKey });
    expect((key as { vapidPublicKey: Uint8Array }).vapidPublicKey[0]).toBe(4);
  });
});
