// The fork chain a group record keeps: records written before it (one `previous` link) still
// settle a competing change to their last version, and the chain keeps MAX_GROUP_FORK_DEPTH links.
import { describe, expect, test } from "vitest";
import { MAX_GROUP_FORK_DEPTH } from "../../limits.js";
import { type ChainLink, chainOf, type GroupRecord, withLink } from "./records.js";

const link = (i: number): ChainLink => ({ state: Uint8Array.of(i), change: Uint8Array.of(100 + i) });
const record = (fields: Partial<GroupRecord>): GroupRecord => ({
  groupId: new Uint8Array(16),
  state: Uint8Array.of(0),
  active: true,
  joinedAt: 0,
  ...fields,
});

describe("group record chain", () => {
  test("an older record's one `previous` link is its chain; a write replaces it with `chain`", () => {
    const old = record({ previous: link(1) });
    expect(chainOf(old)).toEqual([link(1)]);
    const next = withLink(old, [...chainOf(old), link(2)], Uint8Array.of(2));
    expect(next.previous).toBeUndefined();
    expect(next.chain).toEqual([link(1), link(2)]);
    expect(chainOf(record({}))).toEqual([]);
  });

  test(`keeps the newest ${MAX_GROUP_FORK_DEPTH} links (N kept whole, N + 1 drops the oldest)`, () => {
    const full = Array.from({ length: MAX_GROUP_FORK_DEPTH }, (_, i) => link(i));
    expect(withLink(record({}), full, Uint8Array.of(9)).chain).toEqual(full);
    const over = [...full, link(MAX_GROUP_FORK_DEPTH)];
    expect(withLink(record({}), over, Uint8Array.of(9)).chain).toEqual(over.slice(1));
  });
});
