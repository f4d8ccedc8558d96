/**
 * One broker's Prometheus metrics (docs/METRICS.md lists every one): a
 * Registry of its own, never prom-client's global one (tests run several
 * brokers in one process).
 *
 * Cost: the traffic path only increments counters and observes histograms
 * (once per request or per log write, never per record). Everything that
 * describes state (partition leaders, terms, high watermarks, log bytes, lag,
 * client connections, errors by code) is read at scrape time from what the
 * broker already keeps, through the `BrokerMetricsSource` it hands in; a
 * scrape lists the hosted partitions by name and reads the state of only the
 * partitionSeriesMax it keeps.
 *
 * Cardinality: per-partition series are labelled topic and partition and
 * bounded by metrics.partitionSeriesMax (partition-series.ts); errors are
 * labelled by error code name only, from a table of bounded size
 * (server-stats.ts); nothing else has labels.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { boundPartitions } from "./partition-series.js";

/** A hosted partition replica, named for labels and for its sample. */
export interface HostedPartition {
  readonly topic: string;
  readonly partition: number;
  /** The group id: which replica to sample, and the key of its lag-time state between scrapes. */
  readonly group: string;
}

/** What a scrape reads of one hosted partition replica. */
export interface PartitionSample extends HostedPartition {
  readonly isLeader: boolean;
  readonly term: number;
  readonly highWatermark: number;
  /** Bytes of the replica's log segments (sum of entry sizes). */
  readonly logBytes: number;
  /** Leader only: the log's last index and the lowest match index of its other voters; undefined on followers or without followers. */
  readonly replication: { readonly lastIndex: number; readonly matchMin: number } | undefined;
}

/** What the broker exposes to a scrape. */
export interface BrokerMetricsSource {
  /** Every partition replica open here (names only: cheap). */
  partitions(): readonly HostedPartition[];
  /** The state of one of them, read only for the partitions that keep their series; undefined if it closed meanwhile. */
  sample(partition: HostedPartition): PartitionSample | undefined;
  /** Open client connections now. */
  clientConnections(): number;
  /** Error responses sent since start, by code name (bounded set of names). */
  clientErrorsByCode(): Readonly<Record<string, number>>;
  /** The Kafka-protocol listener's open connections and requests by API name; undefined while it is off (docs/KAFKA.md). */
  kafka(): { readonly connections: number; readonly requestsByApi: Readonly<Record<string, number>> } | undefined;
}

/** Request latency buckets in seconds: 0.5 ms .. 10 s (a produce waits for a commit and an fsync; a fetch may long-poll). */
const REQUEST_SECONDS_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Log write (write + fsync) buckets in seconds: 0.1 ms .. 2.5 s (an fsync stall of 840 ms has been seen; group-runner.ts). */
const WRITE_SECONDS_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
/** Entries per log write: powers of two up to a large pipelined batch. */
const WRITE_ENTRIES_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024];
/** GC pause buckets in seconds (prom-client's nodejs_gc_duration_seconds). */
const GC_SECONDS_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1];
/**
 * monitorEventLoopDelay resolution behind nodejs_eventloop_lag_* (ms): the
 * monitor's timer fires this often, idle or not. At prom-client's default of
 * 10 ms it was the most frequent wakeup of an idle broker (100 a second, about
 * two thirds of its event-loop wakeups: strace, 2026-12-02); at 100 ms a
 * stall longer than 100 ms is still always seen, shorter ones when a sample
 * falls in them.
 */
const EVENT_LOOP_PRECISION_MS = 100;

/** See the file comment. */
export class BrokerMetrics {
  readonly registry = new Registry();
  private readonly source: BrokerMetricsSource;
  private readonly clock: () => number;
  /**
   * Per led partition (group id): when a scrape last saw its slowest voter
   * at the leader's last index (monotonic ms). Holds only partitions kept at
   * the last scrape, so it is bounded by partitionSeriesMax.
   */
  private caughtUpAtMs = new Map<string, number>();

