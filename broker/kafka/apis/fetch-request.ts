/**
 * The Fetch request (key 1) in its non-flexible versions 4-11, as Kafka's
 * FetchRequest schema lays it out: the fields rlog uses, read in order;
 * those it does not use (replica id, leader epochs, the follower's log
 * start offset, forgotten topics, rack) are read past.
 */
import type { KafkaReader } from "../kafka-reader.js";

/** One partition to fetch. */
export interface FetchPartitionRequest {
  readonly partition: number;
  /** The first offset wanted. */
  readonly fetchOffset: number;
  /** At most this many record bytes for the partition (KIP-74: not for the first batch of a response). */
  readonly partitionMaxBytes: number;
}

/** One topic's partitions to fetch. */
export interface FetchTopicRequest {
  readonly topic: string;
  readonly partitions: readonly FetchPartitionRequest[];
}

/** What rlog reads of a Fetch request. */
export interface KafkaFetchRequest {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  /** At most this many record bytes in the whole response (KIP-74: not for its first batch). */
  readonly maxBytes: number;
  /** 0 read uncommitted, 1 read committed: the same to rlog, which has no transactions. */
  readonly isolationLevel: number;
  /** v7+: an incremental fetch session (KIP-227); rlog offers none, so only 0 is known. */
  readonly sessionId: number;
  readonly sessionEpoch: number;
  readonly topics: readonly FetchTopicRequest[];
}

/** Read a Fetch request body of `version` (4-11). Throws KafkaDecodeError. */
export function readFetchRequest(version: number, body: KafkaReader): KafkaFetchRequest {
  body.int32("replica_id");
  const maxWaitMs = body.int32("max_wait_ms");
  const minBytes = body.int32("min_bytes");
  const maxBytes = body.int32("max_bytes");
  const isolationLevel = body.int8("isolation_level");
  const sessionId = version >= 7 ? body.int32("session_id") : 0;
  const sessionEpoch = version >= 7 ? body.int32("session_epoch") : -1;
  const topics = body.array(
    (t) => ({
      topic: t.string("topic"),
      partitions: t.array((p) => {
        const partition = p.int32("partition");
        if (version >= 9) p.int32("current_leader_epoch");
        const fetchOffset = p.int64("fetch_offset");
        if (version >= 5) p.int64("log_start_offset");
        const partitionMaxBytes = p.int32("partition_max_bytes");
        return { partition, fetchOffset, partitionMaxBytes };
      }, "partitions"),
    }),
    "topics",
  );
  if (version >= 7) body.array((t) => (t.string("forgotten topic"), t.array((p) => p.int32("forgotten partition"))), "forgotten_topics_data");
  if (version >= 11) body.string("rack_id");
  body.end("Fetch");
  return { maxWaitMs, minBytes, maxBytes, isolationLevel, sessionId, sessionEpoch, topics };
}
