/**
 * The availability verdict of a chaos run: the safety checker (checker.ts)
 * says nothing was lost or invented; this says the cluster kept working
 * whenever the nemesis left it alone. Pure; its tests feed it synthetic
 * histories (availability.test.ts).
 *
 * - Baseline: acknowledged records per second in the fault-free warm-up,
 *   [warmupSkipMs, warmupEndMs). It must reach baselineFractionMin of the
 *   offered rate: a cluster slow from its first second has no baseline to
 *   fall below, and would otherwise pass every relative test.
 * - Fault-affected time: each fault window from its start to settleMs after
 *   its heal (elections, reconnects and the producers' backlog take that
 *   long; see DEFAULT_AVAILABILITY). A batch of nemesis transfers counts as a
 *   fault window too (it is judged by the transfer rule below instead).
 * - Quiet windows: the rest of [warmupEndMs, faultPhaseEndMs). Each quiet
 *   window at least quietWindowMsMin long must hold quietRateFractionMin of
 *   the reference rate, and so must all quiet time together (which also
 *   covers the short windows). The reference is the baseline, but never less
 *   than baselineFractionMin of the offered rate: a baseline that is itself
 *   a stall is reported, and must not excuse every later window (half of 0
 *   is 0). Per window, because one stall of a few
 *   seconds disappears in an aggregate over ten minutes; with a minimum
 *   length, because a window of half a second holds too few
 *   acknowledgements (they arrive in batches) to tell a stall from noise.
 * - Transfers: one asked for while no fault was active, to a replica the
 *   leader saw reachable and caught up, must succeed. Others are excused,
 *   and counted apart.
 */
import type { AvailabilityHistory, TransferAttempt } from "./history.js";

export interface AvailabilityOptions {
  /** Each judged quiet window, and all quiet time together, must reach this fraction of the baseline rate. */
  readonly quietRateFractionMin: number;
  /** How long after a fault heals still counts as that fault's. */
  readonly settleMs: number;
  /** Quiet windows shorter than this are judged only in the aggregate. */
  readonly quietWindowMsMin: number;
  /** The baseline rate must reach this fraction of the offered rate. */
  readonly baselineFractionMin: number;
  /** The start of the warm-up left out of the baseline: clients connect, fetch metadata, get producer ids. */
  readonly warmupSkipMs: number;
}

/**
 * Defaults. The producers are paced (the workload offers 500 records/s), so a
 * healthy cluster acknowledges about the offered rate in a quiet window; half
 * of it leaves room for a loaded 2-core machine and still fails a stall of
 * half a window. A 2 s settle covers an election (about 1 s of election
 * timeout) and the SDK's retry backoff after a heal.
 *
 * The baseline floor is low on purpose: it is there for stalls (the 5-broker
 * leader-knowledge bug ran at 0 to 2% of the offered rate), not for a slow
 * machine. The workload keeps at most 64 sends in flight, so its rate is
 * bounded by 64 / ack latency; with fsyncs of 100-600 ms on a 2-core VM at a
 * load average of 12, a healthy warm-up measured 157.6/s (31%). At 0.2
 * (100/s) the mean ack latency may reach 0.64 s before the floor trips.
 */
export const DEFAULT_AVAILABILITY: AvailabilityOptions = {
  quietRateFractionMin: 0.5,
  settleMs: 2_000,
  quietWindowMsMin: 3_000,
  baselineFractionMin: 0.2,
  warmupSkipMs: 2_000,
};

export type AvailabilityViolationKind = "lowBaseline" | "slowQuietWindows" | "failedTransfers";

export interface AvailabilityViolation {
  readonly kind: AvailabilityViolationKind;
  readonly detail: string;
}

/** Acknowledged records over a stretch of time. */
export interface RateSpan {
  readonly ms: number;
  readonly acknowledged: number;
  /** acknowledged per second; 0 for an empty span. */
  readonly perS: number;
}

export interface AvailabilityReport {
  readonly baseline: RateSpan;
  /** All quiet time together. */
  readonly quiet: RateSpan & {
    readonly windows: number;
    /** Windows at least quietWindowMsMin long, judged one by one. */
    readonly judgedWindows: number;
    /** The judged window with the lowest rate. */
    readonly slowest: (RateSpan & { readonly startMs: number }) | undefined;
  };
  /** All fault-affected time (windows plus settle) after the warm-up. */
  readonly faulted: RateSpan;
  readonly transfers: {
    /** Asked for with no fault active, to a reachable caught-up replica: each must succeed. */
    readonly judged: number;
    readonly judgedFailed: number;
    readonly excused: number;
    readonly excusedFailed: number;
    /** Outcomes of the excused ones that failed, by outcome. */
    readonly excusedFailures: ReadonlyMap<string, number>;
  };
  readonly counts: Record<AvailabilityViolationKind, number>;
  /** The first violations of each kind (up to DETAILS_PER_KIND). */
  readonly violations: readonly AvailabilityViolation[];
  readonly ok: boolean;
}

const DETAILS_PER_KIND = 5;

