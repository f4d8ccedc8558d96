/**
 * The bound on per-partition metric series (metrics.partitionSeriesMax):
 * which partitions get series at a scrape, and how many are left out. Pure,
 * so the bound is tested without a registry.
 *
 * The kept ones are the first `max` in (topic, partition) order, so the same
 * partitions keep their series from one scrape to the next while the set of
 * hosted partitions does not change (a series that comes and goes would
 * break rate() in Prometheus).
 */

/** A partition identified for labels. */
export interface PartitionKey {
  readonly topic: string;
  readonly partition: number;
}

/** The partitions that get series, and how many were dropped. */
export interface BoundedPartitions<T extends PartitionKey> {
  readonly kept: readonly T[];
  readonly dropped: number;
}

/** Order by topic name, then partition number. */
export function comparePartitions(a: PartitionKey, b: PartitionKey): number {
  if (a.topic !== b.topic) return a.topic < b.topic ? -1 : 1;
  return a.partition - b.partition;
}

/** The first `max` partitions in (topic, partition) order; the rest are counted as dropped. */
export function boundPartitions<T extends PartitionKey>(all: readonly T[], max: number): BoundedPartitions<T> {
  if (all.length <= max) return { kept: [...all].sort(comparePartitions), dropped: 0 };
  const sorted = [...all].sort(comparePartitions);
  return { kept: sorted.slice(0, max), dropped: sorted.length - max };
}
