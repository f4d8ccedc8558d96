/**
 * The controller's checks of a reassignment request, and the moves of a
 * broker decommission (docs/OPERATIONS.md). Pure: the metadata view and the
 * brokers are handed in; a refusal is an RlogError with nothing proposed.
 */
import { RlogError } from "../protocol/errors.js";
import type { NodeId } from "../raft/types.js";
import type { TopicMeta } from "./metadata.js";
import { hostingReplicas, reassignmentOf, replicaListProblem, sameList, type PartitionMove } from "./reassignments.js";

/** One requested move. */
export interface RequestedMove {
  readonly topic: string;
  readonly partition: number;
  readonly replicas: readonly NodeId[];
}

/** The moves of one topic, checked against this incarnation of it: one ReassignPartitions command. */
export interface TopicMoves {
  readonly topic: TopicMeta;
  readonly moves: readonly PartitionMove[];
}

/** What the checks need to know of the cluster. */
export interface PlanCluster {
  /** Topics by name, as the controller's metadata holds them. */
  readonly topic: (name: string) => TopicMeta | undefined;
  /** Every broker of the cluster. */
  readonly brokers: readonly NodeId[];
  /** The brokers the controller reaches now (itself included). */
  readonly live: readonly NodeId[];
}

/**
 * Check requested moves; group them per topic. Refused (RlogError), in this
 * order of checks per move: the same partition twice (INVALID_REQUEST), an
 * unknown topic (UNKNOWN_TOPIC) or partition (UNKNOWN_PARTITION), a malformed
 * list (INVALID_REQUEST), a broker that is not in the cluster or not
 * reachable (BROKER_NOT_AVAILABLE), a partition already moving
 * (REASSIGNMENT_IN_PROGRESS). A move to the list the partition already has
 * is left out (nothing to do).
 */
export function checkMoves(cluster: PlanCluster, requested: readonly RequestedMove[]): TopicMoves[] {
  if (requested.length === 0) throw new RlogError("INVALID_REQUEST", "no moves given", { field: "moves" });
  const seen = new Set<string>();
  const byTopic = new Map<string, { topic: TopicMeta; moves: PartitionMove[] }>();
  requested.forEach((m, i) => {
    const field = `moves[${i}]`;
    const key = `${m.topic}/${m.partition}`;
    if (seen.has(key)) throw new RlogError("INVALID_REQUEST", `${field}: partition ${key} is named twice`, { field });
    seen.add(key);
    const t = cluster.topic(m.topic);
    if (!t) throw new RlogError("UNKNOWN_TOPIC", `${field}: topic ${m.topic} does not exist`, { field: `${field}.topic` });
    const current = t.replicas[m.partition];
    if (!current) throw new RlogError("UNKNOWN_PARTITION", `${field}: topic ${m.topic} has ${t.replicas.length} partitions; ${m.partition} does not exist`, { field: `${field}.partition` });
    const problem = replicaListProblem(m.replicas);
    if (problem !== undefined) throw new RlogError("INVALID_REQUEST", `${field}: ${problem}`, { field: `${field}.replicas` });
    for (const id of m.replicas) {
      if (!cluster.brokers.includes(id)) throw new RlogError("BROKER_NOT_AVAILABLE", `${field}: broker ${id} is not a broker of the cluster (brokers ${cluster.brokers.join(", ")})`, { field: `${field}.replicas` });
      if (!cluster.live.includes(id)) throw new RlogError("BROKER_NOT_AVAILABLE", `${field}: broker ${id} is down or cut off from the controller; start it and try again`, { field: `${field}.replicas` });
    }
    const moving = reassignmentOf(t, m.partition);
    if (moving?.cancelled) throw new RlogError("REASSIGNMENT_IN_PROGRESS", `${field}: ${key} is going back to ${current.join(",")} after its move to ${moving.cancelled.join(",")} was cancelled`, { field });
    if (moving) throw new RlogError("REASSIGNMENT_IN_PROGRESS", `${field}: ${key} is already moving from ${current.join(",")} to ${moving.target.join(",")}`, { field });
    if (sameList(m.replicas, current)) return;
    const entry = byTopic.get(t.name) ?? { topic: t, moves: [] };
    entry.moves.push({ partition: m.partition, replicas: [...m.replicas] });
    byTopic.set(t.name, entry);
  });
  return [...byTopic.values()];
}

/** One cancel of a cancelReassignment request. */
export interface RequestedCancel {
  readonly topic: string;
  readonly partition: number;
}

/** The cancels of one topic, checked against this incarnation of it: one CancelReassignment command. */
export interface TopicCancels {
  readonly topic: TopicMeta;
  readonly partitions: readonly number[];
}

