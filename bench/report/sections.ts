/** One report section per workload: its settings, then its figures (see table.ts for the layout). */
import type { LmdbCeiling } from "../ceilings/lmdb-ceiling.js";
import type { WsCeiling } from "../ceilings/ws-ceiling.js";
import { has, type Outcome } from "../outcome.js";
import type { AckLatencyResult } from "../workloads/ack-latency.js";
import { formatHopTable } from "./hop-table.js";
import type { ConsumeResult } from "../workloads/consume.js";
import type { FailoverResult } from "../workloads/failover.js";
import type { LatencyResult } from "../workloads/latency.js";
import type { ProduceResult } from "../workloads/produce.js";
import type { KafkaProduceResult } from "../workloads/kafka-produce.js";
import type { SteadyResult } from "../workloads/steady.js";
import type { TransferResult } from "../workloads/transfer.js";
import { compressionText, type Compression } from "../compression.js";
import type { ValueKind } from "../record-value.js";
import type { ManyProducersResult } from "../workloads/many-producers.js";
import type { PartitionScaleResult } from "../workloads/partition-scale.js";
import { dec, int, ms, notRun, percentiles, section } from "./table.js";

function kib(bytes: number): string {
  return bytes % 1024 === 0 ? `${bytes / 1024} KiB` : `${bytes} B`;
}

/** Render an outcome: `render` for figures, the reason otherwise. */
function render<T>(title: string, o: Outcome<T>, draw: (value: T) => string): string {
  return has(o) ? draw(o.value) : notRun(title, o);
}

/** The lmdb ceiling. */
export function lmdbSection(o: Outcome<LmdbCeiling>): string {
  const title = "ceiling: raw lmdb-js puts";
  return render(title, o, (l) =>
    section(title, `${kib(l.settings.recordBytes)} values, batches of ${l.settings.batchRecords} puts, ${l.settings.loops} concurrent batches, sync ${l.settings.fsync ? "on" : "OFF"}, ${l.settings.seconds} s`, [
      ["puts/s", `${int(l.putsPerSec)}  (${dec(l.mbPerSec)} MB/s)`],
      ["one synced commit", percentiles(l.commitMs)],
    ]),
  );
}

/** The ws ceiling. */
export function wsSection(o: Outcome<WsCeiling>): string {
  const title = "ceiling: bare ws + msgpackr request/ack over loopback";
  return render(title, o, (w) =>
    section(title, `${kib(w.settings.recordBytes)} requests, ${w.settings.inflight} in flight, server in another process, ${w.settings.seconds} s`, [
      ["frames/s", `${int(w.framesPerSec)}  (${dec(w.mbPerSec)} MB/s)`],
      ["one at a time", percentiles(w.roundTripMs)],
    ]),
  );
}

/** Values and compression of a throughput run, as the settings line says them. */
function valuesText(values: ValueKind, compression: Compression): string {
  return `${values === "json" ? "JSON-like" : "random (incompressible)"} values, ${compressionText(compression)}`;
}

/** Produce throughput, as a fraction of the ceilings when they were measured. */
export function produceSection(title: string, o: Outcome<ProduceResult>, lmdb: Outcome<LmdbCeiling>, ws: Outcome<WsCeiling>): string {
  return render(title, o, (p) => {
    const s = p.settings;
    const ofLmdb = has(lmdb) ? `, ${dec((p.recordsPerSec / lmdb.value.putsPerSec) * 100)}% of the lmdb ceiling` : "";
    const ofWs = has(ws) ? `, ${dec((p.recordsPerSec / ws.value.framesPerSec) * 100)}% of the ws ceiling (in frames)` : "";
    return section(title, `${s.producers} producer(s), ${int(s.records)} x ${kib(s.recordBytes)}, ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, batch ${kib(s.batchBytesMax)}, ${s.sendRecords} records per send(), ${valuesText(s.values, s.compression)}`, [
      ["records/s", `${int(p.recordsPerSec)}  (${dec(p.mbPerSec)} MB/s${ofLmdb}${ofWs})`],
      ["records", `${int(p.records)} in ${dec(p.seconds, 2)} s${p.timedOut ? " (time limit reached)" : ""}, ${int(p.failedRecords)} failed`],
    ]);
  });
}

/** Produce throughput of kafkajs through the Kafka listener, next to the SDK's when produce ran in the same run. */
export function kafkaProduceSection(o: Outcome<KafkaProduceResult>, sdk: Outcome<ProduceResult>): string {
  const title = "produce throughput, kafkajs over the Kafka protocol";
  return render(title, o, (k) => {
    const s = k.settings;
    const ofSdk = (recordsPerSec: number): string => (has(sdk) ? `, ${dec((recordsPerSec / sdk.value.recordsPerSec) * 100)}% of rlog's SDK in this run` : "");
    return section(
      title,
      `${s.client}, ${s.producers} producer(s), ${int(s.records)} x ${kib(s.recordBytes)} per run, ${s.partitions} partitions, RF ${s.replicationFactor}, acks all (-1), no linger: ${int(s.sendRecords)} records (one batch of about ${kib(s.batchBytes)}) per send() to one partition in turn, up to ${s.windowSends} sends outstanding, ${valuesText(s.values, s.compression)}`,
      k.runs.map((r): [string, string] => [
        r.idempotent ? "idempotent" : "not idempotent",
        `${int(r.recordsPerSec)} records/s  (${dec(r.mbPerSec)} MB/s${ofSdk(r.recordsPerSec)}); ${int(r.records)} in ${dec(r.seconds, 2)} s${r.timedOut ? " (time limit reached)" : ""}, ${int(r.failedRecords)} failed`,
      ]),
    );
  });
}

