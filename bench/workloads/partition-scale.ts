/**
 * Partition scale (issue 16): what idle partitions cost, and whether they
 * slow down the ones in use. For each scale N (total partitions), in order:
 *
 *   1. start a fresh cluster (the run's broker count and settings). A fresh
 *      cluster per scale, rather than deleting the previous scale's topics,
 *      so that each figure is of a cluster that holds exactly N partitions
 *      and nothing left behind by deletions;
 *   2. create a produce topic of `partitions` partitions (the produce
 *      workload's shape, so the throughput of every scale is comparable) and
 *      idle topics of at most partitionsMax partitions each making up the
 *      rest, then wait until every partition has a leader (cluster status);
 *      steps 1-2 are bounded by scaleReadySecondsMax together;
 *   3. let it settle (scaleSettleSeconds) with no client connected;
 *   4. idle CPU: utime + stime of each broker process from /proc/<pid>/stat
 *      over scaleIdleSeconds, as % of one core per broker and summed;
 *   5. produce throughput on the produce topic for scaleProduceSeconds with
 *      the produce workload's settings (throughput-writer.ts) while the
 *      rest sit idle, and the brokers' CPU meanwhile;
 *   6. stop the cluster.
 *
 * A scale that does not come up in time is reported with an `error` (how many
 * partitions had a leader by then, and the CPU the brokers used meanwhile),
 * and the larger scales are skipped, each saying why: they would not come up
 * either, and each failed attempt costs the whole bound.
 *
 * Needs brokers this run starts (a cluster per scale, and their pids); with
 * --brokers the workload is skipped.
 */
import { availableParallelism, loadavg } from "node:os";
import { join } from "node:path";
import { LIMIT_DEFAULTS } from "../../broker/protocol/defaults.js";
import type { RlogClient } from "../../client/index.js";
import type { BenchCluster } from "../cluster.js";
import { BenchContext } from "../context.js";
import type { BenchOptions } from "../options.js";
import { clockTicks, cpuPercentOfCore, cpuTicksOf, procCpuAvailable, type ClockTicks } from "../proc-cpu.js";
import type { Progress } from "../progress.js";
import { nowMs, sleep, withDeadline } from "../time.js";
import { measureProduce, produceSettings, TIME_BOUNDED_RECORDS, type ProduceResult } from "./produce.js";

/** How often the leaders are counted while waiting. */
const POLL_MS = 1_000;
/** Bound on one broker's cluster status answer (thousands of partitions take a while to describe). */
const STATUS_TIMEOUT_MS = 10_000;

/** Settings of the partition-scale workload. */
export interface PartitionScaleSettings {
  readonly scales: readonly number[];
  readonly brokers: number;
  readonly replicationFactor: number;
  /** Partitions of the produce topic at every scale (fewer only when the scale itself is smaller). */
  readonly producePartitions: number;
  /** Largest topic the brokers accept; the idle partitions are spread over topics of at most this many. */
  readonly partitionsPerTopicMax: number;
  readonly readySecondsMax: number;
  readonly settleSeconds: number;
  readonly idleSeconds: number;
  readonly produceSeconds: number;
  readonly fsync: boolean;
  /** What each scale starts from. */
  readonly clusterPerScale: "fresh cluster per scale";
  /** Clock ticks per second used to read /proc/<pid>/stat, and whether it was assumed (getconf failed). */
  readonly clockTicksPerSec: number;
  readonly clockTicksAssumed: boolean;
  /**
   * CPUs of the machine: an idle figure near cores x 100% means the brokers
   * had the machine to themselves and wanted more, so it is a lower bound.
   */
  readonly machineCores: number;
}

