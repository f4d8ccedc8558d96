/**
 * Command-line options of `npm run bench` and the two presets: quick (the
 * default, a few minutes at most on a 2-core machine) and `--full`.
 * Every option has an explicit bound so that no run can go on for ever.
 */
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { PRODUCER_DEFAULTS } from "../broker/protocol/defaults.js";
import { availableParallelism } from "node:os";
import { BROKER_GC_MODES, resolveBrokerGc, type BrokerGc } from "../config/node-flags.js";
import { parseCompression, type Compression } from "./compression.js";
import { VALUE_KINDS, type ValueKind } from "./record-value.js";

/** The workloads, in the order they run. */
export const WORKLOADS = ["ceilings", "produce", "kafka-produce", "produce-json", "consume", "many-producers", "ack-latency", "latency", "transfer", "failover", "steady", "partition-scale"] as const;

/** A workload's name. */
export type WorkloadName = (typeof WORKLOADS)[number];

/** Everything a run is configured by. Sizes in bytes, times in ms or seconds as named. */
export interface BenchOptions {
  readonly preset: "quick" | "full";
  readonly workloads: readonly WorkloadName[];
  readonly jsonFile: string | undefined;
  /** Existing cluster to target; undefined: start one. */
  readonly brokerUrls: readonly string[] | undefined;
  /** Brokers to start when no --brokers are given. */
  readonly clusterSize: number;
  /** Failover against --brokers: shell commands with {id} for the broker id. */
  readonly killCommand: string | undefined;
  readonly restartCommand: string | undefined;
  readonly fsync: boolean;
  /** Metrics kept by the brokers the bench starts (admin listener on an ephemeral port); --no-metrics sets metrics.enabled false (docs/PERFORMANCE.md, "Metrics cost"). */
  readonly metrics: boolean;
  /** --tls: the bench cluster runs with TLS on and clients use wss://. --secure implies it. */
  readonly tls: boolean;
  /** --secure: TLS, SCRAM-SHA-256 logins and ACLs on (bench/cluster.ts). */
  readonly secure: boolean;
  readonly brokerLogLevel: string;
  /** How the brokers the bench starts collect garbage: --broker-gc (default auto) resolved for clusterSize on this machine (config/node-flags.ts). */
  readonly brokerGc: "single-threaded" | "parallel";
  /** Directory for broker CPU profiles (node --cpu-prof), or undefined. */
  readonly brokerCpuProfDir: string | undefined;
  /** Directory to copy the broker logs to at the end, or undefined. */
  readonly keepLogsDir: string | undefined;
  /** Trace the one-at-a-time produce hop by hop into this file (broker/diagnostics/hop-trace-file.ts); undefined: no trace. */
  readonly hopTraceFile: string | undefined;
  readonly quiet: boolean;

  // Produce throughput (and the shape of the other workloads' topics).
  readonly producers: number;
  readonly recordBytes: number;
  readonly records: number;
  readonly partitions: number;
  /** undefined: min(3, brokers in the cluster). */
  readonly replicationFactor: number | undefined;
  readonly acks: "all" | "leader";
  readonly lingerMs: number;
  readonly batchBytesMax: number;
  /** Messages per producer.send() call in the throughput run. */
  readonly sendRecords: number;
  readonly produceSecondsMax: number;
  /** Values of the throughput workloads (produce, many-producers, partition-scale); produce-json always writes json. */
  readonly values: ValueKind;
  /** Producer compression asked for, by the throughput workloads (produce, produce-json, many-producers, partition-scale; compression.ts). */
  readonly compression: Compression;

  // Many producers: one client per child process, each writing like the produce workload.
  /** Client counts, one run each, in order. */
  readonly producerCounts: readonly number[];
  /** Length of each run (time-bounded: every count writes for the same time). */
  readonly manyProducersSeconds: number;

