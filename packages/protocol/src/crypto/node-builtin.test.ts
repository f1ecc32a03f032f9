/**
 * The node provider reaches node:crypto through `process.getBuiltinModule`, never an import, so
 * bundlers see no Node built-in (tests/e2e/browser-example.test.ts checks a real Vite build).
 * Here: a Node-like runtime without that function gets libsodium by default and a clear error
 * when it asks for the node provider, and the file really holds no node:crypto value import.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { createProvider, loadCryptoProvider } from "./select.js";

const realLookup = Object.getOwnPropertyDescriptor(process, "getBuiltinModule");
afterEach(() => {
  if (realLookup !== undefined) Object.defineProperty(process, "getBuiltinModule", realLookup);
});

function hideBuiltinLookup(): void {
  Object.defineProperty(process, "getBuiltinModule", { value: undefined, configurable: true, writable: true });
}

describe("node provider without process.getBuiltinModule", () => {
  it("is refused with an error naming what is missing", async () => {
    hideBuiltinLookup();
    await expect(createProvider("node")).rejects.toThrow(/needs Node\.js/);
  });

  it("is skipped by the automatic choice, which takes libsodium", async () => {
    hideBuiltinLookup();
    expect((await loadCryptoProvider()).name).toBe("sodium");
  });

  it("is the default again once the lookup exists", async () => {
    expect((await loadCryptoProvider()).name).toMatch(/^node\+/);
  });
});

describe("node.ts source", () => {
  it("imports node:crypto for types only (a value import breaks browser bundles)", () => {
    const source = readFileSync(new URL("./node.ts", import.meta.url), "utf8");
    const imports = source.match(/^import[^;]*from "node:[^"]+";$/gm) ?? [];
    expect(imports.length).toBeGreaterThan(0);
    for (const line of imports) expect(line).toMatch(/^import type /);
    expect(source).not.toMatch(/import\(\s*["']node:/);
  });
});
