/**
 * Steady run: a fixed produce load (acks all) for `seconds` with nothing
 * else happening, counting elections: term increases of the topic's
 * partitions and of the controller group. The clock starts once every
 * partition is on its preferred leader, so the automatic preferred-leader
 * transfers after topic creation do not count. With default settings there
 * must be none (a spurious election is a leader lost to timing alone).
 */
import { waitPreferredLeaders } from "../cluster-waits.js";
import type { BenchContext } from "../context.js";
import { SteadyLoad } from "../steady-load.js";
import { nowMs, sleep } from "../time.js";
import { probeOnce } from "../wire-probe.js";

/** How often leaders are sampled. */
const CHECK_MS = 1_000;
const PREFERRED_MS_MAX = 15_000;

/** Figures of the steady run. */
export interface SteadyResult {
  readonly settings: {
    readonly topic: string;
    readonly seconds: number;
    readonly partitions: number;
    readonly replicationFactor: number;
    readonly loadRecordsPerSec: number;
    readonly sampleMs: number;
    /** Whether every partition was on its preferred leader when the clock started. */
    readonly startedOnPreferred: boolean;
  };
  /** Term increases over the topic's partitions. */
  readonly partitionTermChanges: number;
  /** Term increases of the controller group. */
  readonly controllerTermChanges: number;
  /** Partition leader changes seen by sampling every sampleMs (a lower bound). */
  readonly leaderChanges: number;
  readonly ackedRecords: number;
  readonly failedRecords: number;
}

async function controllerTerm(ctx: BenchContext): Promise<number> {
  for (const b of ctx.cluster.brokers) {
    try {
      return (await probeOnce(b.url, "clusterStatus", { op: "clusterStatus" }, undefined, ctx.cluster.clientTls)).controller.term;
    } catch {
      // try the next broker
    }
  }
  throw new Error("no broker answered clusterStatus");
}

/** Run the steady workload. */
export async function runSteady(ctx: BenchContext): Promise<SteadyResult> {
  const o = ctx.options;
  const topic = ctx.topicName("steady");
  const partitions = o.faultPartitions;
  await ctx.createTopic(topic, partitions);
  const startedOnPreferred = await waitPreferredLeaders(ctx.cluster, topic, partitions, PREFERRED_MS_MAX);
  const settings = {
    topic,
    seconds: o.steadySeconds,
    partitions,
    replicationFactor: ctx.replicationFactor,
    loadRecordsPerSec: o.faultLoadRecordsPerSec,
    sampleMs: CHECK_MS,
    startedOnPreferred,
  };
  const client = ctx.client("steady");
  const load = new SteadyLoad(client, { topic: settings.topic, partitions: settings.partitions, rateRecordsPerSec: settings.loadRecordsPerSec, recordBytes: o.recordBytes, acks: "all", lingerMs: o.lingerMs, ledger: undefined, writer: 3 });
  try {
    const termsBefore = await ctx.cluster.termSum(settings.topic);
    const controllerBefore = await controllerTerm(ctx);
    load.start();
    const start = nowMs();
    let leaders = (await ctx.cluster.partitionStatus(topic)).map((p) => p.leader);
    let leaderChanges = 0;
    while (nowMs() - start < settings.seconds * 1000) {
      await sleep(Math.min(CHECK_MS, settings.seconds * 1000 - (nowMs() - start)));
      const now = (await ctx.cluster.partitionStatus(topic)).map((p) => p.leader);
      leaderChanges += now.filter((l, k) => l !== leaders[k]).length;
      leaders = now;
      ctx.progress.update("steady", `${((nowMs() - start) / 1000).toFixed(0)}/${settings.seconds} s, ${load.ackedRecords.toLocaleString("en-US")} records acknowledged`);
    }
    await load.pause();
    const result: SteadyResult = {
      settings,
      partitionTermChanges: (await ctx.cluster.termSum(settings.topic)) - termsBefore,
      controllerTermChanges: (await controllerTerm(ctx)) - controllerBefore,
      leaderChanges,
      ackedRecords: load.ackedRecords,
      failedRecords: load.failedRecords,
    };
    ctx.progress.done("steady", `${settings.seconds} s: ${result.partitionTermChanges} partition and ${result.controllerTermChanges} controller elections`);
    return result;
  } finally {
    await load.pause(5_000);
    await ctx.closeClient(client);
  }
}
