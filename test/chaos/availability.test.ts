/**
 * The availability verdict against synthetic histories: a clean run passes;
 * a stall in a quiet window, a slow start and a failed transfer to a healthy
 * replica are caught; stalls inside fault windows (and their settle time)
 * and transfers during faults are excused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_AVAILABILITY, checkAvailability } from "./availability.js";
import type { AvailabilityHistory, FaultWindow, ProducedRecord, TransferAttempt } from "./history.js";

const OFFERED_PER_S = 500;

/** Acknowledgements at `perS` from startMs to endMs, except in the given stalls. */
function acks(startMs: number, endMs: number, perS: number, stalls: readonly (readonly [number, number])[] = []): ProducedRecord[] {
  const out: ProducedRecord[] = [];
  const gapMs = 1000 / perS;
  let seq = 0;
  for (let t = startMs; t < endMs; t += gapMs) {
    if (stalls.some(([a, b]) => t >= a && t < b)) continue;
    out.push({ producer: "p", seq: seq++, status: "acked", partition: 0, offset: seq, atMs: Math.round(t) });
  }
  return out;
}

/**
 * 60 s: warm-up to 10 s, then faults [12, 16) s, [19, 22) s (with a transfer
 * batch), [32, 37) s, quiet between (after the 2 s settle: [10, 12), [18, 19),
 * [24, 32), [39, 60) s), acknowledgements at the offered rate throughout,
 * and two transfers that succeed.
 */
function cleanRun(): { produced: ProducedRecord[]; faults: FaultWindow[]; transfers: TransferAttempt[]; warmupEndMs: number; faultPhaseEndMs: number; offeredPerS: number } {
  return {
    produced: acks(0, 60_000, OFFERED_PER_S),
    faults: [
      { kind: "kill", startMs: 12_000, endMs: 16_000 },
      { kind: "transfer", startMs: 19_000, endMs: 22_000 },
      { kind: "partition", startMs: 32_000, endMs: 37_000 },
    ],
    transfers: [
      { partition: 0, toBrokerId: 2, startMs: 19_000, endMs: 19_300, ok: true, outcome: "leader 2", excuse: undefined },
      { partition: 1, toBrokerId: undefined, startMs: 19_300, endMs: 19_500, ok: true, outcome: "leader 3", excuse: undefined },
    ],
    warmupEndMs: 10_000,
    faultPhaseEndMs: 60_000,
    offeredPerS: OFFERED_PER_S,
  };
}

test("a clean run passes, with its rates and windows", () => {
  const r = checkAvailability(cleanRun());
  assert.equal(r.ok, true, JSON.stringify(r.violations));
  assert.ok(Math.abs(r.baseline.perS - OFFERED_PER_S) < 1, `baseline ${r.baseline.perS}`);
  assert.equal(r.baseline.ms, 8_000); // [2 s, 10 s): the first 2 s are skipped
  assert.equal(r.quiet.windows, 4);
  assert.equal(r.quiet.judgedWindows, 2); // [24, 32) and [39, 60) s; [10, 12) and [18, 19) are too short
  assert.equal(r.quiet.ms, 2_000 + 1_000 + 8_000 + 21_000);
  assert.equal(r.faulted.ms, 6_000 + 5_000 + 7_000);
  assert.equal(r.transfers.judged, 2);
  assert.equal(r.transfers.judgedFailed, 0);
  assert.deepEqual(r.counts, { lowBaseline: 0, slowQuietWindows: 0, failedTransfers: 0 });
});

test("a stall in a quiet window is caught", () => {
  const h: AvailabilityHistory = { ...cleanRun(), produced: acks(0, 60_000, OFFERED_PER_S, [[25_000, 30_000]]) };
  const r = checkAvailability(h);
  assert.equal(r.ok, false);
  assert.equal(r.counts.slowQuietWindows, 1);
  assert.match(r.violations[0]!.detail, /quiet window \[24000, 32000\) ms/);
  assert.ok(r.quiet.slowest !== undefined && r.quiet.slowest.startMs === 24_000);
});

test("a cluster that stays slow in every quiet window fails the aggregate too", () => {
  const h: AvailabilityHistory = { ...cleanRun(), produced: [...acks(0, 10_000, OFFERED_PER_S), ...acks(10_000, 60_000, 100)] };
  const r = checkAvailability(h);
  assert.equal(r.counts.slowQuietWindows, 3); // two judged windows and the aggregate
});

test("stalls inside fault windows and their settle time are excused", () => {
  // Nothing acknowledged from each fault's start until 2 s after its heal, and a burst after.
  const stalls = [[12_000, 18_000], [19_000, 24_000], [32_000, 39_000]] as const;
  const h: AvailabilityHistory = { ...cleanRun(), produced: acks(0, 60_000, OFFERED_PER_S, stalls) };
  const r = checkAvailability(h);
  assert.equal(r.ok, true, JSON.stringify(r.violations));
  assert.equal(r.faulted.acknowledged, 0);
  assert.equal(r.faulted.perS, 0);
});

