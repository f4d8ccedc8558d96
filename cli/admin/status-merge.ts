/**
 * Merging the clusterStatus answers of several brokers into one picture.
 *
 * A broker answers clusterStatus from its own replicas: full detail (replica
 * lags) only for partitions it leads, and its own view (leader as it knows
 * it, its own high watermark, no replicas) for the others. So the CLI asks
 * every broker and, per partition, keeps the answer of a broker that reports
 * itself as the leader (replicas non-empty), the highest term winning; when
 * no leader answered, the answer with the highest term. The controller is
 * taken from the answer with the highest controller term. A broker is
 * reachable when it answered.
 */
import type { ClusterStatusResult, PartitionStatus } from "../../client/index.js";

/** What asking one broker URL gave. */
export interface BrokerAnswer {
  readonly url: string;
  /** The answer, or undefined when the broker could not be asked. */
  readonly status: ClusterStatusResult | undefined;
  /** Why not, when status is undefined. */
  readonly error?: string;
}

/** A broker in the merged status. */
export interface MergedBroker {
  readonly brokerId: number;
  readonly clientUrl: string;
  /** Whether it answered the CLI. */
  readonly reachable: boolean;
  /** Why it did not answer. */
  readonly error?: string;
}

/** A partition in the merged status. */
export interface MergedPartition extends PartitionStatus {
  /** Whether this came from the partition's leader (so `replicas` has the lags); otherwise a follower's view. */
  readonly fromLeader: boolean;
}

/** The merged picture. */
export interface MergedStatus {
  /** By broker id. */
  readonly brokers: readonly MergedBroker[];
  /** The controller leader and term; its voters and learners as the answer of the highest controller term holds them (empty from older brokers). */
  readonly controller: { readonly leader: number; readonly term: number; readonly voters: readonly number[]; readonly learners: readonly number[] };
  /** By topic, then partition. */
  readonly partitions: readonly MergedPartition[];
}

/** Merge the answers; see the file comment. */
export function mergeStatus(answers: readonly BrokerAnswer[]): MergedStatus {
  const answered = answers.filter((a): a is BrokerAnswer & { status: ClusterStatusResult } => a.status !== undefined);
  const byUrl = new Map(answers.map((a) => [a.url, a]));

  const brokerUrls = new Map<number, string>();
  for (const a of answered) for (const b of a.status.brokers) if (!brokerUrls.has(b.brokerId)) brokerUrls.set(b.brokerId, b.clientUrl);
  const brokers = [...brokerUrls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([brokerId, clientUrl]): MergedBroker => {
      const a = byUrl.get(clientUrl);
      if (a?.status !== undefined) return { brokerId, clientUrl, reachable: true };
      return { brokerId, clientUrl, reachable: false, error: a?.error ?? "not asked" };
    });

  let controller: MergedStatus["controller"] = { leader: 0, term: 0, voters: [], learners: [] };
  for (const a of answered) {
    const c = a.status.controller;
    if (c.term > controller.term || (c.term === controller.term && controller.leader === 0 && c.leader !== 0)) {
      controller = { leader: c.leader, term: c.term, voters: c.voters ?? [], learners: c.learners ?? [] };
    }
  }

  const best = new Map<string, MergedPartition>();
  for (const a of answered) {
    for (const p of a.status.partitions) {
      const key = `${p.topic}\u0000${p.partition}`;
      const candidate: MergedPartition = { ...p, fromLeader: p.replicas.length > 0 };
      const current = best.get(key);
      if (current === undefined || better(candidate, current)) best.set(key, candidate);
    }
  }
  const partitions = [...best.values()].sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  return { brokers, controller, partitions };
}

/** Whether `a` is a better answer for a partition than `b`: a leader's over a follower's view, then the higher term. */
function better(a: MergedPartition, b: MergedPartition): boolean {
  if (a.fromLeader !== b.fromLeader) return a.fromLeader;
  if (a.term !== b.term) return a.term > b.term;
  return a.highWatermark > b.highWatermark;
}
