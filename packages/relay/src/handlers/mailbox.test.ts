// Mailbox handlers in-process: durable send → deliver in order → ack deletes; dedupe; queue
// depth, per-recipient rate (N and N+1); sealed sends with delivery tokens; ephemeral frames
// are never stored; expiry leaves a notice; a device touches only its own mailbox.
import { afterEach, describe, expect, it } from "vitest";
import { codeOf, createHarness, type FakeConnection, type Harness, request } from "../../test/harness.js";
import { deps, messageId, newIdentity, type TestIdentity, utf8 } from "../../test/identities.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const to = (who: TestIdentity, envelope = utf8("ciphertext"), id = messageId()) => ({
  userId: who.account.userId,
  deviceId: who.device.deviceId,
  messageId: id,
  envelope,
});

async function reconnect(identity: TestIdentity): Promise<FakeConnection> {
  return h.register(identity);
}

describe("mailboxes", () => {
  it("acks a send after commit, delivers in order to the live device, and deletes on ack", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    const b = await h.register(bob);
    const sends = Array.from({ length: 20 }, (_, i) => to(bob, utf8(`m${i}`)));
    expect(await request(a, { t: "send", messages: sends })).toEqual({ t: "sent", id: expect.any(Number), results: sends.map(() => "OK") });
    const delivered = b.ofType("message");
    expect(delivered.map((m) => new TextDecoder().decode(m.envelope))).toEqual(sends.map((_, i) => `m${i}`));
    expect(codeOf(await request(b, { t: "ack", messageIds: delivered.map((m) => m.messageId) }))).toBe("ok");
    expect(await h.relay.context.store.queueDepth({ userId: bob.account.userId, deviceId: 1 })).toBe(0);
    const again = await reconnect(bob);
    expect(again.ofType("message")).toHaveLength(0);
    expect(again.ofType("queue_empty")).toHaveLength(1);
  });

  it("drains the backlog on reconnect, then sends queue_empty; unacked mail is sent again", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    await h.register(bob);
    await request(a, { t: "send", messages: [to(bob), to(bob), to(bob)] });
    const first = await reconnect(bob);
    expect(first.frames.map((f) => f.t).slice(-4)).toEqual(["message", "message", "message", "queue_empty"]);
    const second = await reconnect(bob);
    expect(second.ofType("message")).toHaveLength(3);
  });

  it("deduplicates a message id per mailbox, also after it was acknowledged", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    const b = await h.register(bob);
    const id = messageId();
    expect(await request(a, { t: "send", messages: [to(bob, utf8("x"), id), to(bob, utf8("x"), id)] })).toMatchObject({
      results: ["OK", "DUPLICATE"],
    });
    await request(b, { t: "ack", messageIds: [id] });
    expect(await request(a, { t: "send", messages: [to(bob, utf8("x"), id)] })).toMatchObject({ results: ["DUPLICATE"] });
    expect(b.ofType("message")).toHaveLength(1);
  });

  it("answers NOT_FOUND per message for a device that does not exist", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const a = await h.register(alice);
    expect(await request(a, { t: "send", messages: [to(newIdentity())] })).toMatchObject({ results: ["NOT_FOUND"] });
  });

  it("answers NOT_FOUND for another user's missing device after earlier sends to that user, whose rate state exists", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    await h.register(bob);
    expect(await request(a, { t: "send", messages: [to(bob)] })).toMatchObject({ results: ["OK"] });
    const missing = { ...to(bob), deviceId: bob.device.deviceId + 1 };
    expect(await request(a, { t: "send", messages: [missing, to(bob)] })).toMatchObject({ results: ["NOT_FOUND", "OK"] });
    expect(await request(a, { t: "send", messages: [missing], ephemeral: true })).toMatchObject({ results: ["NOT_FOUND"] });
  });

  it("holds maxQueueDepth messages and answers QUEUE_FULL for one more (N, N+1)", async () => {
    h = await createHarness({ maxQueueDepth: 5 });
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    await h.register(bob).then((b) => b.conn.close(1000, "offline"));
    const five = Array.from({ length: 5 }, () => to(bob));
    expect(await request(a, { t: "send", messages: five })).toMatchObject({ results: ["OK", "OK", "OK", "OK", "OK"] });
    expect(await request(a, { t: "send", messages: [to(bob)] })).toMatchObject({ results: ["QUEUE_FULL"] });
  });

  it("limits messages per recipient (burst N accepted, N+1 RATE_LIMITED) and refills with time", async () => {
    h = await createHarness({ recipientMessageBurst: 4, recipientMessagesPerSecond: 1 });
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    await h.register(bob);
    const results = (await request(a, { t: "send", messages: Array.from({ length: 5 }, () => to(bob)) })) as { results: readonly string[] };
    expect(results.results).toEqual(["OK", "OK", "OK", "OK", "RATE_LIMITED"]);
    h.clock.now += 1000;
    expect(await request(a, { t: "send", messages: [to(bob)] })).toMatchObject({ results: ["OK"] });
  });

  it("never stores ephemeral frames: delivered live, OFFLINE otherwise", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    const b = await h.register(bob);
    expect(await request(a, { t: "send", ephemeral: true, messages: [to(bob, utf8("typing"))] })).toMatchObject({ results: ["OK"] });
    expect(b.ofType("ephemeral")).toEqual([{ t: "ephemeral", envelope: utf8("typing") }]);
    b.conn.close(1000, "gone");
    expect(await request(a, { t: "send", ephemeral: true, messages: [to(bob)] })).toMatchObject({ results: ["OFFLINE"] });
    expect(await h.relay.context.store.queueDepth({ userId: bob.account.userId, deviceId: 1 })).toBe(0);
  });

  it("expires unread mail after its lifetime and leaves an `expired` notice instead", async () => {
    h = await createHarness({ messageLifetimeMs: 60_000 });
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    (await h.register(bob)).conn.close(1000, "offline");
    await request(a, { t: "send", messages: [to(bob), to(bob)] });
    h.clock.now += 60_000;
    await h.relay.sweep();
    const b = await reconnect(bob);
    expect(b.ofType("expired")).toEqual([{ t: "expired", count: 2, firstAt: expect.any(Number), lastAt: expect.any(Number) }]);
    expect(b.ofType("message")).toHaveLength(0);
    expect((await reconnect(bob)).ofType("expired")).toHaveLength(0);
  });

  it("lets a device ack only its own mailbox", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = newIdentity();
    const mallory = newIdentity();
    const a = await h.register(alice);
    const id = messageId();
    (await h.register(bob)).conn.close(1000, "offline");
    await request(a, { t: "send", messages: [to(bob, utf8("for bob"), id)] });
    const m = await h.register(mallory);
    expect(codeOf(await request(m, { t: "ack", messageIds: [id] }))).toBe("ok");
    expect(m.ofType("message")).toHaveLength(0);
    expect((await reconnect(bob)).ofType("message")).toHaveLength(1);
  });
});

