/**
 * Consume throughput: one consumer client reads back everything the produce
 * workload wrote (all partitions, from offset 0), as fast as it can. Needs
 * the produce workload's topic and end offsets.
 */
import type { BenchContext } from "../context.js";
import { readBack } from "../read-back.js";
import type { ProduceResult } from "./produce.js";

/** Most time the read-back may take. */
const SECONDS_MAX = 120;

/** Figures of the consume workload. */
export interface ConsumeResult {
  readonly settings: { readonly topic: string; readonly partitions: number; readonly consumers: number; readonly fetchBytesMax: number };
  readonly records: number;
  readonly seconds: number;
  readonly recordsPerSec: number;
  readonly mbPerSec: number;
}

/** Read back the produce workload's topic. */
export async function runConsume(ctx: BenchContext, produced: ProduceResult): Promise<ConsumeResult> {
  const topic = produced.settings.topic;
  const total = produced.endOffsets.reduce((a, b) => a + b, 0);
  const client = ctx.client("consume");
  try {
    const r = await readBack(client, {
      topic,
      endOffsets: produced.endOffsets,
      secondsMax: SECONDS_MAX,
      onProgress: (n) => ctx.progress.update("consume", `${n.toLocaleString("en-US")}/${total.toLocaleString("en-US")} records`),
    });
    ctx.progress.done("consume", `${r.records.toLocaleString("en-US")} records in ${r.seconds.toFixed(1)} s`);
    return {
      settings: { topic, partitions: produced.settings.partitions, consumers: 1, fetchBytesMax: 4 * 1024 * 1024 },
      records: r.records,
      seconds: r.seconds,
      recordsPerSec: r.records / r.seconds,
      mbPerSec: r.valueBytes / r.seconds / 1e6,
    };
  } finally {
    await ctx.closeClient(client);
  }
}
