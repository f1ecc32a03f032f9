// The applied-change history tells a replay from a fork for versions we moved past, keeps
// MAX_GROUP_CHANGE_HISTORY entries (the next one drops the oldest), and a fork switch replaces
// the entries at and above the switched version.
import { describe, expect, test } from "vitest";
import { MAX_GROUP_CHANGE_HISTORY } from "../../limits.js";
import { markDiverged, pastChange, withApplied } from "./history.js";

const hash = (n: number) => new Uint8Array(32).fill(n % 256);

describe("applied group change history", () => {
  test("a change we applied is a replay, another one for the same version a fork, an unremembered version unknown", () => {
    let h = withApplied(undefined, 0, hash(0));
    h = withApplied(h, 1, hash(1));
    h = withApplied(h, 2, hash(2));
    expect(pastChange(h, 1, hash(1))).toBe("replay");
    expect(pastChange(h, 1, hash(9))).toBe("fork");
    expect(pastChange(h, 7, hash(7))).toBe("unknown");
    expect(markDiverged(h, 1).find((e) => e.version === 1)?.diverged).toBe(true);
  });

  test("a fork switch replaces the entries at and above its version", () => {
    let h = withApplied(undefined, 0, hash(0));
    h = withApplied(h, 1, hash(1));
    h = withApplied(h, 1, hash(5));
    expect(h.map((e) => e.version)).toEqual([0, 1]);
    expect(pastChange(h, 1, hash(5))).toBe("replay");
  });

  test(`${MAX_GROUP_CHANGE_HISTORY} versions are remembered; the next one drops the oldest`, () => {
    let h = withApplied(undefined, 0, hash(0));
    for (let v = 1; v < MAX_GROUP_CHANGE_HISTORY; v++) h = withApplied(h, v, hash(v));
    expect(h).toHaveLength(MAX_GROUP_CHANGE_HISTORY);
    expect(pastChange(h, 0, hash(0))).toBe("replay");
    h = withApplied(h, MAX_GROUP_CHANGE_HISTORY, hash(MAX_GROUP_CHANGE_HISTORY));
    expect(h).toHaveLength(MAX_GROUP_CHANGE_HISTORY);
    expect(pastChange(h, 0, hash(0))).toBe("unknown");
    expect(pastChange(h, 1, hash(1))).toBe("replay");
  });
});
