// Delivery from the committed batch: a caught-up device gets new mail without the pump reading
// it back, in order, within its window; what does not fit is read from the store later, never
// lost or sent twice. Acks of mail delivered on the connection delete by seq; acks of ids from
// an earlier connection still work.
import { afterEach, describe, expect, it, vi } from "vitest";
import { codeOf, createHarness, type Harness, request } from "../../test/harness.js";
import { messageId, newIdentity, type TestIdentity, utf8 } from "../../test/identities.js";

let h: Harness;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
});

const to = (who: TestIdentity, text: string, id = messageId()) => ({
  userId: who.account.userId,
  deviceId: who.device.deviceId,
  messageId: id,
  envelope: utf8(text),
});
/** Registers `who` with sealed sends open to anyone (no delivery token needed). */
async function openMailbox(who: TestIdentity) {
  const conn = await h.register(who);
  expect(codeOf(await request(conn, { t: "set_delivery_token", open: true }))).toBe("ok");
  return conn;
}
const recipient = (who: TestIdentity) => ({
  userId: who.account.userId,
  devices: [{ deviceId: who.device.deviceId, header: new Uint8Array(48).fill(who.device.deviceId + 4) }],
});
const texts = (frames: { envelope: Uint8Array }[]) => frames.map((m) => new TextDecoder().decode(m.envelope));

