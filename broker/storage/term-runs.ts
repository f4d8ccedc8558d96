/**
 * Term runs: where each run of equal terms starts inside one segment, so that
 * term(i) for any held index is answered from memory (the catalog record
 * carries them), never from LMDB.
 *
 * Shape: a flat array [firstIndex0, term0, firstIndex1, term1, ...] (flat, so
 * the catalog record stays a small msgpack array; see codec.ts).
 *
 * Invariants (for the runs of a segment holding firstIndex..lastIndex):
 * non-empty and of even length; the first run starts at the segment's
 * firstIndex; run starts strictly increase and are <= lastIndex; adjacent
 * runs have different terms (a run is only started by a change of term).
 * Raft terms never decrease along a log, so neither do the runs' terms, but
 * nothing here relies on it.
 *
 * Pure: no I/O, no LMDB.
 */
import assert from "node:assert/strict";

/** Runs of one segment: [firstIndex, term] pairs, flattened. */
export type TermRuns = readonly number[];

/** Term of index i (the segment's firstIndex <= i <= its lastIndex): the last run starting at or before i. */
export function termAt(runs: TermRuns, i: number): number {
  // Runs are few (one per leader change inside the segment): binary search anyway.
  let lo = 0;
  let hi = runs.length / 2 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (runs[mid * 2]! <= i) lo = mid;
    else hi = mid - 1;
  }
  assert(runs[lo * 2]! <= i, `no term run for index ${i}`);
  return runs[lo * 2 + 1]!;
}

/** Term of the segment's last entry. */
export function lastTerm(runs: TermRuns): number {
  return runs[runs.length - 1]!;
}

/** Record that index i has term t, i being the next index after the runs' last (or the first of a new segment). */
export function appendTerm(runs: number[], i: number, t: number): void {
  if (runs.length === 0 || runs[runs.length - 1] !== t) runs.push(i, t);
}

/** The runs restricted to indexes <= t (a truncation after t). */
export function runsThrough(runs: TermRuns, t: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < runs.length; k += 2) if (runs[k]! <= t) out.push(runs[k]!, runs[k + 1]!);
  return out;
}

/** The runs restricted to indexes >= first, the first run clamped to start at `first` (a compaction through first - 1). */
export function runsFrom(runs: TermRuns, first: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    const next = runs[k + 2];
    if (next !== undefined && next <= first) continue;
    out.push(Math.max(runs[k]!, first), runs[k + 1]!);
  }
  return out;
}
