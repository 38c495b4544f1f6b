import { describe, expect, it } from "vitest";
import { addCount, addCounts, type Counts, countBy, sumCounts, totalCount } from "../src/index.js";

describe("tallies by key", () => {
  it("adds one, or the amount given, to a key that may not be there yet", () => {
    const counts: Counts = {};
    addCount(counts, "SENTINEL_VALUE");
    addCount(counts, "SENTINEL_VALUE");
    addCount(counts, "OUTSIDE_DAY", 5);
    addCount(counts, "DUPLICATE", 0);
    expect(counts).toEqual({ SENTINEL_VALUE: 2, OUTSIDE_DAY: 5, DUPLICATE: 0 });
  });

  it("merges a tally into another in place, and sums several into a new one", () => {
    const into: Counts = { A: 1, B: 2 };
    expect(addCounts(into, { B: 3, C: 4 })).toBe(into);
    expect(into).toEqual({ A: 1, B: 5, C: 4 });

    const first: Counts = { A: 1 };
    const second: Counts = { A: 2, B: 1 };
    expect(sumCounts(first, second, {})).toEqual({ A: 3, B: 1 });
    expect(first).toEqual({ A: 1 });
    expect(sumCounts()).toEqual({});
  });

  it("counts items by a key and totals a tally", () => {
    const reasons = countBy(["x", "yy", "z", "ww", "vvv"], (s) => `LEN_${s.length}`);
    expect(reasons).toEqual({ LEN_1: 2, LEN_2: 2, LEN_3: 1 });
    expect(totalCount(reasons)).toBe(5);
    expect(totalCount({})).toBe(0);
    expect(totalCount({ A: 1.5, B: undefined, C: 2 })).toBe(3.5);
  });
});
