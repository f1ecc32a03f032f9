// The Web Push and ICE frames: subscription validation (VAL-PUSH-1) and every size bound at N
// and N+1, so a relay never stores an endpoint or answers with servers beyond the wire limits.
import { describe, expect, it } from "vitest";
import { ErrorCode, ParleyError } from "../errors.js";
import { decodeFrame, encodeFrame } from "./codec.js";
import { MAX_ICE_SERVERS, MAX_ICE_STRING_BYTES, MAX_ICE_URLS, MAX_PUSH_ENDPOINT_BYTES } from "./schema.js";

const p256dh = new Uint8Array(65).fill(4);
const auth = new Uint8Array(16).fill(1);
const setPush = (endpoint: string, key = p256dh, secret = auth) =>
  encodeFrame({ t: "set_push", id: 1, endpoint, p256dh: key, auth: secret });
const invalid = (bytes: Uint8Array) => {
  try {
    decodeFrame(bytes);
  } catch (e) {
    return ParleyError.is(e, ErrorCode.InvalidEncoding);
  }
  return false;
};
const endpointOf = (length: number) => {
  const base = "https://push.example/";
  return base + "a".repeat(length - base.length);
};

describe("set_push", () => {
  it("round-trips a subscription", () => {
    expect(decodeFrame(setPush("https://fcm.googleapis.com/fcm/send/x:y"))).toEqual({
      t: "set_push",
      id: 1,
      endpoint: "https://fcm.googleapis.com/fcm/send/x:y",
      p256dh,
      auth,
    });
  });

  it(`accepts an endpoint of ${MAX_PUSH_ENDPOINT_BYTES} bytes and refuses one more (N and N+1)`, () => {
    expect(decodeFrame(setPush(endpointOf(MAX_PUSH_ENDPOINT_BYTES))).t).toBe("set_push");
    expect(invalid(setPush(endpointOf(MAX_PUSH_ENDPOINT_BYTES + 1)))).toBe(true);
  });

  it("refuses keys of the wrong length or form", () => {
    expect(invalid(setPush("https://p.example/", new Uint8Array(64).fill(4)))).toBe(true);
    expect(invalid(setPush("https://p.example/", new Uint8Array(66).fill(4)))).toBe(true);
    expect(invalid(setPush("https://p.example/", new Uint8Array(65).fill(2)))).toBe(true);
    expect(invalid(setPush("https://p.example/", p256dh, new Uint8Array(15)))).toBe(true);
    expect(invalid(setPush("https://p.example/", p256dh, new Uint8Array(17)))).toBe(true);
  });

  it("refuses endpoints that are not http(s) URLs or carry credentials or a fragment (VAL-PUSH-1)", () => {
    for (const endpoint of [
      "push.example/x",
      "",
      "ftp://push.example/x",
      "javascript:alert(1)",
      "https://u:p@push.example/x",
      "https://push.example/x#f",
    ])
      expect(invalid(setPush(endpoint)), endpoint).toBe(true);
    expect(decodeFrame(setPush("http://127.0.0.1:9/x")).t).toBe("set_push");
  });
});

describe("ice_servers", () => {
  const answer = (servers: { urls: string[]; username?: string; credential?: string }[]) =>
    encodeFrame({ t: "ice_servers", id: 2, servers, expiresAt: 5 });
  const stun = { urls: ["stun:s.example:3478"] };

  it("accepts an empty list (nothing configured)", () => {
    expect(decodeFrame(answer([]))).toEqual({ t: "ice_servers", id: 2, servers: [], expiresAt: 5 });
  });

  it(`accepts ${MAX_ICE_SERVERS} servers of ${MAX_ICE_URLS} URLs and refuses one more of each (N and N+1)`, () => {
    const urls = (n: number) => Array.from({ length: n }, (_, i) => `turn:t${i}.example`);
    expect(decodeFrame(answer(Array.from({ length: MAX_ICE_SERVERS }, () => ({ urls: urls(MAX_ICE_URLS) }))))).toMatchObject({
      t: "ice_servers",
    });
    expect(invalid(answer(Array.from({ length: MAX_ICE_SERVERS + 1 }, () => stun)))).toBe(true);
    expect(invalid(answer([{ urls: urls(MAX_ICE_URLS + 1) }]))).toBe(true);
    expect(invalid(answer([{ urls: [] }]))).toBe(true);
  });

  it(`accepts strings of ${MAX_ICE_STRING_BYTES} bytes and refuses one more (N and N+1)`, () => {
    const s = (n: number) => "x".repeat(n);
    expect(
      decodeFrame(answer([{ urls: [s(MAX_ICE_STRING_BYTES)], username: s(MAX_ICE_STRING_BYTES), credential: s(MAX_ICE_STRING_BYTES) }])).t,
    ).toBe("ice_servers");
    expect(invalid(answer([{ urls: [s(MAX_ICE_STRING_BYTES + 1)] }]))).toBe(true);
    expect(invalid(answer([{ urls: ["turn:x"], username: s(MAX_ICE_STRING_BYTES + 1) }]))).toBe(true);
    expect(invalid(answer([{ urls: ["turn:x"], credential: s(MAX_ICE_STRING_BYTES + 1) }]))).toBe(true);
  });

  it("refuses a VAPID key of the wrong length", () => {
    expect(decodeFrame(encodeFrame({ t: "push_key", id: 3, vapidPublicKey: p256dh })).t).toBe("push_key");
    expect(invalid(encodeFrame({ t: "push_key", id: 3, vapidPublicKey: new Uint8Array(64) }))).toBe(true);
    expect(invalid(encodeFrame({ t: "push_key", id: 3, vapidPublicKey: new Uint8Array(66) }))).toBe(true);
  });
});
