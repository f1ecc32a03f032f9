// Attachment STREAM encryption (spec/attachments.md): layout and padding buckets, round trips
// however the input is split, and every attack on the blob: a flipped bit, a dropped, swapped or
// appended chunk, a truncation at any byte, a blob re-encrypted under the right key but claiming
// another digest, non-zero padding.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { allDeps } from "../../test/fixtures.js";
import { concatBytes } from "../crypto/bytes.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { ATTACHMENT_CHUNK_BYTES, MAX_ATTACHMENT_BYTES, MIN_ATTACHMENT_PADDED_BYTES } from "../limits.js";
import {
  ATTACHMENT_TAG_BYTES,
  AttachmentDecryptor,
  AttachmentEncryptor,
  attachmentLayout,
  attachmentStreamKeys,
  chunkNonce,
  decryptAttachmentChunk,
  padme,
} from "./stream.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 100);
const [, deps] = allDeps[0] as (typeof allDeps)[number];
const key = new Uint8Array(32).fill(7);

function encrypt(plaintext: Uint8Array, fileKey = key, d = deps): { blob: Uint8Array; digest: Uint8Array } {
  const enc = new AttachmentEncryptor(d, fileKey, plaintext.length);
  const parts = [...enc.update(plaintext), ...enc.finish()];
  return { blob: concatBytes(...parts), digest: enc.digest() };
}

function decrypt(blob: Uint8Array, digest: Uint8Array, size: number, split = blob.length || 1): Uint8Array {
  const dec = new AttachmentDecryptor(deps, { key, digest, size });
  const out: Uint8Array[] = [];
  for (let at = 0; at < blob.length; at += split) out.push(...dec.update(blob.subarray(at, at + split)));
  dec.finish();
  return concatBytes(...out);
}

function code(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return undefined;
}

/** Byte equality without vitest's element-by-element diffing (slow on large arrays). */
const same = (a: Uint8Array, b: Uint8Array) => expect(Buffer.compare(a, b)).toBe(0);

const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);

describe("layout", () => {
  test("Padmé buckets: minimum, exact powers, overhead at most 12%", () => {
    expect(attachmentLayout(0).paddedSize).toBe(MIN_ATTACHMENT_PADDED_BYTES);
    expect(attachmentLayout(1).paddedSize).toBe(MIN_ATTACHMENT_PADDED_BYTES);
    expect(attachmentLayout(MIN_ATTACHMENT_PADDED_BYTES).paddedSize).toBe(MIN_ATTACHMENT_PADDED_BYTES);
    expect(padme(1025)).toBe(1088);
    expect(padme(200_000_000)).toBe(201_326_592);
    expect(padme(2 ** 32)).toBe(2 ** 32);
    for (const n of [1_000, 65_537, 1_000_000, 123_456_789, 4_000_000_000]) {
      const p = padme(n);
      expect(p).toBeGreaterThanOrEqual(n);
      expect(p / n).toBeLessThanOrEqual(1.12);
    }
  });

  test.prop([fc.integer({ min: 1, max: MAX_ATTACHMENT_BYTES })], { numRuns: 500 })("Padmé is monotone and idempotent", (n) => {
    const p = padme(n);
    expect(padme(p)).toBe(p);
    expect(padme(n + 1)).toBeGreaterThanOrEqual(p);
  });

  test("chunk count and encrypted size", () => {
    const l = attachmentLayout(3 * ATTACHMENT_CHUNK_BYTES);
    expect(l).toEqual({ size: 196_608, paddedSize: 196_608, chunkCount: 3, encryptedSize: 196_608 + 48 });
    expect(attachmentLayout(0).encryptedSize).toBe(1024 + ATTACHMENT_TAG_BYTES);
  });

  test("MAX_ATTACHMENT_BYTES is accepted, one more byte is not", () => {
    expect(attachmentLayout(MAX_ATTACHMENT_BYTES).chunkCount).toBe(65_536);
    expect(code(() => attachmentLayout(MAX_ATTACHMENT_BYTES + 1))).toBe(ErrorCode.LimitExceeded);
    expect(() => attachmentLayout(-1)).toThrow(RangeError);
    expect(() => attachmentLayout(1.5)).toThrow(RangeError);
  });
});

