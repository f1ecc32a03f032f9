// The attachment pointer's decoders (standalone and inside a content) and the attachment
// decryptor under fuzzing: arbitrary and mutated bytes give a ParleyError or a value, never
// another exception; a decoded value re-encodes to the same bytes (one encoding per pointer);
// every limit holds at N and is refused at N + 1.
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import { allDeps } from "../../test/fixtures.js";
import { mutated } from "../../test/fuzz.js";
import { decodeContent, encodeContent } from "../content/content.js";
import { ErrorCode, ParleyError } from "../errors.js";
import { MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_POINTER_BYTES, MAX_ATTACHMENT_PREVIEW_BYTES } from "../limits.js";
import { type AttachmentPointer, decodeAttachmentPointer, encodeAttachmentPointer } from "./pointer.js";
import { AttachmentDecryptor, attachmentLayout } from "./stream.js";

const RUNS = Number(process.env.PARLEY_FUZZ_RUNS ?? 300);
const [, deps] = allDeps[0] as (typeof allDeps)[number];

const full: AttachmentPointer = {
  blobId: "0123456789abcdef0123456789abcdef",
  key: new Uint8Array(32).fill(1),
  digest: new Uint8Array(32).fill(2),
  size: 123_456,
  contentType: "image/png",
  fileName: "cat.png",
  caption: "a cat",
  encryptedSize: attachmentLayout(123_456).encryptedSize,
  width: 800,
  height: 600,
  durationMs: 0,
  preview: new Uint8Array(25).fill(3),
};

function onlyParleyErrors<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (error) {
    if (!(error instanceof ParleyError)) throw error;
    return undefined;
  }
}

const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
const pointers: fc.Arbitrary<AttachmentPointer> = fc
  .record({
    blobId: fc.string({ maxLength: 40 }),
    key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    digest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    size: fc.integer({ min: 0, max: MAX_ATTACHMENT_BYTES }),
    contentType: fc.string({ maxLength: 30 }),
    fileName: fc.string({ maxLength: 30 }),
    caption: fc.string({ maxLength: 60 }),
    withSize: fc.boolean(),
    dimensions: optional(fc.tuple(fc.integer({ min: 1, max: 0xffff_ffff }), fc.integer({ min: 1, max: 0xffff_ffff }))),
    durationMs: optional(fc.integer({ min: 0, max: 0xffff_ffff })),
    preview: optional(fc.uint8Array({ minLength: 1, maxLength: MAX_ATTACHMENT_PREVIEW_BYTES })),
  })
  .map(({ withSize, dimensions, durationMs, preview, ...p }) => ({
    ...p,
    ...(withSize ? { encryptedSize: attachmentLayout(p.size).encryptedSize } : {}),
    ...(dimensions ? { width: dimensions[0], height: dimensions[1] } : {}),
    ...(durationMs !== undefined ? { durationMs } : {}),
    ...(preview ? { preview } : {}),
  }));

describe("attachment pointer decoder", () => {
  test.prop([fc.uint8Array({ maxLength: 2048 })], { numRuns: RUNS })("arbitrary bytes: a ParleyError or a canonical value", (bytes) => {
    const decoded = onlyParleyErrors(() => decodeAttachmentPointer(bytes));
    if (decoded) expect(encodeAttachmentPointer(decoded)).toEqual(bytes);
  });

  test.prop([mutated(encodeAttachmentPointer(full))], { numRuns: RUNS })(
    "mutations of a full pointer: a ParleyError or a canonical value",
    (bytes) => {
      const decoded = onlyParleyErrors(() => decodeAttachmentPointer(bytes));
      if (decoded) expect(encodeAttachmentPointer(decoded)).toEqual(bytes);
    },
  );

  test.prop([pointers], { numRuns: RUNS })("every valid pointer round-trips, standalone and as a content", (pointer) => {
    const encoded = onlyParleyErrors(() => encodeAttachmentPointer(pointer));
    if (encoded) expect(decodeAttachmentPointer(encoded)).toEqual(pointer);
    const content = { kind: "attachment" as const, id: new Uint8Array(16), sentAt: 1, ...pointer };
    expect(decodeContent(encodeContent(content))).toEqual(content);
  });

  test.prop([mutated(encodeContent({ kind: "attachment", id: new Uint8Array(16), sentAt: 5, ...full }))], { numRuns: RUNS })(
    "mutations of an attachment content: a ParleyError or a value",
    (bytes) => {
      onlyParleyErrors(() => decodeContent(bytes));
    },
  );
});

