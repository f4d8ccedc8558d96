/**
 * Assignment strategies: how the coordinator spreads a group's subscribed
 * partitions over its members (server side). Pure and deterministic: the
 * same members, subscriptions, partition counts and previous assignment
 * always give the same result. Members are considered in member-id order.
 *
 * - Range (Kafka's RangeAssignor): per topic, the members subscribed to it
 *   get consecutive ranges; the first (count mod members) get one extra.
 * - RoundRobin (Kafka's RoundRobinAssignor): every subscribed partition, in
 *   (topic, partition) order, goes to the next member in circular order that
 *   subscribes to its topic.
 * - Sticky: balanced (for identical subscriptions every member gets
 *   floor(N/M) or ceil(N/M) partitions), and each partition stays with its
 *   previous owner whenever balance allows, so a rebalance moves as few
 *   partitions as possible. With differing subscriptions balance is best
 *   effort (a partition goes to the least loaded subscribed member).
 */
import { AssignmentStrategy } from "../protocol/enums.js";

/** What an assignor knows about a member. */
export interface AssignorMember {
  readonly memberId: string;
  readonly topics: readonly string[];
}

/** An assignment: per member, per topic, sorted partition numbers. */
export type Assignment = Map<string, Map<string, number[]>>;

/** A topic-partition. */
interface Tp {
  readonly topic: string;
  readonly partition: number;
}

/**
 * Assign. `partitionCounts` has the partition count of every subscribed
 * topic that exists (topics missing from it are skipped); `previous` is the
 * last generation's assignment (used by Sticky only). Every member appears
 * in the result, possibly with no partitions.
 */
export function assign(
  strategy: AssignmentStrategy,
  members: readonly AssignorMember[],
  partitionCounts: ReadonlyMap<string, number>,
  previous: Assignment = new Map(),
): Assignment {
  const sorted = [...members].sort((a, b) => cmp(a.memberId, b.memberId));
  const out: Assignment = new Map(sorted.map((m) => [m.memberId, new Map<string, number[]>()]));
  const subscribed = new Map(sorted.map((m) => [m.memberId, new Set(m.topics)]));
  const topics = [...new Set(sorted.flatMap((m) => m.topics))].filter((t) => partitionCounts.has(t)).sort(cmp);
  const give = (memberId: string, tp: Tp): void => {
    const byTopic = out.get(memberId)!;
    const list = byTopic.get(tp.topic) ?? [];
    list.push(tp.partition);
    byTopic.set(tp.topic, list);
  };
  switch (strategy) {
    case AssignmentStrategy.Range:
      for (const topic of topics) {
        const takers = sorted.filter((m) => subscribed.get(m.memberId)!.has(topic));
        const n = partitionCounts.get(topic)!;
        const each = Math.floor(n / takers.length);
        const extra = n % takers.length;
        let p = 0;
        takers.forEach((m, i) => {
          const count = each + (i < extra ? 1 : 0);
          for (let k = 0; k < count; k++) give(m.memberId, { topic, partition: p++ });
        });
      }
      break;
    case AssignmentStrategy.RoundRobin: {
      let next = 0;
      for (const tp of allPartitions(topics, partitionCounts)) {
        for (let k = 0; k < sorted.length; k++) {
          const m = sorted[(next + k) % sorted.length]!;
          if (!subscribed.get(m.memberId)!.has(tp.topic)) continue;
          give(m.memberId, tp);
          next = (next + k + 1) % sorted.length;
          break;
        }
      }
      break;
    }
    case AssignmentStrategy.Sticky:
      sticky(sorted, subscribed, allPartitions(topics, partitionCounts), previous, give);
      break;
  }
  for (const byTopic of out.values()) for (const list of byTopic.values()) list.sort((a, b) => a - b);
  return out;
}

function sticky(
  members: readonly AssignorMember[],
  subscribed: ReadonlyMap<string, ReadonlySet<string>>,
  partitions: readonly Tp[],
  previous: Assignment,
  give: (memberId: string, tp: Tp) => void,
): void {
  if (members.length === 0) return;
  const quotaMin = Math.floor(partitions.length / members.length);
  let extra = partitions.length % members.length;
  const counts = new Map(members.map((m) => [m.memberId, 0]));
  const taken = new Set<string>();
  const take = (memberId: string, tp: Tp): void => {
    give(memberId, tp);
    counts.set(memberId, counts.get(memberId)! + 1);
    taken.add(tpKey(tp));
  };
  const exists = new Set(partitions.map(tpKey));
  // Phase 1: members keep what they held (still subscribed, still existing), up to their quota.
  const kept = members.map((m) => {
    const held: Tp[] = [];
    for (const [topic, list] of previous.get(m.memberId) ?? []) {
      if (!subscribed.get(m.memberId)!.has(topic)) continue;
      for (const partition of list) if (exists.has(tpKey({ topic, partition }))) held.push({ topic, partition });
    }
    held.sort((a, b) => cmp(a.topic, b.topic) || a.partition - b.partition);
    return { memberId: m.memberId, held };
  });
  // Members that held more keep more: they are the ones that may keep one over the minimum.
  kept.sort((a, b) => b.held.length - a.held.length || cmp(a.memberId, b.memberId));
  for (const { memberId, held } of kept) {
    let cap = quotaMin;
    if (held.length > quotaMin && extra > 0) {
      cap++;
      extra--;
    }
    for (const tp of held.slice(0, cap)) if (!taken.has(tpKey(tp))) take(memberId, tp);
  }
  // Phase 2: the rest to the least loaded subscribed member under its quota (best effort beyond it).
  for (const tp of partitions) {
    if (taken.has(tpKey(tp))) continue;
    const eligible = members.filter((m) => subscribed.get(m.memberId)!.has(tp.topic));
    if (eligible.length === 0) continue;
    const least = (list: readonly AssignorMember[]): AssignorMember | undefined =>
      list.reduce<AssignorMember | undefined>((best, m) => (best === undefined || counts.get(m.memberId)! < counts.get(best.memberId)! ? m : best), undefined);
    let chosen = least(eligible.filter((m) => counts.get(m.memberId)! < quotaMin));
    if (chosen === undefined && extra > 0) {
      chosen = least(eligible.filter((m) => counts.get(m.memberId)! === quotaMin));
      if (chosen !== undefined) extra--;
    }
    take((chosen ?? least(eligible)!).memberId, tp);
  }
}

function allPartitions(topics: readonly string[], counts: ReadonlyMap<string, number>): Tp[] {
  const out: Tp[] = [];
  for (const topic of topics) for (let partition = 0; partition < counts.get(topic)!; partition++) out.push({ topic, partition });
  return out;
}

function tpKey(tp: Tp): string {
  return `${tp.topic}\u0000${tp.partition}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