/** One scale's figures, or why there are none. */
export interface PartitionScaleStep {
  readonly partitions: number;
  readonly topics: number;
  /** Partitions seen with a leader when the wait ended. */
  readonly partitionsWithLeader: number;
  /** Cluster start to the last partition's leader (or to the bound). */
  readonly readySeconds: number;
  /** Idle CPU per broker in broker id order, % of one core; null when the scale did not come up. */
  readonly idleCpuPercentOfCoreByBroker: readonly number[] | null;
  /** Sum over the brokers: % of one core the whole cluster burns doing nothing. */
  readonly idleCpuPercentOfCore: number | null;
  /** Broker CPU while the cluster was starting and creating the topics (every broker, % of one core). */
  readonly setupCpuPercentOfCore: number | null;
  /** 1-minute load average when the idle window started (others' work shows here). */
  readonly loadAverageAtIdle: number | null;
  readonly produce: ProduceResult | null;
  /** Broker CPU during the produce run, summed, % of one core. */
  readonly produceCpuPercentOfCore: number | null;
  /** Broker CPU time per acknowledged record in the produce run, all brokers. */
  readonly produceCpuMicrosPerRecord: number | null;
  readonly recordsPerSec: number | null;
  readonly mbPerSec: number | null;
  readonly error?: string;
  readonly skipped?: string;
}

/** Figures of the partition-scale workload. */
export interface PartitionScaleResult {
  readonly settings: PartitionScaleSettings;
  readonly steps: readonly PartitionScaleStep[];
  /** Targets of issue 16, null when the scale was not measured. */
  readonly idleCpuPercentOfCoreAt10000: number | null;
  /** Produce records/s at 3,000 partitions over that at 3 (target >= 0.8). */
  readonly produceRatio3000To3: number | null;
}

/** How a scale's partitions are split into topics: the produce topic first. */
export function topicPlan(total: number, producePartitions: number, perTopicMax: number): number[] {
  const first = Math.min(total, producePartitions);
  const plan = [first];
  for (let left = total - first; left > 0; left -= perTopicMax) plan.push(Math.min(left, perTopicMax));
  return plan;
}