describe("round trip", () => {
  test.each([0, 1, 1000, 1024, 65_535, 65_536, 65_537, 200_000])("%i bytes, every provider agrees", (size) => {
    const plaintext = pattern(size);
    const [first, ...rest] = allDeps.map(([, d]) => encrypt(plaintext, key, d));
    const { blob, digest } = first as { blob: Uint8Array; digest: Uint8Array };
    for (const other of rest) {
      same(other.blob, blob);
      same(other.digest, digest);
    }
    expect(blob.length).toBe(attachmentLayout(size).encryptedSize);
    same(digest, deps.crypto.sha256(blob));
    same(decrypt(blob, digest, size), plaintext);
  });

  test.prop([fc.integer({ min: 0, max: 300_000 }), fc.integer({ min: 1000, max: 100_000 }), fc.integer({ min: 1000, max: 100_000 })], {
    numRuns: Math.min(RUNS, 40),
  })("any split of the input and of the blob gives the same bytes", (size, inSplit, outSplit) => {
    const plaintext = pattern(size);
    const enc = new AttachmentEncryptor(deps, key, size);
    const parts: Uint8Array[] = [];
    for (let at = 0; at < size; at += inSplit) parts.push(...enc.update(plaintext.subarray(at, at + inSplit)));
    parts.push(...enc.finish());
    const blob = concatBytes(...parts);
    same(blob, encrypt(plaintext).blob);
    same(decrypt(blob, enc.digest(), size, outSplit), plaintext);
  });

  test("the spec's formulas: chunk i is ChaCha20-Poly1305(chunkKey, prefix ‖ u32 i ‖ last, padded chunk, empty AD)", () => {
    const size = 70_000;
    const { blob } = encrypt(pattern(size));
    const keys = attachmentStreamKeys(deps, key);
    const okm = deps.crypto.hkdfSha256(key, new Uint8Array(0), new TextEncoder().encode("Parley/v1/attachment"), 39);
    expect(concatBytes(keys.chunkKey, keys.noncePrefix)).toEqual(okm);
    const padded = new Uint8Array(attachmentLayout(size).paddedSize);
    padded.set(pattern(size));
    const first = deps.crypto.aeadEncrypt(
      keys.chunkKey,
      chunkNonce(keys.noncePrefix, 0, false),
      padded.subarray(0, 65_536),
      new Uint8Array(0),
    );
    const last = deps.crypto.aeadEncrypt(keys.chunkKey, chunkNonce(keys.noncePrefix, 1, true), padded.subarray(65_536), new Uint8Array(0));
    same(blob, concatBytes(first, last));
    same(decryptAttachmentChunk(deps, keys, attachmentLayout(size), 1, blob.subarray(65_552)), padded.subarray(65_536));
  });

  test("the encryptor refuses more or fewer bytes than declared", () => {
    const enc = new AttachmentEncryptor(deps, key, 10);
    expect(() => enc.update(new Uint8Array(11))).toThrow(RangeError);
    enc.update(new Uint8Array(9));
    expect(() => [...enc.finish()]).toThrow(RangeError);
  });
});

