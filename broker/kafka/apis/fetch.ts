/**
 * Fetch (key 1), v4-v11: committed record batches of many partitions, with
 * a long poll. The batches are rlog's stored bytes, which are Kafka
 * RecordBatch v2 (base offset and leader epoch patched by the leader), sent
 * as they are (KafkaWriter.raw: no copy). Each partition is read by rlog's
 * own `fetch` op on its leader; a broker that does not lead a partition
 * answers NOT_LEADER_OR_FOLLOWER for it, an offset outside the log
 * OFFSET_OUT_OF_RANGE (the client then resets by its policy).
 *
 * How one request is served (docs/KAFKA.md, "Fetch"):
 * 1. A pass over the partitions in request order, one `fetch` op each with
 *    no wait, each asking for what is left of the response's byte limits
 *    (max_bytes overall, capped at limits.fetchBytesMax, and
 *    partition_max_bytes). KIP-74: the first batch of the response is
 *    returned whatever its size; a later batch only when it fits. After
 *    each op the request keeps only the budget its records need
 *    (ctx.keepReserved), so it never holds more than one op's full
 *    reservation besides its records. Partitions left when the response
 *    is full are answered with their offsets only (two listOffsets ops).
 * 2. When the pass found fewer than min_bytes and no error, a long poll:
 *    one waiting `fetch` op per partition, at the partition's high
 *    watermark, all ended as soon as one sees new data (or max_wait_ms
 *    passes); then another pass. Repeated until min_bytes or the deadline.
 * No incremental fetch sessions (KIP-227): session_id is always answered
 * 0, which tells the client to send full fetches; a request naming a
 * session gets FETCH_SESSION_ID_NOT_FOUND. rlog has no transactions:
 * isolation levels are the same, the last stable offset is the high
 * watermark and no transaction is ever aborted.
 */
import { ApiKey } from "../api-keys.js";
import type { KafkaApi, KafkaApiContext } from "../kafka-api.js";
import { KafkaError } from "../kafka-errors.js";
import type { KafkaReader } from "../kafka-reader.js";
import { KafkaWriter } from "../kafka-writer.js";
import { OffsetSpec } from "../../protocol/enums.js";
import { apiErrorCode } from "./api-error.js";
import { type KafkaFetchRequest, readFetchRequest } from "./fetch-request.js";


/** What the response says of one partition. */
interface PartitionAnswer {
  readonly partition: number;
  readonly fetchOffset: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  readonly batches: Uint8Array[];
}

interface TopicAnswer {
  readonly topic: string;
  readonly partitions: PartitionAnswer[];
}

/** One pass over every partition. */
interface Pass {
  readonly topics: TopicAnswer[];
  /** Record bytes in the answers. */
  readonly bytes: number;
  /** Some partition answered an error (Kafka answers at once then). */
  readonly failed: boolean;
}

/** The Fetch API: see the file comment. */
export const fetchApi: KafkaApi = {
  key: ApiKey.Fetch,
  name: "Fetch",
  minVersion: 4,
  maxVersion: 11,
  async handle(version: number, body: KafkaReader, ctx: KafkaApiContext): Promise<KafkaWriter> {
    const req = readFetchRequest(version, body);
    if (req.sessionId !== 0) return writeResponse(version, KafkaError.FETCH_SESSION_ID_NOT_FOUND, []);
    if (req.sessionEpoch > 0) return writeResponse(version, KafkaError.INVALID_FETCH_SESSION_EPOCH, []);
    // Most record bytes in one response (the first batch may pass it, KIP-74): the broker's
    // limits.fetchBytesMax (4 MiB by default). A response this full plus one more partition read's
    // reservation (about 8 MiB: fetchReservationBytes) stays within a connection's response budget
    // (16 MiB by default), so a request does not wait on its own reservations.
    const maxBytes = clamp(req.maxBytes, 1, ctx.cluster.limits.fetchBytesMax);
    const minBytes = clamp(req.minBytes, 1, maxBytes);
    // The longest long poll is the broker's limits.fetchWaitMsMax (30 s by default).
    const deadlineMs = performance.now() + clamp(req.maxWaitMs, 0, ctx.cluster.limits.fetchWaitMsMax);
    let pass = await readPass(req, maxBytes, ctx);
    while (pass.bytes < minBytes && !pass.failed && !ctx.signal.aborted) {
      const waitMs = Math.floor(deadlineMs - performance.now());
      if (waitMs < 1) break;
      const woke = await waitForData(pass, waitMs, ctx);
      ctx.keepReserved(pass.bytes); // what the waits reserved goes back
      if (!woke || ctx.signal.aborted) break;
      ctx.keepReserved(0); // the next pass replaces this one's records
      pass = await readPass(req, maxBytes, ctx);
    }
    return writeResponse(version, KafkaError.NONE, pass.topics);
  },
};

