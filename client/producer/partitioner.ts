/**
 * Chooses a partition for each message:
 * - an explicit `partition` wins;
 * - a keyed message goes to partitionForKey(key) (Kafka-compatible murmur2),
 *   so records with the same key share a partition and keep their order;
 * - keyless messages are "sticky": they all go to one partition until its
 *   open batch closes, then the next partition round-robin takes over. That
 *   fills batches (fewer, larger requests) while spreading load over time
 *   (Kafka's KIP-480 sticky partitioner, with round-robin instead of random
 *   switching).
 */
import { partitionForKey } from "./murmur2.js";

/** The sticky/key-hash partitioner of one producer; see the file comment. */
export class Partitioner {
  /** Current sticky partition per topic; bounded by the topics this producer writes. */
  private readonly sticky = new Map<string, number>();

  /** @param random start position of the round-robin (so producers do not all start on partition 0) */
  constructor(private readonly random: () => number = Math.random) {}

  /** The partition for a message with this key (undefined: keyless). */
  partition(topic: string, key: Uint8Array | undefined, partitionCount: number): number {
    if (key !== undefined) return partitionForKey(key, partitionCount);
    let p = this.sticky.get(topic);
    if (p === undefined) {
      p = Math.floor(this.random() * partitionCount);
      this.sticky.set(topic, p);
    }
    return p % partitionCount;
  }

  /** A batch of `partition` closed: if it was the sticky one, move keyless traffic to the next partition. */
  onBatchClosed(topic: string, partition: number, partitionCount: number): void {
    const p = this.sticky.get(topic);
    if (p !== undefined && p % partitionCount === partition) this.sticky.set(topic, (partition + 1) % partitionCount);
  }
}
