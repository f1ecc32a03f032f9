// Fuzzes the handlers over a live socket: random bytes, truncated and mutated valid frames,
// valid msgpack with wrong field types, frames claiming huge lengths and relay-only frames, sent
// from unauthenticated and authenticated connections. The relay must stay up and keep serving a
// well-behaved pair of clients connected at the same time, and nothing a fuzzer sends may reach
// their mailbox.
import { readFileSync } from "node:fs";
import { type ClientFrame, encodeFrame } from "@parley/protocol/wire";
import fc from "fast-check";
import { Packr } from "msgpackr";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { messageId, newIdentity, preKeyRecords, utf8 } from "./identities.js";
import { startTestServer, type TestServer } from "./server-fixture.js";
import { SocketClient } from "./socket-client.js";

const INPUTS = Number(process.env.PARLEY_FUZZ_RUNS ?? 1500);
const packr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });
let t: TestServer;
beforeAll(async () => {
  t = await startTestServer({ maxFrameBytes: 64 * 1024 });
});
afterAll(async () => {
  await t.stop();
});

const b16 = new Uint8Array(16).fill(1);
const validFrames: ClientFrame[] = [
  { t: "ping", id: 1 },
  { t: "auth", id: 2, userId: b16, deviceId: 1, signature: new Uint8Array(64) },
  { t: "send", id: 3, messages: [{ userId: b16, deviceId: 1, messageId: b16, envelope: utf8("x") }] },
  { t: "sealed_send", id: 4, userId: b16, messages: [{ deviceId: 1, messageId: b16, envelope: utf8("y") }] },
  { t: "ack", id: 5, messageIds: [b16] },
  { t: "fetch_bundles", id: 6, userId: b16 },
  { t: "upload_prekeys", id: 7, oneTimePreKeys: [new Uint8Array(37)] },
  { t: "claim_handle", id: 8, handle: "fuzzer" },
  { t: "blob_ticket", id: 9, size: 10 },
];
const types = [...validFrames.map((f) => f.t), "ok", "message", "challenge", "error", "bundles"];

const fuzzInput: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc.tuple(fc.constantFrom(...validFrames), fc.nat()).map(([f, cut]) => {
    const bytes = encodeFrame(f);
    return bytes.subarray(0, cut % bytes.length);
  }),
  fc
    .tuple(fc.constantFrom(...validFrames), fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 6 }))
    .map(([f, flips]) => {
      const bytes = encodeFrame(f);
      for (const [at, value] of flips) bytes[at % bytes.length] = value;
      return bytes;
    }),
  fc
    .record({
      v: fc.oneof(fc.constant(1), fc.integer()),
      t: fc.constantFrom(...types),
      id: fc.oneof(fc.nat(), fc.string(), fc.constant(-1)),
      userId: fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.string()),
      deviceId: fc.oneof(fc.integer(), fc.double()),
      messages: fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
      messageIds: fc.array(fc.uint8Array({ maxLength: 17 }), { maxLength: 3 }),
      handle: fc.string(),
    })
    .map((value) => new Uint8Array(packr.pack(value))),
  fc.constantFrom(
    new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]), // map32 claiming 4 billion entries
    new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0]), // array32, huge
    new Uint8Array([0xc6, 0x7f, 0xff, 0xff, 0xff, 0x00]), // bin32, 2 GiB
    new Uint8Array([0xdb, 0xff, 0xff, 0xff, 0xff]), // str32, 4 GiB
    new Uint8Array([...Array(5000).fill(0x91), 0xc0]), // deep nesting
    new Uint8Array([0xc7, 0x01, 0x72, 0x00]), // msgpackr record extension
  ),
);

describe("handlers over a live socket under fuzzing", () => {
  it(`stay up and keep serving a well-behaved client through ${INPUTS} hostile frames`, async () => {
    const alice = newIdentity();
    const bob = newIdentity();
    const a = await SocketClient.connect(t.url);
    await a.register(alice);
    const b = await SocketClient.connect(t.url);
    await b.register(bob);
    await b.request({ t: "upload_prekeys", ...preKeyRecords(bob, 3) });
    const mallory = newIdentity();
    let authedFuzzer = await SocketClient.connect(t.url);
    await authedFuzzer.register(mallory);
    let anonFuzzer = await SocketClient.connect(t.url);

    const inputs = fc.sample(fuzzInput, { numRuns: INPUTS, seed: 424242 });
    const sentByAlice: string[] = [];
    for (let i = 0; i < inputs.length; i++) {
      const bytes = inputs[i] as Uint8Array;
      // Closed fuzzers (4000 after too many invalid frames) are replaced.
      if (anonFuzzer.closeInfo) anonFuzzer = await SocketClient.connect(t.url);
      if (authedFuzzer.closeInfo) {
        authedFuzzer = await SocketClient.connect(t.url);
        await authedFuzzer.auth(mallory);
      }
      (i % 2 === 0 ? anonFuzzer : authedFuzzer).sendRaw(bytes);
      if (i % 100 === 0) {
        const text = `honest ${i}`;
        expect(
          await a.request({
            t: "send",
            messages: [{ userId: bob.account.userId, deviceId: 1, messageId: messageId(), envelope: utf8(text) }],
          }),
        ).toMatchObject({
          results: ["OK"],
        });
        sentByAlice.push(text);
        expect(await b.request({ t: "ping" })).toMatchObject({ t: "pong" });
      }
    }
    // Everything still works: bundles, delivery, and nothing but Alice's messages reached Bob.
    expect(await a.request({ t: "fetch_bundles", userId: bob.account.userId })).toMatchObject({ t: "bundles" });
    await new Promise((r) => setTimeout(r, 200));
    const received = b.ofType("message").map((m) => new TextDecoder().decode(m.envelope));
    expect(received).toEqual(sentByAlice);
    expect(a.closeInfo).toBeUndefined();
    expect(b.closeInfo).toBeUndefined();
    const health = await fetch(`${t.httpUrl}/healthz`);
    expect(health.status).toBe(200);
    // No handler threw an unexpected exception (those are logged and answered INTERNAL).
    expect(readFileSync(t.logFile, "utf8")).not.toContain("request failed");
    expect(await (await fetch(`${t.httpUrl}/metrics`)).text()).not.toContain('code="INTERNAL"');
    await Promise.all([a.close(), b.close(), anonFuzzer.close(), authedFuzzer.close()]);
  }, 60_000);
});
