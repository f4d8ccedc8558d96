/**
 * One bench run: measure the ceilings, start (or attach to) the cluster,
 * run the selected workloads in order, stop the cluster, then run
 * partition-scale (which starts a fresh cluster per scale), print each
 * section as it finishes, and assemble the JSON. A workload that fails is reported with its error
 * and the run goes on; everything started is ended in any case.
 */
import { loadavg } from "node:os";
import { SINGLE_THREADED_GC_FLAGS } from "../config/node-flags.js";
import { measureLmdbCeiling, type LmdbCeiling } from "./ceilings/lmdb-ceiling.js";
import { measureWsCeiling, type WsCeiling } from "./ceilings/ws-ceiling.js";
import { BenchCluster } from "./cluster.js";
import { BenchContext } from "./context.js";
import { commandFaults, localFaults, type FaultInjector } from "./faults.js";
import type { BenchOptions, WorkloadName } from "./options.js";
import { has, NOT_SELECTED, type Outcome } from "./outcome.js";
import { Progress } from "./progress.js";
import { machine, versions } from "./report/environment.js";
import { assembleResults, type BenchResults } from "./report/results.js";
import * as sections from "./report/sections.js";
import { dec, header, targetsTable, withCommit } from "./report/table.js";
import { nowMs } from "./time.js";
import { runAckLatency, type AckLatencyResult } from "./workloads/ack-latency.js";
import { runConsume, type ConsumeResult } from "./workloads/consume.js";
import { runFailover, type FailoverResult } from "./workloads/failover.js";
import { runLatency, type LatencyResult } from "./workloads/latency.js";
import { runManyProducers, type ManyProducersResult } from "./workloads/many-producers.js";
import { runPartitionScale, scaleLogsDir, type PartitionScaleResult } from "./workloads/partition-scale.js";
import { runProduce, type ProduceResult } from "./workloads/produce.js";
import { runKafkaProduce, type KafkaProduceResult } from "./workloads/kafka-produce.js";
import { runSteady, type SteadyResult } from "./workloads/steady.js";
import { runTransfer, type TransferResult } from "./workloads/transfer.js";

