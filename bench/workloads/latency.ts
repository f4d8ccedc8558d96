/**
 * End-to-end and acknowledgement latency at a fixed rate. A paced producer
 * writes `rate` records/s over all partitions for `seconds`; every record
 * carries the time it was scheduled (record-value.ts), not the time the
 * event loop got to it, so a stalled sender counts as latency. A consumer
 * in another client reads the topic and records now - scheduled time per
 * record (end-to-end); the producer records acknowledgement - scheduled time.
 * Records scheduled in the first `warmupSeconds` are not recorded.
 */
import type { BenchContext } from "../context.js";
import { LatencyHistogram, type LatencySummaryMs } from "../histogram.js";
import { filler, readStamp, stampedValue } from "../record-value.js";
import { epochMs, nowMs, sleep } from "../time.js";

/** Most records handed to one send() call per pacing step. */
const STEP_RECORDS_MAX = 1_000;
/** How long the consumer may take to catch up after the last send. */
const DRAIN_MS_MAX = 15_000;

/** Settings of the fixed-rate workload. */
export interface LatencySettings {
  readonly topic: string;
  readonly rateRecordsPerSec: number;
  /** Where the rate came from. */
  readonly rateSource: string;
  readonly seconds: number;
  readonly warmupSeconds: number;
  readonly recordBytes: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
}

/** Figures of the fixed-rate workload. */
export interface LatencyResult {
  readonly settings: LatencySettings;
  readonly e2eLatencyMs: LatencySummaryMs;
  readonly ackLatencyMs: LatencySummaryMs;
  /** Records acknowledged per second over the whole run (should equal the rate). */
  readonly achievedRecordsPerSec: number;
  readonly sentRecords: number;
  readonly consumedRecords: number;
  readonly failedRecords: number;
  /** Raft term increases on the topic's partitions during the run (elections; should be 0). */
  readonly termChanges: number;
}

/** Run it on a fresh topic at `rate` records/s. */
export async function runLatency(ctx: BenchContext, rate: number, rateSource: string): Promise<LatencyResult> {
  const o = ctx.options;
  const settings: LatencySettings = {
    topic: ctx.topicName("latency"),
    rateRecordsPerSec: Math.max(1, Math.round(rate)),
    rateSource,
    seconds: o.latencySeconds,
    warmupSeconds: Math.min(o.latencyWarmupSeconds, o.latencySeconds / 2),
    recordBytes: o.recordBytes,
    partitions: o.partitions,
    replicationFactor: ctx.replicationFactor,
    acks: o.acks,
    lingerMs: o.latencyLingerMs,
  };
  await ctx.createTopic(settings.topic, settings.partitions);
  const termsBefore = await ctx.cluster.termSum(settings.topic);
  const producerClient = ctx.client("latency-producer");
  const consumerClient = ctx.client("latency-consumer");
  const e2e = new LatencyHistogram();
  const ack = new LatencyHistogram();
  let consumed = 0;
  let acked = 0;
  let failed = 0;
  try {
    const consumer = consumerClient.consumer({ maxWaitMs: 500 });
    consumer.assign(Array.from({ length: settings.partitions }, (_, partition) => ({ topic: settings.topic, partition, from: { offset: 0 } })));
    const t0Epoch = epochMs() + 200; // a little later, so that the consumer's first fetches are out
    const warmupSeq = Math.floor(settings.warmupSeconds * settings.rateRecordsPerSec);
    const consuming = consumer.run({
      eachBatch: ({ records }) => {
        const now = epochMs();
        for (const r of records) {
          const stamp = r.value === null ? undefined : readStamp(r.value);
          if (stamp === undefined) continue;
          consumed++;
          if (stamp.seq >= warmupSeq) e2e.recordMs(now - stamp.sentEpochMs);
        }
      },
    });
    const producer = producerClient.producer({ acks: settings.acks, lingerMs: settings.lingerMs });
    const fill = filler(settings.recordBytes);
    const total = Math.floor(settings.seconds * settings.rateRecordsPerSec);
    const pending = new Set<Promise<void>>();
    let sent = 0;
    while (epochMs() < t0Epoch) await sleep(1);
    const startMono = nowMs();
    const endMono = startMono + settings.seconds * 1000;
    while (sent < total) {
      const elapsedMs = epochMs() - t0Epoch;
      const due = Math.min(total, Math.floor((elapsedMs / 1000) * settings.rateRecordsPerSec) + 1);
      while (sent < due) {
        const k = Math.min(STEP_RECORDS_MAX, due - sent);
        const first = sent;
        const messages = new Array<{ value: Buffer }>(k);
        for (let i = 0; i < k; i++) {
          const seq = first + i;
          const scheduled = t0Epoch + (seq * 1000) / settings.rateRecordsPerSec;
          messages[i] = { value: stampedValue(fill, { sentEpochMs: scheduled, writer: 0, seq }) };
        }
        sent += k;
        const p = producer.send({ topic: settings.topic, messages }).then(
          () => {
            const now = epochMs();
            acked += k;
            for (let i = 0; i < k; i++) {
              const seq = first + i;
              if (seq >= warmupSeq) ack.recordMs(now - (t0Epoch + (seq * 1000) / settings.rateRecordsPerSec));
            }
          },
          () => {
            failed += k;
          },
        );
        pending.add(p);
        void p.then(() => pending.delete(p));
      }
      ctx.progress.update("latency", `${settings.rateRecordsPerSec.toLocaleString("en-US")} rec/s: ${sent.toLocaleString("en-US")}/${total.toLocaleString("en-US")} sent, ${consumed.toLocaleString("en-US")} consumed`);
      if (nowMs() > endMono + DRAIN_MS_MAX) break; // the cluster cannot keep up at all
      await sleep(1);
    }
    const sendSeconds = (nowMs() - startMono) / 1000;
    await Promise.race([Promise.all(pending), sleep(DRAIN_MS_MAX)]);
    const drainDeadline = nowMs() + DRAIN_MS_MAX;
    while (consumed < acked && nowMs() < drainDeadline) await sleep(10);
    await consumer.stop();
    await consuming.catch(() => undefined);
    const termsAfter = await ctx.cluster.termSum(settings.topic);
    const result: LatencyResult = {
      settings,
      e2eLatencyMs: e2e.summary(),
      ackLatencyMs: ack.summary(),
      achievedRecordsPerSec: acked / sendSeconds,
      sentRecords: sent,
      consumedRecords: consumed,
      failedRecords: failed,
      termChanges: termsAfter - termsBefore,
    };
    ctx.progress.done("latency", `e2e p99 ${result.e2eLatencyMs.p99.toFixed(2)} ms, ack p99 ${result.ackLatencyMs.p99.toFixed(2)} ms at ${settings.rateRecordsPerSec.toLocaleString("en-US")} rec/s`);
    return result;
  } finally {
    await ctx.closeClient(producerClient);
    await ctx.closeClient(consumerClient);
  }
}
