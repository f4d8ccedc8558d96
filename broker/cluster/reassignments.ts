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
  /**
   * Set by a cancel (CancelReassignment): the target the move was heading to
   * before it was cancelled, `target` then being the partition's own list
   * again. Its brokers keep hosting the partition until the group is back on
   * `target` (some may be voters by then).
   */
  readonly cancelled?: readonly NodeId[];
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

/** Every broker that hosts partition `p`: its replica list, then the target's new brokers (and a cancelled target's). */
export function hostingReplicas(t: ReassignableTopic, p: number): NodeId[] {
  const from = t.replicas[p] ?? [];
  const move = reassignmentOf(t, p);
  const hosts = [...from];
  for (const id of [...(move?.target ?? []), ...(move?.cancelled ?? [])]) if (!hosts.includes(id)) hosts.push(id);
  return hosts;
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

/**
 * Apply a CancelReassignment's partitions to a topic's reassignments: each
 * moving partition turns back toward its own list, its target kept as
 * `cancelled`; a string saying why when they do not fit (not moving, already
 * cancelled, named twice: the whole command is then rejected).
 */
export function withCancels(t: ReassignableTopic & { readonly replicas: readonly (readonly NodeId[])[] }, partitions: unknown): PartitionReassignment[] | string {
  if (!Array.isArray(partitions) || partitions.length === 0) return "no partitions";
  const next = [...(t.reassignments ?? [])];
  const seen = new Set<number>();
  for (const p of partitions as unknown[]) {
    if (typeof p !== "number" || !Number.isSafeInteger(p) || p < 0 || p >= t.replicas.length) return `partition ${JSON.stringify(p)} does not exist`;
    if (seen.has(p)) return `partition ${p} is named twice`;
    seen.add(p);
    const i = next.findIndex((r) => r.partition === p);
    const move = next[i];
    if (move === undefined) return `partition ${p} is not moving`;
    if (move.cancelled !== undefined) return `the move of partition ${p} is already cancelled`;
    next[i] = { partition: p, target: [...t.replicas[p]!], cancelled: move.target };
  }
  return next;
}
