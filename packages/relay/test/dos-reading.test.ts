// Input backpressure and the per-upload prekey limit, in-process: a connection past its byte
// budget is told to stop reading for about the budget's refill time (the flood then waits in the
// sender's buffers, not the relay's), and a maximal legal `upload_prekeys` (signed prekey, 200
// one-time, MAX_KEM_PREKEYS_PER_UPLOAD ML-KEM records) fits the default frame limit and is
// stored, while one ML-KEM record more is refused.

import { generateKemPreKey, generateOneTimePreKeys, generateSignedPreKey } from "@parley/protocol";
import { decodeFrame, encodeFrame, MAX_KEM_PREKEYS_PER_UPLOAD, MAX_PREKEYS_PER_UPLOAD, type ServerFrame } from "@parley/protocol/wire";
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_LIMITS } from "../src/limits.js";
import { codeOf, createHarness, type Harness, request } from "./harness.js";
import { deps, newIdentity, type TestIdentity } from "./identities.js";

let h: Harness;
afterEach(async () => {
  await h?.close();
});

describe("input backpressure", () => {
  it("stops reading a connection once its byte budget cannot take another full frame, for about the refill time", async () => {
    h = await createHarness({ connectionByteBurst: 3000, connectionBytesPerSecond: 1000, maxFrameBytes: 1000 });
    const pauses: number[] = [];
    const frames: ServerFrame[] = [];
    const conn = h.relay.connect({
      send: (bytes) => frames.push(decodeFrame(bytes) as ServerFrame),
      close: () => {},
      bufferedAmount: 0,
      pauseReading: (ms) => pauses.push(ms),
    });
    const ping = (id: number) => encodeFrame({ t: "ping", id });
    const size = ping(1).length;
    // Frames while at least one full frame (1000 bytes) stays in the budget: no pause.
    const free = Math.floor((3000 - 1000) / size);
    for (let id = 1; id <= free; id++) h.relay.receive(conn, ping(id));
    expect(pauses).toEqual([]);
    h.relay.receive(conn, ping(free + 1));
    expect(pauses).toHaveLength(1);
    const missing = 1000 - (3000 - (free + 1) * size);
    expect(pauses[0]).toBe(Math.ceil(missing));
    await h.relay.idle(conn);
    expect(frames.filter((f) => f.t === "pong")).toHaveLength(free + 1);
  });
});

describe("upload_prekeys per-upload limit", () => {
  const upload = (identity: TestIdentity, kem: number) => ({
    t: "upload_prekeys" as const,
    signedPreKey: generateSignedPreKey(deps, identity.device, 1).record,
    oneTimePreKeys: generateOneTimePreKeys(deps, 1, MAX_PREKEYS_PER_UPLOAD).map((k) => k.record),
    kemPreKeys: Array.from({ length: kem }, (_, i) => generateKemPreKey(deps, identity.device, 1 + i, "one-time").record),
  });

  it("stores a maximal upload within the default frame limit and refuses one ML-KEM record more", async () => {
    h = await createHarness();
    const bob = newIdentity();
    const b = await h.register(bob);
    const maximal = upload(bob, MAX_KEM_PREKEYS_PER_UPLOAD);
    expect(encodeFrame({ ...maximal, id: 1 }).length).toBeLessThanOrEqual(DEFAULT_LIMITS.maxFrameBytes);
    expect(codeOf(await request(b, maximal))).toBe("ok");
    expect(await h.relay.context.store.countPreKeys({ userId: bob.account.userId, deviceId: 1 })).toEqual({
      oneTime: MAX_PREKEYS_PER_UPLOAD,
      kem: MAX_KEM_PREKEYS_PER_UPLOAD,
    });
    expect(codeOf(await request(b, upload(bob, MAX_KEM_PREKEYS_PER_UPLOAD + 1)))).toBe("INVALID_FRAME");
  }, 30_000);
});
