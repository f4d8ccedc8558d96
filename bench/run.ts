/**
 * One bench run: measure the ceilings, start (or attach to) the cluster,
 * run the selected workloads in order, print each section as it finishes,
 * and assemble the JSON. A workload that fails is reported with its error
 * and the run goes on; everything started is ended in any case.
 */
import { measureLmdbCeiling } from "./ceilings/lmdb-ceiling.js";
import { measureWsCeiling } from "./ceilings/ws-ceiling.js";
import { BenchCluster } from "./cluster.js";
import { BenchContext } from "./context.js";
import { commandFaults, localFaults, type FaultInjector } from "./faults.js";
import type { BenchOptions, WorkloadName } from "./options.js";
import { Progress } from "./progress.js";
import { machine, versions } from "./report/environment.js";
import { checkTargets, type BenchResults, type CeilingsSection, type NotRun } from "./report/results.js";
import { dec, header, int, ms, notRun, percentiles, section, targetsTable } from "./report/table.js";
import { runAckLatency, type AckLatencyResult } from "./workloads/ack-latency.js";
import { runConsume, type ConsumeResult } from "./workloads/consume.js";
import { runFailover, type FailoverResult } from "./workloads/failover.js";
import { runLatency, type LatencyResult } from "./workloads/latency.js";
import { runProduce, type ProduceResult } from "./workloads/produce.js";
import { runSteady, type SteadyResult } from "./workloads/steady.js";
import { runTransfer, type TransferResult } from "./workloads/transfer.js";
import { loadavg } from "node:os";
import { nowMs } from "./time.js";

/** A run's outcome: the JSON document and whether every workload ran cleanly and lost nothing. */
export interface BenchOutcome {
  readonly results: BenchResults;
  readonly ok: boolean;
}

type Outcome<T> = { readonly value: T } | NotRun;

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function has<T>(o: Outcome<T> | undefined): o is { readonly value: T } {
  return o !== undefined && "value" in o;
}

