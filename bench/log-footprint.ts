/**
 * What a Raft log holds on disk after a bench run (bench/controller-log.ts,
 * bench/offsets-restart.ts): entries past its snapshot, their bytes, and the
 * snapshot itself.
 */
import type { LmdbLog } from "../broker/storage/lmdb-log.js";

export interface LogFootprint {
  /** Entries the log holds past its snapshot. */
  readonly entriesHeld: number;
  /** Bytes of those entries, over every segment. */
  readonly entryBytesHeld: number;
  /** Index the snapshot covers (0 without one). */
  readonly snapshotIndex: number;
  /** Bytes of the snapshot's state. */
  readonly snapshotBytes: number;
}

export function logFootprint(log: LmdbLog): LogFootprint {
  const snapshot = log.snapshot();
  return {
    entriesHeld: log.lastIndex() - snapshot.index,
    entryBytesHeld: log.segments().reduce((sum, s) => sum + s.bytes, 0),
    snapshotIndex: snapshot.index,
    snapshotBytes: snapshot.data.byteLength,
  };
}
