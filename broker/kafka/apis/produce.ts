/**
 * Produce (key 0), v3-v8: RecordBatch v2 (v3+) in the versions before the
 * flexible ones (v9). rlog's batches ARE Kafka's RecordBatch v2, so each
 * batch of a partition's `records` goes to rlog's own `produce` op as it
 * came (produce-records.ts splits them), and the partition leader checks,
 * patches and appends it exactly as one from rlog's SDK.
 *
 * Choices (docs/KAFKA.md, "Produce"):
 * - acks -1 is rlog's "all" (a Raft commit), 1 is "leader" (the leader's
 *   append); acks 0 runs the produce as "leader" and answers nothing; any
 *   other value gets INVALID_REQUIRED_ACKS on every partition.
 * - Partitions of a request run concurrently; the batches of one partition
 *   (and repeated entries of one partition) run in order. The answer is the
 *   first batch's base offset. Kafka appends a partition's batches all or
 *   none; rlog appends them one by one, so when a later batch fails the
 *   partition answers that error although the earlier ones were written:
 *   an idempotent producer's retry of them is then answered as a duplicate.
 * - A non-null transactional_id gets TRANSACTIONAL_ID_AUTHORIZATION_FAILED
 *   on every partition: rlog has no transactions, and that code is fatal in
 *   every client (no retry loop) and says which part of the request is refused.
 * - Idempotence rides in each batch's header and the leader checks it: a
 *   retried batch it still remembers is answered NONE with its original
 *   offset (as Kafka does), so a producer's retry after a lost response
 *   succeeds; a sequence older than that memory is DUPLICATE_SEQUENCE_NUMBER,
 *   which Kafka's Java client and librdkafka count as written.
 * - log_append_time_ms is -1 (rlog batches carry create time) and
 *   log_start_offset is -1 (unknown here; clients read it only on errors).
 * - Each batch's request goes through rlog's own request validator (as
 *   every op a Kafka API runs: kafka-server.ts), so a Kafka client cannot
 *   write what rlog's SDK could not: an internal topic ("__" prefix, the consumer groups' log) is
 *   INVALID_TOPIC_EXCEPTION, a partition out of range INVALID_REQUEST.
 * - timeout_ms is clamped to [0, limits.requestTimeoutMsMax]; a batch larger
 *   than limits.batchBytesMax gets MESSAGE_TOO_LARGE (the broker's limits).
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError, kafkaErrorCode, type KafkaErrorCode } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { kafkaAcks, splitRecordBatches } from "../produce-records.js";
import type { Acks } from "../../protocol/enums.js";
import { RlogError } from "../../protocol/errors.js";

/** First version answered: RecordBatch v2 needs v3. */
const PRODUCE_VERSION_MIN = 3;
/** Last version answered: v9 is flexible. */
const PRODUCE_VERSION_MAX = 8;


interface PartitionData {
  readonly index: number;
  readonly records: Uint8Array | null;
}

interface TopicData {
  readonly name: string;
  readonly partitions: readonly PartitionData[];
}

/** One partition's answer. */
interface PartitionAnswer {
  readonly index: number;
  readonly errorCode: KafkaErrorCode;
  /** The first batch's base offset; -1 on error. */
  readonly baseOffset: number;
  /** Why it failed (v8 error_message); null on success. */
  readonly message: string | null;
}

function failed(index: number, errorCode: KafkaErrorCode, message: string): PartitionAnswer {
  return { index, errorCode, baseOffset: -1, message };
}

