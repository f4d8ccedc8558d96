/**
 * Produce throughput through the Kafka protocol: kafkajs producers write to
 * the brokers' Kafka listeners, on the same cluster and in the same run as
 * the produce workload (rlog's SDK), so the two figures compare. Settings
 * follow the produce workload's: the same producer count, record size,
 * values, record count, partitions and replication factor, acks all (-1),
 * no compression. kafkajs does not batch across send() calls (no linger),
 * so each send() carries one batch of about the SDK's batchBytesMax to one
 * partition, the partitions taken in turn (what the SDK's sticky
 * partitioner does with keyless records), and up to INFLIGHT_PER_PARTITION
 * sends per partition are outstanding (the SDK's requests in flight per
 * partition).
 *
 * Two runs, each on a fresh topic: kafkajs with idempotence off, and on.
 * An idempotent kafkajs producer sends one request at a time per broker
 * (its broker lock), whatever the window, so that run shows that cost.
 * The clock starts after every producer has had one record acknowledged
 * and stops at the last acknowledgement.
 */
import { createRequire } from "node:module";
import kafkajs from "kafkajs";
import type { BenchContext } from "../context.js";
import { valuePool, type ValueKind } from "../record-value.js";
import { VALUE_POOL } from "../throughput-writer.js";
import { nowMs } from "../time.js";
import { Window } from "../window.js";
import { LIMIT_DEFAULTS } from "../../broker/protocol/defaults.js";

const { Kafka, logLevel } = kafkajs;

/** Sends outstanding per partition per producer: the SDK's default requests in flight per partition. */
const INFLIGHT_PER_PARTITION = 5;
/** Bytes a record adds to its value in a batch (length, attributes, deltas, key and header fields), for sizing sends. */
const RECORD_OVERHEAD_BYTES = 10;
/** kafkajs's produce request timeout (its own default). */
const PRODUCE_TIMEOUT_MS = 30_000;

/** Settings of the kafka-produce workload. */
export interface KafkaProduceSettings {
  readonly producers: number;
  readonly recordBytes: number;
  readonly records: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly acks: "all";
  /** Records per send(): one batch of about batchBytes. */
  readonly sendRecords: number;
  readonly batchBytes: number;
  /** send() calls outstanding per producer (INFLIGHT_PER_PARTITION per partition). */
  readonly windowSends: number;
  readonly secondsMax: number;
  readonly values: ValueKind;
  readonly compression: "none";
  readonly client: string;
}

/** One run (idempotence off or on). */
export interface KafkaProduceRun {
  readonly topic: string;
  readonly idempotent: boolean;
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  /** Value bytes per second / 10^6. */
  readonly mbPerSec: number;
  /** Records whose send failed (must be 0). */
  readonly failedRecords: number;
  readonly timedOut: boolean;
}

/** Figures of the kafka-produce workload. */
export interface KafkaProduceResult {
  readonly settings: KafkaProduceSettings;
  readonly runs: readonly KafkaProduceRun[];
}

/** Run both kafkajs runs; `brokers` are the Kafka listeners ("host:port"). */
export async function runKafkaProduce(ctx: BenchContext, brokers: readonly string[]): Promise<KafkaProduceResult> {
  const o = ctx.options;
  const batchBytes = Math.min(o.batchBytesMax, LIMIT_DEFAULTS.batchBytesMax);
  const settings: KafkaProduceSettings = {
    producers: o.producers,
    recordBytes: o.recordBytes,
    records: o.records,
    partitions: o.partitions,
    replicationFactor: ctx.replicationFactor,
    acks: "all",
    sendRecords: Math.max(1, Math.floor(batchBytes / (o.recordBytes + RECORD_OVERHEAD_BYTES))),
    batchBytes,
    windowSends: INFLIGHT_PER_PARTITION * o.partitions,
    secondsMax: o.produceSecondsMax,
    values: o.values,
    compression: "none",
    client: `kafkajs ${kafkajsVersion() ?? "(version unknown)"}`,
  };
  const runs: KafkaProduceRun[] = [];
  for (const idempotent of [false, true]) runs.push(await measureRun(ctx, settings, brokers, idempotent));
  return { settings, runs };
}

/** The installed kafkajs's version, for the report. */
function kafkajsVersion(): string | undefined {
  try {
    return (createRequire(import.meta.url)("kafkajs/package.json") as { version?: string }).version;
  } catch {
    return undefined; // a report without the version is still a report
  }
}

async function measureRun(ctx: BenchContext, s: KafkaProduceSettings, brokers: readonly string[], idempotent: boolean): Promise<KafkaProduceRun> {
  const workload = idempotent ? "kafka-produce-idem" : "kafka-produce";
  const topic = ctx.topicName(workload);
  await ctx.createTopic(topic, s.partitions);
  const producers = Array.from({ length: s.producers }, (_, k) =>
    new Kafka({ clientId: `rlog-bench-${workload}-${k}`, brokers: [...brokers], logLevel: logLevel.NOTHING }).producer({ idempotent, ...(idempotent ? { maxInFlightRequests: 1 } : {}) }),
  );
  try {
    await Promise.all(producers.map((p) => p.connect()));
    const pools = producers.map((_, w) => valuePool(s.values, s.recordBytes, w, VALUE_POOL));
    // Warm-up: one record each (connections, metadata, producer ids), not timed.
    await Promise.all(producers.map((p, w) => p.send({ topic, acks: -1, messages: [{ value: pools[w]![0]!, partition: w % s.partitions }] })));
    const share = (w: number): number => Math.floor(s.records / s.producers) + (w < s.records % s.producers ? 1 : 0);
    let acked = 0;
    let failed = 0;
    let firstError: unknown;
    let timedOut = false;
    const start = nowMs();
    const deadlineMs = start + s.secondsMax * 1000;
    const report = setInterval(() => {
      const secs = (nowMs() - start) / 1000;
      ctx.progress.update(workload, `${acked.toLocaleString("en-US")}/${s.records.toLocaleString("en-US")} records, ${Math.round(acked / Math.max(secs, 0.001)).toLocaleString("en-US")} rec/s`);
    }, 250);
    try {
      await Promise.all(
        producers.map(async (p, w) => {
          const window = new Window(s.windowSends);
          const pool = pools[w]!;
          for (let sent = 0, send = 0; sent < share(w); send++) {
            if (nowMs() > deadlineMs) {
              timedOut = true;
              break;
            }
            if (firstError !== undefined) break;
            const k = Math.min(s.sendRecords, share(w) - sent);
            const partition = (w + send) % s.partitions;
            const messages = new Array<{ value: Buffer; partition: number }>(k);
            for (let i = 0; i < k; i++) messages[i] = { value: pool[(sent + i) % pool.length]!, partition };
            sent += k;
            await window.acquire();
            p.send({ topic, acks: -1, timeout: PRODUCE_TIMEOUT_MS, messages }).then(
              () => {
                acked += k;
                window.release();
              },
              (err: unknown) => {
                failed += k;
                firstError ??= err;
                window.release();
              },
            );
          }
          await window.drain();
        }),
      );
    } finally {
      clearInterval(report);
    }
    const seconds = (nowMs() - start) / 1000;
    if (firstError !== undefined && acked === 0) throw firstError;
    ctx.progress.done(workload, `${acked.toLocaleString("en-US")} records in ${seconds.toFixed(1)} s`);
    return { topic, idempotent, records: acked, seconds, recordsPerSec: acked / seconds, mbPerSec: (acked * s.recordBytes) / seconds / 1e6, failedRecords: failed, timedOut };
  } finally {
    await Promise.allSettled(producers.map((p) => p.disconnect()));
  }
}
