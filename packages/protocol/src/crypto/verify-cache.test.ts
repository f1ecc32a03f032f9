import { describe, expect, test } from "vitest";
import type { CryptoProvider } from "./provider.js";
import { createRawProvider } from "./select.js";
import { withVerifiedSignatureCache } from "./verify-cache.js";

describe("verified-signature cache", async () => {
  const raw = await createRawProvider("noble");

  function counting(provider: CryptoProvider) {
    let calls = 0;
    const counted = Object.create(provider) as CryptoProvider;
    counted.ed25519Verify = (...args) => {
      calls++;
      return provider.ed25519Verify(...args);
    };
    return { counted, calls: () => calls };
  }

  test("a repeated good signature is verified once; bad ones are never cached", () => {
    const { counted, calls } = counting(raw);
    const cached = withVerifiedSignatureCache(counted, 4);
    const pair = raw.ed25519GenerateKeyPair();
    const message = new Uint8Array([1, 2, 3]);
    const signature = raw.ed25519Sign(pair, message);
    expect(cached.ed25519Verify(pair.publicKey, message, signature)).toBe(true);
    expect(cached.ed25519Verify(pair.publicKey, message, signature)).toBe(true);
    expect(calls()).toBe(1);
    const bad = signature.slice();
    bad[0] = (bad[0] as number) ^ 1;
    expect(cached.ed25519Verify(pair.publicKey, message, bad)).toBe(false);
    expect(cached.ed25519Verify(pair.publicKey, message, bad)).toBe(false);
    expect(calls()).toBe(3);
    // Another message under the same signature is not a hit.
    expect(cached.ed25519Verify(pair.publicKey, new Uint8Array([1, 2, 4]), signature)).toBe(false);
  });

  test("the cache is bounded: the oldest entry is forgotten at capacity + 1", () => {
    const { counted, calls } = counting(raw);
    const cached = withVerifiedSignatureCache(counted, 2);
    const pair = raw.ed25519GenerateKeyPair();
    const signed = [1, 2, 3].map((n) => {
      const message = new Uint8Array([n]);
      return { message, signature: raw.ed25519Sign(pair, message) };
    });
    for (const { message, signature } of signed) cached.ed25519Verify(pair.publicKey, message, signature);
    expect(calls()).toBe(3);
    cached.ed25519Verify(pair.publicKey, signed[2]?.message as Uint8Array, signed[2]?.signature as Uint8Array);
    expect(calls()).toBe(3);
    cached.ed25519Verify(pair.publicKey, signed[0]?.message as Uint8Array, signed[0]?.signature as Uint8Array);
    expect(calls()).toBe(4);
  });

  test("everything else passes through unchanged, as own enumerable methods", () => {
    const cached = withVerifiedSignatureCache(raw);
    expect(Object.keys(cached).sort()).toEqual(Object.keys(raw).sort());
    expect(cached.name).toBe(raw.name);
    expect(cached.sha256(new Uint8Array([97, 98, 99]))).toEqual(raw.sha256(new Uint8Array([97, 98, 99])));
  });
});
