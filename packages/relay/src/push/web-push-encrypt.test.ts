// RFC 8291 message encryption: the RFC's Appendix A example byte for byte, the 4096-byte body
// limit at N and N+1, fresh sender keys and salts per message, and malformed keys refused.
import { createECDH, randomBytes } from "node:crypto";
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { endpointOrigin, pushEndpointProblem } from "./push-endpoint.js";
import { encryptPushMessage, HEADER_BYTES, MAX_PUSH_BODY_BYTES, MAX_PUSH_PLAINTEXT_BYTES } from "./web-push-encrypt.js";

const b64 = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));
const random = (n: number) => new Uint8Array(randomBytes(n));

describe("encryptPushMessage", () => {
  it("reproduces the RFC 8291 Appendix A example", () => {
    const body = encryptPushMessage(
      new TextEncoder().encode("When I grow up, I want to be a watermelon"),
      {
        p256dh: b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
        auth: b64("BTBZMqHH6r4Tts7J_aSIgg"),
      },
      () => b64("DGv6ra1nlYgDCS1FRnbzlw"),
      0,
      b64("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw"),
    );
    expect(Buffer.from(body).toString("base64url")).toBe(
      "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN",
    );
  });

  const receiver = { p256dh: new Uint8Array(createECDH("prime256v1").generateKeys()), auth: random(16) };

  it(`fills a ${MAX_PUSH_BODY_BYTES}-byte body with ${MAX_PUSH_PLAINTEXT_BYTES} bytes and refuses one more (N and N+1)`, () => {
    expect(encryptPushMessage(new Uint8Array(MAX_PUSH_PLAINTEXT_BYTES), receiver, random)).toHaveLength(MAX_PUSH_BODY_BYTES);
    expect(encryptPushMessage(new Uint8Array(10), receiver, random, MAX_PUSH_PLAINTEXT_BYTES - 10)).toHaveLength(MAX_PUSH_BODY_BYTES);
    expect(() => encryptPushMessage(new Uint8Array(MAX_PUSH_PLAINTEXT_BYTES + 1), receiver, random)).toThrow(RangeError);
    expect(() => encryptPushMessage(new Uint8Array(10), receiver, random, MAX_PUSH_PLAINTEXT_BYTES - 9)).toThrow(RangeError);
  });

  it("uses a fresh sender key and salt for every message", () => {
    const a = encryptPushMessage(new Uint8Array(4), receiver, random);
    const b = encryptPushMessage(new Uint8Array(4), receiver, random);
    expect(Buffer.from(a.subarray(0, HEADER_BYTES)).equals(Buffer.from(b.subarray(0, HEADER_BYTES)))).toBe(false);
    expect(Buffer.from(a.subarray(21, HEADER_BYTES)).equals(Buffer.from(b.subarray(21, HEADER_BYTES)))).toBe(false);
  });

  it("refuses a p256dh that is not an uncompressed point on the curve", () => {
    expect(() => encryptPushMessage(new Uint8Array(1), { ...receiver, p256dh: new Uint8Array(65).fill(2) }, random)).toThrow(RangeError);
    expect(() => encryptPushMessage(new Uint8Array(1), { ...receiver, p256dh: new Uint8Array(64).fill(4) }, random)).toThrow(RangeError);
    expect(() => encryptPushMessage(new Uint8Array(1), { ...receiver, p256dh: new Uint8Array(65).fill(4) }, random)).toThrow();
  });
});

describe("pushEndpointProblem", () => {
  test.prop([fc.oneof(fc.string({ maxLength: 200 }), fc.webUrl({ withQueryParameters: true, withFragments: true })), fc.boolean()], {
    numRuns: Number(process.env.PARLEY_FUZZ_RUNS ?? 2000),
  })("never throws, and allows only http(s) URLs", (endpoint, loopback) => {
    const problem = pushEndpointProblem(endpoint, loopback);
    if (problem === undefined) expect(["https:", "http:"]).toContain(new URL(endpoint).protocol);
    expect(typeof endpointOrigin(endpoint)).toBe("string");
  });

  it("allows plain http only to loopback and only with the test option", () => {
    expect(pushEndpointProblem("http://127.0.0.1:8/x", true)).toBeUndefined();
    expect(pushEndpointProblem("http://localhost:8/x", true)).toBeUndefined();
    expect(pushEndpointProblem("http://[::1]:8/x", true)).toBeUndefined();
    expect(pushEndpointProblem("http://push.example/x", true)).toBeDefined();
    expect(pushEndpointProblem("http://127.0.0.1:8/x", false)).toBeDefined();
    expect(pushEndpointProblem("https://push.example/x", false)).toBeUndefined();
    expect(pushEndpointProblem("https://172.16.0.1/x", false)).toBeDefined();
    expect(pushEndpointProblem("https://172.32.0.1/x", false)).toBeUndefined();
  });

  it("logs only the origin of an endpoint", () => {
    expect(endpointOrigin("https://fcm.googleapis.com/fcm/send/secret-token")).toBe("https://fcm.googleapis.com");
  });
});