describe("delivery from the committed batch", () => {
  it("sends a caught-up device its new mail without reading the store, in order", async () => {
    h = await createHarness();
    const [alice, bob] = [newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const b = await h.register(bob);
    expect(b.ofType("queue_empty")).toHaveLength(1);
    const fetch = vi.spyOn(h.relay.context.store, "fetchMessages");
    const sends = Array.from({ length: 30 }, (_, i) => to(bob, `m${i}`));
    await request(a, { t: "send", messages: sends.slice(0, 10) });
    await request(a, { t: "send", messages: sends.slice(10) });
    expect(texts(b.ofType("message"))).toEqual(sends.map((_, i) => `m${i}`));
    expect(fetch).not.toHaveBeenCalled();
  });

  it("hands over a fan-out's rows whole: the same bytes a reconnecting device reads from the store", async () => {
    h = await createHarness();
    const [alice, bob, carol] = [newIdentity(), newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const b = await openMailbox(bob);
    await openMailbox(carol);
    const fetch = vi.spyOn(h.relay.context.store, "fetchMessages");
    const answer = await request(a, {
      t: "multi_send",
      payload: utf8(`${"x".repeat(393)}payload`),
      recipients: [recipient(bob), recipient(carol)],
    });
    expect(answer).toMatchObject({ results: ["OK", "OK"] });
    const handed = b.ofType("message");
    expect(handed).toHaveLength(1);
    expect(fetch).not.toHaveBeenCalled();
    const again = await h.register(bob);
    expect(again.ofType("message").map((m) => m.envelope)).toEqual(handed.map((m) => m.envelope));
    expect(texts(handed)[0]?.endsWith("payload")).toBe(true);
  });

  it("sends a full window from the batch and the rest from the store after acks: each message once", async () => {
    const window = 5;
    h = await createHarness({ deliveryWindow: window });
    const [alice, bob] = [newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const b = await h.register(bob);
    const sends = Array.from({ length: window + 3 }, (_, i) => to(bob, `m${i}`));
    await request(a, { t: "send", messages: sends });
    // N fit the window; N+1 waits.
    expect(texts(b.ofType("message"))).toEqual(sends.slice(0, window).map((_, i) => `m${i}`));
    const fetch = vi.spyOn(h.relay.context.store, "fetchMessages");
    expect(codeOf(await request(b, { t: "ack", messageIds: b.ofType("message").map((m) => m.messageId) }))).toBe("ok");
    expect(fetch).toHaveBeenCalled();
    expect(texts(b.ofType("message"))).toEqual(sends.map((_, i) => `m${i}`));
    // Caught up again: the next send is handed over.
    fetch.mockClear();
    await request(b, {
      t: "ack",
      messageIds: b
        .ofType("message")
        .slice(window)
        .map((m) => m.messageId),
    });
    fetch.mockClear();
    await request(a, { t: "send", messages: [to(bob, "late")] });
    expect(texts(b.ofType("message")).at(-1)).toBe("late");
    expect(b.ofType("message")).toHaveLength(window + 4);
    expect(fetch).not.toHaveBeenCalled();
  });

  it("reads nothing on an ack from a caught-up device (everything committed was sent)", async () => {
    h = await createHarness();
    const [alice, bob] = [newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const b = await h.register(bob);
    await request(a, { t: "send", messages: [to(bob, "one"), to(bob, "two")] });
    const fetch = vi.spyOn(h.relay.context.store, "fetchMessages");
    expect(codeOf(await request(b, { t: "ack", messageIds: b.ofType("message").map((m) => m.messageId) }))).toBe("ok");
    expect(fetch).not.toHaveBeenCalled();
    await request(a, { t: "send", messages: [to(bob, "three")] });
    expect(texts(b.ofType("message"))).toEqual(["one", "two", "three"]);
  });

  it("reads the store itself when the relay is not the store's only writer", async () => {
    const [alice, bob] = [newIdentity(), newIdentity()];
    h = await createHarness({}, { sharedStore: true });
    const a = await h.register(alice);
    const b = await h.register(bob);
    const fetch = vi.spyOn(h.relay.context.store, "fetchMessages");
    await request(a, { t: "send", messages: [to(bob, "x")] });
    expect(texts(b.ofType("message"))).toEqual(["x"]);
    expect(fetch).toHaveBeenCalled();
  });
});

describe("acks by seq", () => {
  it("deletes acknowledged mail and remembers its ids, for mail of this connection and of an earlier one", async () => {
    h = await createHarness();
    const [alice, bob] = [newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const first = await h.register(bob);
    const ack = vi.spyOn(h.relay.context.store, "ack");
    const ids = [messageId(), messageId(), messageId()];
    await request(a, { t: "send", messages: ids.map((id, i) => to(bob, `m${i}`, id)) });
    expect(first.ofType("message")).toHaveLength(3);
    // Acked on this connection: the store gets the seqs the pump sent them with.
    await request(first, { t: "ack", messageIds: [ids[0] as Uint8Array] });
    expect(ack.mock.calls.at(-1)?.[0][0]?.seqs).toEqual([expect.any(Number)]);
    expect(ack.mock.calls.at(-1)?.[0][0]?.seqs?.[0]).toBeGreaterThan(0);
    // A new connection gets the other two again; an ack of an id it did not deliver (none) has no seq.
    const second = await h.register(bob);
    expect(texts(second.ofType("message"))).toEqual(["m1", "m2"]);
    await request(second, { t: "ack", messageIds: [ids[1] as Uint8Array, ids[0] as Uint8Array] });
    expect(ack.mock.calls.at(-1)?.[0][0]?.seqs?.[1]).toBe(0);
    await request(second, { t: "ack", messageIds: [ids[2] as Uint8Array] });
    const mailbox = { userId: bob.account.userId, deviceId: bob.device.deviceId };
    expect(await h.relay.context.store.queueDepth(mailbox)).toBe(0);
    // Every id is remembered: sending any again is a duplicate.
    expect(await request(a, { t: "send", messages: ids.map((id) => to(bob, "again", id)) })).toMatchObject({
      results: ["DUPLICATE", "DUPLICATE", "DUPLICATE"],
    });
  });

  it("keeps a fan-out's shared payload until its last row is acknowledged", async () => {
    h = await createHarness();
    const [alice, bob, carol] = [newIdentity(), newIdentity(), newIdentity()];
    const a = await h.register(alice);
    const b = await openMailbox(bob);
    const c = await openMailbox(carol);
    const answer = await request(a, {
      t: "multi_send",
      payload: utf8(`${"y".repeat(394)}shared`),
      recipients: [recipient(bob), recipient(carol)],
    });
    expect(answer).toMatchObject({ results: ["OK", "OK"] });
    const handed = c.ofType("message").map((m) => m.envelope);
    await request(b, { t: "ack", messageIds: b.ofType("message").map((m) => m.messageId) });
    // Carol, reconnecting, still gets the whole envelope from the store.
    const again = await h.register(carol);
    expect(again.ofType("message").map((m) => m.envelope)).toEqual(handed);
  });
});
