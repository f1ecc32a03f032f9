// The attachment vector generator (test-vectors/attachments.json, spec/attachments.md): padding
// buckets, key derivation, chunk nonces, whole blobs with their digests, pointers with and
// without the optional block, and the failures a decryptor or decoder must report. Its own seed
// ("parley attachment vectors v1"), so the other vector files do not change. Every value is
// recomputed here from the spec's formulas with bare primitives and checked against the
// implementation before it is written.
import { decodeAttachmentPointer, encodeAttachmentPointer } from "../../src/attachment/pointer.js";
import {
  AttachmentDecryptor,
  AttachmentEncryptor,
  attachmentLayout,
  attachmentStreamKeys,
  chunkNonce,
  padme,
} from "../../src/attachment/stream.js";
import { type Content, decodeContent, encodeContent } from "../../src/content/content.js";
import { concatBytes, equalBytes, bytesToHex as hex } from "../../src/crypto/bytes.js";
import type { CryptoProvider } from "../../src/crypto/provider.js";
import { ParleyError } from "../../src/errors.js";
import { ATTACHMENT_CHUNK_BYTES, MIN_ATTACHMENT_PADDED_BYTES } from "../../src/limits.js";
import { seededStream } from "./seeded.js";

const SEED = "parley attachment vectors v1";
/** Fixed clock of the vectors: 2026-01-01T00:00:00Z. */
const VECTOR_TIME = 1_767_225_600_000;

function check(condition: boolean, what: string): void {
  if (!condition) throw new Error(`attachment vector generator: ${what} disagrees with the specification`);
}

/** The vectors' plaintext of `size` bytes: byte i is i mod 251. */
export function vectorPlaintext(size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, i) => i % 251);
}

function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof ParleyError) return error.code;
    throw error;
  }
  return "none";
}

