// The relay auth signature: binds nonce, relay id and address; verifies only for exactly those.
import { describe, expect, it } from "vitest";
import { createProvider } from "../crypto/select.js";
import { generateDevice } from "../keys/device-certificate.js";
import { generateAccount } from "../keys/identity.js";
import { LABEL_AUTH_CHALLENGE } from "../labels.js";
import { authSignatureMessage, signAuthChallenge, verifyAuthSignature } from "./auth.js";

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
