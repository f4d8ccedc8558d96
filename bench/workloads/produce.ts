/**
 * Produce throughput: P producer clients write `records` records of
 * `recordBytes` bytes (keyless, so the sticky partitioner fills one
 * partition's batch at a time) as fast as the cluster acknowledges them.
 * Each producer keeps up to WINDOW_SENDS send() calls of `sendRecords`
 * messages outstanding; the producer's own buffer bound applies as well.
 * The clock starts after every producer has had one record acknowledged
 * (connections, metadata, producer ids) and stops at the last acknowledgement.
 */
import type { RlogClient } from "../../client/index.js";
import type { BenchContext } from "../context.js";
import { filler, stampedValue } from "../record-value.js";
import { nowMs } from "../time.js";
import { Window } from "../window.js";

/** send() calls outstanding per producer. */
const WINDOW_SENDS = 64;
/** Distinct values a producer cycles through. */
const VALUE_POOL = 256;

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
}

/** Figures of the produce workload. */
export interface ProduceResult {
  readonly settings: ProduceSettings;
  /** Records acknowledged in the timed part. */
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  /** Value bytes per second / 10^6. */
  readonly mbPerSec: number;
  /** Records whose send failed (must be 0). */
  readonly failedRecords: number;
  /** Whether the time limit cut the run short. */
  readonly timedOut: boolean;
  /** Offsets written per partition (end offsets), for the consume workload. */
  readonly endOffsets: readonly number[];
}

/** Run the produce workload on a fresh topic. */
export async function runProduce(ctx: BenchContext): Promise<ProduceResult> {
  const o = ctx.options;
  const settings: ProduceSettings = {
    topic: ctx.topicName("produce"),
    producers: o.producers,
    recordBytes: o.recordBytes,
    records: o.records,
    partitions: o.partitions,
    replicationFactor: ctx.replicationFactor,
    acks: o.acks,
    lingerMs: o.lingerMs,
    batchBytesMax: o.batchBytesMax,
    sendRecords: o.sendRecords,
    secondsMax: o.produceSecondsMax,
  };
  await ctx.createTopic(settings.topic, settings.partitions);
  const clients: RlogClient[] = [];
  let acked = 0;
  let failed = 0;
  let firstError: unknown;
  const endOffsets = new Array<number>(settings.partitions).fill(0);
  const note = (metas: readonly { partition: number; offset: number }[]): void => {
    for (const m of metas) if (m.offset + 1 > (endOffsets[m.partition] ?? 0)) endOffsets[m.partition] = m.offset + 1;
  };
  try {
    const producers = Array.from({ length: settings.producers }, (_, k) => {
      const c = ctx.client(`produce-${k}`);
      clients.push(c);
      return c.producer({ acks: settings.acks, lingerMs: settings.lingerMs, batchBytesMax: settings.batchBytesMax });
    });
    const fill = filler(settings.recordBytes);
    const pools = producers.map((_, w) => Array.from({ length: VALUE_POOL }, (_, seq) => stampedValue(fill, { sentEpochMs: 0, writer: w, seq })));
    // Warm-up: one record each, not counted in the timed part but counted in the topic.
    await Promise.all(producers.map(async (p, w) => note(await p.send({ topic: settings.topic, messages: [{ value: pools[w]![0]! }] }))));
    const share = (w: number): number => Math.floor(settings.records / settings.producers) + (w < settings.records % settings.producers ? 1 : 0);
    const start = nowMs();
    const deadline = start + settings.secondsMax * 1000;
    let timedOut = false;
    const report = setInterval(() => {
      const s = (nowMs() - start) / 1000;
      ctx.progress.update("produce", `${acked.toLocaleString("en-US")}/${settings.records.toLocaleString("en-US")} records, ${Math.round(acked / Math.max(s, 0.001)).toLocaleString("en-US")} rec/s`);
    }, 250);
    try {
      await Promise.all(
        producers.map(async (p, w) => {
          const pool = pools[w]!;
          const window = new Window(WINDOW_SENDS);
          const n = share(w);
          for (let sent = 0; sent < n; ) {
            if (nowMs() > deadline || firstError !== undefined) {
              timedOut = nowMs() > deadline;
              break;
            }
            const k = Math.min(settings.sendRecords, n - sent);
            const messages = new Array<{ value: Buffer }>(k);
            for (let i = 0; i < k; i++) messages[i] = { value: pool[(sent + i) % pool.length]! };
            sent += k;
            await window.acquire();
            p.send({ topic: settings.topic, messages }).then(
              (metas) => {
                acked += k;
                note(metas);
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
    ctx.progress.done("produce", `${acked.toLocaleString("en-US")} records in ${seconds.toFixed(1)} s`);
    return {
      settings,
      records: acked,
      seconds,
      recordsPerSec: acked / seconds,
      mbPerSec: (acked * settings.recordBytes) / seconds / 1e6,
      failedRecords: failed,
      timedOut,
      endOffsets: endOffsets.map((e) => e),
    };
  } finally {
    await Promise.all(clients.map((c) => ctx.closeClient(c)));
  }
}