function kib(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/** Run the bench; `print` gets each finished section of the report. */
export async function runBench(o: BenchOptions, print: (text: string) => void): Promise<BenchOutcome> {
  const progress = new Progress(o.quiet);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  const m = machine();
  const v = versions();
  const selected = (w: WorkloadName): boolean => o.workloads.includes(w);
  const notSelected: NotRun = { skipped: "not selected" };
  let ok = true;
  const attempt = async <T>(name: WorkloadName, fn: () => Promise<T>): Promise<Outcome<T>> => {
    try {
      return { value: await fn() };
    } catch (err) {
      ok = false;
      progress.done(name, `FAILED: ${message(err)}`);
      return { error: message(err) };
    }
  };

  // Ceilings first, before any broker runs.
  let lmdb: Outcome<Awaited<ReturnType<typeof measureLmdbCeiling>>> = notSelected;
  let ws: Outcome<Awaited<ReturnType<typeof measureWsCeiling>>> = notSelected;
  if (selected("ceilings")) {
    const batchRecords = Math.max(1, Math.min(1_000, Math.floor(o.batchBytesMax / o.recordBytes)));
    progress.update("ceilings", `lmdb puts for ${o.ceilingSeconds} s`, true);
    lmdb = await attempt("ceilings", () => measureLmdbCeiling(o.recordBytes, batchRecords, o.fsync, o.ceilingSeconds));
    progress.update("ceilings", `ws+msgpackr request/ack loop for ${o.ceilingSeconds} s`, true);
    ws = await attempt("ceilings", () => measureWsCeiling(o.recordBytes, o.ceilingSeconds));
    progress.done("ceilings", "done");
  }

  const needCluster = o.workloads.some((w) => w !== "ceilings");
  let cluster: BenchCluster | undefined;
  let ctx: BenchContext | undefined;
  let produce: Outcome<ProduceResult> = notSelected;
  let consume: Outcome<ConsumeResult> = notSelected;
  let ackLatency: Outcome<AckLatencyResult> = notSelected;
  let latency: Outcome<LatencyResult> = notSelected;
  let transfer: Outcome<TransferResult> = notSelected;
  let failover: Outcome<FailoverResult> = notSelected;
  let steady: Outcome<SteadyResult> = notSelected;
  let clusterText = "none (ceilings only)";
  let replicationFactor = 0;
  const topics: string[] = [];

  if (needCluster) {
    progress.update("cluster", o.brokerUrls === undefined ? `starting ${o.clusterSize} broker(s)` : `attaching to ${o.brokerUrls.join(",")}`, true);
    cluster =
      o.brokerUrls === undefined
        ? await BenchCluster.start({
            size: o.clusterSize,
            fsync: o.fsync,
            logLevel: o.brokerLogLevel,
            nodeArgs: o.brokerCpuProfDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", o.brokerCpuProfDir],
            cwd: process.cwd(),
            keepLogsDir: o.keepLogsDir,
          })
        : await BenchCluster.attach(o.brokerUrls);
    replicationFactor = o.replicationFactor ?? Math.min(3, cluster.brokers.length);
    clusterText = `${cluster.brokers.length} broker(s) ${cluster.local ? "started by the bench (temporary data, removed afterwards)" : `given by --brokers`}, ${cluster.local ? `fsync ${o.fsync ? "on" : "OFF"}` : "fsync as configured"}, replication factor ${replicationFactor}`;
    ctx = new BenchContext(cluster, o, progress, Date.now().toString(36), replicationFactor);
  }
  print(header(m, v, o.preset, clusterText, startedAt));
  if (has(lmdb)) {
    const l = lmdb.value;
    print(section("ceiling: raw lmdb-js puts", `${kib(l.settings.recordBytes)} values, batches of ${l.settings.batchRecords} puts, ${l.settings.loops} concurrent batches, sync ${l.settings.fsync ? "on" : "OFF"}, ${l.settings.seconds} s`, [
      ["puts/s", `${int(l.putsPerSec)}  (${dec(l.mbPerSec)} MB/s)`],
      ["one synced commit", percentiles(l.commitMs)],
    ]));
  } else if (selected("ceilings")) print(notRun("ceiling: raw lmdb-js puts", lmdb));
  if (has(ws)) {
    const w = ws.value;
    print(section("ceiling: bare ws + msgpackr request/ack over loopback", `${kib(w.settings.recordBytes)} requests, ${w.settings.inflight} in flight, server in another process, ${w.settings.seconds} s`, [
      ["frames/s", `${int(w.framesPerSec)}  (${dec(w.mbPerSec)} MB/s)`],
      ["one at a time", percentiles(w.roundTripMs)],
    ]));
  } else if (selected("ceilings")) print(notRun("ceiling: bare ws + msgpackr request/ack", ws));

  try {
    if (ctx !== undefined && cluster !== undefined) {
      const c = ctx;
      const cl = cluster;
      if (selected("produce")) {
        produce = await attempt("produce", () => runProduce(c));
        if (has(produce)) {
          const p = produce.value;
          const s = p.settings;
          topics.push(s.topic);
          const ofLmdb = has(lmdb) ? `, ${dec((p.recordsPerSec / lmdb.value.putsPerSec) * 100)}% of the lmdb ceiling` : "";
          const ofWs = has(ws) ? `, ${dec((p.recordsPerSec / ws.value.framesPerSec) * 100)}% of the ws ceiling (in frames)` : "";
          print(section("produce throughput", `${s.producers} producer(s), ${int(s.records)} x ${kib(s.recordBytes)}, ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, batch ${kib(s.batchBytesMax)}, ${s.sendRecords} records per send()`, [
            ["records/s", `${int(p.recordsPerSec)}  (${dec(p.mbPerSec)} MB/s${ofLmdb}${ofWs})`],
            ["records", `${int(p.records)} in ${dec(p.seconds, 2)} s${p.timedOut ? " (time limit reached)" : ""}, ${int(p.failedRecords)} failed`],
          ]));
        } else print(notRun("produce throughput", produce));
      }
      if (selected("consume")) {
        consume = has(produce) ? await attempt("consume", () => runConsume(c, (produce as { value: ProduceResult }).value)) : { skipped: "needs the produce workload's records" };
        if (has(consume)) {
          const r = consume.value;
          print(section("consume throughput", `1 consumer, ${r.settings.partitions} partitions from offset 0, fetches up to ${kib(r.settings.fetchBytesMax)}`, [
            ["records/s", `${int(r.recordsPerSec)}  (${dec(r.mbPerSec)} MB/s)`],
            ["records", `${int(r.records)} in ${dec(r.seconds, 2)} s`],
          ]));
        } else print(notRun("consume throughput", consume));
      }
      if (selected("ack-latency")) {
        ackLatency = await attempt("ack-latency", () => runAckLatency(c));
        if (has(ackLatency)) {
          const a = ackLatency.value;
          const s = a.settings;
          topics.push(s.topic);
          print(section("produce latency, one at a time", `1 producer awaiting each send() of 1 record, ${kib(s.recordBytes)}, ${s.partitions} partition, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, ${int(s.warmupRecords)} warm-up sends`, [
            ["send to ack", `${percentiles(a.latencyMs)}${a.timedOut ? " (time limit reached)" : ""}`],
          ]));
        } else print(notRun("produce latency, one at a time", ackLatency));
      }
      if (selected("latency")) {
        const rate = o.rateRecordsPerSec ?? (has(produce) ? produce.value.recordsPerSec * o.rateFraction : o.rateDefaultRecordsPerSec);
        const source = o.rateRecordsPerSec !== undefined ? "--rate" : has(produce) ? `${o.rateFraction * 100}% of the measured produce throughput` : "default (produce did not run)";
        latency = await attempt("latency", () => runLatency(c, rate, source));
        if (has(latency)) {
          const l = latency.value;
          const s = l.settings;
          topics.push(s.topic);
          print(section("latency at a fixed rate", `${int(s.rateRecordsPerSec)} records/s (${s.rateSource}) for ${s.seconds} s, ${kib(s.recordBytes)}, ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, first ${s.warmupSeconds} s not recorded`, [
            ["end to end", percentiles(l.e2eLatencyMs)],
            ["send to ack", percentiles(l.ackLatencyMs)],
            ["achieved", `${int(l.achievedRecordsPerSec)} records/s; ${int(l.sentRecords)} sent, ${int(l.consumedRecords)} consumed, ${int(l.failedRecords)} failed; ${l.termChanges} elections`],
          ]));
        } else print(notRun("latency at a fixed rate", latency));
      }
      if (selected("transfer")) {
        transfer = replicationFactor < 2 ? { skipped: "needs replication factor 2 or more (start 3 brokers)" } : await attempt("transfer", () => runTransfer(c));
        if (has(transfer)) {
          const t = transfer.value;
          const s = t.settings;
          topics.push(s.topic);
          print(section("leader transfer under load", `${s.repetitions} transfers of partition 0 (away from the preferred replica and back), load ${int(s.loadRecordsPerSec)} records/s on ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms`, [
            ["transferLeader", `p50 ${ms(t.msP50)}  p99 ${ms(t.msP99)}  max ${ms(t.msMax)}  (${t.failedTransfers} failed)`],
            ["produce acked again", `p50 ${ms(t.produceResumeMsP50)}  p99 ${ms(t.produceResumeMsP99)}  (transfer start to the first ack of a record sent after it)`],
            ["records", `${int(t.ackedRecords)} acknowledged, ${int(t.lostRecords)} lost, ${int(t.duplicateRecords)} duplicated, ${int(t.failedRecords)} failed sends`],
          ]));
        } else print(notRun("leader transfer under load", transfer));
      }
      if (selected("failover")) {
        let faults: FaultInjector | undefined;
        let why: string | undefined;
        if (cl.local) faults = localFaults(cl);
        else if (o.killCommand !== undefined && o.restartCommand !== undefined) faults = commandFaults(cl, o.killCommand, o.restartCommand);
        else why = "targeting --brokers: give --kill-cmd and --restart-cmd to allow it";
        if (faults !== undefined && (cl.brokers.length < 3 || replicationFactor < 3)) why = "needs 3 brokers and replication factor 3";
        const f = faults;
        failover = why !== undefined || f === undefined ? { skipped: why ?? "no way to kill brokers" } : await attempt("failover", () => runFailover(c, f));
        if (has(failover)) {
          const r = failover.value;
          const s = r.settings;
          topics.push(s.topic);
          print(section("failover", `${s.repetitions} x ${s.fault} of partition 0's leader, load ${int(s.loadRecordsPerSec)} records/s on ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, client retry: ${s.clientRetry}`, [
            ["produce acked again", `p50 ${ms(r.msP50)}  p99 ${ms(r.msP99)}  max ${ms(r.msMax)}  (kill to the first ack of a record sent after it)`],
            ["new leader elected", `p50 ${ms(r.electionMsP50)}  p99 ${ms(r.electionMsP99)}  (kill to a new leader in cluster status)`],
            ["samples", r.samples.map((x) => `${int(x.ms)}`).join(", ") + " ms"],
            ["records", `${int(r.ackedRecords)} acknowledged, ${int(r.lostRecords)} lost, ${int(r.duplicateRecords)} duplicated, ${int(r.failedRecords)} failed sends`],
          ]));
        } else print(notRun("failover", failover));
      }
      if (selected("steady")) {
        steady = await attempt("steady", () => runSteady(c));
        if (has(steady)) {
          const r = steady.value;
          const s = r.settings;
          topics.push(s.topic);
          print(section("steady run", `${s.seconds} s at ${int(s.loadRecordsPerSec)} records/s on ${s.partitions} partitions, RF ${s.replicationFactor}, nothing else happening`, [
            ["elections", `${r.partitionTermChanges} on the topic's partitions, ${r.controllerTermChanges} of the controller; ${r.leaderChanges} leader changes seen (status every ${r.settings.sampleMs} ms)`],
            ["records", `${int(r.ackedRecords)} acknowledged, ${int(r.failedRecords)} failed`],
          ]));
        } else print(notRun("steady run", steady));
      }
    }
  } finally {
    await ctx?.closeClients();
    if (ctx !== undefined && cluster !== undefined && !cluster.local) for (const t of topics) await ctx.deleteTopic(t);
    await cluster?.stop();
    progress.done("bench", `finished in ${dec((nowMs() - t0) / 1000)} s`);
  }

  // Lost records are a correctness failure, whatever the speed.
  if (has(failover) && failover.value.lostRecords > 0) ok = false;
  if (has(transfer) && transfer.value.lostRecords > 0) ok = false;
  const ceilingErrors = [lmdb, ws].flatMap((x) => ("error" in x && x.error !== undefined ? [x.error] : []));

  const ceilings: CeilingsSection & NotRun = {
    lmdbPutsPerSec: has(lmdb) ? lmdb.value.putsPerSec : null,
    lmdbMbPerSec: has(lmdb) ? lmdb.value.mbPerSec : null,
    lmdbCommitMs: has(lmdb) ? lmdb.value.commitMs : null,
    wsFramesPerSec: has(ws) ? ws.value.framesPerSec : null,
    wsMbPerSec: has(ws) ? ws.value.mbPerSec : null,
    wsRoundTripMs: has(ws) ? ws.value.roundTripMs : null,
    ...(has(lmdb) ? { lmdb: lmdb.value } : {}),
    ...(has(ws) ? { ws: ws.value } : {}),
    ...(ceilingErrors.length > 0 ? { error: ceilingErrors.join("; ") } : selected("ceilings") ? {} : notSelected),
  };
  const notRunOf = (x: NotRun): NotRun => ({ ...(x.skipped === undefined ? {} : { skipped: x.skipped }), ...(x.error === undefined ? {} : { error: x.error }) });
  const targetConfiguration =
    cluster !== undefined && cluster.brokers.length === 3 && replicationFactor === 3 && o.acks === "all" && o.recordBytes === 1024 && (cluster.local ? o.fsync : true);
  const partial = {
    schemaVersion: 1 as const,
    startedAt,
    durationSeconds: (nowMs() - t0) / 1000,
    preset: o.preset,
    workloads: o.workloads,
    cluster: { brokers: cluster?.brokers.length ?? 0, startedByBench: cluster?.local ?? false, urls: cluster?.urls ?? [], fsync: cluster === undefined || cluster.local ? o.fsync : null, replicationFactor },
    targetConfiguration,
    machine: m,
    loadAverageEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    versions: v,
    options: { ...o },
    ceilings,
    produce: has(produce) ? produce.value : { recordsPerSec: null, mbPerSec: null, ...notRunOf(produce) },
    consume: has(consume) ? consume.value : { recordsPerSec: null, mbPerSec: null, ...notRunOf(consume) },
    produceLatencyMs: has(ackLatency) ? { ...ackLatency.value.latencyMs, settings: ackLatency.value.settings } : { p50: null, p99: null, ...notRunOf(ackLatency) },
    produceLatencyAtRateMs: has(latency) ? { ...latency.value.ackLatencyMs, settings: latency.value.settings } : { p50: null, p99: null, ...notRunOf(latency) },
    e2eLatencyMs: has(latency) ? { ...latency.value.e2eLatencyMs, settings: latency.value.settings } : { p50: null, p99: null, ...notRunOf(latency) },
    latency: has(latency) ? latency.value : notRunOf(latency),
    failover: has(failover) ? failover.value : { msP50: null, msP99: null, lostRecords: null, ...notRunOf(failover) },
    transfer: has(transfer) ? transfer.value : { msP50: null, msP99: null, lostRecords: null, ...notRunOf(transfer) },
    steady: has(steady) ? steady.value : notRunOf(steady),
  };
  const targets = checkTargets(partial);
  print(targetsTable(targets, targetConfiguration));
  return { results: { ...partial, targets }, ok };
}
