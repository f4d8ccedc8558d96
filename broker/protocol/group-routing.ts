/**
 * Where a consumer group lives: its partition of the internal offsets topic.
 * The leader of that partition is the group's coordinator. Shared by the
 * broker (which serves the group there) and the SDK (which routes group
 * requests there without a lookup round trip).
 */
import { partitionForKey } from "./murmur2.js";

/** The internal topic holding consumer-group state and committed offsets (like Kafka's). */
export const OFFSETS_TOPIC = "__consumer_offsets";

const encoder = new TextEncoder();

/**
 * The offsets-topic partition of a group: murmur2(UTF-8 of the group id)
 * mod the topic's partition count (the count the topic was created with,
 * read from the metadata; never the local config).
 */
export function coordinatorPartition(group: string, partitionCount: number): number {
  return partitionForKey(encoder.encode(group), partitionCount);
}
