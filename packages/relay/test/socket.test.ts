// Over real sockets with real clients: register, send, deliver, ack, backlog + queue_empty,
// replacement (4001), frame size (N accepted, N+1 → FRAME_TOO_LARGE, past 4N → 1009), connections per address (N, N+1 →
// 4029), blobs over HTTP, health and metrics.
import { Packr } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageId, newIdentity, utf8 } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const FRAME_LIMIT = 4096;
let t: TestServer;
beforeAll(async () => {
  // multi_send's own limit kept at the general one here, so the WebSocket layer's cap is 4 × FRAME_LIMIT.
  t = await startTestServer({
    maxFrameBytes: FRAME_LIMIT,
    maxMultiSendFrameBytes: FRAME_LIMIT,
    maxConnectionsPerAddress: 8,
    maxBlobBytes: 1000,
  });
});
afterAll(async () => {
  await t.stop();
});

describe("relay over WebSocket", () => {
  it("sends a challenge naming the relay, registers, delivers, acks, and drains the backlog after reconnect", async () => {
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await SocketClient.connect(t.url);
    expect(a.challenge?.relayId).toBe(t.httpUrl);
    expect(await a.register(alice)).toMatchObject({ t: "ok" });
    const b = await SocketClient.connect(t.url);
    expect(await b.register(bob)).toMatchObject({ t: "ok" });
    await b.next((f) => f.t === "queue_empty");
    const to = { userId: bob.account.userId, deviceId: 1 };
    expect(await a.request({ t: "send", messages: [{ ...to, messageId: messageId(), envelope: utf8("live") }] })).toMatchObject({
      results: ["OK"],
    });
    const live = await b.next((f) => f.t === "message");
    expect(live.t === "message" && new TextDecoder().decode(live.envelope)).toBe("live");
    if (live.t === "message") await b.request({ t: "ack", messageIds: [live.messageId] });
    await b.close();
    for (let i = 0; i < 3; i++)
      await a.request({ t: "send", messages: [{ ...to, messageId: messageId(), envelope: utf8(`queued ${i}`) }] });
    const b2 = await SocketClient.connect(t.url);
    await b2.auth(bob);
    await b2.next((f) => f.t === "queue_empty");
    expect(b2.ofType("message").map((m) => new TextDecoder().decode(m.envelope))).toEqual(["queued 0", "queued 1", "queued 2"]);
    await Promise.all([a.close(), b2.close()]);
  });

  it("closes the older connection of a device with 4001 when a newer one logs in", async () => {
    const carol = newIdentity();
    const first = await SocketClient.connect(t.url);
    await first.register(carol);
    const second = await SocketClient.connect(t.url);
    await second.auth(carol);
    expect((await first.closed).code).toBe(4001);
    await second.close();
  });

  it("accepts a frame of exactly maxFrameBytes, answers one byte more with FRAME_TOO_LARGE, and closes with 1009 beyond four times the limit", async () => {
    const packr = new Packr({ useRecords: false });
    const padded = (size: number) => {
      const base = packr.pack({ v: 1, t: "ping", id: 5, pad: "" }).length;
      // str8 holds up to 255 bytes, str16 adds 2 header bytes beyond that.
      const padLength = size - base - 2;
      const bytes = packr.pack({ v: 1, t: "ping", id: 5, pad: "x".repeat(padLength) });
      expect(bytes.length).toBe(size);
      return bytes;
    };
    const c = await SocketClient.connect(t.url);
    c.sendRaw(padded(FRAME_LIMIT));
    expect(await c.next((f) => f.t === "pong" || f.t === "error")).toEqual({ t: "pong", id: 5 });
    c.sendRaw(padded(FRAME_LIMIT + 1));
    expect(await c.next((f) => f.t === "error")).toMatchObject({ t: "error", id: 5, code: "FRAME_TOO_LARGE" });
    expect(await c.request({ t: "ping" })).toMatchObject({ t: "pong" });
    c.sendRaw(padded(4 * FRAME_LIMIT));
    expect(await c.next((f) => f.t === "error" && c.pushed.filter((e) => e.t === "error").length === 2)).toMatchObject({
      code: "FRAME_TOO_LARGE",
    });
    c.sendRaw(padded(4 * FRAME_LIMIT + 1));
    expect((await c.closed).code).toBe(1009);
  }, 20_000);

  it("answers a text frame with INVALID_FRAME", async () => {
    const c = await SocketClient.connect(t.url);
    c.ws.send("hello");
    expect(await c.next((f) => f.t === "error")).toMatchObject({ code: "INVALID_FRAME" });
    await c.close();
  });

  it("allows maxConnectionsPerAddress connections and closes one more with 4029", async () => {
    const clients = await Promise.all(Array.from({ length: 8 }, () => SocketClient.connect(t.url)));
    await expect(SocketClient.connect(t.url)).rejects.toThrow("closed with 4029");
    await Promise.all(clients.map((c) => c.close()));
    await new Promise((r) => setTimeout(r, 50)); // the relay sees the closes
    const again = await SocketClient.connect(t.url);
    expect(again.challenge).toBeDefined();
    await again.close();
  });

  it("stores blobs uploaded with a capability and serves them by id; refuses wrong capabilities and sizes", async () => {
    const dave = newIdentity();
    const c = await SocketClient.connect(t.url);
    await c.register(dave);
    expect(await c.request({ t: "blob_ticket", size: 1001 })).toMatchObject({ t: "error", code: "BLOB_TOO_LARGE" });
    const ticket = await c.request({ t: "blob_ticket", size: 1000 });
    if (ticket.t !== "blob_granted") throw new Error("no ticket");
    const url = `${t.httpUrl}/blobs/${ticket.blobId}`;
    const body = new Uint8Array(1000).fill(42);
    expect((await fetch(url, { method: "PUT", body, headers: { authorization: "Bearer wrong" } })).status).toBe(401);
    expect(
      (await fetch(url, { method: "PUT", body: new Uint8Array(1001), headers: { authorization: `Bearer ${ticket.capability}` } })).status,
    ).toBe(413);
    expect((await fetch(url)).status).toBe(404);
    expect((await fetch(url, { method: "PUT", body, headers: { authorization: `Bearer ${ticket.capability}` } })).status).toBe(201);
    const got = await fetch(url);
    expect(got.status).toBe(200);
    expect(new Uint8Array(await got.arrayBuffer())).toEqual(body);
    expect((await fetch(url, { method: "PUT", body, headers: { authorization: `Bearer ${ticket.capability}` } })).status).toBe(409);
    await c.close();
  });

  it("serves /healthz and parley_* metrics", async () => {
    expect(await (await fetch(`${t.httpUrl}/healthz`)).json()).toEqual({ status: "ok" });
    const metrics = await (await fetch(`${t.httpUrl}/metrics`)).text();
    expect(metrics).toContain("parley_messages_stored_total");
    expect(metrics).toContain("parley_commit_batch_size");
    const names = metrics.split("\n").filter((line) => line !== "" && !line.startsWith("#"));
    expect(names.every((line) => line.startsWith("parley_"))).toBe(true);
  });
});