describe("attachment limits at N and N + 1", () => {
  const code = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return error instanceof ParleyError ? error.code : "other";
    }
    return "none";
  };

  test("MAX_ATTACHMENT_PREVIEW_BYTES", () => {
    expect(
      decodeAttachmentPointer(encodeAttachmentPointer({ ...full, preview: new Uint8Array(MAX_ATTACHMENT_PREVIEW_BYTES) })).preview,
    ).toHaveLength(MAX_ATTACHMENT_PREVIEW_BYTES);
    expect(code(() => encodeAttachmentPointer({ ...full, preview: new Uint8Array(MAX_ATTACHMENT_PREVIEW_BYTES + 1) }))).toBe(
      ErrorCode.LimitExceeded,
    );
    // The decoder's own check: the length byte says 65.
    const at64 = encodeAttachmentPointer({ ...full, preview: new Uint8Array(MAX_ATTACHMENT_PREVIEW_BYTES) });
    const lengthAt = at64.length - MAX_ATTACHMENT_PREVIEW_BYTES - 1;
    const at65 = new Uint8Array([...at64.subarray(0, lengthAt), MAX_ATTACHMENT_PREVIEW_BYTES + 1, ...new Uint8Array(65)]);
    expect(code(() => decodeAttachmentPointer(at65))).toBe(ErrorCode.InvalidEncoding);
  });

  test("MAX_ATTACHMENT_POINTER_BYTES", () => {
    const base = encodeAttachmentPointer({ ...full, caption: "" }).length;
    const fits = { ...full, caption: "x".repeat(MAX_ATTACHMENT_POINTER_BYTES - base) };
    expect(encodeAttachmentPointer(fits)).toHaveLength(MAX_ATTACHMENT_POINTER_BYTES);
    const over = { ...full, caption: "x".repeat(MAX_ATTACHMENT_POINTER_BYTES - base + 1) };
    expect(code(() => encodeAttachmentPointer(over))).toBe(ErrorCode.LimitExceeded);
    // A content may carry the longer caption; a standalone decoder refuses 1025 bytes.
    const long = encodeContent({ kind: "attachment", id: new Uint8Array(16), sentAt: 1, ...over });
    expect(decodeContent(long).kind).toBe("attachment");
    expect(code(() => decodeAttachmentPointer(new Uint8Array(MAX_ATTACHMENT_POINTER_BYTES + 1)))).toBe(ErrorCode.InvalidEncoding);
  });

  test("MAX_ATTACHMENT_BYTES", () => {
    const at = { ...full, size: MAX_ATTACHMENT_BYTES, encryptedSize: attachmentLayout(MAX_ATTACHMENT_BYTES).encryptedSize };
    expect(decodeAttachmentPointer(encodeAttachmentPointer(at)).size).toBe(MAX_ATTACHMENT_BYTES);
    const { encryptedSize: _e, ...noEncryptedSize } = full;
    expect(code(() => encodeAttachmentPointer({ ...noEncryptedSize, size: MAX_ATTACHMENT_BYTES + 1 }))).toBe(ErrorCode.LimitExceeded);
    // The decoder's own check (VAL-A02): a size one beyond, written by hand.
    const bytes = encodeAttachmentPointer({ ...noEncryptedSize, size: MAX_ATTACHMENT_BYTES, durationMs: 1 });
    const sizeAt = 1 + 2 + full.blobId.length + 64;
    new DataView(bytes.buffer).setUint32(sizeAt + 4, 1);
    expect(code(() => decodeAttachmentPointer(bytes))).toBe(ErrorCode.InvalidEncoding);
  });

  test("dimensions of 1 pixel are fine, 0 is refused; width without height is a caller error", () => {
    expect(decodeAttachmentPointer(encodeAttachmentPointer({ ...full, width: 1, height: 1 })).width).toBe(1);
    expect(() => encodeAttachmentPointer({ ...full, width: 0 })).toThrow(RangeError);
    const { height: _h, ...noHeight } = full;
    expect(() => encodeAttachmentPointer(noHeight)).toThrow(RangeError);
  });
});

describe("attachment decryptor", () => {
  test.prop([fc.integer({ min: 0, max: 200_000 }), fc.array(fc.uint8Array({ maxLength: 70_000 }), { maxLength: 4 })], {
    numRuns: Math.min(RUNS, 100),
  })("arbitrary blobs under a random key: only attachment errors, and no plaintext ever released", (size, parts) => {
    const decryptor = new AttachmentDecryptor(deps, { key: deps.crypto.randomBytes(32), digest: deps.crypto.randomBytes(32), size });
    try {
      for (const part of parts) expect(decryptor.update(part)).toEqual([]);
      decryptor.finish();
      throw new Error("a random blob was accepted");
    } catch (error) {
      expect([ErrorCode.AttachmentCorrupt, ErrorCode.AttachmentTruncated]).toContain((error as ParleyError).code);
    }
  });
});
