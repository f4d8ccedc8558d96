/**
 * What a chaos run records, and what the checker judges: every record a
 * producer tried to write (with its fate), every record a consumer read,
 * the final log of each partition, every replica's log up to the commit
 * index, and the consumer group's commits and the committed offsets seen;
 * for the availability verdict, when each fault was held and every leadership
 * transfer the nemesis asked for. Every time is ms since the run's clock
 * started (one clock for the workload and the nemesis).
 */

/** A record's identity: the producer that wrote it and its sequence number there. */
export interface RecordId {
  readonly producer: string;
  readonly seq: number;
}

/** A record a producer sent. `acked` means the broker acknowledged it (acks all) at `offset`. */
export interface ProducedRecord extends RecordId {
  readonly status: "acked" | "failed";
  /** For acked records: where the broker said it is. */
  readonly partition?: number;
  readonly offset?: number;
  /** When the acknowledgement (or failure) arrived, ms since the run started. */
  readonly atMs: number;
}

/** A record a consumer received. */
export interface ReadRecord extends RecordId {
  readonly consumer: string;
  readonly partition: number;
  readonly offset: number;
}

/** One record of a partition's final log, in log order. */
export interface FinalRecord extends RecordId {
  readonly offset: number;
}

/** One replica's copy of a Raft log, up to the highest commit index any replica holds. */
export interface ReplicaLog {
  /** The log's name (a partition's Raft group). */
  readonly log: string;
  readonly broker: number;
  /** One digest per entry from the first index to the commit index (index, term, offset, data hash). */
  readonly entries: readonly string[];
}

/** A commit the coordinator acknowledged: `offset` is the group's committed offset of `partition` from then on. */
export interface CommitAck {
  readonly partition: number;
  readonly offset: number;
  readonly atMs: number;
}

/** The committed offsets one fetch returned (partition -> offset; absent: none), with when it started and ended. */
export interface OffsetObservation {
  readonly startMs: number;
  readonly endMs: number;
  readonly offsets: ReadonlyMap<number, number>;
}

export interface History {
  readonly produced: readonly ProducedRecord[];
  readonly reads: readonly ReadRecord[];
  /** partition -> its final log, as read from the leader after every fault was healed. */
  readonly final: ReadonlyMap<number, readonly FinalRecord[]>;
  readonly replicas: readonly ReplicaLog[];
  readonly commits: readonly CommitAck[];
  readonly observations: readonly OffsetObservation[];
}

/** A stretch of time the nemesis held one fault (kill, pause, cut) or ran one batch of transfers, until it was healed. */
export interface FaultWindow {
  readonly kind: string;
  readonly startMs: number;
  /** When the fault was healed (the broker restarted or resumed, the links restored). */
  readonly endMs: number;
}

/** One leadership transfer the nemesis asked for, and how it went. */
export interface TransferAttempt {
  readonly partition: number;
  /** The named target; undefined: any caught-up replica. */
  readonly toBrokerId: number | undefined;
  readonly startMs: number;
  readonly endMs: number;
  /** Whether it succeeded: leadership is on the named target (or, for "any", moved to a replica). */
  readonly ok: boolean;
  /** "leader N" or the error code. */
  readonly outcome: string;
  /**
   * Why this transfer is allowed to fail (a fault active, the target not a
   * replica, unreachable from the leader or lagging, no leader known);
   * undefined when it must succeed.
   */
  readonly excuse: string | undefined;
}

/** What the availability verdict judges (availability.ts). */
export interface AvailabilityHistory {
  readonly produced: readonly ProducedRecord[];
  /** Sorted by start; they do not overlap (the nemesis holds one fault at a time). */
  readonly faults: readonly FaultWindow[];
  readonly transfers: readonly TransferAttempt[];
  /** The fault-free warm-up at the start, [0, warmupEndMs): the baseline rate is measured there. */
  readonly warmupEndMs: number;
  /** When the nemesis stopped: the judged period ends here (healing and settling come after). */
  readonly faultPhaseEndMs: number;
  /** Records per second the producers offer (their paced rate). */
  readonly offeredPerS: number;
}

export function idKey(r: RecordId): string {
  return `${r.producer}#${r.seq}`;
}