describe("delivery window and group commit", () => {
  it("keeps at most deliveryWindow messages outstanding (N sent, N+1 only after an ack)", async () => {
    h = await createHarness({ deliveryWindow: 3 });
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    (await h.register(bob)).conn.close(1000, "offline");
    await request(a, { t: "send", messages: Array.from({ length: 4 }, (_, i) => to(bob, utf8(`w${i}`))) });
    const b = await reconnect(bob);
    const first = b.ofType("message");
    expect(first).toHaveLength(3);
    expect(b.ofType("queue_empty")).toHaveLength(0);
    await request(b, { t: "ack", messageIds: [first[0]?.messageId as Uint8Array] });
    await new Promise((r) => setImmediate(r));
    expect(b.ofType("message")).toHaveLength(4);
    expect(b.ofType("queue_empty")).toHaveLength(1);
  });

  it("commits every send of one event-loop turn in one transaction and answers each after it", async () => {
    h = await createHarness();
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await h.register(alice);
    await h.register(bob);
    const before =
      (await h.relay.context.metrics.commitBatch.get()).values.find((v) => v.metricName === "parley_commit_batch_size_count")?.value ?? 0;
    const { encodeFrame } = await import("@parley/protocol/wire");
    for (let i = 0; i < 10; i++) h.relay.receive(a.conn, encodeFrame({ t: "send", id: 9000 + i, messages: [to(bob)] }));
    await h.relay.idle(a.conn);
    await new Promise((r) => setImmediate(r));
    const after =
      (await h.relay.context.metrics.commitBatch.get()).values.find((v) => v.metricName === "parley_commit_batch_size_count")?.value ?? 0;
    expect(after - before).toBe(1);
    expect(a.ofType("sent").filter((f) => f.id >= 9000)).toHaveLength(10);
  });
});

describe("sealed sends", () => {
  it("needs the recipient's delivery token by default; the relay keeps only its hash", async () => {
    h = await createHarness();
    const bob = newIdentity();
    const b = await h.register(bob);
    const anonymous = h.connect();
    const sealed = (token?: Uint8Array) =>
      request(anonymous, {
        t: "sealed_send",
        userId: bob.account.userId,
        ...(token ? { token } : {}),
        messages: [{ deviceId: 1, messageId: messageId(), envelope: utf8("sealed") }],
      });
    expect(codeOf(await sealed())).toBe("TOKEN_INVALID");
    const token = deps.crypto.randomBytes(32);
    await request(b, { t: "set_delivery_token", tokenHash: deps.crypto.sha256(token), open: false });
    expect((await h.relay.context.store.getAccount(bob.account.userId))?.tokenHash).toEqual(deps.crypto.sha256(token));
    expect(codeOf(await sealed(deps.crypto.randomBytes(32)))).toBe("TOKEN_INVALID");
    expect(await sealed(token)).toMatchObject({ t: "sent", results: ["OK"] });
    expect(b.ofType("message")).toHaveLength(1);
  });

  it("accepts sealed sends without a token when the user opened them, and answers unknown users like bad tokens", async () => {
    h = await createHarness();
    const bob = newIdentity();
    const b = await h.register(bob);
    await request(b, { t: "set_delivery_token", open: true });
    const anonymous = h.connect();
    const send = (userId: Uint8Array) =>
      request(anonymous, { t: "sealed_send", userId, messages: [{ deviceId: 1, messageId: messageId(), envelope: utf8("x") }] });
    expect(await send(bob.account.userId)).toMatchObject({ results: ["OK"] });
    expect(codeOf(await send(newIdentity().account.userId))).toBe("TOKEN_INVALID");
  });
});

describe("unauthenticated connections", () => {
  it("can do nothing but ping, auth, register, handle lookups and sealed sends", async () => {
    h = await createHarness();
    const bob = newIdentity();
    await h.register(bob);
    const c = h.connect();
    const frames = [
      { t: "send", messages: [to(bob)] },
      { t: "ack", messageIds: [messageId()] },
      { t: "publish_devices", deviceList: bob.deviceList },
      { t: "claim_handle", handle: "mallory" },
      { t: "upload_prekeys" },
      { t: "fetch_bundles", userId: bob.account.userId },
      { t: "set_delivery_token", open: true },
      { t: "blob_ticket", size: 10 },
    ] as const;
    for (const frame of frames) expect(codeOf(await request(c, frame)), frame.t).toBe("UNAUTHORIZED");
    expect(codeOf(await request(c, { t: "ping" }))).toBe("pong");
  });
});