/** What runPartitionScale needs from the run. */
export interface PartitionScaleDeps {
  readonly options: BenchOptions;
  readonly progress: Progress;
  readonly runId: string;
  /** Start a cluster like the run's, its logs kept under `logsSubdir` when --keep-logs is given. */
  readonly startCluster: (logsSubdir: string) => Promise<BenchCluster>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Sum of the CPU ticks of every broker process. */
function ticksOf(pids: readonly number[]): number[] {
  return pids.map((p) => cpuTicksOf(p));
}

function sum(xs: readonly number[]): number {
  return xs.reduce((a, b) => a + b, 0);
}

/** Run one scale on a fresh cluster. */
async function runScale(d: PartitionScaleDeps, s: PartitionScaleSettings, ticks: ClockTicks, total: number): Promise<PartitionScaleStep> {
  const o = d.options;
  const plan = topicPlan(total, s.producePartitions, s.partitionsPerTopicMax);
  const prefix = `bench-scale-${total}-${d.runId}`;
  const names = plan.map((_, k) => (k === 0 ? `${prefix}-produce` : `${prefix}-idle-${k}`));
  const mine = (topic: string): boolean => topic.startsWith(prefix);
  const progress = (text: string): void => d.progress.update("partition-scale", `${total.toLocaleString("en-US")} partitions: ${text}`, true);
  const base = { partitions: total, topics: plan.length };
  const t0 = nowMs();
  const deadline = t0 + s.readySecondsMax * 1000;
  let cluster: BenchCluster | undefined;
  let admin: RlogClient | undefined;
  let ctx: BenchContext | undefined;
  let withLeader = 0;
  let setupStart: number[] | undefined;
  let pids: number[] = [];
  try {
    progress("starting a fresh cluster");
    const starting = d.startCluster(`scale-${total}`);
    // A start that outlives the bound still ends up stopped, so that its brokers do not burn CPU under the next scale.
    starting.catch(() => undefined);
    cluster = await withDeadline(starting, s.readySecondsMax * 1000, `starting the cluster for ${total} partitions`).catch((err: unknown) => {
      void starting.then((late) => late.stop(), () => undefined);
      throw err;
    });
    const c = cluster;
    pids = c.pids().map((p) => {
      if (p === undefined) throw new Error("a broker of the new cluster is not running");
      return p;
    });
    setupStart = ticksOf(pids);
    ctx = new BenchContext(c, o, d.progress, d.runId, s.replicationFactor);
    admin = ctx.client("scale-admin");
    const a = admin.admin();
    for (let k = 0; k < plan.length; k++) {
      progress(`creating topic ${k + 1} of ${plan.length} (${plan[k]} partitions)`);
      const left = deadline - nowMs();
      if (left <= 0) throw new Error(`created ${k} of ${plan.length} topics within ${s.readySecondsMax} s`);
      await withDeadline(a.createTopic({ name: names[k]!, partitions: plan[k]!, replicationFactor: s.replicationFactor }), left, `creating topic ${k + 1} of ${plan.length} (${plan[k]} partitions)`);
    }
    await ctx.closeClient(admin);
    admin = undefined;
    for (;;) {
      const status = await c.partitionStatusWhere(mine, STATUS_TIMEOUT_MS);
      withLeader = status.filter((p) => p.leader !== 0 && p.replicas.length > 0).length;
      if (withLeader >= total) break;
      if (nowMs() >= deadline) throw new Error(`${withLeader.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} partitions had a leader after ${s.readySecondsMax} s`);
      progress(`${withLeader.toLocaleString("en-US")} of ${total.toLocaleString("en-US")} partitions have a leader`);
      await sleep(POLL_MS);
    }
    const readySeconds = (nowMs() - t0) / 1000;
    const setupCpu = sum(cpuPercentOfCore(setupStart, ticksOf(pids), readySeconds, ticks));

    progress(`settling for ${s.settleSeconds} s`);
    await sleep(s.settleSeconds * 1000);
    progress(`idle CPU over ${s.idleSeconds} s`);
    const loadAverageAtIdle = Math.round(loadavg()[0]! * 100) / 100;
    const idleStart = ticksOf(pids);
    const idleT0 = nowMs();
    await sleep(s.idleSeconds * 1000);
    const idleByBroker = cpuPercentOfCore(idleStart, ticksOf(pids), (nowMs() - idleT0) / 1000, ticks);

    progress(`producing for ${s.produceSeconds} s`);
    const settings = { ...produceSettings(ctx, names[0]!, plan[0]!, o.values), records: TIME_BOUNDED_RECORDS, secondsMax: s.produceSeconds };
    const produceStart = ticksOf(pids);
    const produceT0 = nowMs();
    const produce = await measureProduce(ctx, settings, "partition-scale");
    const produceCpuSeconds = sum(ticksOf(pids).map((t, k) => t - produceStart[k]!)) / ticks.perSec;
    const produceCpu = (produceCpuSeconds / ((nowMs() - produceT0) / 1000)) * 100;
    const idle = sum(idleByBroker);
    d.progress.done("partition-scale", `${total.toLocaleString("en-US")} partitions: idle ${idle.toFixed(1)}% of a core, produce ${Math.round(produce.recordsPerSec).toLocaleString("en-US")} rec/s`);
    return {
      ...base,
      partitionsWithLeader: withLeader,
      readySeconds,
      idleCpuPercentOfCoreByBroker: idleByBroker,
      idleCpuPercentOfCore: idle,
      setupCpuPercentOfCore: setupCpu,
      loadAverageAtIdle,
      produce,
      produceCpuPercentOfCore: produceCpu,
      produceCpuMicrosPerRecord: produce.records > 0 ? (produceCpuSeconds * 1e6) / produce.records : null,
      recordsPerSec: produce.recordsPerSec,
      mbPerSec: produce.mbPerSec,
    };
  } catch (err) {
    const readySeconds = (nowMs() - t0) / 1000;
    let setupCpu: number | null = null;
    try {
      if (setupStart !== undefined) setupCpu = sum(cpuPercentOfCore(setupStart, ticksOf(pids), readySeconds, ticks));
    } catch {
      setupCpu = null; // a broker died: the error below says what happened
    }
    d.progress.done("partition-scale", `${total.toLocaleString("en-US")} partitions: FAILED: ${message(err)}`);
    return {
      ...base,
      partitionsWithLeader: withLeader,
      readySeconds,
      ...UNMEASURED,
      setupCpuPercentOfCore: setupCpu,
      error: message(err),
    };
  } finally {
    await ctx?.closeClients();
    await cluster?.stop();
  }
}

/** The figures of a scale that did not get as far as measuring them. */
const UNMEASURED = {
  idleCpuPercentOfCoreByBroker: null,
  idleCpuPercentOfCore: null,
  loadAverageAtIdle: null,
  produce: null,
  produceCpuPercentOfCore: null,
  produceCpuMicrosPerRecord: null,
  recordsPerSec: null,
  mbPerSec: null,
} as const;

/** The step of `partitions` that measured what is asked, or undefined. */
function measured(steps: readonly PartitionScaleStep[], partitions: number): PartitionScaleStep | undefined {
  return steps.find((x) => x.partitions === partitions && x.error === undefined && x.skipped === undefined);
}

/** Run every scale in order. */
export async function runPartitionScale(d: PartitionScaleDeps): Promise<PartitionScaleResult> {
  const o = d.options;
  if (!procCpuAvailable()) throw new Error("needs Linux /proc/<pid>/stat to read the brokers' CPU time");
  const ticks = clockTicks();
  const brokers = o.clusterSize;
  const settings: PartitionScaleSettings = {
    scales: o.partitionScales,
    brokers,
    replicationFactor: o.replicationFactor ?? Math.min(3, brokers),
    producePartitions: o.partitions,
    partitionsPerTopicMax: LIMIT_DEFAULTS.partitionsMax,
    readySecondsMax: o.scaleReadySecondsMax,
    settleSeconds: o.scaleSettleSeconds,
    idleSeconds: o.scaleIdleSeconds,
    produceSeconds: o.scaleProduceSeconds,
    fsync: o.fsync,
    clusterPerScale: "fresh cluster per scale",
    clockTicksPerSec: ticks.perSec,
    clockTicksAssumed: ticks.assumed,
    machineCores: availableParallelism(),
  };
  const steps: PartitionScaleStep[] = [];
  let failedAt: number | undefined;
  for (const total of settings.scales) {
    if (failedAt !== undefined && total > failedAt) {
      steps.push({
        partitions: total,
        topics: topicPlan(total, settings.producePartitions, settings.partitionsPerTopicMax).length,
        partitionsWithLeader: 0,
        readySeconds: 0,
        ...UNMEASURED,
        setupCpuPercentOfCore: null,
        skipped: `${failedAt.toLocaleString("en-US")} partitions did not come up`,
      });
      continue;
    }
    const step = await runScale(d, settings, ticks, total);
    steps.push(step);
    if (step.error !== undefined) failedAt = Math.min(failedAt ?? total, total);
  }
  const at3 = measured(steps, 3)?.recordsPerSec ?? null;
  const at3000 = measured(steps, 3_000)?.recordsPerSec ?? null;
  return {
    settings,
    steps,
    idleCpuPercentOfCoreAt10000: measured(steps, 10_000)?.idleCpuPercentOfCore ?? null,
    produceRatio3000To3: at3 !== null && at3000 !== null && at3 > 0 ? at3000 / at3 : null,
  };
}

/** The directory a scale's broker logs go to under --keep-logs. */
export function scaleLogsDir(keepLogsDir: string | undefined, subdir: string): string | undefined {
  return keepLogsDir === undefined ? undefined : join(keepLogsDir, subdir);
}
