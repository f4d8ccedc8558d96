/**
 * ListOffsets (key 2), v1-v5 (v0, with its list of old-style offsets, is
 * not answered: every client this listener serves sends v1+). Per
 * partition, rlog's `listOffsets` op on its leader: timestamp -1 is the
 * latest offset (the high watermark: rlog has no transactions, so it is
 * the last stable offset too), -2 the earliest (the log start offset),
 * any other value >= 0 the first offset whose record timestamp is at or
 * after it, with that record's timestamp; Kafka's -1/-1 when no record is
 * that late. Other negative timestamps get INVALID_REQUEST. The leader
 * epoch (v4+) is answered -1 (unknown): clients then skip epoch checks.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { OffsetSpec } from "../../protocol/enums.js";
import { apiErrorCode } from "./api-error.js";

/** Kafka's ListOffsets timestamp for the latest offset. */
export const LATEST_TIMESTAMP = -1;
/** Kafka's ListOffsets timestamp for the earliest offset. */
export const EARLIEST_TIMESTAMP = -2;

interface PartitionAnswer {
  readonly partition: number;
  errorCode: number;
  timestamp: number;
  offset: number;
}

/** The ListOffsets API: see the file comment. */
export const listOffsetsApi: KafkaApi = {
  key: ApiKey.ListOffsets,
  name: "ListOffsets",
  minVersion: 1,
  maxVersion: 5,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    body.int32("replica_id");
    if (version >= 2) body.int8("isolation_level");
    const topics = body.array(
      (t) => ({
        topic: t.string("topic"),
        partitions: t.array((p) => {
          const partition = p.int32("partition");
          if (version >= 4) p.int32("current_leader_epoch");
          return { partition, timestamp: p.int64("timestamp") };
        }, "partitions"),
      }),
      "topics",
    );
    body.end("ListOffsets");
    const answers = await Promise.all(
      topics.map(async (t) => ({
        topic: t.topic,
        partitions: await Promise.all(t.partitions.map((p) => listOffset(t.topic, p.partition, p.timestamp, ctx))),
      })),
    );
    const w = new KafkaWriter();
    if (version >= 2) w.int32(0); // throttle_time_ms
    w.array(answers, (x, t) => {
      x.string(t.topic);
      x.array(t.partitions, (y, p) => {
        y.int32(p.partition).int16(p.errorCode).int64(p.timestamp).int64(p.offset);
        if (version >= 4) y.int32(-1); // leader_epoch: unknown
      });
    });
    return w;
  },
};

async function listOffset(topic: string, partition: number, timestamp: number, ctx: KafkaApiContext): Promise<PartitionAnswer> {
  const answer: PartitionAnswer = { partition, errorCode: KafkaError.NONE, timestamp: -1, offset: -1 };
  if (timestamp < 0 && timestamp !== LATEST_TIMESTAMP && timestamp !== EARLIEST_TIMESTAMP) {
    answer.errorCode = KafkaError.INVALID_REQUEST;
    return answer;
  }
  try {
    if (timestamp === LATEST_TIMESTAMP || timestamp === EARLIEST_TIMESTAMP) {
      const spec = timestamp === LATEST_TIMESTAMP ? OffsetSpec.Latest : OffsetSpec.Earliest;
      answer.offset = (await ctx.call({ op: "listOffsets", topic, partition, spec })).offset;
    } else {
      const r = await ctx.call({ op: "listOffsets", topic, partition, spec: OffsetSpec.Timestamp, timestampMs: timestamp });
      if (r.timestampMs !== undefined) {
        answer.offset = r.offset;
        answer.timestamp = r.timestampMs;
      }
    }
  } catch (err) {
    answer.errorCode = apiErrorCode(ctx, err, `listOffsets ${topic}/${partition}`);
  }
  return answer;
}