/** The Produce API. */
export const produceApi: KafkaApi = {
  key: ApiKey.Produce,
  name: "Produce",
  minVersion: PRODUCE_VERSION_MIN,
  maxVersion: PRODUCE_VERSION_MAX,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter | null> {
    const transactionalId = body.nullableString("transactional_id");
    const acksField = body.int16("acks");
    const timeoutField = body.int32("timeout_ms");
    const topics: TopicData[] = body.array(
      (r) => ({
        name: r.string("topic name"),
        partitions: r.array((q) => ({ index: q.int32("partition index"), records: q.nullableBytes("records") }), "partitions"),
      }),
      "topics",
    );
    body.end("Produce");

    const acks = kafkaAcks(acksField);
    let answers: PartitionAnswer[][];
    if (transactionalId !== null) {
      const why = `transactional id ${JSON.stringify(transactionalId)}: rlog has no transactions; produce without a transactional id (idempotence works)`;
      answers = topics.map((t) => t.partitions.map((p) => failed(p.index, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, why)));
    } else if (acks.kind === "invalid") {
      answers = topics.map((t) => t.partitions.map((p) => failed(p.index, KafkaError.INVALID_REQUIRED_ACKS, `acks ${acksField} is not -1, 0 or 1`)));
    } else {
      const timeoutMs = Math.min(Math.max(timeoutField, 0), ctx.cluster.limits.requestTimeoutMsMax);
      answers = await produceAll(topics, acks.kind === "none" ? "leader" : acks.acks, timeoutMs, ctx);
    }

    if (acks.kind === "none") {
      const errors = answers.flat().filter((a) => a.errorCode !== KafkaError.NONE).length;
      // Debug, not info: a client writing acks 0 to a stale leader would repeat this for every request.
      if (errors > 0) ctx.log.debug({ errors, firstError: answers.flat().find((a) => a.errorCode !== KafkaError.NONE)?.message }, "acks-0 produce failed on some partitions; Kafka sends no answer");
      return null;
    }
    const w = new KafkaWriter();
    w.array(topics.map((t, i) => ({ name: t.name, partitions: answers[i]! })), (x, t) => {
      x.string(t.name);
      x.array(t.partitions, (y, a) => {
        y.int32(a.index).int16(a.errorCode).int64(a.baseOffset);
        y.int64(-1); // log_append_time_ms (v2+): batches carry create time
        if (version >= 5) y.int64(-1); // log_start_offset: see the file comment
        if (version >= 8) {
          y.int32(0); // record_errors: none (a batch is refused as a whole)
          y.nullableString(a.message);
        }
      });
    });
    w.int32(0); // throttle_time_ms (v1+)
    return w;
  },
};

/** Run every partition (concurrently; one partition's entries in order); answers in the request's shape. */
async function produceAll(topics: readonly TopicData[], acks: Acks, timeoutMs: number, ctx: KafkaApiContext): Promise<PartitionAnswer[][]> {
  // A partition named twice in one request runs its entries one after the other, in request order.
  const tails = new Map<string, Promise<unknown>>();
  const pending = topics.map((t) =>
    t.partitions.map((p) => {
      const key = `${t.name}\u0000${p.index}`;
      const before = tails.get(key) ?? Promise.resolve();
      const run = before.then(() => producePartition(t.name, p, acks, timeoutMs, ctx));
      tails.set(key, run);
      return run;
    }),
  );
  return Promise.all(pending.map((ps) => Promise.all(ps)));
}

/** One partition's batches, in order; stops at the first failure. */
async function producePartition(topic: string, p: PartitionData, acks: Acks, timeoutMs: number, ctx: KafkaApiContext): Promise<PartitionAnswer> {
  const split = splitRecordBatches(p.records, ctx.cluster.limits.batchBytesMax);
  if (!split.ok) return failed(p.index, split.errorCode, split.message);
  let baseOffset = -1;
  for (const batch of split.batches) {
    try {
      const r = await ctx.call({ op: "produce", topic, partition: p.index, batch, acks, timeoutMs });
      if (baseOffset === -1) baseOffset = r.baseOffset;
    } catch (err) {
      const code = kafkaErrorCode(err);
      if (code === KafkaError.UNKNOWN_SERVER_ERROR) ctx.log.error({ err, topic, partition: p.index }, "kafka produce failed");
      else ctx.log.debug({ topic, partition: p.index, code: (err as RlogError).codeName, reason: (err as Error).message }, "kafka produce refused");
      return failed(p.index, code, err instanceof RlogError ? `${err.codeName}: ${err.message}` : "internal error");
    }
  }
  return { index: p.index, errorCode: KafkaError.NONE, baseOffset, message: null };
}
