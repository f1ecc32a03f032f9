// multi_send's own frame limit over a real socket: a multi_send of maxMultiSendFrameBytes is read
// and answered, any other frame over maxFrameBytes gets FRAME_TOO_LARGE even below the multi
// limit, and the WebSocket layer closes with 1009 only past the larger of 4 × maxFrameBytes and
// maxMultiSendFrameBytes (N accepted, N+1 closed).
import { encodeFrame } from "@parley/protocol/wire";
import { Packr } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deps, newIdentity } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const FRAME_LIMIT = 4096;
const MULTI_LIMIT = 64 * 1024;
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxFrameBytes: FRAME_LIMIT, maxMultiSendFrameBytes: MULTI_LIMIT });
});
afterAll(async () => {
  await t.stop();
});

const packr = new Packr({ useRecords: false });
/** A ping of exactly `size` bytes (str16 padding). */
function pingOf(size: number): Uint8Array {
  const base = packr.pack({ v: 1, t: "ping", id: 5, pad: "" }).length;
  const bytes = packr.pack({ v: 1, t: "ping", id: 5, pad: "x".repeat(size - base - 2) });
  expect(bytes.length).toBe(size);
  return bytes;
}

describe("multi_send frame limit over a socket", () => {
  it("reads a multi_send of maxMultiSendFrameBytes, refuses other large frames, and closes with 1009 past the multi limit", async () => {
    const bob = newIdentity();
    const b = await SocketClient.connect(t.url);
    expect((await b.register(bob)).t).toBe("ok");
    await b.request({ t: "set_delivery_token", open: true });
    const c = await SocketClient.connect(t.url);
    const multiOf = (size: number) => {
      const base = {
        t: "multi_send" as const,
        id: 9,
        recipients: [{ userId: bob.account.userId, devices: [{ deviceId: 1, header: deps.crypto.randomBytes(48) }] }],
      };
      const overhead = encodeFrame({ ...base, payload: new Uint8Array(1000) }).length - 1000;
      const bytes = encodeFrame({ ...base, payload: new Uint8Array(size - overhead) });
      expect(bytes.length).toBe(size);
      return bytes;
    };
    c.sendRaw(multiOf(MULTI_LIMIT));
    expect(await c.next((f) => "id" in f && f.id === 9)).toMatchObject({ t: "sent", results: ["OK"] });
    // Over the general limit and below the multi one: answered, not closed.
    c.sendRaw(pingOf(5 * FRAME_LIMIT));
    expect(await c.next((f) => f.t === "error")).toMatchObject({ t: "error", id: 5, code: "FRAME_TOO_LARGE" });
    expect(await c.request({ t: "ping" })).toMatchObject({ t: "pong" });
    c.sendRaw(multiOf(MULTI_LIMIT + 1));
    expect((await c.closed).code).toBe(1009);
    await b.close();
  }, 20_000);
});
