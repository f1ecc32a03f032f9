/**
 * The file store's decoders driven by bytes alone (no file system): batch encoding round-trips
 * any strings and values and rejects everything else without throwing; the header decoder only
 * ever fails with StoreError; and a log damaged anywhere replays as a prefix of what was written
 * or fails with ERR_STORE_CORRUPT — never as reordered, altered or invented batches.
 *
 * Plain `fc.assert` rather than @fast-check/vitest: importing the latter costs ~3 s per test file here.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { createNodeProvider } from "../../crypto/node.js";
import { HEADER_BYTES } from "./file-constants.js";
import { decodeHeader, encodeHeader, encodeHeaderFields } from "./file-header.js";
import { decodeBatch, encodeBatch, sealRecord } from "./file-record.js";
import { replayLog } from "./file-replay.js";
import type { StoreWrite } from "./store.js";
import { StoreError } from "./store-error.js";

const crypto = createNodeProvider();
/** Runs per property; the nightly script raises it through PARLEY_FUZZ_RUNS. */
const RUNS = { numRuns: Number(process.env.PARLEY_FUZZ_RUNS ?? 300) };
const anyCodeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 10 });
const writeArb: fc.Arbitrary<StoreWrite> = fc.record({
  namespace: anyCodeUnits,
  key: anyCodeUnits,
  value: fc.option(fc.uint8Array({ maxLength: 20 }), { nil: undefined }),
});

describe("batch encoding", () => {
  test("round-trips any writes, lone surrogates included", () => {
    fc.assert(
      fc.property(fc.array(writeArb, { maxLength: 8 }), (writes) => {
        expect(decodeBatch(encodeBatch(writes))).toEqual(writes);
      }),
      RUNS,
    );
  });

  test("rejects arbitrary bytes without throwing, and accepts only canonical encodings", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const writes = decodeBatch(bytes);
        if (writes !== undefined) expect(encodeBatch(writes)).toEqual(bytes);
      }),
      RUNS,
    );
  });

  test("rejects every truncation of a valid encoding", () => {
    fc.assert(
      fc.property(fc.array(writeArb, { minLength: 1, maxLength: 4 }), fc.nat(), (writes, cut) => {
        const encoded = encodeBatch(writes);
        expect(decodeBatch(encoded.subarray(0, cut % encoded.length))).toBeUndefined();
      }),
      RUNS,
    );
  });
});

describe("header decoding", () => {
  const fields = encodeHeaderFields({ N: 16, r: 8, p: 1 }, new Uint8Array(16).fill(1), new Uint8Array(16).fill(2));
  const header = encodeHeader(fields, new Uint8Array(32).fill(3), crypto.sha256);

  test("fails on arbitrary bytes only with StoreError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        expect(() => decodeHeader(bytes, crypto.sha256)).toThrow(StoreError);
      }),
      RUNS,
    );
  });

  test("notices any changed byte", () => {
    fc.assert(
      fc.property(fc.nat({ max: HEADER_BYTES - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const damaged = header.slice();
        damaged[at] = (damaged[at] as number) ^ xor;
        expect(() => decodeHeader(damaged, crypto.sha256)).toThrow(StoreError);
      }),
      RUNS,
    );
  });

  test("round-trips its fields", () => {
    const decoded = decodeHeader(header, crypto.sha256);
    expect(decoded.kdf).toEqual({ N: 16, r: 8, p: 1 });
    expect(decoded.fields).toEqual(fields);
  });
});

describe("log replay under damage", () => {
  const dataKey = new Uint8Array(32).fill(7);
  const fileId = new Uint8Array(16).fill(9);

  /** A log of `groups` group commits (replay does not read the header, so zeros do), with each record's end and group. */
  function buildLog(groups: readonly (readonly StoreWrite[][])[]): { file: Uint8Array; ends: number[]; groupOf: number[] } {
    const parts: Uint8Array[] = [new Uint8Array(HEADER_BYTES)];
    const ends: number[] = [];
    const groupOf: number[] = [];
    let length = HEADER_BYTES;
    groups.forEach((group, g) => {
      group.forEach((batch, offset) => {
        const frame = sealRecord(crypto, dataKey, fileId, ends.length, offset, encodeBatch(batch));
        parts.push(frame);
        length += frame.length;
        ends.push(length);
        groupOf.push(g);
      });
    });
    return { file: new Uint8Array(parts.flatMap((part) => [...part])), ends, groupOf };
  }

  function replay(file: Uint8Array): StoreWrite[][] {
    const batches: StoreWrite[][] = [];
    replayLog(crypto, dataKey, fileId, file, (writes) => batches.push(writes));
    return batches;
  }

  const groupsArb = fc.array(fc.array(fc.array(writeArb, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }), {
    minLength: 1,
    maxLength: 5,
  });
  const damageArb = fc.oneof(
    fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), xor: fc.integer({ min: 1, max: 255 }) }),
    fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
    fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  );

  test("drops exactly a torn last group from the damage on, refuses damage to earlier groups, never alters a batch", () => {
    fc.assert(
      fc.property(groupsArb, damageArb, (groups, damage) => {
        const written = groups.flat();
        const { file, ends, groupOf } = buildLog(groups);
        expect(replay(file)).toEqual(written);
        const body = file.length - HEADER_BYTES;
        if (damage.kind === "append") {
          expect(replay(new Uint8Array([...file, ...damage.bytes]))).toEqual(written);
        } else if (damage.kind === "cut") {
          const cut = HEADER_BYTES + (damage.at % body);
          const complete = ends.filter((end) => end <= cut).length;
          expect(replay(file.subarray(0, cut))).toEqual(written.slice(0, complete));
        } else {
          const at = HEADER_BYTES + (damage.at % body);
          const record = ends.findIndex((end) => at < end);
          const damaged = file.slice();
          damaged[at] = (damaged[at] as number) ^ damage.xor;
          if (groupOf[record] === groups.length - 1) {
            expect(replay(damaged)).toEqual(written.slice(0, record));
          } else {
            expect(() => replay(damaged)).toThrow(expect.objectContaining({ code: "ERR_STORE_CORRUPT" }));
          }
        }
      }),
      RUNS,
    );
  });
});
