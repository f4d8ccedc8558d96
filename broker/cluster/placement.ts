/**
 * Replica placement for new topics: spread preferred leaders and replicas
 * evenly over brokers (round-robin, like Kafka's rack-unaware assignment).
 */
import type { NodeId } from "../raft/types.js";

/**
 * Replica lists for `partitions` partitions of replication factor `rf` over
 * `brokers`. Partition p's preferred leader is brokers[(start + p) % n],
 * followed by the next rf-1 brokers; `start` is the broker that currently
 * prefers to lead the fewest partitions (`leaderCounts`), so leadership
 * stays balanced across topics.
 */
export function placeReplicas(
  brokers: readonly NodeId[],
  partitions: number,
  rf: number,
  leaderCounts: ReadonlyMap<NodeId, number> = new Map(),
): NodeId[][] {
  const sorted = [...brokers].sort((a, b) => a - b);
  const n = sorted.length;
  if (rf < 1 || rf > n) throw new RangeError(`replication factor ${rf} needs 1..${n} brokers`);
  let start = 0;
  for (let i = 1; i < n; i++) {
    if ((leaderCounts.get(sorted[i]!) ?? 0) < (leaderCounts.get(sorted[start]!) ?? 0)) start = i;
  }
  const out: NodeId[][] = [];
  for (let p = 0; p < partitions; p++) {
    const replicas: NodeId[] = [];
    // Shift followers every n partitions so that replica pairs vary too.
    const shift = Math.floor(p / n) % Math.max(1, n - 1);
    for (let j = 0; j < rf; j++) {
      const k = j === 0 ? start + p : start + p + 1 + ((j - 1 + shift) % (n - 1));
      replicas.push(sorted[k % n]!);
    }
    out.push(replicas);
  }
  return out;
}
