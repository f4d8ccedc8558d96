/**
 * Produce throughput: P producer clients write `records` records of
 * `recordBytes` bytes (keyless, so the sticky partitioner fills one
 * partition's batch at a time) as fast as the cluster acknowledges them.
 * Each producer keeps up to WINDOW_SENDS send() calls of `sendRecords`
 * messages outstanding (throughput-writer.ts); the producer's own buffer
 * bound applies as well. The clock starts after every producer has had one
 * record acknowledged (connections, metadata, producer ids) and stops at the
 * last acknowledgement.
 *
 * The same measurement runs as `produce` (values of --values, random by
 * default), as `produce-json` (JSON-like values, what compression is for),
 * and inside partition-scale on a topic among thousands of idle partitions.
 */
import type { RlogClient } from "../../client/index.js";
import { producerCompression, type Compression } from "../compression.js";
import type { BenchContext } from "../context.js";
import { valuePool, type ValueKind } from "../record-value.js";
import { newTally, VALUE_POOL, writeRecords } from "../throughput-writer.js";
import { nowMs } from "../time.js";

/** A record count this large means "until secondsMax": a run bounded by time only (partition-scale). */
export const TIME_BOUNDED_RECORDS = 1_000_000_000;

/** Settings of the produce workload. */
export interface ProduceSettings {
  readonly topic: string;
  readonly producers: number;
  readonly recordBytes: number;
  readonly records: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
  readonly batchBytesMax: number;
  readonly sendRecords: number;
  readonly secondsMax: number;
  /** random: incompressible filler; json: JSON-like documents (record-value.ts). */
  readonly values: ValueKind;
  /** Producer compression asked for. */
  readonly compression: Compression;
}

/** Figures of the produce workload. */
export interface ProduceResult {
  readonly settings: ProduceSettings;
  /** Records acknowledged in the timed part. */
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  /** Value bytes per second / 10^6 (uncompressed: what the application handed over). */
  readonly mbPerSec: number;
  /** Records whose send failed (must be 0). */
  readonly failedRecords: number;
  /** Whether the time limit cut the run short. */
  readonly timedOut: boolean;
  /** Offsets written per partition (end offsets), for the consume workload. */
  readonly endOffsets: readonly number[];
}

/** The produce settings of the options, for `topic` with `partitions` partitions. */
export function produceSettings(ctx: BenchContext, topic: string, partitions: number, values: ValueKind): ProduceSettings {
  const o = ctx.options;
  return {
    topic,
    producers: o.producers,
    recordBytes: o.recordBytes,
    records: o.records,
    partitions,
    replicationFactor: ctx.replicationFactor,
    acks: o.acks,
    lingerMs: o.lingerMs,
    batchBytesMax: o.batchBytesMax,
    sendRecords: o.sendRecords,
    secondsMax: o.produceSecondsMax,
    values,
    compression: o.compression,
  };
}

/** Run the produce workload on a fresh topic (`workload` names the topic and the progress line). */
export async function runProduce(ctx: BenchContext, values: ValueKind, workload = "produce"): Promise<ProduceResult> {
  const settings = produceSettings(ctx, ctx.topicName(workload), ctx.options.partitions, values);
  await ctx.createTopic(settings.topic, settings.partitions);
  return measureProduce(ctx, settings, workload);
}

/** Measure produce throughput on an existing topic with `settings`. */
export async function measureProduce(ctx: BenchContext, settings: ProduceSettings, workload: string): Promise<ProduceResult> {
  const clients: RlogClient[] = [];
  const tallies = Array.from({ length: settings.producers }, () => newTally());
  const acked = (): number => tallies.reduce((s, t) => s + t.acked, 0);
  const failed = (): number => tallies.reduce((s, t) => s + t.failed, 0);
  const firstError = (): unknown => tallies.find((t) => t.firstError !== undefined)?.firstError;
  const endOffsets = new Array<number>(settings.partitions).fill(0);
  const note = (metas: readonly { partition: number; offset: number }[]): void => {
    for (const m of metas) if (m.offset + 1 > (endOffsets[m.partition] ?? 0)) endOffsets[m.partition] = m.offset + 1;
  };
  try {
    const producers = Array.from({ length: settings.producers }, (_, k) => {
      const c = ctx.client(`${workload}-${k}`);
      clients.push(c);
      return c.producer({ acks: settings.acks, lingerMs: settings.lingerMs, batchBytesMax: settings.batchBytesMax, ...producerCompression(settings.compression) });
    });
    const pools = producers.map((_, w) => valuePool(settings.values, settings.recordBytes, w, VALUE_POOL));
    // Warm-up: one record each, not counted in the timed part but counted in the topic.
    await Promise.all(producers.map(async (p, w) => note(await p.send({ topic: settings.topic, messages: [{ value: pools[w]![0]! }] }))));
    const share = (w: number): number => Math.floor(settings.records / settings.producers) + (w < settings.records % settings.producers ? 1 : 0);
    const start = nowMs();
    const deadlineMs = start + settings.secondsMax * 1000;
    const report = setInterval(() => {
      const s = (nowMs() - start) / 1000;
      const of = settings.records >= TIME_BOUNDED_RECORDS ? ` (${s.toFixed(0)}/${settings.secondsMax} s)` : `/${settings.records.toLocaleString("en-US")}`;
      ctx.progress.update(workload, `${acked().toLocaleString("en-US")}${of} records, ${Math.round(acked() / Math.max(s, 0.001)).toLocaleString("en-US")} rec/s`);
    }, 250);
    try {
      await Promise.all(
        producers.map((p, w) =>
          writeRecords(p, { topic: settings.topic, pool: pools[w]!, records: share(w), sendRecords: settings.sendRecords, deadlineMs, stop: () => firstError() !== undefined, onAck: note }, tallies[w]!),
        ),
      );
    } finally {
      clearInterval(report);
    }
    const seconds = (nowMs() - start) / 1000;
    if (firstError() !== undefined && acked() === 0) throw firstError();
    ctx.progress.done(workload, `${acked().toLocaleString("en-US")} records in ${seconds.toFixed(1)} s`);
    return {
      settings,
      records: acked(),
      seconds,
      recordsPerSec: acked() / seconds,
      mbPerSec: (acked() * settings.recordBytes) / seconds / 1e6,
      failedRecords: failed(),
      timedOut: tallies.some((t) => t.timedOut),
      endOffsets: endOffsets.map((e) => e),
    };
  } finally {
    await Promise.all(clients.map((c) => ctx.closeClient(c)));
  }
}