  // Partition scale: a fresh cluster per scale.
  /** Total partitions per scale, in order. */
  readonly partitionScales: readonly number[];
  /** Bound on starting a scale's cluster, creating its topics and seeing a leader on every partition. */
  readonly scaleReadySecondsMax: number;
  /** Wait after every partition has a leader, before the idle window. */
  readonly scaleSettleSeconds: number;
  /** Idle CPU window. */
  readonly scaleIdleSeconds: number;
  /** Produce run on the scale's produce topic (time-bounded). */
  readonly scaleProduceSeconds: number;

  // Latency.
  readonly ackLatencyRecords: number;
  /** Fixed rate of the latency run; undefined: rateFraction of the measured produce throughput. */
  readonly rateRecordsPerSec: number | undefined;
  readonly rateFraction: number;
  /** Rate used when produce did not run and no --rate was given. */
  readonly rateDefaultRecordsPerSec: number;
  readonly latencySeconds: number;
  readonly latencyWarmupSeconds: number;
  readonly latencyLingerMs: number;

  // Faults.
  readonly failoverRepetitions: number;
  readonly transferRepetitions: number;
  /** Steady produce load during failover and transfer, records/s over all partitions. */
  readonly faultLoadRecordsPerSec: number;
  readonly faultPartitions: number;

  // Steady run (spurious elections).
  readonly steadySeconds: number;

  // Ceilings.
  readonly ceilingSeconds: number;
}

const QUICK = {
  records: 100_000,
  produceSecondsMax: 20,
  ackLatencyRecords: 2_000,
  latencySeconds: 10,
  latencyWarmupSeconds: 1,
  failoverRepetitions: 3,
  transferRepetitions: 8,
  steadySeconds: 15,
  ceilingSeconds: 2,
  manyProducersSeconds: 5,
  partitionScales: [3, 300, 3_000] as readonly number[],
  scaleReadySecondsMax: 120,
  scaleSettleSeconds: 5,
  scaleIdleSeconds: 10,
  scaleProduceSeconds: 5,
};

const FULL: typeof QUICK = {
  records: 1_000_000,
  produceSecondsMax: 120,
  ackLatencyRecords: 10_000,
  latencySeconds: 60,
  latencyWarmupSeconds: 5,
  failoverRepetitions: 10,
  transferRepetitions: 40,
  steadySeconds: 600,
  ceilingSeconds: 5,
  manyProducersSeconds: 20,
  partitionScales: [3, 300, 3_000, 10_000],
  scaleReadySecondsMax: 600,
  // Idle means steady: after creating 10,000 partitions the brokers spend tens of seconds on the aftermath
  // (leader announcements, V8's memory reducer compacting the heap the creation grew): 6.3% of a core in
  // the 30 s after a 5 s settle, 1.5% after 60 s (docs/PERFORMANCE.md).
  scaleSettleSeconds: 60,
  scaleIdleSeconds: 30,
  scaleProduceSeconds: 15,
};

