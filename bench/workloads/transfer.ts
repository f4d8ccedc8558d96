/**
 * Leader transfer under load: with a steady produce load on the topic,
 * move partition 0's leadership away from its preferred replica and back,
 * `repetitions` times in all, each time timing admin.transferLeader (it
 * resolves once the new leader holds the partition) and the time until a
 * record sent after the transfer began is acknowledged. The topic is read
 * back at the end: no acknowledged record may be lost.
 */
import type { BenchContext } from "../context.js";
import { waitPreferredLeaders } from "../cluster-waits.js";
import { percentile } from "../histogram.js";
import { faultLoadSettings, type FaultLoadRecords, type FaultLoadSettings } from "../fault-load.js";
import { AckLedger } from "../ledger.js";
import { SteadyLoad } from "../steady-load.js";
import { nowMs, sleep, waitUntil } from "../time.js";
import { verifyTopic } from "../verify.js";

const WARM_MS = 1_000;
/** Load between two transfers. */
const BETWEEN_MS = 200;
const TRANSFER_MS_MAX = 10_000;
const LEDGER_RECORDS_MAX = 5_000_000;

/** Settings of the transfer workload. */
export type TransferSettings = FaultLoadSettings;

/** One transfer. */
export interface TransferSample {
  readonly from: number;
  readonly to: number;
  /** transferLeader call to its answer. */
  readonly ms: number;
  /** Transfer start to the first acknowledgement of a record sent after it on partition 0. */
  readonly produceResumeMs: number;
  readonly ok: boolean;
  /** Why the transfer failed, if it did. */
  readonly error?: string;
}

/** Figures of the transfer workload. */
export interface TransferResult extends FaultLoadRecords {
  readonly settings: TransferSettings;
  readonly msP50: number;
  readonly msP99: number;
  readonly msMax: number;
  readonly produceResumeMsP50: number;
  readonly produceResumeMsP99: number;
  readonly failedTransfers: number;
  readonly samples: readonly TransferSample[];
}

/** Run the transfer workload. */
export async function runTransfer(ctx: BenchContext): Promise<TransferResult> {
  const settings: TransferSettings = faultLoadSettings(ctx, "transfer", ctx.options.transferRepetitions);
  if (ctx.replicationFactor < 2) throw new Error("leader transfer needs replication factor 2 or more");
  const { topic, partitions } = settings;
  await ctx.createTopic(topic, partitions);
  await waitPreferredLeaders(ctx.cluster, topic, partitions, 15_000);
  const ledger = new AckLedger(LEDGER_RECORDS_MAX);
  const client = ctx.client("transfer-load");
  const adminClient = ctx.client("transfer-admin");
  const admin = adminClient.admin();
  const load = new SteadyLoad(client, { topic, partitions, rateRecordsPerSec: settings.loadRecordsPerSec, recordBytes: settings.recordBytes, acks: settings.acks, lingerMs: settings.lingerMs, ledger, writer: 2 });
  const samples: TransferSample[] = [];
  try {
    load.start();
    await sleep(WARM_MS);
    for (let rep = 0; rep < settings.repetitions; rep++) {
      const status = (await ctx.cluster.partitionStatus(topic)).find((p) => p.partition === 0);
      if (status === undefined || status.leader === 0) throw new Error(`transfer: partition 0 of ${topic} has no leader`);
      const replicas = status.replicas.map((r) => r.brokerId);
      const from = status.leader;
      // Away from the preferred replica, then back to it; the automatic preferred-leader check sees a non-preferred leader only briefly.
      const to = from === status.preferredLeader ? (replicas.find((id) => id !== from) ?? from) : status.preferredLeader;
      ctx.progress.update("transfer", `transfer ${rep + 1}/${settings.repetitions}: broker ${from} -> ${to}`);
      const watch = load.watch([0]);
      const t0 = nowMs();
      // A failed transfer is kept with its error and counted in failedTransfers; the times use successful ones only.
      const error = await admin.transferLeader({ topic, partition: 0, toBrokerId: to, timeoutMs: TRANSFER_MS_MAX }).then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err.message : String(err)),
      );
      const ok = error === undefined;
      const ms = nowMs() - t0;
      await waitUntil(TRANSFER_MS_MAX, 2, () => watch.complete);
      load.unwatch(watch);
      const produceResumeMs = watch.complete ? watch.worstMs() : TRANSFER_MS_MAX;
      samples.push({ from, to, ms, produceResumeMs, ok, ...(error === undefined ? {} : { error }) });
      await sleep(BETWEEN_MS);
    }
    await load.pause();
    ctx.progress.update("transfer", `reading back ${ledger.size.toLocaleString("en-US")} acknowledged records`, true);
    const check = await verifyTopic(client, topic, partitions, ledger);
    const good = samples.filter((s) => s.ok);
    const times = good.map((s) => s.ms);
    const resumes = good.map((s) => s.produceResumeMs);
    const result: TransferResult = {
      settings,
      msP50: percentile(times, 50),
      msP99: percentile(times, 99),
      msMax: times.length === 0 ? Number.NaN : Math.max(...times),
      produceResumeMsP50: percentile(resumes, 50),
      produceResumeMsP99: percentile(resumes, 99),
      failedTransfers: samples.length - good.length,
      samples,
      ackedRecords: check.ackedRecords,
      lostRecords: check.lostRecords,
      duplicateRecords: check.duplicateRecords,
      failedRecords: load.failedRecords,
    };
    ctx.progress.done("transfer", `p50 ${result.msP50.toFixed(1)} ms, p99 ${result.msP99.toFixed(1)} ms, lost ${result.lostRecords} of ${result.ackedRecords}`);
    return result;
  } finally {
    await load.pause(5_000);
    await ctx.closeClient(client);
    await ctx.closeClient(adminClient);
  }
}