/** Returns `{ "attachments.json": … }` for generate.ts's output. */
export function generateAttachmentVectors(crypto: CryptoProvider): Record<string, unknown> {
  const deps = { crypto };
  const random = seededStream(crypto, SEED);
  const empty = new Uint8Array(0);

  const layouts = [0, 1, 1024, 1025, 65_536, 65_537, 70_000, 1_000_000, 200_000_000, 4_294_967_296].map((size) => {
    const layout = attachmentLayout(size);
    const padded = padme(Math.max(size, MIN_ATTACHMENT_PADDED_BYTES));
    check(layout.paddedSize === padded && layout.chunkCount === Math.ceil(padded / ATTACHMENT_CHUNK_BYTES), "layout");
    check(layout.encryptedSize === padded + 16 * layout.chunkCount, "encrypted size");
    return layout;
  });

  /** One file: every derived value, recomputed from the formulas of spec/attachments.md §1. */
  const file = (size: number, fullBlob: boolean) => {
    const key = random(32);
    const plaintext = vectorPlaintext(size);
    const encryptor = new AttachmentEncryptor(deps, key, size);
    const blob = concatBytes(...encryptor.update(plaintext), ...encryptor.finish());
    const digest = encryptor.digest();
    const layout = attachmentLayout(size);
    const okm = crypto.hkdfSha256(key, empty, new TextEncoder().encode("Parley/v1/attachment"), 39);
    const keys = attachmentStreamKeys(deps, key);
    check(equalBytes(okm, concatBytes(keys.chunkKey, keys.noncePrefix)), "chunk key and nonce prefix");
    const padded = new Uint8Array(layout.paddedSize);
    padded.set(plaintext);
    const chunks: { nonce: string; ciphertextSha256: string }[] = [];
    const sealed: Uint8Array[] = [];
    for (let i = 0; i < layout.chunkCount; i++) {
      const nonce = concatBytes(
        okm.subarray(32),
        Uint8Array.of(i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff, i === layout.chunkCount - 1 ? 1 : 0),
      );
      check(equalBytes(nonce, chunkNonce(keys.noncePrefix, i, i === layout.chunkCount - 1)), "chunk nonce");
      const chunk = crypto.aeadEncrypt(
        okm.subarray(0, 32),
        nonce,
        padded.subarray(i * ATTACHMENT_CHUNK_BYTES, (i + 1) * ATTACHMENT_CHUNK_BYTES),
        empty,
      );
      sealed.push(chunk);
      chunks.push({ nonce: hex(nonce), ciphertextSha256: hex(crypto.sha256(chunk)) });
    }
    check(equalBytes(concatBytes(...sealed), blob), "blob");
    check(equalBytes(crypto.sha256(blob), digest), "digest");
    const decryptor = new AttachmentDecryptor(deps, { key, digest, size });
    const opened = concatBytes(...decryptor.update(blob));
    decryptor.finish();
    check(equalBytes(opened, plaintext), "decryption");
    return {
      value: {
        size,
        plaintext: `byte i = i mod 251 (${size} bytes)`,
        key: hex(key),
        chunkKey: hex(keys.chunkKey),
        noncePrefix: hex(keys.noncePrefix),
        paddedSize: layout.paddedSize,
        chunkCount: layout.chunkCount,
        encryptedSize: layout.encryptedSize,
        chunks,
        digest: hex(digest),
        ...(fullBlob ? { blob: hex(blob) } : { lastChunk: hex(sealed.at(-1) as Uint8Array) }),
      },
      blob,
      key,
      digest,
    };
  };

  const files = [file(0, true), file(5, true), file(1024, true), file(66_000, false)];
  const base = files[3] as (typeof files)[number];

  // Failures a decryptor must report (VAL-A11, A13, A14, A15).
  const flipped = base.blob.slice();
  flipped[100] = (flipped[100] as number) ^ 0x01;
  const decrypt =
    (blob: Uint8Array, digest = base.digest, size = 66_000) =>
    () => {
      const d = new AttachmentDecryptor(deps, { key: base.key, digest, size });
      d.update(blob);
      d.finish();
    };
  const streamFailures = [
    {
      description: "one bit flipped in the final chunk",
      tamperedAt: 70_000 % flipped.length,
      rule: "VAL-A11",
      expectedError: errorCode(decrypt(flipped)),
    },
    {
      description: "the final chunk missing (cut at the chunk boundary)",
      truncateTo: 65_552,
      rule: "VAL-A15",
      expectedError: errorCode(decrypt(base.blob.subarray(0, 65_552))),
    },
    {
      description: "cut inside the final chunk",
      truncateTo: 66_000,
      rule: "VAL-A15",
      expectedError: errorCode(decrypt(base.blob.subarray(0, 66_000))),
    },
    {
      description: "one byte appended",
      append: "00",
      rule: "VAL-A13",
      expectedError: errorCode(decrypt(concatBytes(base.blob, Uint8Array.of(0)))),
    },
    {
      description: "digest of another blob",
      digest: hex(new Uint8Array(32)),
      rule: "VAL-A14",
      expectedError: errorCode(decrypt(base.blob, new Uint8Array(32))),
    },
    {
      description: "the pointer claims 65,536 bytes: chunk 0 was not sealed as final",
      size: 65_536,
      truncateTo: 65_552,
      rule: "VAL-A11",
      expectedError: errorCode(decrypt(base.blob.subarray(0, 65_552), base.digest, 65_536)),
    },
  ];
  check(
    streamFailures.every((f) => f.expectedError !== "none"),
    "every stream failure fails",
  );

  // Pointers: a minimal one (no optional block) and a full one, standalone and inside a content.
  const minimal = {
    blobId: hex(random(16)),
    key: base.key,
    digest: base.digest,
    size: 66_000,
    contentType: "application/octet-stream",
    fileName: "data.bin",
    caption: "",
  };
  const full = {
    ...minimal,
    contentType: "video/mp4",
    fileName: "clip.mp4",
    caption: "our walk",
    encryptedSize: base.value.encryptedSize,
    width: 1920,
    height: 1080,
    durationMs: 12_345,
    preview: random(25),
  };
  const json = (p: typeof full | typeof minimal) =>
    Object.fromEntries(Object.entries(p).map(([k, v]) => [k, v instanceof Uint8Array ? hex(v) : v]));
  const pointers = [minimal, full].map((p) => {
    const encoded = encodeAttachmentPointer(p);
    check(JSON.stringify(json(decodeAttachmentPointer(encoded) as typeof full)) === JSON.stringify(json(p)), "pointer round trip");
    return { pointer: json(p), encoded: hex(encoded) };
  });
  const content: Content = { kind: "attachment", id: random(16), sentAt: VECTOR_TIME, ...full };
  const contentEncoded = encodeContent(content);
  check(decodeContent(contentEncoded).kind === "attachment", "content round trip");

  const fullEncoded = encodeAttachmentPointer(full);
  const flagsAt = fullEncoded.length - (1 + 8 + 8 + 4 + 1 + 25);
  /** The full pointer with byte `at` changed to `value`. */
  const withByte = (at: number, value: number) => {
    const b = fullEncoded.slice();
    b[at] = value;
    return b;
  };
  const decodeFailures = [
    {
      description: "optional block with flags 0",
      rule: "VAL-A01",
      encoded: concatBytes(encodeAttachmentPointer(minimal), Uint8Array.of(0)),
    },
    { description: "unknown flag bit 0x10", rule: "VAL-A01", encoded: withByte(flagsAt, 0x1f) },
    {
      description: "encryptedSize one more than the size implies",
      rule: "VAL-A03",
      encoded: withByte(flagsAt + 8, (fullEncoded[flagsAt + 8] as number) + 1),
    },
    { description: "width 0", rule: "VAL-A04", encoded: fullEncoded.slice().fill(0, flagsAt + 9, flagsAt + 13) },
    { description: "preview length 0", rule: "VAL-A05", encoded: concatBytes(fullEncoded.subarray(0, flagsAt + 21), Uint8Array.of(0)) },
    {
      description: "size 2^32 + 1",
      rule: "VAL-A02",
      encoded: (() => {
        const b = encodeAttachmentPointer(minimal);
        const sizeAt = 1 + 2 + 32 + 32 + 32;
        b.set([0, 0, 0, 1, 0, 0, 0, 1], sizeAt);
        return b;
      })(),
    },
  ].map((f) => ({ ...f, encoded: hex(f.encoded), expectedError: errorCode(() => decodeAttachmentPointer(f.encoded)) }));
  check(
    decodeFailures.every((f) => f.expectedError === "ERR_INVALID_ENCODING"),
    "every decode failure fails",
  );

  return {
    "attachments.json": {
      description: "spec/attachments.md: padding buckets, keys, chunk nonces, blobs, digests, pointers and failures",
      label: "Parley/v1/attachment",
      chunkBytes: ATTACHMENT_CHUNK_BYTES,
      minPaddedBytes: MIN_ATTACHMENT_PADDED_BYTES,
      layouts,
      files: files.map((f) => f.value),
      streamFailures: streamFailures.map((f) => ({ file: 3, ...f })),
      pointers,
      content: { id: hex(content.id), sentAt: VECTOR_TIME, pointer: 1, encoded: hex(contentEncoded) },
      decodeFailures,
    },
  };
}