/** Usage text for --help. */
export const USAGE = `usage: npm run bench -- [options]

  --full                  the long preset (1M records, 60 s latency run, 10 failovers, 10-minute steady run,
                          partition scales up to 10000)
  --only LIST             run only these workloads (comma-separated): ${WORKLOADS.join(",")}
  --skip LIST             run all but these workloads
  --json FILE             write every figure, the settings, versions and machine to FILE
  --brokers URLS          target an existing cluster (ws://host:port,...); nothing is started
  --kill-cmd CMD          with --brokers: shell command that SIGKILLs broker {id} (enables failover)
  --restart-cmd CMD       with --brokers: shell command that starts broker {id} again and returns
                          (detach it and redirect its output, e.g. 'nohup ... >log 2>&1 &')
  --cluster-size N        brokers to start (1..5, default 3)
  --producers N           producer clients in the throughput run (default 1)
  --record-bytes N        record value size (default 1024)
  --records N             records in the throughput run (quick 100000, full 1000000; at most 20 s / 120 s)
  --partitions N          partitions of the throughput topic (default 3)
  --replication-factor N  default: min(3, brokers)
  --acks all|leader       default all
  --linger-ms N           producer lingerMs in the throughput run (default 5)
  --batch-bytes N         producer batchBytesMax (default the SDK's, ${PRODUCER_DEFAULTS.batchBytesMax})
  --values random|json    record values of produce, many-producers and partition-scale (default random:
                          incompressible; json: ~1 KiB order/event documents; produce-json always writes json)
  --compression C         producer compression: none|gzip|lz4|zstd (default none; producers of produce,
                          produce-json, many-producers and partition-scale)
  --producer-counts LIST  clients of the many-producers runs, each in its own process (default 1,4,16)
  --producers-seconds N   length of each many-producers run (quick 5, full 20)
  --partition-scales LIST total partitions per partition-scale step, a fresh cluster each
                          (quick 3,300,3000; full 3,300,3000,10000)
  --scale-ready-seconds N bound on a scale's cluster start, topic creation and leaders (quick 120, full 600)
  --scale-settle-seconds N wait after every partition has a leader (quick 5, full 60)
  --scale-idle-seconds N  idle CPU window per scale (quick 10, full 30)
  --scale-produce-seconds N produce run per scale (quick 5, full 15)
  --rate N                fixed rate of the latency run, records/s (default: 50% of the measured maximum)
  --latency-seconds N     length of the fixed-rate run (quick 10, full 60)
  --failover-reps N       SIGKILLs (quick 3, full 10)
  --transfer-reps N       leader transfers (quick 8, full 40)
  --steady-seconds N      steady run counting elections (quick 15, full 600)
  --fault-load-rate N     produce load during transfer, failover and steady, records/s (default 1000)
  --ack-latency-records N one-at-a-time sends measured (quick 2000, full 10000; at most 120 s)
  --ceiling-seconds N     length of each ceiling measurement (quick 2, full 5)
  --no-fsync              brokers and the lmdb ceiling without sync (unsafe; not comparable)
  --no-metrics            brokers with metrics.enabled false (to measure what metrics cost)
  --tls                   the bench cluster runs with TLS on (certificates made with openssl in
                          its temp dir; brokers speak mutual TLS) and clients use wss://
  --secure                --tls, plus SCRAM-SHA-256 logins and ACLs checked on every request
                          (clients log in as a user an ACL allows everything); neither with --brokers
  --broker-cpu-prof DIR   run brokers under node --cpu-prof, profiles in DIR
  --broker-log-level L    broker log level (default info; logs stay in the temp dir)
  --broker-gc G           the brokers' garbage collector: auto|single-threaded|parallel (default auto:
                          single-threaded when the brokers have fewer than 2 cores each, as
                          rlog-cli cluster start-local --gc does; docs/PERFORMANCE.md)
  --keep-logs DIR         copy the broker logs to DIR before the temp dir is removed
  --hop-trace FILE        trace the one-at-a-time produce hop by hop (client and brokers append
                          to FILE) and print where its time goes; best with --only ack-latency
  --quiet                 no progress line
  --help`;

function int(name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < min || v > max) throw new RangeError(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
  return v;
}

/** A comma-separated list of integers in min..max, without repeats; undefined when not given. */
function ints(name: string, raw: string | undefined, min: number, max: number): number[] | undefined {
  if (raw === undefined) return undefined;
  const parts = raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (parts.length === 0) throw new RangeError(`--${name}: give at least one number`);
  const out = parts.map((p) => int(name, p, 0, min, max));
  if (new Set(out).size !== out.length) throw new RangeError(`--${name}: ${JSON.stringify(raw)} repeats a value`);
  return out;
}

function list(raw: string | undefined): WorkloadName[] | undefined {
  if (raw === undefined) return undefined;
  const names = raw.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  for (const n of names) {
    if (!(WORKLOADS as readonly string[]).includes(n)) throw new RangeError(`unknown workload ${JSON.stringify(n)}; known: ${WORKLOADS.join(", ")}`);
  }
  return names as WorkloadName[];
}

