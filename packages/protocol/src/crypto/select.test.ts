/**
 * Provider selection: the default in Node is node:crypto with libsodium's ML-KEM, `prefer`
 * overrides it, and outside Node (simulated by hiding `process.versions.node`) libsodium wins
 * and the node provider is refused.
 */
import { afterEach, describe, expect, it } from "vitest";
import { bytesToHex } from "./bytes.js";
import type { ProviderName } from "./provider.js";
import { createProvider, loadCryptoProvider } from "./select.js";

const SHA256_ABC = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
const abc = new TextEncoder().encode("abc");
const realVersions = Object.getOwnPropertyDescriptor(process, "versions");

/** Makes `process.versions.node` undefined, as in a browser, until the test ends. */
function pretendNotNode(): void {
  Object.defineProperty(process, "versions", { value: { ...process.versions, node: undefined }, configurable: true });
}
afterEach(() => {
  if (realVersions !== undefined) Object.defineProperty(process, "versions", realVersions);
});

describe("loadCryptoProvider", () => {
  it("defaults to node:crypto with libsodium's ML-KEM in Node", async () => {
    const crypto = await loadCryptoProvider();
    expect(crypto.name).toBe("node+sodium-mlkem+sodium-aead");
    expect(bytesToHex(crypto.sha256(abc))).toBe(SHA256_ABC);
  });

  it.each([
    ["node", "node+sodium-mlkem+sodium-aead"],
    ["sodium", "sodium"],
    ["noble", "noble"],
  ] as const)("prefer: %s gives the %s provider", async (prefer: ProviderName, name) => {
    const crypto = await loadCryptoProvider({ prefer });
    expect(crypto.name).toBe(name);
    expect(bytesToHex(crypto.sha256(abc))).toBe(SHA256_ABC);
  });

  it("outside Node defaults to libsodium", async () => {
    pretendNotNode();
    expect((await loadCryptoProvider()).name).toBe("sodium");
  });
});

describe("createProvider", () => {
  it("returns a fresh instance per call (no shared caches)", async () => {
    expect(await createProvider("noble")).not.toBe(await createProvider("noble"));
  });

  it("refuses the node provider outside Node", async () => {
    pretendNotNode();
    await expect(createProvider("node")).rejects.toThrow(/needs Node/);
  });

  it("refuses an unknown name with RangeError", async () => {
    await expect(createProvider("openssl" as ProviderName)).rejects.toThrow(RangeError);
  });
});
