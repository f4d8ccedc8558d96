/**
 * Fault schedules for the simulator's fault phase. A run picks one profile
 * (from its seed, unless told) and draws every fault from it step by step.
 * All rates are probabilities per step unless a comment says otherwise.
 */
import { NO_NETWORK_FAULTS, type NetworkFaults } from "./network.js";

export interface FaultProfile {
  readonly name: string;
  readonly network: NetworkFaults;
  /** One member crashes (at once, or inside its next Ready: see crashInReadyShare). */
  readonly crashRate: number;
  /** Share of crashes that strike in the middle of a Ready (lost or half-done writes). */
  readonly crashInReadyShare: number;
  /** Per down member: it restarts. */
  readonly restartRate: number;
  /**
   * Share of restarts that come back with an empty disk (a lost or wiped data
   * directory), recovering as a new incarnation (RaftConfig.recovering). Only
   * while fewer than a minority of members are recovering: more lost disks
   * than Raft tolerates lose data whatever the core does.
   */
  readonly diskLossShare: number;
  /**
   * Share of restarts (that did not lose their disk) that find a damaged
   * entry and cut the log from it (LogStorage.repair; HardState.promise).
   * Only while fewer than a minority of the others are behind a promise or
   * recovering. Drawn from a random stream of its own (SimOptions.damage).
   */
  readonly damageShare: number;
  /** One member pauses for 1..pauseStepsMax steps (no ticks, no deliveries; then resumes stale). */
  readonly pauseRate: number;
  readonly pauseStepsMax: number;
  /** A partition starts (when none is in place). */
  readonly partitionRate: number;
  /** The partition in place heals. */
  readonly healRate: number;
  /** Per member: it misses this step's tick (clock drift). */
  readonly tickSkipRate: number;
  /** One member drops its log prefix through its applied index (leaders then send snapshots). */
  readonly compactRate: number;
  /** Let down or paused members exceed a minority (the group stalls; safety must still hold). */
  readonly majorityFailures: boolean;
}

const NONE: FaultProfile = {
  name: "none",
  network: NO_NETWORK_FAULTS,
  crashRate: 0,
  crashInReadyShare: 0,
  restartRate: 0,
  diskLossShare: 0,
  damageShare: 0,
  pauseRate: 0,
  pauseStepsMax: 0,
  partitionRate: 0,
  healRate: 0,
  tickSkipRate: 0,
  compactRate: 0,
  majorityFailures: false,
};

/** No faults at all (scenario tests script their own). */
export const NO_FAULTS: FaultProfile = NONE;

/** The profiles a seed chooses from. */
export const FAULT_PROFILES: readonly FaultProfile[] = [
  {
    ...NONE,
    name: "calm",
    network: { dropRate: 0.01, duplicateRate: 0.01, delayRate: 0.05, delayStepsMax: 3, reorderRate: 0.05 },
    crashRate: 0.004,
    crashInReadyShare: 0.5,
    restartRate: 0.05,
    diskLossShare: 0.2,
    damageShare: 0.3,
    compactRate: 0.01,
  },
  {
    ...NONE,
    name: "lossy",
    network: { dropRate: 0.15, duplicateRate: 0.08, delayRate: 0.25, delayStepsMax: 8, reorderRate: 0.3, longDelayRate: 0.005, longDelayStepsMax: 60 },
    crashRate: 0.005,
    crashInReadyShare: 0.5,
    restartRate: 0.05,
    diskLossShare: 0.2,
    damageShare: 0.3,
    tickSkipRate: 0.05,
    compactRate: 0.01,
  },
  {
    ...NONE,
    name: "crashy",
    network: { dropRate: 0.03, duplicateRate: 0.02, delayRate: 0.1, delayStepsMax: 4, reorderRate: 0.1 },
    crashRate: 0.04,
    crashInReadyShare: 0.6,
    restartRate: 0.08,
    diskLossShare: 0.3,
    damageShare: 0.3,
    compactRate: 0.02,
    majorityFailures: true,
  },
  {
    ...NONE,
    name: "partitions",
    network: { dropRate: 0.02, duplicateRate: 0.01, delayRate: 0.1, delayStepsMax: 4, reorderRate: 0.1 },
    crashRate: 0.005,
    crashInReadyShare: 0.5,
    restartRate: 0.05,
    diskLossShare: 0.2,
    damageShare: 0.3,
    partitionRate: 0.04,
    healRate: 0.03,
    compactRate: 0.01,
  },
  {
    ...NONE,
    name: "pauses",
    network: { dropRate: 0.02, duplicateRate: 0.02, delayRate: 0.1, delayStepsMax: 5, reorderRate: 0.1 },
    pauseRate: 0.03,
    pauseStepsMax: 40,
    tickSkipRate: 0.1,
    crashRate: 0.005,
    crashInReadyShare: 0.5,
    restartRate: 0.05,
    diskLossShare: 0.2,
    damageShare: 0.3,
    compactRate: 0.01,
  },
  {
    ...NONE,
    name: "chaos",
    network: { dropRate: 0.08, duplicateRate: 0.05, delayRate: 0.2, delayStepsMax: 8, reorderRate: 0.2, longDelayRate: 0.003, longDelayStepsMax: 60 },
    crashRate: 0.02,
    crashInReadyShare: 0.5,
    restartRate: 0.06,
    diskLossShare: 0.3,
    damageShare: 0.3,
    pauseRate: 0.01,
    pauseStepsMax: 30,
    partitionRate: 0.02,
    healRate: 0.04,
    tickSkipRate: 0.05,
    compactRate: 0.02,
    majorityFailures: true,
  },
  {
    ...NONE,
    // Brokers that lose their data directories: frequent crashes, most restarts come back empty.
    name: "disks",
    network: { dropRate: 0.03, duplicateRate: 0.02, delayRate: 0.15, delayStepsMax: 6, reorderRate: 0.15, longDelayRate: 0.003, longDelayStepsMax: 60 },
    crashRate: 0.02,
    crashInReadyShare: 0.5,
    restartRate: 0.08,
    diskLossShare: 0.6,
    damageShare: 0.3,
    partitionRate: 0.015,
    healRate: 0.04,
    compactRate: 0.02,
  },
];

/** A profile by name. */
export function faultProfile(name: string): FaultProfile {
  const p = FAULT_PROFILES.find((x) => x.name === name) ?? (name === "none" ? NO_FAULTS : undefined);
  if (!p) throw new Error(`unknown fault profile ${name}; known: ${FAULT_PROFILES.map((x) => x.name).join(", ")}, none`);
  return p;
}