/** Parse argv (without node and the script); undefined means --help was asked for. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | undefined {
  const { values: v } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      full: { type: "boolean" },
      only: { type: "string" },
      skip: { type: "string" },
      json: { type: "string" },
      brokers: { type: "string" },
      "kill-cmd": { type: "string" },
      "restart-cmd": { type: "string" },
      "cluster-size": { type: "string" },
      producers: { type: "string" },
      "record-bytes": { type: "string" },
      records: { type: "string" },
      partitions: { type: "string" },
      "replication-factor": { type: "string" },
      acks: { type: "string" },
      "linger-ms": { type: "string" },
      "batch-bytes": { type: "string" },
      rate: { type: "string" },
      "latency-seconds": { type: "string" },
      "failover-reps": { type: "string" },
      "transfer-reps": { type: "string" },
      "steady-seconds": { type: "string" },
      "ack-latency-records": { type: "string" },
      "ceiling-seconds": { type: "string" },
      "fault-load-rate": { type: "string" },
      values: { type: "string" },
      compression: { type: "string" },
      "producer-counts": { type: "string" },
      "producers-seconds": { type: "string" },
      "partition-scales": { type: "string" },
      "scale-ready-seconds": { type: "string" },
      "scale-settle-seconds": { type: "string" },
      "scale-idle-seconds": { type: "string" },
      "scale-produce-seconds": { type: "string" },
      "no-fsync": { type: "boolean" },
      "no-metrics": { type: "boolean" },
      tls: { type: "boolean" },
      secure: { type: "boolean" },
      "broker-cpu-prof": { type: "string" },
      "broker-log-level": { type: "string" },
      "broker-gc": { type: "string" },
      "keep-logs": { type: "string" },
      "hop-trace": { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean" },
    },
  });
  if (v.help === true) return undefined;
  const preset = v.full === true ? FULL : QUICK;
  const brokerUrls = v.brokers?.split(",").map((s) => s.trim()).filter((s) => s.length > 0);
  if (brokerUrls !== undefined && brokerUrls.length === 0) throw new RangeError("--brokers: give at least one ws:// URL");
  if ((v["kill-cmd"] === undefined) !== (v["restart-cmd"] === undefined)) throw new RangeError("--kill-cmd and --restart-cmd go together");
  const secure = v.secure === true;
  const tls = v.tls === true || secure;
  if (tls && brokerUrls !== undefined) throw new RangeError("--tls and --secure start the bench's own cluster with TLS (and logins) on; they do not apply to --brokers");
  if (v["kill-cmd"] !== undefined && brokerUrls === undefined) throw new RangeError("--kill-cmd is for --brokers; a cluster the bench starts is killed by the bench");
  const only = list(v.only);
  const skip = list(v.skip) ?? [];
  const workloads = WORKLOADS.filter((w) => (only === undefined || only.includes(w)) && !skip.includes(w));
  if (workloads.length === 0) throw new RangeError("no workload left to run");
  const clusterSize = int("cluster-size", v["cluster-size"], 3, 1, 5);
  const acks = v.acks ?? "all";
  if (acks !== "all" && acks !== "leader") throw new RangeError(`--acks must be all or leader, got ${JSON.stringify(acks)}`);
  const values = v.values ?? "random";
  if (!(VALUE_KINDS as readonly string[]).includes(values)) throw new RangeError(`--values must be one of ${VALUE_KINDS.join(", ")}, got ${JSON.stringify(values)}`);
  const brokerGcMode = (v["broker-gc"] ?? "auto") as BrokerGc;
  if (!BROKER_GC_MODES.includes(brokerGcMode)) throw new RangeError(`--broker-gc must be one of ${BROKER_GC_MODES.join(", ")}, got ${JSON.stringify(v["broker-gc"])}`);
  const rate = v.rate === undefined ? undefined : int("rate", v.rate, 0, 1, 10_000_000);
  return {
    preset: v.full === true ? "full" : "quick",
    workloads,
    jsonFile: v.json,
    brokerUrls,
    clusterSize,
    killCommand: v["kill-cmd"],
    restartCommand: v["restart-cmd"],
    fsync: v["no-fsync"] !== true,
    metrics: v["no-metrics"] !== true,
    tls,
    secure,
    brokerLogLevel: v["broker-log-level"] ?? "info",
    brokerGc: resolveBrokerGc(brokerGcMode, clusterSize, availableParallelism()),
    brokerCpuProfDir: v["broker-cpu-prof"],
    keepLogsDir: v["keep-logs"],
    hopTraceFile: v["hop-trace"] === undefined ? undefined : resolve(v["hop-trace"]),
    quiet: v.quiet === true,
    producers: int("producers", v.producers, 1, 1, 64),
    recordBytes: int("record-bytes", v["record-bytes"], 1024, 16, 1024 * 1024),
    records: int("records", v.records, preset.records, 1, 100_000_000),
    partitions: int("partitions", v.partitions, 3, 1, 1024),
    replicationFactor: v["replication-factor"] === undefined ? undefined : int("replication-factor", v["replication-factor"], 3, 1, 7),
    acks,
    lingerMs: int("linger-ms", v["linger-ms"], 5, 0, 10_000),
    batchBytesMax: int("batch-bytes", v["batch-bytes"], PRODUCER_DEFAULTS.batchBytesMax, 1024, 8 * 1024 * 1024),
    sendRecords: 100,
    produceSecondsMax: preset.produceSecondsMax,
    values: values as ValueKind,
    compression: parseCompression(v.compression),
    producerCounts: ints("producer-counts", v["producer-counts"], 1, 64) ?? [1, 4, 16],
    manyProducersSeconds: int("producers-seconds", v["producers-seconds"], preset.manyProducersSeconds, 1, 3_600),
    partitionScales: ints("partition-scales", v["partition-scales"], 1, 100_000) ?? preset.partitionScales,
    scaleReadySecondsMax: int("scale-ready-seconds", v["scale-ready-seconds"], preset.scaleReadySecondsMax, 1, 3_600),
    scaleSettleSeconds: int("scale-settle-seconds", v["scale-settle-seconds"], preset.scaleSettleSeconds, 0, 600),
    scaleIdleSeconds: int("scale-idle-seconds", v["scale-idle-seconds"], preset.scaleIdleSeconds, 1, 3_600),
    scaleProduceSeconds: int("scale-produce-seconds", v["scale-produce-seconds"], preset.scaleProduceSeconds, 1, 600),
    ackLatencyRecords: int("ack-latency-records", v["ack-latency-records"], preset.ackLatencyRecords, 10, 10_000_000),
    rateRecordsPerSec: rate,
    rateFraction: 0.5,
    rateDefaultRecordsPerSec: 5_000,
    latencySeconds: int("latency-seconds", v["latency-seconds"], preset.latencySeconds, 1, 3_600),
    latencyWarmupSeconds: preset.latencyWarmupSeconds,
    latencyLingerMs: int("linger-ms", v["linger-ms"], 5, 0, 10_000),
    failoverRepetitions: int("failover-reps", v["failover-reps"], preset.failoverRepetitions, 1, 1_000),
    transferRepetitions: int("transfer-reps", v["transfer-reps"], preset.transferRepetitions, 1, 10_000),
    faultLoadRecordsPerSec: int("fault-load-rate", v["fault-load-rate"], 1_000, 10, 1_000_000),
    faultPartitions: 3,
    steadySeconds: int("steady-seconds", v["steady-seconds"], preset.steadySeconds, 1, 86_400),
    ceilingSeconds: int("ceiling-seconds", v["ceiling-seconds"], preset.ceilingSeconds, 1, 600),
  };
}