  readonly produceRequests: Counter;
  readonly produceRecords: Counter;
  readonly produceBytes: Counter;
  readonly produceSeconds: Histogram;
  readonly fetchRequests: Counter;
  readonly fetchRecords: Counter;
  readonly fetchBytes: Counter;
  readonly fetchSeconds: Histogram;
  readonly logWriteSeconds: Histogram;
  readonly logWriteEntries: Histogram;
  readonly elections: Counter;
  readonly leaderChanges: Counter;
  readonly leadershipTransfers: Counter;

  constructor(opts: { readonly brokerId: number; readonly partitionSeriesMax: number; readonly source: BrokerMetricsSource; readonly monotonicMs?: () => number }) {
    this.source = opts.source;
    this.clock = opts.monotonicMs ?? (() => performance.now());
    const registers = [this.registry];
    const max = opts.partitionSeriesMax;
    collectDefaultMetrics({ register: this.registry, gcDurationBuckets: GC_SECONDS_BUCKETS, eventLoopMonitoringPrecision: EVENT_LOOP_PRECISION_MS });

    new Gauge({ name: "rlog_broker_info", help: "Always 1; the broker id as a label.", labelNames: ["broker_id"], registers }).set({ broker_id: String(opts.brokerId) }, 1);

    this.produceRequests = new Counter({ name: "rlog_produce_requests_total", help: "Produce requests answered by this broker, errors included.", registers });
    this.produceRecords = new Counter({ name: "rlog_produce_records_total", help: "Records in produce requests answered with success (appended here as leader).", registers });
    this.produceBytes = new Counter({ name: "rlog_produce_bytes_total", help: "Record batch bytes in produce requests answered with success.", registers });
    this.produceSeconds = new Histogram({ name: "rlog_produce_request_duration_seconds", help: "Time from a produce request's dispatch to its answer (success or error), in seconds.", buckets: REQUEST_SECONDS_BUCKETS, registers });
    this.fetchRequests = new Counter({ name: "rlog_fetch_requests_total", help: "Fetch requests answered by this broker, errors included.", registers });
    this.fetchRecords = new Counter({ name: "rlog_fetch_records_total", help: "Records in the batches fetch responses carried (whole batches, as stored).", registers });
    this.fetchBytes = new Counter({ name: "rlog_fetch_bytes_total", help: "Record batch bytes fetch responses carried.", registers });
    this.fetchSeconds = new Histogram({ name: "rlog_fetch_request_duration_seconds", help: "Time from a fetch request's dispatch to its answer, long-poll wait included, in seconds.", buckets: REQUEST_SECONDS_BUCKETS, registers });
    this.logWriteSeconds = new Histogram({ name: "rlog_log_write_duration_seconds", help: "Durable log writes of partition groups: time to write and sync (fsync when storage.fsync), in seconds.", buckets: WRITE_SECONDS_BUCKETS, registers });
    this.logWriteEntries = new Histogram({ name: "rlog_log_write_entries", help: "Raft entries per durable log write of a partition group (0: a hard-state-only write).", buckets: WRITE_ENTRIES_BUCKETS, registers });
    this.elections = new Counter({ name: "rlog_raft_elections_total", help: "Elections this broker's partition replicas started (became candidate; pre-votes not counted).", registers });
    this.leaderChanges = new Counter({ name: "rlog_raft_leader_changes_total", help: "Times a partition replica here learned of a new leader (a different broker or a new term).", registers });
    this.leadershipTransfers = new Counter({ name: "rlog_raft_leadership_transfers_total", help: "Leadership transfers started by partitions this broker leads.", registers });

    const source = this.source;
    new Gauge({
      name: "rlog_client_connections",
      help: "Open client connections.",
      registers,
      collect() {
        this.set(source.clientConnections());
      },
    });
    new Counter({
      name: "rlog_client_errors_total",
      help: "Error responses sent to clients, by error code name.",
      labelNames: ["code"],
      registers,
      collect() {
        this.reset();
        for (const [code, count] of Object.entries(source.clientErrorsByCode())) this.inc({ code }, count);
      },
    });

    new Gauge({
      name: "rlog_kafka_connections",
      help: "Open connections to the Kafka-protocol listener (0 while it is off).",
      registers,
      collect() {
        this.set(source.kafka()?.connections ?? 0);
      },
    });
    new Counter({
      name: "rlog_kafka_requests_total",
      help: "Requests the Kafka-protocol listener handled, by Kafka API name (errors included; unsupported ones not).",
      labelNames: ["api"],
      registers,
      collect() {
        this.reset();
        for (const [api, count] of Object.entries(source.kafka()?.requestsByApi ?? {})) this.inc({ api }, count);
      },
    });

    // Per-partition gauges: one pass over the hosted replicas per scrape fills all of them. The gauge that runs
    // the pass is registered first: a scrape reads metrics in registration order, so the others are filled by then.
    const self = this;
    new Gauge({
      name: "rlog_partitions_hosted",
      help: "Partition replicas open on this broker.",
      registers,
      collect() {
        const all = source.partitions();
        self.fillPartitionGauges(all, max);
        this.set(all.length);
      },
    });
    const labelNames = ["topic", "partition"] as const;
    this.partitionGauges = {
      leader: new Gauge({ name: "rlog_partition_leader", help: "1 when this broker leads the partition, else 0.", labelNames, registers }),
      term: new Gauge({ name: "rlog_partition_term", help: "Raft term of the partition's replica here.", labelNames, registers }),
      highWatermark: new Gauge({ name: "rlog_partition_high_watermark", help: "High watermark (first offset not yet committed) as this replica knows it.", labelNames, registers }),
      logBytes: new Gauge({ name: "rlog_partition_log_bytes", help: "Bytes of the replica's log segments here.", labelNames, registers }),
      lagEntries: new Gauge({ name: "rlog_partition_replica_lag_entries", help: "Leader only: entries the slowest other voter lacks (last index - lowest match index).", labelNames, registers }),
      lagSeconds: new Gauge({
        name: "rlog_partition_replica_lag_seconds",
        help: "Leader only: time since a scrape last saw the slowest other voter at the leader's last index (0 when it is there now; resolution: the scrape interval).",
        labelNames,
        registers,
      }),
    };
    this.partitionsDropped = new Gauge({ name: "rlog_metrics_partitions_dropped", help: "Partitions hosted here left without per-partition series at the last scrape (metrics.partitionSeriesMax).", registers });
  }

