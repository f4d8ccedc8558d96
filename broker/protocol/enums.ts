/**
 * Small enumerations carried in requests and responses. Numeric enums are
 * sent on the wire and stored (committed group state): append-only, never
 * renumber. The string unions (`Acks`) are wire values too: never rename.
 */

/** How durable a produce must be before the broker answers. */
export type Acks =
  /** The batch is committed by Raft (a quorum has it on disk): survives any minority of failures. */
  | "all"
  /** The leader has appended the batch to its own log (not yet committed): may be lost on failover. */
  | "leader";

/** Every valid `Acks` value. */
export const ACKS: readonly Acks[] = ["all", "leader"];

/** Which offset listOffsets (and resetOffsets) resolves. Append-only. */
export const OffsetSpec = {
  /** The log start offset: the oldest record still held. */
  Earliest: 0,
  /** The high watermark: the offset the next committed record will get. */
  Latest: 1,
  /** The first offset whose record timestamp is >= `timestampMs` (the high watermark if none). */
  Timestamp: 2,
  /** An explicit `offset` (resetOffsets only). */
  Exact: 3,
} as const;
/** A value of `OffsetSpec`. */
export type OffsetSpec = (typeof OffsetSpec)[keyof typeof OffsetSpec];

/** A consumer group's state, as Kafka names them. Append-only. */
export const GroupState = {
  /** No members; committed offsets may remain. */
  Empty: 0,
  /** A member joined or left; waiting for members to (re)join. */
  PreparingRebalance: 1,
  /** Everyone joined; waiting for members to sync and receive their assignment. */
  CompletingRebalance: 2,
  /** Members hold their assignment and heartbeat. */
  Stable: 3,
  /** The group is being removed. */
  Dead: 4,
} as const;
/** A value of `GroupState`. */
export type GroupState = (typeof GroupState)[keyof typeof GroupState];

/**
 * How the coordinator spreads a group's partitions over its members (server
 * side). Stored in committed group state: append-only.
 */
export const AssignmentStrategy = {
  /** Per topic, consecutive ranges of partitions to members in member-id order (Kafka's RangeAssignor). */
  Range: 0,
  /** All subscribed partitions dealt one by one to members in member-id order (Kafka's RoundRobinAssignor). */
  RoundRobin: 1,
  /** Balanced like round-robin, but every partition stays with its previous owner when balance allows: as few moves as possible. */
  Sticky: 2,
} as const;
/** A value of `AssignmentStrategy`. */
export type AssignmentStrategy = (typeof AssignmentStrategy)[keyof typeof AssignmentStrategy];
/** Every valid `AssignmentStrategy`. */
export const ASSIGNMENT_STRATEGIES: readonly AssignmentStrategy[] = [AssignmentStrategy.Range, AssignmentStrategy.RoundRobin, AssignmentStrategy.Sticky];