/**
 * Check requested cancels; group them per topic. Refused (RlogError): the
 * same partition twice (INVALID_REQUEST), an unknown topic (UNKNOWN_TOPIC)
 * or partition (UNKNOWN_PARTITION), a partition not moving
 * (NO_REASSIGNMENT_IN_PROGRESS) or already going back (REASSIGNMENT_IN_PROGRESS).
 */
export function checkCancels(cluster: Pick<PlanCluster, "topic">, requested: readonly RequestedCancel[]): TopicCancels[] {
  if (requested.length === 0) throw new RlogError("INVALID_REQUEST", "no partitions given", { field: "partitions" });
  const seen = new Set<string>();
  const byTopic = new Map<string, { topic: TopicMeta; partitions: number[] }>();
  requested.forEach((c, i) => {
    const field = `partitions[${i}]`;
    const key = `${c.topic}/${c.partition}`;
    if (seen.has(key)) throw new RlogError("INVALID_REQUEST", `${field}: partition ${key} is named twice`, { field });
    seen.add(key);
    const t = cluster.topic(c.topic);
    if (!t) throw new RlogError("UNKNOWN_TOPIC", `${field}: topic ${c.topic} does not exist`, { field: `${field}.topic` });
    if (!t.replicas[c.partition]) throw new RlogError("UNKNOWN_PARTITION", `${field}: topic ${c.topic} has ${t.replicas.length} partitions; ${c.partition} does not exist`, { field: `${field}.partition` });
    const moving = reassignmentOf(t, c.partition);
    if (!moving) throw new RlogError("NO_REASSIGNMENT_IN_PROGRESS", `${field}: ${key} is not moving (its move may have completed)`, { field });
    if (moving.cancelled) throw new RlogError("REASSIGNMENT_IN_PROGRESS", `${field}: the move of ${key} to ${moving.cancelled.join(",")} is already cancelled`, { field });
    const entry = byTopic.get(t.name) ?? { topic: t, partitions: [] };
    entry.partitions.push(c.partition);
    byTopic.set(t.name, entry);
  });
  return [...byTopic.values()];
}

/**
 * The moves that take every replica off `brokerId`: in each of its
 * partitions' lists the broker's place goes to the live broker (not the
 * decommissioned one, not already in that list) hosting the fewest replicas
 * so far, counting the moves planned before it (ties: the lowest id); the
 * list keeps its order otherwise. Refused: a broker not in the cluster
 * (BROKER_NOT_AVAILABLE), a partition on it already moving
 * (REASSIGNMENT_IN_PROGRESS), too few other live brokers to keep a
 * partition's replication factor (INVALID_REPLICATION_FACTOR).
 */
export function decommissionMoves(cluster: PlanCluster & { readonly topics: readonly TopicMeta[] }, brokerId: NodeId): RequestedMove[] {
  if (!cluster.brokers.includes(brokerId)) throw new RlogError("BROKER_NOT_AVAILABLE", `broker ${brokerId} is not a broker of the cluster (brokers ${cluster.brokers.join(", ")})`, { field: "brokerId" });
  const counts = new Map<NodeId, number>(cluster.live.map((id) => [id, 0]));
  for (const t of cluster.topics) {
    t.replicas.forEach((_r, p) => {
      for (const id of hostingReplicas(t, p)) if (counts.has(id)) counts.set(id, counts.get(id)! + 1);
    });
  }
  const moves: RequestedMove[] = [];
  for (const t of cluster.topics) {
    t.replicas.forEach((current, p) => {
      const moving = reassignmentOf(t, p);
      if (!current.includes(brokerId) && !moving?.target.includes(brokerId)) return;
      if (moving) throw new RlogError("REASSIGNMENT_IN_PROGRESS", `${t.name}/${p} is moving from ${current.join(",")} to ${moving.target.join(",")}; decommission broker ${brokerId} once it has completed`);
      const candidates = [...counts.keys()].filter((id) => id !== brokerId && !current.includes(id)).sort((a, b) => counts.get(a)! - counts.get(b)! || a - b);
      const replacement = candidates[0];
      if (replacement === undefined) {
        const others = cluster.live.filter((id) => id !== brokerId);
        throw new RlogError(
          "INVALID_REPLICATION_FACTOR",
          `${t.name}/${p} has replication factor ${current.length} on ${current.join(",")}; no other live broker can take broker ${brokerId}'s replica (live besides it: ${others.join(", ") || "none"}); add or start a broker first`,
        );
      }
      counts.set(replacement, counts.get(replacement)! + 1);
      moves.push({ topic: t.name, partition: p, replicas: current.map((id) => (id === brokerId ? replacement : id)) });
    });
  }
  return moves;
}
