/**
 * Settings and record counts shared by the workloads that run a steady
 * produce load while they move leadership (transfer, failover).
 */
import type { BenchContext } from "./context.js";

/** The load under which leadership is moved. */
export interface FaultLoadSettings {
  readonly topic: string;
  readonly repetitions: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly loadRecordsPerSec: number;
  readonly recordBytes: number;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
}

/** What the read-back of the load found. */
export interface FaultLoadRecords {
  readonly ackedRecords: number;
  readonly lostRecords: number;
  readonly duplicateRecords: number;
  /** Sends that failed for good (not acknowledged, so not lost; should be 0 with the SDK's retries). */
  readonly failedRecords: number;
}

/** The settings of a fault workload named `name` from the bench options (acks all). */
export function faultLoadSettings(ctx: BenchContext, name: string, repetitions: number): FaultLoadSettings {
  const o = ctx.options;
  return {
    topic: ctx.topicName(name),
    repetitions,
    partitions: o.faultPartitions,
    replicationFactor: ctx.replicationFactor,
    loadRecordsPerSec: o.faultLoadRecordsPerSec,
    recordBytes: o.recordBytes,
    acks: "all",
    lingerMs: o.lingerMs,
  };
}
