/** Options and shapes of the group consumer (`client.consumer({ groupId })`). */
import { AssignmentStrategy } from "../../broker/protocol/enums.js";
import { GROUP_DEFAULTS } from "../../broker/protocol/defaults.js";
import type { TopicPartitionRef } from "../cluster/cluster.js";
import { checkConsumerOptions, type ConsumerOptions, type ConsumerRecord, type EachBatchPayload } from "./consumer-types.js";

/** How the coordinator spreads partitions over the group's members (all members must agree). */
export type AssignmentStrategyName = "range" | "round-robin" | "sticky";

/** The wire value of each strategy name. */
export const ASSIGNMENT_STRATEGY_CODES: Readonly<Record<AssignmentStrategyName, AssignmentStrategy>> = Object.freeze({
  range: AssignmentStrategy.Range,
  "round-robin": AssignmentStrategy.RoundRobin,
  sticky: AssignmentStrategy.Sticky,
});

/** Options of `client.consumer({ groupId, ... })`. Times in ms. The fetch options of ConsumerOptions apply too. */
export interface GroupConsumerOptions extends ConsumerOptions {
  /** The consumer group to join. */
  readonly groupId: string;
  /** The member is removed (its partitions go to others) after this long without a heartbeat. Default 10 000. */
  readonly sessionTimeoutMs?: number;
  /** How long the coordinator waits for members to rejoin during a rebalance. Default 30 000. */
  readonly rebalanceTimeoutMs?: number;
  /** Heartbeat period. Default sessionTimeoutMs / 3 (at least 100). */
  readonly heartbeatIntervalMs?: number;
  /**
   * Commit processed offsets this often; 0 disables the periodic commit
   * (offsets are still committed on revoke and on stop, and by commit()). Default 5 000.
   */
  readonly autoCommitIntervalMs?: number;
  /** Default "sticky": as few partitions as possible move in a rebalance. */
  readonly assignmentStrategy?: AssignmentStrategyName;
}

/** Group consumer settings with defaults filled in. */
export interface ResolvedGroupOptions {
  readonly groupId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly autoCommitIntervalMs: number;
  readonly assignmentStrategy: AssignmentStrategyName;
}

/** What `subscribe()` takes. */
export interface SubscribeOptions {
  /** Topics to consume; the coordinator assigns this member a share of their partitions. */
  readonly topics: readonly string[];
  /** Where a partition without a committed offset starts: earliest when true, else latest (the default). */
  readonly fromBeginning?: boolean;
  /** Called after a rebalance hands this member partitions (before any of their records is handled). */
  readonly onAssigned?: (partitions: TopicPartitionRef[]) => Promise<void> | void;
  /**
   * Called before this member gives partitions up (rebalance, lost membership
   * or stop), after the last handler call on them finished and before their
   * processed offsets are committed.
   */
  readonly onRevoked?: (partitions: TopicPartitionRef[]) => Promise<void> | void;
}

/** What a group consumer's `eachBatch` receives. */
export interface GroupEachBatchPayload extends EachBatchPayload {
  /**
   * Mark the records up to and including `offset` processed (the first
   * record's offset - 1 marks none). When the handler never calls it, the
   * whole batch counts as processed once the handler resolves; when it does,
   * only what it marked counts, and the rest is handed out again.
   */
  readonly resolveOffset: (offset: number) => void;
}

/** The handler of a group consumer's `run()`: exactly one of the two. */
export type GroupRunHandlers =
  | { readonly eachRecord: (record: ConsumerRecord) => Promise<void> | void; readonly eachBatch?: never }
  | { readonly eachBatch: (batch: GroupEachBatchPayload) => Promise<void> | void; readonly eachRecord?: never };

/** A partition this member owns, with how far it got. */
export interface GroupPartitionPosition extends TopicPartitionRef {
  /** The offset after the last processed record (what a commit now would store); undefined before the first. */
  readonly processed: number | undefined;
  /** The last committed offset this member knows of. */
  readonly committed: number | undefined;
  /** The next offset to hand out (fetched or buffered); undefined while the start offset is being resolved. */
  readonly position: number | undefined;
  /** The partition's high watermark at the last fetch. */
  readonly highWatermark: number | undefined;
}

/** Fill in defaults and check. */
export function resolveGroupOptions(o: GroupConsumerOptions): ResolvedGroupOptions {
  checkConsumerOptions(o);
  if (typeof o.groupId !== "string" || o.groupId === "") throw new TypeError("consumer groupId must be a non-empty string");
  const sessionTimeoutMs = o.sessionTimeoutMs ?? GROUP_DEFAULTS.sessionTimeoutMs;
  const r: ResolvedGroupOptions = {
    groupId: o.groupId,
    sessionTimeoutMs,
    rebalanceTimeoutMs: o.rebalanceTimeoutMs ?? GROUP_DEFAULTS.rebalanceTimeoutMs,
    heartbeatIntervalMs: o.heartbeatIntervalMs ?? Math.max(GROUP_DEFAULTS.heartbeatIntervalMsMin, Math.floor(sessionTimeoutMs / 3)),
    autoCommitIntervalMs: o.autoCommitIntervalMs ?? GROUP_DEFAULTS.autoCommitIntervalMs,
    assignmentStrategy: o.assignmentStrategy ?? GROUP_DEFAULTS.assignmentStrategy,
  };
  for (const name of ["sessionTimeoutMs", "rebalanceTimeoutMs", "heartbeatIntervalMs"] as const) {
    const v = r[name];
    if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`consumer ${name} must be a positive integer, got ${String(v)}`);
  }
  if (!Number.isSafeInteger(r.autoCommitIntervalMs) || r.autoCommitIntervalMs < 0) {
    throw new RangeError(`consumer autoCommitIntervalMs must be an integer >= 0, got ${String(r.autoCommitIntervalMs)}`);
  }
  if (r.heartbeatIntervalMs >= r.sessionTimeoutMs) throw new RangeError("consumer heartbeatIntervalMs must be less than sessionTimeoutMs");
  if (!(r.assignmentStrategy in ASSIGNMENT_STRATEGY_CODES)) {
    throw new RangeError(`consumer assignmentStrategy must be "range", "round-robin" or "sticky", got ${String(r.assignmentStrategy)}`);
  }
  return Object.freeze(r);
}