/** A run's outcome: the JSON document and whether every workload ran cleanly and lost nothing. */
export interface BenchOutcome {
  readonly results: BenchResults;
  readonly ok: boolean;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** How failover may kill brokers here, or why it cannot run. */
function faultInjector(o: BenchOptions, cluster: BenchCluster, replicationFactor: number): FaultInjector | string {
  if (cluster.brokers.length < 3 || replicationFactor < 3) return "needs 3 brokers and replication factor 3";
  if (cluster.local) return localFaults(cluster);
  if (o.killCommand !== undefined && o.restartCommand !== undefined) return commandFaults(cluster, o.killCommand, o.restartCommand);
  return "targeting --brokers: give --kill-cmd and --restart-cmd to allow it";
}

/** Why kafka-produce cannot run on this cluster, or undefined when it can. */
function kafkaProduceSkip(o: BenchOptions, cluster: BenchCluster, kafkaBrokers: readonly string[]): string | undefined {
  if (!cluster.local) return "targeting --brokers: the bench does not know their Kafka listeners";
  if (o.tls || o.secure) return "runs without --tls and --secure only (the bench's kafkajs clients use neither TLS nor SASL)";
  if (kafkaBrokers.length === 0) return "the brokers have no Kafka listener";
  return undefined;
}

/** Workloads that run on the run's one cluster (partition-scale starts its own, ceilings need none). */
const ON_SHARED_CLUSTER: readonly WorkloadName[] = ["produce", "kafka-produce", "produce-json", "consume", "many-producers", "ack-latency", "latency", "transfer", "failover", "steady"];

/** Start the brokers, or attach to the given ones; `keepLogsDir` overrides the option's (partition-scale keeps each scale's logs apart). */
function openCluster(o: BenchOptions, keepLogsDir = o.keepLogsDir): Promise<BenchCluster> {
  if (o.brokerUrls !== undefined) return BenchCluster.attach(o.brokerUrls);
  return BenchCluster.start({
    size: o.clusterSize,
    fsync: o.fsync,
    metrics: o.metrics,
    logLevel: o.brokerLogLevel,
    nodeArgs: [...(o.brokerGc === "single-threaded" ? SINGLE_THREADED_GC_FLAGS : []), ...(o.brokerCpuProfDir === undefined ? [] : ["--cpu-prof", "--cpu-prof-dir", o.brokerCpuProfDir])],
    cwd: process.cwd(),
    keepLogsDir,
    env: o.hopTraceFile === undefined ? {} : { RLOG_HOP_TRACE: o.hopTraceFile },
    tls: o.tls,
    secure: o.secure,
    // Kafka listeners only for the workload that uses them: other runs measure the brokers as before.
    kafka: o.workloads.includes("kafka-produce") && !o.tls && !o.secure,
  });
}

/** Run the bench; `print` gets each finished section of the report. */
export async function runBench(o: BenchOptions, print: (text: string) => void): Promise<BenchOutcome> {
  const progress = new Progress(o.quiet);
  const startedAt = new Date().toISOString();
  const t0 = nowMs();
  const m = machine();
  const v = versions();
  const stamp = (text: string): string => withCommit(text, v.commit);
  const selected = (w: WorkloadName): boolean => o.workloads.includes(w);
  let ok = true;
  /** Run a selected workload, print its section, keep its outcome. */
  const step = async <T>(name: WorkloadName, fn: () => Promise<T>, render: (r: Outcome<T>) => string, skip?: string): Promise<Outcome<T>> => {
    if (!selected(name)) return NOT_SELECTED;
    let r: Outcome<T>;
    if (skip !== undefined) r = { skipped: skip };
    else {
      try {
        r = { value: await fn() };
      } catch (err) {
        ok = false;
        progress.done(name, `FAILED: ${message(err)}`);
        r = { error: message(err) };
      }
    }
    const text = render(r);
    if (text !== "") print(stamp(text));
    return r;
  };

  // Ceilings first, before any broker runs (their sections follow the header).
  let lmdb: Outcome<LmdbCeiling> = NOT_SELECTED;
  let ws: Outcome<WsCeiling> = NOT_SELECTED;
  const quietPrint = (): string => ""; // printed after the header, below
  if (selected("ceilings")) {
    const batchRecords = Math.max(1, Math.min(1_000, Math.floor(o.batchBytesMax / o.recordBytes)));
    progress.update("ceilings", `lmdb puts for ${o.ceilingSeconds} s`, true);
    lmdb = await step("ceilings", () => measureLmdbCeiling(o.recordBytes, batchRecords, o.fsync, o.ceilingSeconds), quietPrint);
    progress.update("ceilings", `ws+msgpackr request/ack loop for ${o.ceilingSeconds} s`, true);
    ws = await step("ceilings", () => measureWsCeiling(o.recordBytes, o.ceilingSeconds), quietPrint);
    progress.done("ceilings", "done");
  }

  let cluster: BenchCluster | undefined;
  let ctx: BenchContext | undefined;
  let replicationFactor = 0;
  let produce: Outcome<ProduceResult> = NOT_SELECTED;
  let produceJson: Outcome<ProduceResult> = NOT_SELECTED;
  let kafkaProduce: Outcome<KafkaProduceResult> = NOT_SELECTED;
  let manyProducers: Outcome<ManyProducersResult> = NOT_SELECTED;
  let partitionScale: Outcome<PartitionScaleResult> = NOT_SELECTED;
  let consume: Outcome<ConsumeResult> = NOT_SELECTED;
  let ackLatency: Outcome<AckLatencyResult> = NOT_SELECTED;
  let latency: Outcome<LatencyResult> = NOT_SELECTED;
  let transfer: Outcome<TransferResult> = NOT_SELECTED;
  let failover: Outcome<FailoverResult> = NOT_SELECTED;
  let steady: Outcome<SteadyResult> = NOT_SELECTED;
  const topics: string[] = [];
  const noted = <T extends { readonly settings: { readonly topic: string } }>(r: Outcome<T>): Outcome<T> => {
    if (has(r)) topics.push(r.value.settings.topic);
    return r;
  };

  try {
    let clusterText = "none (ceilings only)";
    if (o.workloads.some((w) => ON_SHARED_CLUSTER.includes(w))) {
      progress.update("cluster", o.brokerUrls === undefined ? `starting ${o.clusterSize} broker(s)` : `attaching to ${o.brokerUrls.join(",")}`, true);
      cluster = await openCluster(o);
      replicationFactor = o.replicationFactor ?? Math.min(3, cluster.brokers.length);
      const how = cluster.local ? `started by the bench (temporary data, removed afterwards), fsync ${o.fsync ? "on" : "OFF"}, ${o.brokerGc} GC${o.metrics ? "" : ", metrics OFF"}${o.secure ? ", TLS, SCRAM logins and ACLs on" : o.tls ? ", TLS on (wss://, mutual TLS between brokers)" : ""}` : "given by --brokers, fsync as configured";
      clusterText = `${cluster.brokers.length} broker(s) ${how}, replication factor ${replicationFactor}`;
      ctx = new BenchContext(cluster, o, progress, Date.now().toString(36), replicationFactor);
    } else if (selected("partition-scale")) {
      clusterText = o.brokerUrls === undefined ? "none shared (partition-scale starts a fresh cluster per scale)" : "none (partition-scale does not run on --brokers)";
    }
    print(header(m, v, o.preset, clusterText, startedAt));
    if (selected("ceilings")) print(`${stamp(sections.lmdbSection(lmdb))}\n${stamp(sections.wsSection(ws))}`);

    if (ctx !== undefined && cluster !== undefined) {
      const c = ctx;
      const cl = cluster;
      produce = noted(await step("produce", () => runProduce(c, o.values), (r) => sections.produceSection("produce throughput", r, lmdb, ws)));
      const kafkaBrokers = cl.brokers.flatMap((b) => (b.kafka === undefined ? [] : [b.kafka]));
      kafkaProduce = await step("kafka-produce", () => runKafkaProduce(c, kafkaBrokers), (r) => sections.kafkaProduceSection(r, produce), kafkaProduceSkip(o, cl, kafkaBrokers));
      if (has(kafkaProduce)) topics.push(...kafkaProduce.value.runs.map((r) => r.topic));
      produceJson = noted(await step("produce-json", () => runProduce(c, "json", "produce-json"), (r) => sections.produceSection("produce throughput (json values)", r, lmdb, ws)));
      const produced = produce;
      consume = await step("consume", () => runConsume(c, (produced as { value: ProduceResult }).value), sections.consumeSection, has(produced) ? undefined : "needs the produce workload's records");
      manyProducers = await step("many-producers", () => runManyProducers(c), sections.manyProducersSection);
      if (has(manyProducers)) {
        topics.push(...manyProducers.value.runs.map((r) => r.topic));
        // A client count that could not run is a failure of the run; a scale of partition-scale that does not come up is a figure (a missed target).
        if (manyProducers.value.runs.some((r) => r.recordsPerSec === null)) ok = false;
      }
      ackLatency = noted(await step("ack-latency", () => runAckLatency(c), sections.ackLatencySection));
      const rate = o.rateRecordsPerSec ?? (has(produce) ? produce.value.recordsPerSec * o.rateFraction : o.rateDefaultRecordsPerSec);
      const source = o.rateRecordsPerSec !== undefined ? "--rate" : has(produce) ? `${o.rateFraction * 100}% of the measured produce throughput` : "default (produce did not run)";
      latency = noted(await step("latency", () => runLatency(c, rate, source), sections.latencySection));
      transfer = noted(await step("transfer", () => runTransfer(c), sections.transferSection, replicationFactor < 2 ? "needs replication factor 2 or more (start 3 brokers)" : undefined));
      const faults = faultInjector(o, cl, replicationFactor);
      failover = noted(
        await step("failover", () => runFailover(c, faults as FaultInjector), sections.failoverSection, typeof faults === "string" ? faults : undefined),
      );
      steady = noted(await step("steady", () => runSteady(c), sections.steadySection));
    }
  } finally {
    await ctx?.closeClients();
    if (ctx !== undefined && cluster !== undefined && !cluster.local) for (const t of topics) await ctx.deleteTopic(t);
    await cluster?.stop();
  }
  // Last, with the shared cluster gone: its idle brokers would compete for the CPUs being measured.
  try {
    const runId = Date.now().toString(36);
    partitionScale = await step(
      "partition-scale",
      () => runPartitionScale({ options: o, progress, runId, startCluster: (subdir) => openCluster(o, scaleLogsDir(o.keepLogsDir, subdir)) }),
      sections.partitionScaleSection,
      o.brokerUrls === undefined ? undefined : "needs brokers started by the bench (a fresh cluster per scale and the brokers' pids for /proc); not available with --brokers",
    );
  } finally {
    progress.done("bench", `finished in ${dec((nowMs() - t0) / 1000)} s`);
  }

  // Lost records are a correctness failure, whatever the speed.
  if ((has(failover) && failover.value.lostRecords > 0) || (has(transfer) && transfer.value.lostRecords > 0)) ok = false;
  const results = assembleResults({
    startedAt,
    durationSeconds: (nowMs() - t0) / 1000,
    options: o,
    machine: m,
    loadAverageEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    versions: v,
    cluster: cluster === undefined ? undefined : { brokers: cluster.brokers.length, local: cluster.local, urls: cluster.urls },
    replicationFactor,
    lmdb,
    ws,
    produce,
    produceJson,
    kafkaProduce,
    consume,
    manyProducers,
    partitionScale,
    ackLatency,
    latency,
    transfer,
    failover,
    steady,
  });
  print(stamp(targetsTable(results.targets, results.targetConfiguration)));
  return { results, ok };
}