/** Step 1 of the file comment: every partition read once, without waiting. */
async function readPass(req: KafkaFetchRequest, maxBytes: number, ctx: KafkaApiContext): Promise<Pass> {
  const topics: TopicAnswer[] = [];
  let bytes = 0;
  let failed = false;
  const full: { topic: string; answer: PartitionAnswer }[] = [];
  for (const t of req.topics) {
    const partitions: PartitionAnswer[] = [];
    topics.push({ topic: t.topic, partitions });
    for (const p of t.partitions) {
      const answer: PartitionAnswer = { partition: p.partition, fetchOffset: p.fetchOffset, errorCode: KafkaError.NONE, highWatermark: -1, logStartOffset: -1, batches: [] };
      partitions.push(answer);
      const left = Math.min(maxBytes - bytes, Math.max(p.partitionMaxBytes, 0));
      if (bytes >= maxBytes) {
        full.push({ topic: t.topic, answer });
        continue;
      }
      try {
        const r = await ctx.call({ op: "fetch", topic: t.topic, partition: p.partition, offset: p.fetchOffset, maxBytes: Math.max(left, 1), maxWaitMs: 0 });
        answer.highWatermark = r.highWatermark;
        answer.logStartOffset = r.logStartOffset;
        let taken = 0;
        for (const b of r.batches) {
          const n = b.data.byteLength;
          // KIP-74: the response's first batch whatever its size, later ones only within the limits.
          if (bytes + taken > 0 && taken + n > left) break;
          answer.batches.push(b.data);
          taken += n;
        }
        bytes += taken;
      } catch (err) {
        answer.errorCode = apiErrorCode(ctx, err, `fetch ${t.topic}/${p.partition}`);
        failed = true;
      }
      ctx.keepReserved(bytes);
    }
  }
  for (const { topic, answer } of full) await readOffsets(topic, answer, ctx);
  return { topics, bytes, failed };
}

/** A partition left out of a full response: its offsets only. */
async function readOffsets(topic: string, answer: PartitionAnswer, ctx: KafkaApiContext): Promise<void> {
  try {
    const [latest, earliest] = await Promise.all([
      ctx.call({ op: "listOffsets", topic, partition: answer.partition, spec: OffsetSpec.Latest }),
      ctx.call({ op: "listOffsets", topic, partition: answer.partition, spec: OffsetSpec.Earliest }),
    ]);
    answer.highWatermark = latest.offset;
    answer.logStartOffset = earliest.offset;
  } catch (err) {
    answer.errorCode = apiErrorCode(ctx, err, `offsets of ${topic}/${answer.partition}`);
  }
}

/**
 * Step 2 of the file comment: resolves true once some partition has data
 * past what `pass` saw (or fails: the next pass reports it), false after
 * `waitMs`. Every wait has ended (none can reserve budget later) when it resolves.
 */
async function waitForData(pass: Pass, waitMs: number, ctx: KafkaApiContext): Promise<boolean> {
  const stop = new AbortController();
  let woke = false;
  const waits: Promise<void>[] = [];
  for (const t of pass.topics) {
    for (const p of t.partitions) {
      const offset = Math.max(p.fetchOffset, p.highWatermark);
      const wait = ctx
        .call({ op: "fetch", topic: t.topic, partition: p.partition, offset, maxBytes: 1, maxWaitMs: waitMs }, stop.signal)
        .then(
          (r) => r.batches.length > 0 || r.highWatermark > offset,
          () => !stop.signal.aborted,
        )
        .then((news) => {
          if (!news || stop.signal.aborted) return;
          woke = true;
          stop.abort();
        });
      waits.push(wait);
    }
  }
  await Promise.all(waits);
  return woke;
}

function writeResponse(version: number, errorCode: number, topics: readonly TopicAnswer[]): KafkaWriter {
  const w = new KafkaWriter();
  w.int32(0); // throttle_time_ms
  if (version >= 7) w.int16(errorCode).int32(0); // session_id: no fetch sessions
  w.array(topics, (x, t) => {
    x.string(t.topic);
    x.array(t.partitions, (y, p) => {
      y.int32(p.partition).int16(p.errorCode).int64(p.highWatermark);
      y.int64(p.highWatermark); // last_stable_offset: no transactions
      if (version >= 5) y.int64(p.logStartOffset);
      y.int32(0); // aborted_transactions: none
      if (version >= 11) y.int32(-1); // preferred_read_replica: the leader
      y.int32(p.batches.reduce((n, b) => n + b.byteLength, 0));
      for (const b of p.batches) y.raw(b);
    });
  });
  return w;
}

function clamp(v: number, min: number, max: number): number {
  return Math.min(Math.max(v, min), max);
}
