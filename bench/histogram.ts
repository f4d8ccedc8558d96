/**
 * Latency histograms: HdrHistogram (hdr-histogram-js) recording
 * microseconds with 3 significant digits, so percentiles are exact to 0.1%
 * over 1 µs .. 1 h, in constant memory however many samples a run records.
 */
import { build, type Histogram } from "hdr-histogram-js";

/** Largest value tracked: one hour, in µs (larger values are clamped to it). */
const HIGHEST_US = 3_600_000_000;

/** Percentiles of a latency histogram, in ms. */
export interface LatencySummaryMs {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly mean: number;
}

/** A latency histogram fed in ms; see the file comment. */
export class LatencyHistogram {
  private readonly h: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_US, numberOfSignificantValueDigits: 3, autoResize: false });

  /** Record one latency in ms (negative values, from clock skew between stamps, count as 0). */
  recordMs(ms: number): void {
    const us = Math.round(ms * 1000);
    this.h.recordValue(Math.min(HIGHEST_US, Math.max(0, us)));
  }

  get count(): number {
    return this.h.totalCount;
  }

  /** Percentiles in ms (all 0 when nothing was recorded). */
  summary(): LatencySummaryMs {
    const n = this.h.totalCount;
    const at = (p: number): number => (n === 0 ? 0 : this.h.getValueAtPercentile(p) / 1000);
    return {
      count: n,
      p50: at(50),
      p90: at(90),
      p99: at(99),
      p999: at(99.9),
      max: n === 0 ? 0 : this.h.maxValue / 1000,
      mean: n === 0 ? 0 : this.h.mean / 1000,
    };
  }
}

/** Percentile `p` (0..100) of a small list of samples, nearest-rank; NaN for an empty list. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}