  private readonly partitionGauges: Readonly<Record<"leader" | "term" | "highWatermark" | "logBytes" | "lagEntries" | "lagSeconds", Gauge>>;
  private readonly partitionsDropped: Gauge;

  /** Refill the per-partition gauges from `all`, keeping at most `max` partitions' series. */
  private fillPartitionGauges(all: readonly HostedPartition[], max: number): void {
    const g = this.partitionGauges;
    const bounded = boundPartitions(all, max);
    for (const gauge of Object.values(g)) gauge.reset();
    this.partitionsDropped.set(bounded.dropped);
    const now = this.clock();
    const seen = new Map<string, number>();
    for (const kept of bounded.kept) {
      const p = this.source.sample(kept); // the state of dropped partitions is never read
      if (p === undefined) continue;
      const labels = { topic: p.topic, partition: String(p.partition) };
      g.leader.set(labels, p.isLeader ? 1 : 0);
      g.term.set(labels, p.term);
      g.highWatermark.set(labels, p.highWatermark);
      g.logBytes.set(labels, p.logBytes);
      if (p.replication === undefined) continue;
      const lag = Math.max(0, p.replication.lastIndex - p.replication.matchMin);
      g.lagEntries.set(labels, lag);
      const since = lag === 0 ? now : (this.caughtUpAtMs.get(p.group) ?? now);
      seen.set(p.group, since);
      g.lagSeconds.set(labels, (now - since) / 1000);
    }
    this.caughtUpAtMs = seen;
  }

  /** The exposition text of every metric (Prometheus text format 0.0.4). */
  async render(): Promise<string> {
    return this.registry.metrics();
  }

  /** The Content-Type of render()'s text. */
  get contentType(): string {
    return this.registry.contentType;
  }
}