/** Consume throughput. */
export function consumeSection(o: Outcome<ConsumeResult>): string {
  const title = "consume throughput";
  return render(title, o, (r) =>
    section(title, `1 consumer, ${r.settings.partitions} partitions from offset 0, fetches up to ${kib(r.settings.fetchBytesMax)}`, [
      ["records/s", `${int(r.recordsPerSec)}  (${dec(r.mbPerSec)} MB/s)`],
      ["records", `${int(r.records)} in ${dec(r.seconds, 2)} s`],
    ]),
  );
}

/** One-at-a-time produce latency. */
export function ackLatencySection(o: Outcome<AckLatencyResult>): string {
  const title = "produce latency, one at a time";
  return render(title, o, (a) => {
    const s = a.settings;
    return section(title, `1 producer awaiting each send() of 1 record, ${kib(s.recordBytes)}, ${s.partitions} partition, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, ${int(s.warmupRecords)} warm-up sends`, [
      ["send to ack", `${percentiles(a.latencyMs)}${a.timedOut ? " (time limit reached)" : ""}`],
    ]) + (a.hops === undefined ? "" : `\n   where the time goes (--hop-trace), µs:\n${formatHopTable(a.hops).join("\n")}`);
  });
}

/** Latency at a fixed rate. */
export function latencySection(o: Outcome<LatencyResult>): string {
  const title = "latency at a fixed rate";
  return render(title, o, (l) => {
    const s = l.settings;
    return section(title, `${int(s.rateRecordsPerSec)} records/s (${s.rateSource}) for ${s.seconds} s, ${kib(s.recordBytes)}, ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, first ${s.warmupSeconds} s not recorded`, [
      ["end to end", percentiles(l.e2eLatencyMs)],
      ["send to ack", percentiles(l.ackLatencyMs)],
      ["achieved", `${int(l.achievedRecordsPerSec)} records/s; ${int(l.sentRecords)} sent, ${int(l.consumedRecords)} consumed, ${int(l.failedRecords)} failed; ${l.termChanges} elections`],
    ]);
  });
}

/** Leader transfer under load. */
export function transferSection(o: Outcome<TransferResult>): string {
  const title = "leader transfer under load";
  return render(title, o, (t) => {
    const s = t.settings;
    return section(title, `${s.repetitions} transfers of partition 0 (away from the preferred replica and back), load ${int(s.loadRecordsPerSec)} records/s on ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms`, [
      ["transferLeader", `p50 ${ms(t.msP50)}  p99 ${ms(t.msP99)}  max ${ms(t.msMax)}  (${t.failedTransfers} failed)`],
      ["produce acked again", `p50 ${ms(t.produceResumeMsP50)}  p99 ${ms(t.produceResumeMsP99)}  (transfer start to the first ack of a record sent after it)`],
      ["records", `${int(t.ackedRecords)} acknowledged, ${int(t.lostRecords)} lost, ${int(t.duplicateRecords)} duplicated, ${int(t.failedRecords)} failed sends`],
    ]);
  });
}

/** Failover. */
export function failoverSection(o: Outcome<FailoverResult>): string {
  const title = "failover";
  return render(title, o, (r) => {
    const s = r.settings;
    return section(title, `${s.repetitions} x ${s.fault} of partition 0's leader, load ${int(s.loadRecordsPerSec)} records/s on ${s.partitions} partitions, RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, client retry: ${s.clientRetry}`, [
      ["produce acked again", `p50 ${ms(r.msP50)}  p99 ${ms(r.msP99)}  max ${ms(r.msMax)}  (kill to the first ack of a record sent after it)`],
      ["new leader elected", `p50 ${ms(r.electionMsP50)}  p99 ${ms(r.electionMsP99)}  (kill to a new leader in cluster status)`],
      ["samples", `${r.samples.map((x) => int(x.ms)).join(", ")} ms`],
      ["records", `${int(r.ackedRecords)} acknowledged, ${int(r.lostRecords)} lost, ${int(r.duplicateRecords)} duplicated, ${int(r.failedRecords)} failed sends`],
    ]);
  });
}