describe("attacks on the blob are detected", () => {
  const size = 3 * ATTACHMENT_CHUNK_BYTES + 5000;
  const plaintext = pattern(size);
  const { blob, digest } = encrypt(plaintext);
  const chunk = ATTACHMENT_CHUNK_BYTES + ATTACHMENT_TAG_BYTES;

  test.prop([fc.nat({ max: blob.length * 8 - 1 })], { numRuns: Math.min(RUNS, 60) })("any flipped bit: ERR_ATTACHMENT_CORRUPT", (bit) => {
    const tampered = blob.slice();
    tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
    expect(code(() => decrypt(tampered, digest, size))).toBe(ErrorCode.AttachmentCorrupt);
  });

  test.prop([fc.nat({ max: blob.length - 1 })], { numRuns: Math.min(RUNS, 60) })(
    "truncated at any byte: ERR_ATTACHMENT_TRUNCATED",
    (at) => {
      expect(code(() => decrypt(blob.subarray(0, at), digest, size))).toBe(ErrorCode.AttachmentTruncated);
    },
  );

  test("the final chunk's plaintext is never released when the digest does not match", () => {
    const dec = new AttachmentDecryptor(deps, { key, digest: new Uint8Array(32), size });
    const released: Uint8Array[] = [];
    expect(
      code(() => {
        for (let at = 0; at < blob.length; at += chunk) released.push(...dec.update(blob.subarray(at, at + chunk)));
      }),
    ).toBe(ErrorCode.AttachmentCorrupt);
    same(concatBytes(...released), plaintext.subarray(0, 3 * ATTACHMENT_CHUNK_BYTES));
    expect(code(() => dec.finish())).toBe(ErrorCode.AttachmentCorrupt);
    expect(code(() => dec.update(new Uint8Array(0)))).toBe(ErrorCode.AttachmentCorrupt);
  });

  test("dropping the final chunk (a clean cut at a chunk boundary) is truncation, not a shorter file", () => {
    expect(code(() => decrypt(blob.subarray(0, 3 * chunk), digest, size))).toBe(ErrorCode.AttachmentTruncated);
  });

  test("swapped chunks, a chunk moved to the end, appended bytes: ERR_ATTACHMENT_CORRUPT", () => {
    const swapped = concatBytes(blob.subarray(chunk, 2 * chunk), blob.subarray(0, chunk), blob.subarray(2 * chunk));
    expect(code(() => decrypt(swapped, digest, size))).toBe(ErrorCode.AttachmentCorrupt);
    // A full-size chunk in the final position fails its length or its last-flag nonce.
    const early = concatBytes(blob.subarray(0, 3 * chunk), blob.subarray(0, blob.length - 3 * chunk));
    expect(code(() => decrypt(early, digest, size))).toBe(ErrorCode.AttachmentCorrupt);
    expect(code(() => decrypt(concatBytes(blob, Uint8Array.of(0)), digest, size))).toBe(ErrorCode.AttachmentCorrupt);
  });

  test("a pointer claiming a smaller size cannot make the receiver accept a prefix as the file", () => {
    // Same key and blob, size lowered to two chunks: chunk 1 was sealed as non-final.
    expect(code(() => decrypt(blob.subarray(0, 2 * chunk), digest, 2 * ATTACHMENT_CHUNK_BYTES))).toBe(ErrorCode.AttachmentCorrupt);
  });

  test("a chunk sealed with non-zero padding (a deviating sender) is refused", () => {
    const keys = attachmentStreamKeys(deps, key);
    const padded = new Uint8Array(1024).fill(1);
    const forged = deps.crypto.aeadEncrypt(keys.chunkKey, chunkNonce(keys.noncePrefix, 0, true), padded, new Uint8Array(0));
    expect(code(() => decrypt(forged, deps.crypto.sha256(forged), 10))).toBe(ErrorCode.AttachmentCorrupt);
  });

  test("a stated encrypted size that does not match the size is refused up front", () => {
    expect(code(() => new AttachmentDecryptor(deps, { key, digest, size, encryptedSize: blob.length + 1 }))).toBe(
      ErrorCode.AttachmentCorrupt,
    );
  });

  test("another key: the first chunk already fails", () => {
    const dec = new AttachmentDecryptor(deps, { key: new Uint8Array(32), digest, size });
    expect(code(() => dec.update(blob.subarray(0, chunk)))).toBe(ErrorCode.AttachmentCorrupt);
  });
});
