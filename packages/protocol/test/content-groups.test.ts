// Group content kinds (spec/content.md §2): senderKey, group (a pairwise receipt about a group),
// groupSnapshot, and mentions on text and reply — round trips, limits at N and N+1, strict
// decoding, and fuzzing of the decoder with group encodings as seeds.
import { fc, test as fcTest } from "@fast-check/vitest";
import { describe, expect, test } from "vitest";
import { type Content, decodeContent, encodeContent } from "../src/content/content.js";
import { pad, unpad } from "../src/content/padding.js";
import { ErrorCode, ParleyError } from "../src/errors.js";
import { MAX_MENTIONS, MAX_SENDER_KEY_DISTRIBUTION_BYTES, MAX_TEXT_BYTES } from "../src/limits.js";

const id = (n: number) => new Uint8Array(16).fill(n);
const base = { id: id(1), sentAt: 1_732_000_000_000 };

const samples: Content[] = [
  { ...base, kind: "text", text: "hi @bob", mentions: [id(4)] },
  { ...base, kind: "reply", target: id(2), text: "yes @carol @dave", mentions: [id(5), id(6)] },
  { ...base, kind: "senderKey", groupId: id(9), distribution: new Uint8Array(74).fill(3) },
  {
    ...base,
    kind: "group",
    groupId: id(9),
    content: { id: id(7), sentAt: 5, kind: "receipt", receipt: "read", targets: [id(2)] },
  },
  { ...base, kind: "groupSnapshot", groupId: id(9), state: Uint8Array.of(1, 2, 3), change: Uint8Array.of(4, 5) },
  { ...base, kind: "groupSnapshot", groupId: id(9), state: new Uint8Array(0), change: Uint8Array.of(4, 5) },
];

describe("group content kinds", () => {
  test.each(samples.map((s, i) => [`${s.kind} #${i}`, s] as const))("%s round-trips", (_name, sample) => {
    expect(decodeContent(encodeContent(sample))).toEqual(sample);
  });

  test("a text without mentions encodes exactly as before mentions existed (no trailer)", () => {
    const plain = encodeContent({ ...base, kind: "text", text: "hi" });
    expect(encodeContent({ ...base, kind: "text", text: "hi", mentions: [] })).toEqual(plain);
    expect(decodeContent(plain)).toEqual({ ...base, kind: "text", text: "hi" });
  });

  test(`${MAX_MENTIONS} mentions encode; one more is a RangeError; a zero count on the wire is refused`, () => {
    const mentions = Array.from({ length: MAX_MENTIONS }, (_, i) => id(i % 250));
    expect(decodeContent(encodeContent({ ...base, kind: "text", text: "all", mentions }))).toMatchObject({ mentions });
    expect(() => encodeContent({ ...base, kind: "text", text: "all", mentions: [...mentions, id(1)] })).toThrow(RangeError);
    const bare = unpad(encodeContent({ ...base, kind: "text", text: "x" }));
    for (const count of [0, MAX_MENTIONS + 1]) {
      const trailer = Uint8Array.of(count >> 8, count & 0xff, ...new Uint8Array(16 * Math.min(count, 1)));
      expect(() => decodeContent(pad(Uint8Array.of(...bare, ...trailer)))).toThrow(
        expect.objectContaining({ code: ErrorCode.InvalidEncoding }),
      );
    }
  });

  test(`a distribution of ${MAX_SENDER_KEY_DISTRIBUTION_BYTES} bytes encodes; one more, or none, does not`, () => {
    const ok = { ...base, kind: "senderKey" as const, groupId: id(1), distribution: new Uint8Array(MAX_SENDER_KEY_DISTRIBUTION_BYTES) };
    expect(decodeContent(encodeContent(ok))).toEqual(ok);
    expect(() => encodeContent({ ...ok, distribution: new Uint8Array(MAX_SENDER_KEY_DISTRIBUTION_BYTES + 1) })).toThrow(RangeError);
    expect(() => encodeContent({ ...ok, distribution: new Uint8Array(0) })).toThrow(RangeError);
  });

  test(`a snapshot's state of ${MAX_TEXT_BYTES} bytes encodes; one more is ERR_LIMIT_EXCEEDED`, () => {
    const ok = { ...base, kind: "groupSnapshot" as const, groupId: id(1), state: new Uint8Array(MAX_TEXT_BYTES), change: Uint8Array.of(1) };
    expect(decodeContent(encodeContent(ok)).kind).toBe("groupSnapshot");
    expect(() => encodeContent({ ...ok, state: new Uint8Array(MAX_TEXT_BYTES + 1) })).toThrow(
      expect.objectContaining({ code: ErrorCode.LimitExceeded }),
    );
  });

  test("a group wrapper carries only receipts, never nested group, sync or key contents", () => {
    const wrap = (content: Content): Content => ({ ...base, kind: "group", groupId: id(1), content });
    expect(() => encodeContent(wrap({ ...base, kind: "text", text: "no" }))).toThrow(RangeError);
    expect(() => encodeContent(wrap({ ...base, kind: "senderKey", groupId: id(1), distribution: Uint8Array.of(1) }))).toThrow(RangeError);
    // On the wire: a group wrapping a text is ERR_INVALID_ENCODING.
    const inner = unpad(encodeContent({ ...base, kind: "text", text: "no" }));
    const outer = Uint8Array.of(1, 16, ...base.id, ...new Uint8Array(8), ...id(1), 0, 0, 0, inner.length, ...inner);
    expect(() => decodeContent(pad(outer))).toThrow(expect.objectContaining({ code: ErrorCode.InvalidEncoding }));
  });

  fcTest.prop(
    [
      fc.integer({ min: 0, max: samples.length - 1 }),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
      fc.nat(64),
    ],
    {
      numRuns: Number(process.env.PARLEY_FUZZ_RUNS ?? 300),
    },
  )("mutated group contents decode or throw ParleyError, nothing else", (which, flips, cut) => {
    const bytes = unpad(encodeContent(samples[which] as Content)).slice();
    for (const [at, value] of flips) bytes[at % bytes.length] = value;
    for (const input of [pad(bytes), pad(bytes.subarray(0, Math.max(0, bytes.length - cut)))]) {
      try {
        decodeContent(input);
      } catch (error) {
        expect(error).toBeInstanceOf(ParleyError);
      }
    }
  });
});
