// Admission and the per-connection inbox (issue 13, relay item 1): frames are charged by bytes
// as well as by count (burst N bytes accepted, one byte more refused), a frame over
// maxFrameBytes gets a typed FRAME_TOO_LARGE, and frames still queued when a connection closes
// are dropped without being decoded.
import { encodeFrame } from "@parley/protocol/wire";
import { Packr } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import { createHarness, type Harness } from "./harness.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

const packr = new Packr({ useRecords: false });
/** A ping of exactly `size` bytes (padded with an unknown string field). */
function pingOf(size: number, id: number): Uint8Array {
  const base = packr.pack({ v: 1, t: "ping", id, pad: "" }).length - 1; // without the empty string's 1-byte header
  // A string of n bytes has a 1 (n ≤ 31), 2 (n ≤ 255) or 3-byte header.
  const n =
    [1, 2, 3].map((header) => size - base - header).find((len) => len >= 0 && (len <= 31 ? 1 : len <= 255 ? 2 : 3) === size - base - len) ??
    0;
  const bytes = packr.pack({ v: 1, t: "ping", id, pad: "x".repeat(n) });
  if (bytes.length !== size) throw new Error(`padding gave ${bytes.length}, wanted ${size}`);
  return bytes;
}

async function framesHandled(type: string): Promise<number> {
  const metric = await h.relay.context.metrics.frames.get();
  return metric.values.find((v) => v.labels.type === type)?.value ?? 0;
}

describe("admission by bytes", () => {
  it("accepts connectionByteBurst bytes at once and refuses the next frame with RATE_LIMITED until it refills", async () => {
    h = await createHarness({ connectionByteBurst: 1000, connectionBytesPerSecond: 10 });
    const c = h.connect();
    await c.sendBytes(pingOf(500, 1));
    await c.sendBytes(pingOf(500, 2));
    expect(c.response(2)).toEqual({ t: "pong", id: 2 });
    await c.sendBytes(pingOf(50, 3));
    expect(c.response(3)).toMatchObject({ t: "error", code: "RATE_LIMITED" });
    h.clock.now += 10_000;
    await c.sendBytes(pingOf(50, 4));
    expect(c.response(4)).toEqual({ t: "pong", id: 4 });
  });

  it("shares addressByteBurst between the connections of one address (N accepted, the next frame refused)", async () => {
    h = await createHarness({ addressByteBurst: 1000, addressBytesPerSecond: 10 });
    const [c1, c2] = [h.connect(), h.connect()];
    await c1.sendBytes(pingOf(500, 1));
    await c2.sendBytes(pingOf(500, 2));
    expect([c1.response(1), c2.response(2)]).toEqual([
      { t: "pong", id: 1 },
      { t: "pong", id: 2 },
    ]);
    await c2.sendBytes(pingOf(50, 3));
    expect(c2.response(3)).toMatchObject({ t: "error", code: "RATE_LIMITED" });
  });

  it("answers a frame over maxFrameBytes with FRAME_TOO_LARGE (N accepted, N+1 refused) and keeps the connection", async () => {
    h = await createHarness({ maxFrameBytes: 600 });
    const c = h.connect();
    await c.sendBytes(pingOf(600, 1));
    expect(c.response(1)).toEqual({ t: "pong", id: 1 });
    await c.sendBytes(pingOf(601, 2));
    expect(c.response(2)).toMatchObject({ t: "error", code: "FRAME_TOO_LARGE" });
    expect(c.closedWith).toBeUndefined();
    await c.send({ t: "ping", id: 3 });
    expect(c.response(3)).toEqual({ t: "pong", id: 3 });
  });
});

describe("duplicate map keys", () => {
  it("are answered INVALID_FRAME (another decoder might read the other copy)", async () => {
    h = await createHarness();
    const c = h.connect();
    // {v: 1, t: "ping", id: 7, id: 8}
    await c.sendBytes(
      Uint8Array.from([0x84, 0xa1, 0x76, 1, 0xa1, 0x74, 0xa4, ...Buffer.from("ping"), 0xa2, 0x69, 0x64, 7, 0xa2, 0x69, 0x64, 8]),
    );
    expect(c.frames.at(-1)).toMatchObject({ t: "error", id: 7, code: "INVALID_FRAME", message: expect.stringMatching(/duplicate/) });
  });
});

describe("oversized frames", () => {
  it("are charged to the byte budget like any other bytes received", async () => {
    h = await createHarness({ maxFrameBytes: 600, connectionByteBurst: 1000, connectionBytesPerSecond: 1 });
    const c = h.connect();
    await c.sendBytes(pingOf(601, 1));
    expect(c.response(1)).toMatchObject({ code: "FRAME_TOO_LARGE" });
    await c.sendBytes(pingOf(500, 2));
    expect(c.response(2)).toMatchObject({ code: "RATE_LIMITED" });
  });
});

describe("a closed connection's inbox", () => {
  it("is dropped: frames received before the close are never decoded", async () => {
    h = await createHarness();
    const c = h.connect();
    const before = await framesHandled("ping");
    for (let id = 1; id <= 50; id++) h.relay.receive(c.conn, encodeFrame({ t: "ping", id }));
    c.conn.close(1000, "gone");
    await h.relay.idle(c.conn);
    await new Promise((r) => setTimeout(r, 20));
    // At most the frame already being handled when the close came.
    expect((await framesHandled("ping")) - before).toBeLessThanOrEqual(1);
  });
});
