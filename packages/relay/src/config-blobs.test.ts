// The blob flags of parley-relay: --blob-lifetime, --max-blob-size and --blob-quota (and their
// env variables) set the blob limits, win over --limit, and refuse what is not a positive amount.
import { describe, expect, it } from "vitest";
import { HELP, parseConfig } from "./config.js";
import { parseByteSize, parseDuration } from "./config-units.js";
import { DEFAULT_LIMITS } from "./limits.js";

describe("blob flags", () => {
  it("default to 30 days of lifetime and 256 MiB blobs, enough for a 200 MB file after Padmé padding and chunk tags", () => {
    expect(DEFAULT_LIMITS.blobLifetimeMs).toBe(30 * 86_400_000);
    expect(DEFAULT_LIMITS.maxBlobBytes).toBe(256 * 1024 * 1024);
    // Padmé keeps ⌊log2 ⌊log2 L⌋⌋ + 1 high bits: 200,000,000 → a multiple of 2^22; plus a 16-byte tag per 64 KiB chunk.
    const plain = 200_000_000;
    const padded = Math.ceil(plain / 2 ** 22) * 2 ** 22;
    const ciphertext = padded + Math.ceil(padded / 65_536) * 16 + 64;
    expect(ciphertext).toBeLessThanOrEqual(DEFAULT_LIMITS.maxBlobBytes);
  });

  it("set blobLifetimeMs, maxBlobBytes and maxBlobBytesPerAccount from flags or env, flags first, over --limit", () => {
    const c = parseConfig(["--blob-lifetime", "7d", "--max-blob-size=512MiB", "--limit", "maxBlobBytes=5"], {
      PARLEY_BLOB_LIFETIME: "1h",
      PARLEY_BLOB_QUOTA: "4GiB",
    });
    expect(c.limits).toMatchObject({
      blobLifetimeMs: 7 * 86_400_000,
      maxBlobBytes: 512 * 1024 * 1024,
      maxBlobBytesPerAccount: 4 * 1024 ** 3,
    });
    expect(parseConfig([], { PARLEY_BLOB_LIFETIME: "90m" }).limits.blobLifetimeMs).toBe(90 * 60_000);
    for (const flag of ["--blob-lifetime", "--max-blob-size", "--blob-quota"]) expect(HELP).toContain(flag);
  });

  it("parse durations and sizes exactly, and refuse zero, negatives, fractions, unknown units and overflow", () => {
    expect(parseDuration("2592000000", "f")).toBe(2_592_000_000);
    expect(parseDuration("45s", "f")).toBe(45_000);
    expect(parseDuration("500ms", "f")).toBe(500);
    expect(parseByteSize("1", "f")).toBe(1);
    expect(parseByteSize("256M", "f")).toBe(parseByteSize("256MiB", "f"));
    expect(parseByteSize("2gb", "f")).toBe(2 * 1024 ** 3);
    expect(parseByteSize("10 KiB", "f")).toBe(10_240);
    for (const bad of ["", "0", "0d", "-1d", "1.5h", "1w", "d", "1 d", "999999999999999d"])
      expect(() => parseDuration(bad, "--blob-lifetime"), bad).toThrow(RangeError);
    for (const bad of ["", "0", "0MiB", "-1", "1.5G", "1X", "1iB", "9999999999T"])
      expect(() => parseByteSize(bad, "--max-blob-size"), bad).toThrow(/--max-blob-size/);
    expect(() => parseConfig(["--max-blob-size", "lots"], {})).toThrow(RangeError);
  });
});
