// One account cannot silence another (issue 13, relay items 3 and 6): rate limits are keyed on
// (sender, recipient), each sender holds a bounded share of a mailbox, sealed sends are keyed
// per anonymous connection, unknown recipients create no rate state, and ephemeral sends say
// NOT_FOUND for a mailbox that does not exist and OFFLINE for one that is not connected.
import { afterEach, describe, expect, it } from "vitest";
import { codeOf, createHarness, type Harness, request } from "./harness.js";
import { messageId, newIdentity, type TestIdentity, utf8 } from "./identities.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const to = (who: TestIdentity, envelope = utf8("ciphertext")) => ({
  userId: who.account.userId,
  deviceId: who.device.deviceId,
  messageId: messageId(),
  envelope,
});
const results = async (...args: Parameters<typeof request>) => ((await request(...args)) as { results: readonly string[] }).results;

describe("fair limits between senders", () => {
  it("a flooder's rate limit (burst N, N+1 refused) leaves an honest sender to the same recipient untouched", async () => {
    h = await createHarness({ recipientMessageBurst: 4, recipientMessagesPerSecond: 1 });
    const [alice, bob, mallory] = [newIdentity(), newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const m = await h.register(mallory);
    await h.register(bob);
    expect(await results(m, { t: "send", messages: Array.from({ length: 5 }, () => to(bob)) })).toEqual([
      "OK",
      "OK",
      "OK",
      "OK",
      "RATE_LIMITED",
    ]);
    expect(await results(a, { t: "send", messages: [to(bob)] })).toEqual(["OK"]);
  });

  it("a sender may hold maxQueuedPerSender messages in a mailbox (N, N+1 → QUEUE_FULL) while others still get OK", async () => {
    h = await createHarness({ maxQueuedPerSender: 3, maxQueueDepth: 10 });
    const [alice, bob, mallory] = [newIdentity(), newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const m = await h.register(mallory);
    await h.register(bob);
    expect(await results(m, { t: "send", messages: [to(bob), to(bob), to(bob), to(bob)] })).toEqual(["OK", "OK", "OK", "QUEUE_FULL"]);
    expect(await results(m, { t: "send", messages: [to(bob)] })).toEqual(["QUEUE_FULL"]);
    expect(await results(a, { t: "send", messages: [to(bob), to(bob)] })).toEqual(["OK", "OK"]);
  });

  it("gives a sender its share back when the recipient acknowledges", async () => {
    h = await createHarness({ maxQueuedPerSender: 2 });
    const [bob, mallory] = [newIdentity(), newIdentity()];
    const m = await h.register(mallory);
    const b = await h.register(bob);
    expect(await results(m, { t: "send", messages: [to(bob), to(bob), to(bob)] })).toEqual(["OK", "OK", "QUEUE_FULL"]);
    const delivered = b.ofType("message").map((f) => f.messageId);
    expect(delivered).toHaveLength(2);
    expect(codeOf(await request(b, { t: "ack", messageIds: delivered }))).toBe("ok");
    expect(await results(m, { t: "send", messages: [to(bob)] })).toEqual(["OK"]);
  });

  it("keys sealed sends per anonymous connection: one connection's flood leaves another's sends OK", async () => {
    h = await createHarness({ maxQueuedPerSender: 2, recipientMessageBurst: 3, recipientMessagesPerSecond: 1 });
    const bob = newIdentity();
    const b = await h.register(bob);
    expect(codeOf(await request(b, { t: "set_delivery_token", open: true }))).toBe("ok");
    const sealed = (n: number) => ({
      t: "sealed_send" as const,
      userId: bob.account.userId,
      messages: Array.from({ length: n }, () => ({ deviceId: 1, messageId: messageId(), envelope: utf8("x") })),
    });
    const flooder = h.connect();
    expect(await results(flooder, sealed(3))).toEqual(["OK", "OK", "QUEUE_FULL"]);
    expect(await results(flooder, sealed(1))).toEqual(["RATE_LIMITED"]);
    const honest = h.connect();
    expect(await results(honest, sealed(2))).toEqual(["OK", "OK"]);
  });

  it("caps sealed sends from one address across its connections: maxQueuedPerAddress and sealedAddressMessageBurst (N, N+1)", async () => {
    h = await createHarness({ maxQueuedPerAddress: 3, sealedAddressMessageBurst: 5, sealedAddressMessagesPerSecond: 1 });
    const bob = newIdentity();
    const b = await h.register(bob);
    expect(codeOf(await request(b, { t: "set_delivery_token", open: true }))).toBe("ok");
    const sealed = (n: number, ephemeral = false) => ({
      t: "sealed_send" as const,
      userId: bob.account.userId,
      ephemeral,
      messages: Array.from({ length: n }, () => ({ deviceId: 1, messageId: messageId(), envelope: utf8("x") })),
    });
    // Harness connections share one (unknown) address.
    expect(await results(h.connect(), sealed(2))).toEqual(["OK", "OK"]);
    expect(await results(h.connect(), sealed(2))).toEqual(["OK", "QUEUE_FULL"]);
    // Five messages of the address's burst are spent; the sixth is refused.
    expect(await results(h.connect(), sealed(2, true))).toEqual(["OK", "RATE_LIMITED"]);
  });

  it("creates no rate state for a recipient that does not exist", async () => {
    h = await createHarness();
    const [alice, ghost] = [newIdentity(), newIdentity()];
    const a = await h.register(alice);
    expect(await results(a, { t: "send", messages: Array.from({ length: 50 }, () => to(ghost)) })).toEqual(new Array(50).fill("NOT_FOUND"));
    expect(h.relay.context.sendBuckets.size).toBe(0);
  });

  it("answers an ephemeral send NOT_FOUND for a missing mailbox and OFFLINE for a device that is not connected", async () => {
    h = await createHarness();
    const [alice, bob, ghost] = [newIdentity(), newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const b = await h.register(bob);
    b.conn.close(1000, "gone");
    expect(await results(a, { t: "send", ephemeral: true, messages: [to(ghost), to(bob), { ...to(bob), deviceId: 9 }] })).toEqual([
      "NOT_FOUND",
      "OFFLINE",
      "NOT_FOUND",
    ]);
  });
});
