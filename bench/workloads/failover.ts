/**
 * Failover: under a steady produce load (acks all, idempotent), SIGKILL the
 * leader of partition 0 and measure the time from the kill until a record
 * sent after the kill is acknowledged, on every partition that broker led
 * (the slowest counts). Then restart the broker, wait until its replicas
 * have caught up and the preferred leaders are back, and repeat. At the end
 * every partition is read back: each acknowledged record must be at the
 * offset it was acknowledged with (lostRecords must be 0).
 */
import type { BenchContext } from "../context.js";
import { waitCaughtUp, waitPreferredLeaders } from "../cluster-waits.js";
import type { FaultInjector } from "../faults.js";
import { percentile } from "../histogram.js";
import { faultLoadSettings, type FaultLoadRecords, type FaultLoadSettings } from "../fault-load.js";
import { AckLedger } from "../ledger.js";
import { SteadyLoad } from "../steady-load.js";
import { nowMs, sleep, waitUntil } from "../time.js";
import { verifyTopic } from "../verify.js";

/** Load before each kill. */
const WARM_MS = 1_000;
/** Load after recovery, before the load pauses. */
const AFTER_MS = 500;
/** Longest wait for produce to be acknowledged again; a repetition that takes longer counts as this. */
const RECOVERY_MS_MAX = 30_000;
const CATCH_UP_MS_MAX = 60_000;
const PREFERRED_MS_MAX = 15_000;
const LEDGER_RECORDS_MAX = 5_000_000;
/** Status poll interval while waiting for the new leader. */
const POLL_MS = 10;

/** Settings of the failover workload. */
export interface FailoverSettings extends FaultLoadSettings {
  readonly fault: string;
  readonly clientRetry: string;
}

/** One kill. */
export interface FailoverSample {
  readonly victim: number;
  /** Partitions the victim led. */
  readonly partitions: readonly number[];
  /** Kill to first acknowledgement of a record sent after it, slowest partition; RECOVERY_MS_MAX if it never came. */
  readonly ms: number;
  readonly recovered: boolean;
  /** Kill to the first status poll (every POLL_MS) showing a new leader on every partition the victim led: the brokers' share. */
  readonly electionMs: number;
  /** Elections it took on partition 0 (term increase). */
  readonly termIncrease: number;
  readonly caughtUp: boolean;
  readonly preferredRestored: boolean;
}

/** Figures of the failover workload. */
export interface FailoverResult extends FaultLoadRecords {
  readonly settings: FailoverSettings;
  readonly msP50: number;
  readonly msP99: number;
  readonly msMax: number;
  readonly electionMsP50: number;
  readonly electionMsP99: number;
  readonly samples: readonly FailoverSample[];
}

/** Run the failover workload; `faults` kills and restarts brokers. */
export async function runFailover(ctx: BenchContext, faults: FaultInjector): Promise<FailoverResult> {
  const settings: FailoverSettings = {
    ...faultLoadSettings(ctx, "failover", ctx.options.failoverRepetitions),
    fault: faults.description,
    clientRetry: "SDK defaults",
  };
  if (ctx.replicationFactor < 3) throw new Error(`failover needs replication factor 3 or more, have ${ctx.replicationFactor}`);
  const { topic, partitions } = settings;
  await ctx.createTopic(topic, partitions);
  const ledger = new AckLedger(LEDGER_RECORDS_MAX);
  const client = ctx.client("failover-load");
  const load = new SteadyLoad(client, { topic, partitions, rateRecordsPerSec: settings.loadRecordsPerSec, recordBytes: settings.recordBytes, acks: settings.acks, lingerMs: settings.lingerMs, ledger, writer: 1 });
  const samples: FailoverSample[] = [];
  try {
    for (let rep = 0; rep < settings.repetitions; rep++) {
      ctx.progress.update("failover", `repetition ${rep + 1}/${settings.repetitions}: load`, true);
      load.start();
      await sleep(WARM_MS);
      const before = await ctx.cluster.partitionStatus(topic);
      const victim = before.find((p) => p.partition === 0)?.leader ?? 0;
      if (victim === 0) throw new Error(`failover: partition 0 of ${topic} has no leader before the kill`);
      const led = before.filter((p) => p.leader === victim).map((p) => p.partition);
      const termBefore = before.find((p) => p.partition === 0)?.term ?? 0;
      ctx.progress.update("failover", `repetition ${rep + 1}/${settings.repetitions}: SIGKILL broker ${victim}`, true);
      const watch = load.watch(led);
      await faults.kill(victim);
      const elected = waitUntil(RECOVERY_MS_MAX, POLL_MS, async () => {
        const now = await ctx.cluster.partitionStatus(topic);
        return led.every((p) => {
          const s = now.find((x) => x.partition === p);
          return s !== undefined && s.leader !== 0 && s.leader !== victim && s.replicas.length > 0;
        });
      }).then((ok) => (ok ? nowMs() - watch.sinceMs : Number.NaN));
      const recovered = await waitUntil(RECOVERY_MS_MAX, 5, () => watch.complete);
      load.unwatch(watch);
      const ms = recovered ? watch.worstMs() : RECOVERY_MS_MAX;
      const electionMs = await elected;
      await sleep(AFTER_MS);
      const after = await ctx.cluster.partitionStatus(topic);
      const termIncrease = (after.find((p) => p.partition === 0)?.term ?? termBefore) - termBefore;
      await load.pause();
      ctx.progress.update("failover", `repetition ${rep + 1}/${settings.repetitions}: ${ms.toFixed(0)} ms; restart broker ${victim}, catch up`, true);
      await faults.restart(victim);
      const caughtUp = await waitCaughtUp(ctx.cluster, topic, partitions, CATCH_UP_MS_MAX);
      const preferredRestored = await waitPreferredLeaders(ctx.cluster, topic, partitions, PREFERRED_MS_MAX);
      samples.push({ victim, partitions: led, ms, electionMs, recovered, termIncrease, caughtUp, preferredRestored });
    }
    await load.pause();
    ctx.progress.update("failover", `reading back ${ledger.size.toLocaleString("en-US")} acknowledged records`, true);
    const check = await verifyTopic(client, topic, partitions, ledger);
    const times = samples.map((s) => s.ms);
    const result: FailoverResult = {
      settings,
      msP50: percentile(times, 50),
      msP99: percentile(times, 99),
      msMax: Math.max(...times),
      electionMsP50: percentile(samples.map((s) => s.electionMs), 50),
      electionMsP99: percentile(samples.map((s) => s.electionMs), 99),
      samples,
      ackedRecords: check.ackedRecords,
      lostRecords: check.lostRecords,
      duplicateRecords: check.duplicateRecords,
      failedRecords: load.failedRecords,
    };
    ctx.progress.done("failover", `p50 ${result.msP50.toFixed(0)} ms, p99 ${result.msP99.toFixed(0)} ms, lost ${result.lostRecords} of ${result.ackedRecords}`);
    return result;
  } finally {
    await load.pause(5_000);
    await ctx.closeClient(client);
  }
}