export function checkAvailability(h: AvailabilityHistory, o: AvailabilityOptions = DEFAULT_AVAILABILITY): AvailabilityReport {
  const counts: Record<AvailabilityViolationKind, number> = { lowBaseline: 0, slowQuietWindows: 0, failedTransfers: 0 };
  const violations: AvailabilityViolation[] = [];
  const report = (kind: AvailabilityViolationKind, detail: string): void => {
    counts[kind]++;
    if (violations.filter((v) => v.kind === kind).length < DETAILS_PER_KIND) violations.push({ kind, detail });
  };
  const ackTimes = h.produced.filter((p) => p.status === "acked").map((p) => p.atMs).sort((a, b) => a - b);
  const span = (startMs: number, endMs: number): RateSpan => {
    const ms = Math.max(0, endMs - startMs);
    const acknowledged = ms === 0 ? 0 : lowerBound(ackTimes, endMs) - lowerBound(ackTimes, startMs);
    return { ms, acknowledged, perS: ms === 0 ? 0 : (1000 * acknowledged) / ms };
  };
  const sum = (spans: readonly RateSpan[]): RateSpan => {
    const ms = spans.reduce((n, s) => n + s.ms, 0);
    const acknowledged = spans.reduce((n, s) => n + s.acknowledged, 0);
    return { ms, acknowledged, perS: ms === 0 ? 0 : (1000 * acknowledged) / ms };
  };
  const perS = (x: number): string => x.toFixed(1);

  const baseline = span(o.warmupSkipMs, h.warmupEndMs);
  const baselineMin = o.baselineFractionMin * h.offeredPerS;
  if (baseline.ms === 0) report("lowBaseline", `no fault-free warm-up to measure (warm-up ends at ${h.warmupEndMs} ms, measured from ${o.warmupSkipMs} ms)`);
  else if (baseline.perS < baselineMin) {
    report("lowBaseline", `${perS(baseline.perS)} records/s acknowledged in the fault-free warm-up [${o.warmupSkipMs}, ${h.warmupEndMs}) ms, below ${o.baselineFractionMin} of the offered ${h.offeredPerS}/s`);
  }

  // Fault-affected time: each window plus its settle, merged, clipped to the judged period.
  const affected: [number, number][] = [];
  for (const f of [...h.faults].sort((a, b) => a.startMs - b.startMs)) {
    const start = Math.max(f.startMs, h.warmupEndMs);
    const end = Math.min(f.endMs + o.settleMs, h.faultPhaseEndMs);
    if (end <= start) continue;
    const last = affected[affected.length - 1];
    if (last !== undefined && start <= last[1]) last[1] = Math.max(last[1], end);
    else affected.push([start, end]);
  }
  const quietSpans: [number, number][] = [];
  let cursor = h.warmupEndMs;
  for (const [start, end] of affected) {
    if (start > cursor) quietSpans.push([cursor, start]);
    cursor = Math.max(cursor, end);
  }
  if (h.faultPhaseEndMs > cursor) quietSpans.push([cursor, h.faultPhaseEndMs]);

  const reference = Math.max(baseline.perS, baselineMin);
  const quietMin = o.quietRateFractionMin * reference;
  const ofReference = `below ${o.quietRateFractionMin} of ${reference === baseline.perS ? `the baseline ${perS(reference)}/s` : `${perS(reference)}/s (the baseline ${perS(baseline.perS)}/s is itself too low)`}`;
  let judgedWindows = 0;
  let slowest: (RateSpan & { startMs: number }) | undefined;
  const quietRates = quietSpans.map(([start, end]) => {
    const s = span(start, end);
    if (s.ms >= o.quietWindowMsMin) {
      judgedWindows++;
      if (slowest === undefined || s.perS < slowest.perS) slowest = { ...s, startMs: start };
      if (s.perS < quietMin) {
        report("slowQuietWindows", `${perS(s.perS)} records/s acknowledged in the quiet window [${start}, ${end}) ms (${s.acknowledged} records), ${ofReference}`);
      }
    }
    return s;
  });
  const quiet = sum(quietRates);
  if (quiet.ms > 0 && quiet.perS < quietMin) {
    report("slowQuietWindows", `${perS(quiet.perS)} records/s acknowledged over all ${quietSpans.length} quiet windows (${quiet.ms} ms), ${ofReference}`);
  }
  const faulted = sum(affected.map(([start, end]) => span(start, end)));

  const judged = h.transfers.filter((t) => t.excuse === undefined);
  const excused = h.transfers.filter((t) => t.excuse !== undefined);
  const excusedFailures = new Map<string, number>();
  for (const t of excused) if (!t.ok) excusedFailures.set(t.outcome, (excusedFailures.get(t.outcome) ?? 0) + 1);
  for (const t of judged) {
    if (!t.ok) report("failedTransfers", `transfer of partition ${t.partition} to ${showTarget(t)} at ${t.startMs} ms (no fault active, target reachable and caught up) failed after ${t.endMs - t.startMs} ms: ${t.outcome}`);
  }

  return {
    baseline,
    quiet: { ...quiet, windows: quietSpans.length, judgedWindows, slowest },
    faulted,
    transfers: {
      judged: judged.length,
      judgedFailed: judged.filter((t) => !t.ok).length,
      excused: excused.length,
      excusedFailed: excused.filter((t) => !t.ok).length,
      excusedFailures,
    },
    counts,
    violations,
    ok: counts.lowBaseline + counts.slowQuietWindows + counts.failedTransfers === 0,
  };
}

function showTarget(t: TransferAttempt): string {
  return t.toBrokerId === undefined ? "any replica" : `broker ${t.toBrokerId}`;
}

/** The first index of a sorted array whose value is >= x. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
