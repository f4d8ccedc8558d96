/**
 * The group membership state machine (client/consumer/membership-state.ts)
 * under the seeded simulator of test/client/sim/membership-sim.ts: RUNS
 * seeds, each a fault phase (ending in stop() at a random step) and a
 * healing phase, with the invariants checked after every step. A failing
 * seed is printed with the command that replays it; keep every seed that
 * found a bug in REGRESSIONS, with what it found.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { membershipReplayCommand, runMembershipSeed } from "./sim/membership-sim.js";
import { withoutStacks } from "./sim/without-stacks.js";

const RUNS = 10_000;
const FIRST_SEED = 1;

/** Seeds that found a bug, replayed on every run. */
const REGRESSIONS: readonly { readonly seed: number; readonly note: string }[] = [];

test(`group membership: ${RUNS} seeded runs keep every invariant`, () => {
  const failures: string[] = [];
  let generations = 0;
  let commits = 0;
  withoutStacks(() => {
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
      const r = runMembershipSeed(seed);
      generations += r.generations;
      commits += r.commitsWritten;
      if (r.violations.length > 0 && failures.length < 5) failures.push(`seed ${seed}: ${r.violations.slice(0, 3).join("; ")}\n  replay: ${membershipReplayCommand(seed)}`);
    }
  });
  assert.equal(failures.length, 0, `\n${failures.join("\n")}`);
  assert.ok(generations > RUNS && commits > RUNS, `the runs did little: ${generations} generations, ${commits} commits written`);
});

for (const { seed, note } of REGRESSIONS) {
  test(`group membership regression, seed ${seed}: ${note.slice(0, 80)}`, () => {
    const r = withoutStacks(() => runMembershipSeed(seed));
    assert.deepEqual(r.violations, [], `replay: ${membershipReplayCommand(seed)}`);
  });
}
