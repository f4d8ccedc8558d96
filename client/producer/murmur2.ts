/**
 * Kafka's murmur2 and the key partitioner. The implementation lives in
 * broker/protocol/murmur2.ts, shared with the broker (which maps consumer
 * groups to their coordinator partition with the same hash).
 */
export { murmur2, partitionForKey } from "../../broker/protocol/murmur2.js";
