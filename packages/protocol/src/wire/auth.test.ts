// The relay auth signature: binds nonce, relay id and address; verifies only for exactly those.
import { describe, expect, it } from "vitest";
import { createProvider } from "../crypto/select.js";
import { generateDevice } from "../keys/device-certificate.js";
import { generateAccount } from "../keys/identity.js";
import { LABEL_AUTH_CHALLENGE } from "../labels.js";
import { authSignatureMessage, canonicalRelayId, sameRelayId, signAuthChallenge, verifyAuthSignature } from "./auth.js";

const deps = { crypto: await createProvider("node") };

describe("relay auth signature", () => {
  const account = generateAccount(deps);
  const device = generateDevice(deps, account, 3);
  const nonce = deps.crypto.randomBytes(32);
  const signature = signAuthChallenge(deps, device, nonce, "https://relay.example");
  const key = device.signingKey.publicKey;

  it("starts with the label and a zero byte", () => {
    const message = authSignatureMessage(nonce, "r", account.userId, 3);
    expect(message.subarray(0, LABEL_AUTH_CHALLENGE.length)).toEqual(LABEL_AUTH_CHALLENGE);
    expect(message[LABEL_AUTH_CHALLENGE.length]).toBe(0);
    expect(message.length).toBe(LABEL_AUTH_CHALLENGE.length + 1 + 32 + 2 + 1 + 16 + 4);
  });

  it("verifies for the same nonce, relay and address only", () => {
    expect(verifyAuthSignature(deps, key, signature, nonce, "https://relay.example", account.userId, 3)).toBe(true);
    expect(verifyAuthSignature(deps, key, signature, nonce, "https://evil.example", account.userId, 3)).toBe(false);
    expect(verifyAuthSignature(deps, key, signature, deps.crypto.randomBytes(32), "https://relay.example", account.userId, 3)).toBe(false);
    expect(verifyAuthSignature(deps, key, signature, nonce, "https://relay.example", account.userId, 4)).toBe(false);
  });

  it("rejects malformed arguments with RangeError", () => {
    expect(() => authSignatureMessage(new Uint8Array(31), "r", account.userId, 1)).toThrow(RangeError);
    expect(() => authSignatureMessage(nonce, "r".repeat(257), account.userId, 1)).toThrow(RangeError);
  });
});

describe("relay id canonical form (spec/relay.md §3.1)", () => {
  it.each([
    ["ws://relay.example", "http://relay.example"],
    ["wss://relay.example", "https://relay.example"],
    ["https://relay.example/", "https://relay.example"],
    ["WSS://Relay.EXAMPLE:443/chat/?x=1#y", "https://relay.example"],
    ["ws://relay.example:80", "http://relay.example"],
    ["wss://relay.example:80", "https://relay.example:80"],
    ["ws://relay.example:443", "http://relay.example:443"],
    ["ws://user:pw@relay.example:8787/", "http://relay.example:8787"],
    ["ws://localhost:8787", "http://localhost:8787"],
    ["ws://127.0.0.1:8787", "http://localhost:8787"],
    ["ws://[::1]:8787", "http://localhost:8787"],
    ["http://LOCALHOST:8787", "http://localhost:8787"],
    ["ws://[2001:DB8::1]:8787", "http://[2001:db8::1]:8787"],
    ["wss://bücher.example", "https://xn--bcher-kva.example"],
  ])("%s → %s", (input, expected) => {
    expect(canonicalRelayId(input)).toBe(expected);
  });

  it("keeps ports, schemes and non-loopback addresses apart", () => {
    expect(sameRelayId("ws://localhost:8787", "ws://localhost:8788")).toBe(false);
    expect(sameRelayId("ws://relay.example", "wss://relay.example")).toBe(false);
    expect(sameRelayId("ws://127.0.0.2:8787", "ws://localhost:8787")).toBe(false);
    expect(sameRelayId("wss://relay.example", "https://relay.example.evil")).toBe(false);
    expect(sameRelayId("ws://[::1]:8787", "http://127.0.0.1:8787/")).toBe(true);
  });

  it("refuses what is not a relay URL with RangeError (and sameRelayId says false)", () => {
    for (const bad of ["", "relay.example", "ftp://relay.example", "file:///tmp/x", "mailto:a@b", "https://"]) {
      expect(() => canonicalRelayId(bad)).toThrow(RangeError);
      expect(sameRelayId(bad, bad)).toBe(false);
    }
  });

  it("bounds the id at MAX_RELAY_ID_BYTES (N accepted, N+1 refused)", () => {
    const prefix = "https://";
    const atLimit = `${prefix}${"a".repeat(63)}.${"b".repeat(63)}.${"c".repeat(63)}.${"d".repeat(256 - prefix.length - 63 * 3 - 3)}`;
    expect(canonicalRelayId(atLimit).length).toBe(256);
    expect(() => canonicalRelayId(`${atLimit}e`)).toThrow(RangeError);
  });
});
