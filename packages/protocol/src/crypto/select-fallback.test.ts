/**
 * Provider selection when libsodium cannot load (a strict CSP blocking wasm, say): simulated by
 * mocking libsodium-wrappers with a module whose `ready` rejects. Also shows that importing the
 * crypto entry point does not load libsodium at all.
 */
import { afterEach, describe, expect, it, vi } from "vitest";

const sodiumLoads = vi.hoisted(() => ({ count: 0 }));
vi.mock("libsodium-wrappers", () => {
  sodiumLoads.count++;
  const ready = Promise.reject(new Error("wasm blocked"));
  ready.catch(() => {}); // handled here so the rejection is not reported before anyone awaits it
  return { default: { ready } };
});

const realVersions = Object.getOwnPropertyDescriptor(process, "versions");
afterEach(() => {
  if (realVersions !== undefined) Object.defineProperty(process, "versions", realVersions);
});

describe("without libsodium", () => {
  it("importing the crypto entry point loads nothing", async () => {
    await import("./index.js");
    expect(sodiumLoads.count).toBe(0);
  });

  it("Node falls back to noble's ML-KEM behind node:crypto", async () => {
    const { loadCryptoProvider } = await import("./index.js");
    expect((await loadCryptoProvider()).name).toBe("node+noble-mlkem");
    expect(sodiumLoads.count).toBe(1);
  });

  it("outside Node falls back to the noble provider", async () => {
    Object.defineProperty(process, "versions", { value: { ...process.versions, node: undefined }, configurable: true });
    const { loadCryptoProvider } = await import("./index.js");
    expect((await loadCryptoProvider()).name).toBe("noble");
  });

  it("an explicit prefer: sodium reports the load failure", async () => {
    const { loadCryptoProvider } = await import("./index.js");
    await expect(loadCryptoProvider({ prefer: "sodium" })).rejects.toThrow("wasm blocked");
  });
});
