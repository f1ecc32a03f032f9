// The dispatcher in-process: malformed frames get typed errors and close the connection past
// the limit (N, N+1); the per-connection frame rate answers RATE_LIMITED, then closes (4008);
// relay-to-client frames and other versions are refused.
import { encodeFrame } from "@parley/protocol/wire";
import { Packr } from "msgpackr";
import { afterEach, describe, expect, it } from "vitest";
import { codeOf, createHarness, type Harness, request } from "../../test/harness.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe("dispatch", () => {
  it("answers INVALID_FRAME for garbage and closes with 4000 after maxInvalidFrames (N tolerated, N+1 closes)", async () => {
    h = await createHarness({ maxInvalidFrames: 3 });
    const c = h.connect();
    for (let i = 0; i < 3; i++) await c.sendBytes(new Uint8Array([0xc1, i]));
    expect(c.ofType("error").map((e) => e.code)).toEqual(["INVALID_FRAME", "INVALID_FRAME", "INVALID_FRAME"]);
    expect(c.closedWith).toBeUndefined();
    await c.sendBytes(new Uint8Array([0xc1]));
    expect(c.closedWith).toBe(4000);
  });

  it("echoes the request id of an invalid frame when it has one, and answers UNSUPPORTED_VERSION", async () => {
    h = await createHarness();
    const c = h.connect();
    const packr = new Packr({ useRecords: false });
    await c.sendBytes(packr.pack({ v: 1, t: "auth", id: 77 }));
    expect(c.response(77)).toMatchObject({ t: "error", code: "INVALID_FRAME" });
    await c.sendBytes(packr.pack({ v: 2, t: "ping", id: 78 }));
    expect(c.response(78)).toMatchObject({ t: "error", code: "UNSUPPORTED_VERSION" });
  });

  it("refuses relay-to-client frames with BAD_REQUEST", async () => {
    h = await createHarness();
    const c = h.connect();
    expect(codeOf(await request(c, { t: "ok" } as never))).toBe("BAD_REQUEST");
  });

  it("allows connectionFrameBurst frames at once and rate-limits one more, then closes after maxRateLimitStrikes", async () => {
    h = await createHarness({ connectionFrameBurst: 5, connectionFramesPerSecond: 1, maxRateLimitStrikes: 2 });
    const c = h.connect();
    for (let i = 1; i <= 5; i++) await c.send({ t: "ping", id: i });
    expect(c.ofType("pong")).toHaveLength(5);
    await c.send({ t: "ping", id: 6 });
    expect(c.response(6)).toMatchObject({ t: "error", code: "RATE_LIMITED" });
    await c.sendBytes(encodeFrame({ t: "ping", id: 7 }));
    expect(c.closedWith).toBeUndefined();
    await c.sendBytes(encodeFrame({ t: "ping", id: 8 }));
    expect(c.closedWith).toBe(4008);
  });

  it("answers UNAVAILABLE once shutdown began", async () => {
    h = await createHarness();
    const c = h.connect();
    h.relay.context.accepting = false;
    expect(codeOf(await request(c, { t: "ping" }))).toBe("UNAVAILABLE");
    h.relay.context.accepting = true;
  });
});
