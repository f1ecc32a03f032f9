import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { BUNDLE_DIR, BUNDLE_MANIFEST, type BundleManifest, currentBundle, fingerprint } from "./bundle.js";

let dist: string;
const distUrl = () => pathToFileURL(`${dist}/`);
const write = (path: string, text: string) => {
  mkdirSync(join(dist, path, ".."), { recursive: true });
  writeFileSync(join(dist, path), text);
};

/** A dist/ folder with two compiled modules and a bundle made from them. */
beforeEach(() => {
  dist = mkdtempSync(join(tmpdir(), "parley-bundle-"));
  write("ui/root.js", "export const root = 1;\n");
  write("ui/components/Pane.js", "export const pane = 2;\n");
  write(`${BUNDLE_DIR}/view.js`, "export const startChat = () => 0;\n");
  const manifest: BundleManifest = {
    entry: "view.js",
    inputs: {
      "ui/root.js": fingerprint(Buffer.from("export const root = 1;\n")),
      "ui/components/Pane.js": fingerprint(Buffer.from("export const pane = 2;\n")),
    },
  };
  write(`${BUNDLE_DIR}/${BUNDLE_MANIFEST}`, JSON.stringify(manifest));
});
afterEach(() => rmSync(dist, { recursive: true, force: true }));

describe("currentBundle", () => {
  test("names the bundle's entry while every input matches", () => {
    expect(currentBundle(distUrl())?.href).toBe(pathToFileURL(join(dist, BUNDLE_DIR, "view.js")).href);
  });

  test("is undefined once an input was rebuilt with other content of the same size", () => {
    write("ui/components/Pane.js", "export const pane = 3;\n");
    expect(currentBundle(distUrl())).toBeUndefined();
  });

  test("is undefined once an input changed size", () => {
    write("ui/root.js", "export const root = 10;\n");
    expect(currentBundle(distUrl())).toBeUndefined();
  });

  test("is undefined when an input is gone", () => {
    rmSync(join(dist, "ui/root.js"));
    expect(currentBundle(distUrl())).toBeUndefined();
  });

  test("is undefined without a manifest, or with one that is not JSON", () => {
    write(`${BUNDLE_DIR}/${BUNDLE_MANIFEST}`, "{ not json");
    expect(currentBundle(distUrl())).toBeUndefined();
    rmSync(join(dist, BUNDLE_DIR), { recursive: true });
    expect(currentBundle(distUrl())).toBeUndefined();
  });
});

describe("fingerprint", () => {
  test("is the size and the CRC-32 (IEEE) of the bytes", () => {
    // The standard CRC-32 check value: "123456789" → 0xCBF43926.
    expect(fingerprint(Buffer.from("123456789"))).toEqual({ size: 9, crc32: 0xcbf43926 });
    expect(fingerprint(new Uint8Array(0))).toEqual({ size: 0, crc32: 0 });
  });
});