test("a stall that outlasts the settle time is caught in the quiet window after it", () => {
  // The kill heals at 37 s; acknowledgements come back only at 45 s: 6 of the 21 s of [39, 60) are dead...
  const h: AvailabilityHistory = { ...cleanRun(), faultPhaseEndMs: 48_000, produced: acks(0, 60_000, OFFERED_PER_S, [[32_000, 45_000]]) };
  const r = checkAvailability(h);
  // ... which in [39, 48) s is 6 of 9 s: below half the baseline.
  assert.equal(r.counts.slowQuietWindows, 1);
  assert.match(r.violations[0]!.detail, /\[39000, 48000\)/);
});

test("a short quiet window is not judged alone", () => {
  // [18, 19) s is dead, but a second is too short to tell; the aggregate still holds.
  const h: AvailabilityHistory = { ...cleanRun(), produced: acks(0, 60_000, OFFERED_PER_S, [[18_000, 19_000]]) };
  const r = checkAvailability(h);
  assert.equal(r.ok, true, JSON.stringify(r.violations));
});

test("a slow start is caught: no baseline to fall below", () => {
  // The 5-broker stall of issue 12: 126 records in 42 s, from the first second.
  const h: AvailabilityHistory = { ...cleanRun(), produced: acks(0, 60_000, 3) };
  const r = checkAvailability(h);
  assert.equal(r.ok, false);
  assert.equal(r.counts.lowBaseline, 1);
  assert.match(r.violations[0]!.detail, /below 0.2 of the offered 500\/s/);
  // The quiet windows are judged against 0.2 of the offered rate instead of the broken baseline.
  assert.equal(r.counts.slowQuietWindows, 3);
  assert.match(r.violations[1]!.detail, /below 0.5 of 100.0\/s \(the baseline 3.0\/s is itself too low\)/);
});

test("a slow but working start is not a stall", () => {
  // A loaded machine: 160 records/s in the warm-up and after (Little's law: 64 in flight at 0.4 s per acknowledgement).
  const h: AvailabilityHistory = { ...cleanRun(), produced: acks(0, 60_000, 160) };
  const r = checkAvailability(h);
  assert.equal(r.ok, true, JSON.stringify(r.violations));
});

test("no warm-up at all is a violation, not a pass", () => {
  const r = checkAvailability({ ...cleanRun(), warmupEndMs: 1_000 });
  assert.equal(r.counts.lowBaseline, 1);
});

test("a failing transfer to a healthy, caught-up replica is caught", () => {
  const h = cleanRun();
  h.transfers.push({ partition: 4, toBrokerId: 5, startMs: 20_000, endMs: 25_000, ok: false, outcome: "timed out after 5000 ms", excuse: undefined });
  h.transfers.push({ partition: 2, toBrokerId: 3, startMs: 21_000, endMs: 21_100, ok: false, outcome: "leader 1", excuse: undefined }); // answered, but not moved
  const r = checkAvailability(h);
  assert.equal(r.ok, false);
  assert.equal(r.counts.failedTransfers, 2);
  assert.equal(r.transfers.judged, 4);
  assert.equal(r.transfers.judgedFailed, 2);
  assert.match(r.violations.map((v) => v.detail).join("\n"), /partition 4 to broker 5 at 20000 ms .* timed out after 5000 ms/);
});

test("transfers during faults, or to a lagging or non-replica target, may fail and are counted apart", () => {
  const h = cleanRun();
  h.transfers.push({ partition: 0, toBrokerId: 1, startMs: 14_000, endMs: 19_000, ok: false, outcome: "timed out after 5000 ms", excuse: "a fault is active: broker 1 killed" });
  h.transfers.push({ partition: 1, toBrokerId: 4, startMs: 20_000, endMs: 20_010, ok: false, outcome: "INVALID_REQUEST", excuse: "broker 4 is not a replica" });
  h.transfers.push({ partition: 2, toBrokerId: 2, startMs: 34_000, endMs: 34_500, ok: true, outcome: "leader 2", excuse: "a fault is active: 3->1 cut" });
  const r = checkAvailability(h);
  assert.equal(r.ok, true, JSON.stringify(r.violations));
  assert.equal(r.transfers.excused, 3);
  assert.equal(r.transfers.excusedFailed, 2);
  assert.deepEqual([...r.transfers.excusedFailures], [["timed out after 5000 ms", 1], ["INVALID_REQUEST", 1]]);
});

test("the thresholds are options", () => {
  // Quiet windows at 60% of the baseline pass at 0.5 and fail at 0.7.
  const h: AvailabilityHistory = { ...cleanRun(), produced: [...acks(0, 10_000, OFFERED_PER_S), ...acks(10_000, 60_000, 300)] };
  assert.equal(checkAvailability(h).ok, true);
  assert.equal(checkAvailability(h, { ...DEFAULT_AVAILABILITY, quietRateFractionMin: 0.7 }).counts.slowQuietWindows, 3);
  // A longer settle excuses a stall just after a heal.
  const late: AvailabilityHistory = { ...cleanRun(), produced: acks(0, 60_000, OFFERED_PER_S, [[24_000, 28_500]]) };
  assert.equal(checkAvailability(late).counts.slowQuietWindows, 1);
  assert.equal(checkAvailability(late, { ...DEFAULT_AVAILABILITY, settleMs: 6_500 }).ok, true);
});