/** The steady run. */
export function steadySection(o: Outcome<SteadyResult>): string {
  const title = "steady run";
  return render(title, o, (r) => {
    const s = r.settings;
    return section(title, `${s.seconds} s at ${int(s.loadRecordsPerSec)} records/s on ${s.partitions} partitions, RF ${s.replicationFactor}, nothing else happening${s.startedOnPreferred ? "" : " (the preferred leaders were not all back when it started)"}`, [
      ["elections", `${r.partitionTermChanges} on the topic's partitions, ${r.controllerTermChanges} of the controller; ${r.leaderChanges} leader changes seen (status every ${s.sampleMs} ms)`],
      ["records", `${int(r.ackedRecords)} acknowledged, ${int(r.failedRecords)} failed`],
    ]);
  });
}

/** Many producers: one row per client count. */
export function manyProducersSection(o: Outcome<ManyProducersResult>): string {
  const title = "many producers";
  return render(title, o, (r) => {
    const s = r.settings;
    return section(
      title,
      `${s.clientCounts.join(", ")} client(s), ${s.clientProcesses}, each writing for ${s.seconds} s like produce: ${kib(s.recordBytes)}, ${s.partitions} partitions (a fresh topic per count), RF ${s.replicationFactor}, acks ${s.acks}, linger ${s.lingerMs} ms, batch ${kib(s.batchBytesMax)}, ${s.sendRecords} records per send(), ${valuesText(s.values, s.compression)}`,
      r.runs.map((x) => [
        `${x.clients} client(s)`,
        x.recordsPerSec === null
          ? `FAILED: ${x.error ?? "?"}`
          : `${int(x.recordsPerSec)} records/s  (${dec(x.mbPerSec)} MB/s; per client ${int(x.clientRecordsPerSecMin)} to ${int(x.clientRecordsPerSecMax)}; ${int(x.records)} in ${dec(x.seconds, 2)} s, ${int(x.failedRecords)} failed)${x.error === undefined ? "" : `; ${x.error}`}`,
      ]),
    );
  });
}

/** Partition scale: one row per scale, then the per-broker split. */
export function partitionScaleSection(o: Outcome<PartitionScaleResult>): string {
  const title = "partition scale";
  return render(title, o, (r) => {
    const s = r.settings;
    const ticks = s.clockTicksAssumed ? `${s.clockTicksPerSec} ticks/s ASSUMED (getconf CLK_TCK failed)` : `${s.clockTicksPerSec} ticks/s`;
    const rows: [string, string][] = [];
    for (const x of r.steps) {
      const name = `${int(x.partitions)} partitions`;
      if (x.skipped !== undefined) rows.push([name, `skipped: ${x.skipped}`]);
      else if (x.error !== undefined) {
        rows.push([name, `FAILED: ${x.error} (stopped ${dec(x.readySeconds)} s after the cluster's start; the brokers used ${dec(x.setupCpuPercentOfCore)}% of one core meanwhile)`]);
      } else {
        const byBroker = (x.idleCpuPercentOfCoreByBroker ?? []).map((c) => dec(c)).join(" + ");
        const produce = x.produce;
        const saturated = (x.idleCpuPercentOfCore ?? 0) >= s.machineCores * 100 * 0.75 ? ` (most of the machine's ${s.machineCores} cores: a lower bound)` : "";
        rows.push([name, `idle ${dec(x.idleCpuPercentOfCore)}% of one core${saturated} (${byBroker}), load average ${dec(x.loadAverageAtIdle, 2)}; ready in ${dec(x.readySeconds)} s over ${x.topics} topic(s)`]);
        rows.push(["", `produce ${int(x.recordsPerSec)} records/s (${dec(x.mbPerSec)} MB/s${produce?.timedOut === false ? "" : ` for ${dec(produce?.seconds, 1)} s`}, ${int(produce?.failedRecords)} failed); brokers ${dec(x.produceCpuPercentOfCore)}% of a core, ${dec(x.produceCpuMicrosPerRecord)} µs CPU per record`]);
      }
    }
    const ratio = r.produceRatio3000To3 === null ? "" : `; produce at 3,000 / at 3: ${dec(r.produceRatio3000To3 * 100)}%`;
    rows.push(["targets", `idle at 10,000: ${r.idleCpuPercentOfCoreAt10000 === null ? "not measured" : `${dec(r.idleCpuPercentOfCoreAt10000)}% of one core`}${ratio}`]);
    const values = r.steps.find((x) => x.produce !== null)?.produce?.settings;
    return section(
      title,
      `${s.brokers} brokers (${s.clusterPerScale}), RF ${s.replicationFactor}, fsync ${s.fsync ? "on" : "OFF"}; the produce topic has ${s.producePartitions} partitions, the rest in idle topics of at most ${int(s.partitionsPerTopicMax)}; ` +
        `each scale: ready within ${s.readySecondsMax} s, settle ${s.settleSeconds} s, idle CPU over ${s.idleSeconds} s (utime+stime from /proc/<pid>/stat, ${ticks}), produce for ${s.produceSeconds} s` +
        (values === undefined ? "" : ` (${kib(values.recordBytes)}, acks ${values.acks}, linger ${values.lingerMs} ms, batch ${kib(values.batchBytesMax)}, ${valuesText(values.values, values.compression)})`),
      rows,
    );
  });
}
