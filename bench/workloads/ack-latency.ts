/**
 * One-at-a-time produce latency: one producer sends one record, waits for
 * its acknowledgement, and sends the next; the histogram holds each
 * send()-to-acknowledgement time. This is the latency an application that
 * awaits every send sees (NATS's synchronous publish).
 */
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { HOP_TRACE_FLUSH_INTERVAL_MS, disableHopTrace, enableHopTrace } from "../../broker/diagnostics/hop-trace-file.js";
import type { BenchContext } from "../context.js";
import { hopTable, type HopTable } from "../report/hop-table.js";
import { LatencyHistogram, type LatencySummaryMs } from "../histogram.js";
import { filler, stampedValue } from "../record-value.js";
import { epochMs, nowMs } from "../time.js";

/** Sends before the measured ones (connections, JIT). */
const WARMUP_SENDS = 200;
/** Most time the workload may take. */
const SECONDS_MAX = 120;

/** Settings of the one-at-a-time workload. */
export interface AckLatencySettings {
  readonly topic: string;
  readonly records: number;
  readonly recordBytes: number;
  readonly partitions: number;
  readonly replicationFactor: number;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
  readonly warmupRecords: number;
}

/** Figures of the one-at-a-time workload. */
export interface AckLatencyResult {
  readonly settings: AckLatencySettings;
  readonly latencyMs: LatencySummaryMs;
  readonly timedOut: boolean;
  /** Where the measured sends spent their time (--hop-trace), hop by hop. */
  readonly hops?: HopTable;
}

/** Run it on a fresh one-partition topic. */
export async function runAckLatency(ctx: BenchContext): Promise<AckLatencyResult> {
  const o = ctx.options;
  const settings: AckLatencySettings = {
    topic: ctx.topicName("ack-latency"),
    records: o.ackLatencyRecords,
    recordBytes: o.recordBytes,
    partitions: 1,
    replicationFactor: ctx.replicationFactor,
    acks: o.acks,
    lingerMs: 0,
    warmupRecords: WARMUP_SENDS,
  };
  await ctx.createTopic(settings.topic, settings.partitions);
  const client = ctx.client("ack-latency");
  try {
    const producer = client.producer({ acks: settings.acks, lingerMs: settings.lingerMs });
    const fill = filler(settings.recordBytes);
    const hist = new LatencyHistogram();
    const deadline = nowMs() + SECONDS_MAX * 1000;
    let timedOut = false;
    const total = settings.warmupRecords + settings.records;
    for (let seq = 0; seq < total; seq++) {
      if (nowMs() > deadline) {
        timedOut = true;
        break;
      }
      const value = stampedValue(fill, { sentEpochMs: epochMs(), writer: 0, seq });
      if (seq === settings.warmupRecords && o.hopTraceFile !== undefined) enableHopTrace(o.hopTraceFile);
      const t0 = nowMs();
      await producer.send({ topic: settings.topic, messages: [{ value, partition: 0 }] });
      if (seq >= settings.warmupRecords) hist.recordMs(nowMs() - t0);
      ctx.progress.update("ack-latency", `${Math.max(0, seq + 1 - settings.warmupRecords)}/${settings.records} sends`);
    }
    const latencyMs = hist.summary();
    ctx.progress.done("ack-latency", `p50 ${latencyMs.p50.toFixed(2)} ms, p99 ${latencyMs.p99.toFixed(2)} ms over ${latencyMs.count} sends`);
    if (o.hopTraceFile === undefined) return { settings, latencyMs, timedOut };
    disableHopTrace();
    await sleep(3 * HOP_TRACE_FLUSH_INTERVAL_MS); // the brokers write their last lines
    return { settings, latencyMs, timedOut, hops: hopTable(await readFile(o.hopTraceFile, "utf8")) };
  } finally {
    await ctx.closeClient(client);
  }
}
