/**
 * Idle CPU of a 3-broker cluster (RF 3) holding many idle partitions
 * (issue 16, "10,000 idle partitions use under 5% of one core"). Not a test:
 * a script that prints one JSON line, run by hand (the bench's partition-scale
 * workload lives in bench/).
 *
 *     node dist/test/scale/idle-cpu.js --partitions 10000 [--per-topic 1000] [--measure-ms 20000]
 *          [--settle-ms 10000] [--produce-ms 0] [--extra '{"raft":{"quiesce":false}}'] [--cpu-prof-dir DIR]
 *          [--restart-broker ID]
 *
 * Starts real brokers (test/broker/cluster-harness.ts, log level warn),
 * creates ceil(partitions / per-topic) topics, waits until every partition
 * has a leader, lets the cluster settle, then reads each broker's utime +
 * stime from /proc/<pid>/stat over the measuring window. CPU figures are
 * percent of one core. Then it sizes the whole-cluster metadata and
 * clusterStatus answers (they must fit a frame), and with --produce-ms,
 * produces 1 KiB records (acks all, 8 sends of 100 in flight) to a separate
 * 3-partition topic for that long: the records/s an active partition gets
 * next to the idle ones. With --restart-broker, broker ID is SIGKILLed and
 * restarted: the time until its client port answers and until every
 * partition has a leader again, then idle CPU once more after the settle
 * time (the groups must go quiet again). With --cpu-prof-dir the brokers run under
 * node --cpu-prof and are stopped with SIGTERM so that they write their
 * profiles. Every broker process is ended at the end.
 */
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { RlogClient } from "../../client/index.js";
import { clientPackr } from "../../broker/protocol/msgpack.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";
import { WireClient } from "../broker/wire-client.js";

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ; 100 on Linux). */
const USER_HZ = 100;
/** How long every partition may take to get a leader. */
const LEADERS_WAIT_MS_MAX = 15 * 60_000;

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may hold spaces) start after the last ')'.
  const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Math.round(Number(m[1]) / 1024) : -1;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      partitions: { type: "string" },
      "per-topic": { type: "string" },
      "measure-ms": { type: "string" },
      "settle-ms": { type: "string" },
      "produce-ms": { type: "string" },
      "cpu-prof-dir": { type: "string" },
      "restart-broker": { type: "string" },
      extra: { type: "string" },
    },
  });
  const partitions = Number(values.partitions ?? 300);
  const perTopic = Number(values["per-topic"] ?? 1000);
  const measureMs = Number(values["measure-ms"] ?? 20_000);
  const settleMs = Number(values["settle-ms"] ?? 10_000);
  const produceMs = Number(values["produce-ms"] ?? 0);
  const extra = JSON.parse(values.extra ?? "{}") as Record<string, unknown>;
  const profDir = values["cpu-prof-dir"];
  const restartId = values["restart-broker"] === undefined ? undefined : Number(values["restart-broker"]);
  const t0 = performance.now();
  const cluster = await TestCluster.start({
    size: 3,
    extra: { logLevel: "warn", limits: { partitionsMax: Math.max(1024, perTopic) }, ...extra },
    ...(profDir !== undefined ? { nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profDir}`] } : {}),
  });
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "idle-cpu" });
  try {
    const topics: string[] = [];
    for (let made = 0, k = 0; made < partitions; k++) {
      const n = Math.min(perTopic, partitions - made);
      const name = `idle-${k}`;
      await client.admin().createTopic({ name, partitions: n, replicationFactor: 3 });
      topics.push(name);
      made += n;
    }
    const createdMs = performance.now() - t0;
    /** Wait until every partition has a leader (as the brokers describe them). */
    const allLed = async (): Promise<void> => {
      let leaderless = partitions;
      const deadline = performance.now() + LEADERS_WAIT_MS_MAX;
      while (leaderless > 0) {
        if (performance.now() > deadline) throw new Error(`${leaderless} partitions still without a leader`);
        await sleep(1000);
        leaderless = 0;
        for (const t of topics) leaderless += (await client.admin().describeTopic(t)).partitions.filter((p) => !p.leader).length;
      }
    };
    /** Idle CPU of every broker over measureMs after settleMs: percent of one core. */
    const idleCpu = async (): Promise<{ total: number; perBroker: number[] }> => {
      await sleep(settleMs);
      const pids = cluster.members.map((m) => m.child!.pid!);
      const before = pids.map(cpuTicks);
      const started = performance.now();
      await sleep(measureMs);
      const seconds = (performance.now() - started) / 1000;
      const after = pids.map(cpuTicks);
      const perBroker = pids.map((_, i) => Math.round(((after[i]! - before[i]!) / USER_HZ / seconds) * 1000) / 10);
      return { total: Math.round(perBroker.reduce((a, b) => a + b, 0) * 10) / 10, perBroker };
    };
    await allLed();
    const leadersMs = performance.now() - t0;
    const { total, perBroker } = await idleCpu();
    const seconds = measureMs / 1000;
    const wire = await WireClient.connect(cluster.url(1));
    let t = performance.now();
    const metadata = await wire.request("metadata", { op: "metadata" });
    const metadataMs = Math.round(performance.now() - t);
    t = performance.now();
    const status = await wire.request("clusterStatus", { op: "clusterStatus" });
    const statusMs = Math.round(performance.now() - t);
    wire.close();
    const answers = {
      metadataBytes: clientPackr.pack(metadata).byteLength,
      metadataMs,
      clusterStatusBytes: clientPackr.pack(status).byteLength,
      clusterStatusMs: statusMs,
    };
    let restart = {};
    if (restartId !== undefined) {
      await cluster.kill(restartId);
      const r0 = performance.now();
      await cluster.restart(restartId);
      const readyMs = performance.now() - r0;
      await allLed();
      const ledMs = performance.now() - r0;
      restart = { restartedBroker: restartId, restartReadySeconds: Math.round(readyMs / 100) / 10, restartAllLedSeconds: Math.round(ledMs / 100) / 10, cpuAfterRestart: await idleCpu() };
    }
    let produce = {};
    if (produceMs > 0) {
      await client.admin().createTopic({ name: "hot", partitions: 3, replicationFactor: 3 });
      const producer = client.producer();
      const value = new Uint8Array(1024).fill(120);
      const messages = Array.from({ length: 100 }, () => ({ value }));
      await producer.send({ topic: "hot", messages }); // leaders elected, metadata known
      let records = 0;
      const end = performance.now() + produceMs;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          while (performance.now() < end) {
            await producer.send({ topic: "hot", messages });
            records += messages.length;
          }
        }),
      );
      const s = (performance.now() - started) / 1000;
      await producer.close();
      produce = { produceRecordsPerSecond: Math.round(records / s), produceSeconds: Math.round(s * 10) / 10 };
    }
    console.log(
      JSON.stringify({
        partitions,
        topics: topics.length,
        extra,
        createdSeconds: Math.round(createdMs / 100) / 10,
        allLedSeconds: Math.round(leadersMs / 100) / 10,
        measureSeconds: Math.round(seconds * 10) / 10,
        cpuPercentOfOneCore: { total, perBroker },
        rssMiB: cluster.members.map((m) => rssMiB(m.child!.pid!)),
        ...answers,
        ...restart,
        ...produce,
      }),
    );
  } finally {
    await client.close();
    if (profDir !== undefined) for (const m of cluster.members) await cluster.terminate(m.id);
    await cluster.stopAll();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
