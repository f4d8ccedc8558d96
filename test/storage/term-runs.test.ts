/** Term runs (broker/storage/term-runs.ts): term(i) from [firstIndex, term] pairs, and their trims. */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { appendTerm, lastTerm, runsFrom, runsThrough, termAt } from "../../broker/storage/term-runs.js";

describe("term runs", () => {
  // Indexes 10..19: term 1 for 10..12, term 3 for 13..16, term 4 for 17..19.
  const runs: number[] = [];
  for (let i = 10; i <= 19; i++) appendTerm(runs, i, i <= 12 ? 1 : i <= 16 ? 3 : 4);

  it("starts a run only when the term changes", () => {
    assert.deepEqual(runs, [10, 1, 13, 3, 17, 4]);
    assert.equal(lastTerm(runs), 4);
  });

  it("answers the term of every index from the run that covers it", () => {
    const got = Array.from({ length: 10 }, (_, k) => termAt(runs, 10 + k));
    assert.deepEqual(got, [1, 1, 1, 3, 3, 3, 3, 4, 4, 4]);
    assert.equal(termAt([5, 2], 5), 2);
    assert.equal(termAt([5, 2], 1_000), 2);
  });

  it("asserts when asked for an index before the first run", () => {
    assert.throws(() => termAt(runs, 9), /no term run for index 9/);
  });

  it("keeps the runs through t on truncation", () => {
    assert.deepEqual(runsThrough(runs, 19), runs);
    assert.deepEqual(runsThrough(runs, 16), [10, 1, 13, 3]);
    assert.deepEqual(runsThrough(runs, 13), [10, 1, 13, 3]);
    assert.deepEqual(runsThrough(runs, 12), [10, 1]);
    assert.deepEqual(runsThrough(runs, 10), [10, 1]);
  });

  it("clamps the first run to the new first index on compaction", () => {
    assert.deepEqual(runsFrom(runs, 10), runs);
    assert.deepEqual(runsFrom(runs, 11), [11, 1, 13, 3, 17, 4]);
    assert.deepEqual(runsFrom(runs, 13), [13, 3, 17, 4]);
    assert.deepEqual(runsFrom(runs, 15), [15, 3, 17, 4]);
    assert.deepEqual(runsFrom(runs, 19), [19, 4]);
    // Every index keeps its term across a trim.
    for (let first = 10; first <= 19; first++) {
      const trimmed = runsFrom(runs, first);
      for (let i = first; i <= 19; i++) assert.equal(termAt(trimmed, i), termAt(runs, i), `from ${first}, index ${i}`);
    }
  });
});
