// Content codec and padding (spec/content.md): every kind round-trips, limits hold at N and
// N+1, and padding hides length within Padmé buckets.
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { type Content, decodeContent, encodeContent, isEphemeral } from "../src/content/content.js";
import { MIN_PADDED_LENGTH, pad, paddedLength, unpad } from "../src/content/padding.js";
import { ErrorCode, ParleyError } from "../src/errors.js";
import { MAX_RECEIPT_IDS, MAX_SHORT_STRING_BYTES, MAX_TEXT_BYTES } from "../src/limits.js";

const id = (n: number) => new Uint8Array(16).fill(n);
const base = { id: id(1), sentAt: 1_732_000_000_000 };

const samples: Content[] = [
  { ...base, kind: "text", text: "héllo 👋" },
  { ...base, kind: "reply", target: id(2), text: "quoted" },
  { ...base, kind: "reaction", target: id(2), emoji: "👍", remove: false },
  { ...base, kind: "reaction", target: id(2), emoji: "👍", remove: true },
  { ...base, kind: "edit", target: id(2), text: "fixed typo" },
  { ...base, kind: "delete", target: id(2) },
  { ...base, kind: "receipt", receipt: "delivered", targets: [id(2), id(3)] },
  { ...base, kind: "receipt", receipt: "read", targets: [id(4)] },
  { ...base, kind: "typing", typing: true },
  { ...base, kind: "presence", presence: "away" },
  {
    ...base,
    kind: "attachment",
    blobId: "b-123",
    key: new Uint8Array(32).fill(7),
    digest: new Uint8Array(32).fill(8),
    size: 123_456,
    contentType: "image/png",
    fileName: "cat.png",
    caption: "a cat",
  },
  { ...base, kind: "groupChange", groupId: id(9), change: Uint8Array.of(1, 2, 3) },
  { ...base, kind: "callSignal", callId: id(5), signal: "offer", payload: "v=0 sdp" },
  { ...base, kind: "sessionReset" },
  { ...base, kind: "profile", displayName: "Alice", deliveryToken: new Uint8Array(32).fill(3) },
  {
    ...base,
    kind: "sync",
    peer: id(7),
    peerAccountKey: new Uint8Array(32).fill(9),
    content: { id: id(8), sentAt: 5, kind: "reply", target: id(2), text: "to Bob" },
  },
];

describe("content codec", () => {
  test.each(samples.map((s) => [s.kind, s] as const))("%s round-trips", (_kind, sample) => {
    expect(decodeContent(encodeContent(sample))).toEqual(sample);
  });

  test("a sync content cannot nest another sync content", () => {
    const inner = {
      ...base,
      kind: "sync" as const,
      peer: id(1),
      peerAccountKey: new Uint8Array(32),
      content: { ...base, kind: "typing" as const, typing: true },
    };
    expect(() => encodeContent({ ...base, kind: "sync", peer: id(2), peerAccountKey: new Uint8Array(32), content: inner })).toThrow(
      RangeError,
    );
  });

  test("typing and presence are ephemeral; everything else is not", () => {
    expect(samples.filter(isEphemeral).map((s) => s.kind)).toEqual(["typing", "presence"]);
  });

  test(`text of ${MAX_TEXT_BYTES} bytes encodes; one byte more is ERR_LIMIT_EXCEEDED`, () => {
    expect(decodeContent(encodeContent({ ...base, kind: "text", text: "a".repeat(MAX_TEXT_BYTES) })).kind).toBe("text");
    expect(() => encodeContent({ ...base, kind: "text", text: "a".repeat(MAX_TEXT_BYTES + 1) })).toThrow(
      expect.objectContaining({ code: ErrorCode.LimitExceeded }),
    );
  });

  test(`an emoji of ${MAX_SHORT_STRING_BYTES} bytes encodes; one byte more does not`, () => {
    const ok = { ...base, kind: "reaction" as const, target: id(1), remove: false, emoji: "x".repeat(MAX_SHORT_STRING_BYTES) };
    expect(decodeContent(encodeContent(ok))).toEqual(ok);
    expect(() => encodeContent({ ...ok, emoji: "x".repeat(MAX_SHORT_STRING_BYTES + 1) })).toThrow(ParleyError);
  });

  test(`a receipt names 1 to ${MAX_RECEIPT_IDS} messages`, () => {
    const targets = Array.from({ length: MAX_RECEIPT_IDS }, () => id(3));
    expect(decodeContent(encodeContent({ ...base, kind: "receipt", receipt: "read", targets })).kind).toBe("receipt");
    expect(() => encodeContent({ ...base, kind: "receipt", receipt: "read", targets: [...targets, id(3)] })).toThrow(RangeError);
    expect(() => encodeContent({ ...base, kind: "receipt", receipt: "read", targets: [] })).toThrow(RangeError);
  });

  test("bad arguments are TypeError/RangeError, not protocol errors", () => {
    expect(() => encodeContent({ ...base, id: new Uint8Array(15), kind: "delete", target: id(1) })).toThrow(RangeError);
    expect(() => encodeContent({ ...base, kind: "text", text: 42 as unknown as string })).toThrow(TypeError);
  });

  test("an unknown kind, a bad flag or trailing bytes are ERR_INVALID_ENCODING", () => {
    const encoded = unpad(encodeContent({ ...base, kind: "typing", typing: true }));
    const badKind = encoded.slice();
    badKind[1] = 99;
    const badFlag = encoded.slice();
    badFlag[badFlag.length - 1] = 2;
    for (const bytes of [badKind, badFlag, Uint8Array.of(...encoded, 0x01)]) {
      expect(() => decodeContent(pad(bytes))).toThrow(expect.objectContaining({ code: ErrorCode.InvalidEncoding }));
    }
  });
});

describe("padding", () => {
  test(`short contents all pad to ${MIN_PADDED_LENGTH} bytes`, () => {
    expect(new Set(samples.slice(0, 10).map((s) => encodeContent(s).length))).toEqual(new Set([MIN_PADDED_LENGTH]));
  });

  fcTest.prop([fc.uint8Array({ maxLength: 20_000 })])("pad/unpad round-trips and overhead stays under 12% above 1 KiB", (bytes) => {
    const padded = pad(bytes);
    expect(unpad(padded)).toEqual(bytes);
    expect(padded.length).toBe(paddedLength(bytes.length));
    if (bytes.length > 1024) expect(padded.length / (bytes.length + 1)).toBeLessThan(1.12);
  });

  test("padded lengths are few: 1000 different lengths fall into a handful of buckets", () => {
    const buckets = new Set(Array.from({ length: 1000 }, (_, n) => paddedLength(1000 + n)));
    expect(buckets.size).toBeLessThan(40);
  });

  test("padding that is not 0x80 then zeros is rejected", () => {
    expect(() => unpad(new Uint8Array(64))).toThrow(ParleyError);
    expect(() => unpad(Uint8Array.of(1, 0x80, 0, 1))).toThrow(ParleyError);
  });
});
