/**
 * Partition reassignment in the controller metadata (docs/OPERATIONS.md,
 * "Moving partitions"): the model and its pure checks.
 *
 * Model: a moving partition keeps its replica list (`TopicMeta.replicas[p]`,
 * "from") unchanged until the move completes, and the topic records the
 * target next to it (`TopicMeta.reassignments`). A broker hosts the
 * partition while it is in either list (`hostingReplicas`). The partition's
 * Raft leader moves the group's membership from one to the other (see
 * broker/partition/reassignment.ts); when the committed voters equal the
 * target, the controller commits CompleteReassignment, which makes the
 * target the replica list and drops the record. Brokers only in "from" then
 * close their replica and delete its log.
 */
import type { NodeId } from "../raft/types.js";

/** A moving partition: its target replica list in preference order (the current list stays in `replicas`). */
export interface PartitionReassignment {
  readonly partition: number;
  readonly target: readonly NodeId[];
}

/** One move of a ReassignPartitions command (for one topic). */
export interface PartitionMove {
  readonly partition: number;
  readonly replicas: readonly NodeId[];
}

/** What `reassignmentOf` and `hostingReplicas` need of a topic. */
export interface ReassignableTopic {
  readonly replicas: readonly (readonly NodeId[])[];
  /** Moving partitions, sorted by partition; absent (never empty) when none move. */
  readonly reassignments?: readonly PartitionReassignment[];
}

/** The move of partition `p`, if it is moving. */
export function reassignmentOf(t: ReassignableTopic, p: number): PartitionReassignment | undefined {
  return t.reassignments?.find((r) => r.partition === p);
}

/** Every broker that hosts partition `p`: its replica list, then the target's new brokers. */
export function hostingReplicas(t: ReassignableTopic, p: number): NodeId[] {
  const from = t.replicas[p] ?? [];
  const target = reassignmentOf(t, p)?.target ?? [];
  return [...from, ...target.filter((id) => !from.includes(id))];
}

/**
 * Why `replicas` is no usable replica list, or undefined when it is one:
 * a non-empty array of distinct positive integer broker ids.
 */
export function replicaListProblem(replicas: unknown): string | undefined {
  if (!Array.isArray(replicas) || replicas.length === 0) return "the replica list is empty";
  for (const id of replicas as unknown[]) {
    if (typeof id !== "number" || !Number.isSafeInteger(id) || id < 1) return `replica ${JSON.stringify(id)} is not a broker id`;
  }
  if (new Set(replicas).size !== replicas.length) return `replica list ${JSON.stringify(replicas)} names a broker twice`;
  return undefined;
}

/** Whether two replica lists are the same, in the same order. */
export function sameList(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id, i) => b[i] === id);
}

/** Whether two replica lists hold the same brokers, in any order. */
export function sameMembers(a: readonly NodeId[], b: readonly NodeId[]): boolean {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/**
 * Apply a ReassignPartitions' moves to a topic's reassignments; a string
 * saying why when they do not fit (the whole command is then rejected).
 */
export function withMoves(t: ReassignableTopic, moves: unknown): PartitionReassignment[] | string {
  if (!Array.isArray(moves) || moves.length === 0) return "no moves";
  const next = [...(t.reassignments ?? [])];
  const seen = new Set<number>();
  for (const m of moves as unknown[]) {
    const { partition, replicas } = (typeof m === "object" && m !== null ? m : {}) as { partition?: unknown; replicas?: unknown };
    if (typeof partition !== "number" || !Number.isSafeInteger(partition) || partition < 0 || partition >= t.replicas.length) return `partition ${JSON.stringify(partition)} does not exist`;
    if (seen.has(partition)) return `partition ${partition} is named twice`;
    seen.add(partition);
    const problem = replicaListProblem(replicas);
    if (problem !== undefined) return `partition ${partition}: ${problem}`;
    if (reassignmentOf(t, partition) !== undefined) return `partition ${partition} is already moving`;
    if (sameList(replicas as NodeId[], t.replicas[partition]!)) return `partition ${partition} already has replicas ${JSON.stringify(replicas)}`;
    next.push({ partition, target: [...(replicas as NodeId[])] });
  }
  return next.sort((a, b) => a.partition - b.partition);
}
