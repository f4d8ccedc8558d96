/**
 * The producer lane's state machine (client/producer/lane-state.ts) under
 * the seeded simulator of test/client/sim/lane-sim.ts: RUNS seeds, each a
 * fault phase and a healing phase, with the invariants checked after every
 * step. A failing seed is printed with the command that replays it; keep
 * every seed that found a bug in REGRESSIONS, with what it found.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { laneReplayCommand, runLaneSeed } from "./sim/lane-sim.js";
import { withoutStacks } from "./sim/without-stacks.js";

const RUNS = 8_000;
const FIRST_SEED = 1;

/** Seeds that found a bug, replayed on every run. */
const REGRESSIONS: readonly { readonly seed: number; readonly note: string }[] = [
  {
    seed: 23,
    note:
      "a batch in flight when the producer was fenced (PRODUCER_FENCED on another partition) that then failed retriably " +
      "was queued for a resend that never came (the lane was fenced): its records never settled and flush() never returned. " +
      "Such a batch now fails with the fencing error. Also seeds 265 and 520.",
  },
  { seed: 265, note: "as seed 23" },
  { seed: 520, note: "as seed 23" },
  {
    seed: 7,
    note:
      "OUT_OF_ORDER_SEQUENCE from an old leader (deposed, still answering from its shorter log) for batch 6 while batches 0-5 " +
      "were all acknowledged failed the batch for good, as if the sequence had a gap (the chaos run's one failed send); " +
      "such a batch is now retried like a leader change. Also seed 11.",
  },
  { seed: 11, note: "as seed 7" },
];

test(`producer lane: ${RUNS} seeded runs keep every invariant`, () => {
  const failures: string[] = [];
  let records = 0;
  let sends = 0;
  withoutStacks(() => {
    for (let seed = FIRST_SEED; seed < FIRST_SEED + RUNS; seed++) {
      const r = runLaneSeed(seed);
      records += r.records;
      sends += r.sends;
      if (r.violations.length > 0 && failures.length < 5) failures.push(`seed ${seed}: ${r.violations.slice(0, 3).join("; ")}\n  replay: ${laneReplayCommand(seed)}`);
    }
  });
  assert.equal(failures.length, 0, `\n${failures.join("\n")}`);
  assert.ok(records > RUNS * 20 && sends > records / 2, `the runs did little: ${records} records, ${sends} sends`);
});

for (const { seed, note } of REGRESSIONS) {
  test(`producer lane regression, seed ${seed}: ${note.slice(0, 80)}`, () => {
    const r = withoutStacks(() => runLaneSeed(seed));
    assert.deepEqual(r.violations, [], `replay: ${laneReplayCommand(seed)}`);
  });
}
