/**
 * One chaos run: start brokers behind link proxies, create the topic, run
 * the workload while the nemesis injects faults, then heal everything, let
 * the cluster converge, read the final logs and every replica's log files,
 * and judge the history with the checker.
 */
import { rmSync } from "node:fs";
import { RlogClient, RlogError } from "../../client/index.js";
import { sleep } from "../broker/cluster-harness.js";
import { Router, readAll } from "../broker/test-producer.js";
import { readReplicaLogs } from "../broker/replica-logs.js";
import { ChaosCluster } from "./chaos-cluster.js";
import { checkHistory, type CheckReport } from "./checker.js";
import type { FinalRecord } from "./history.js";
import { DEFAULT_NEMESIS_TIMING, Nemesis, type FaultEvent, type FaultKind } from "./nemesis.js";
import { DEFAULT_WORKLOAD, Workload, parseValue } from "./workload.js";

export interface ChaosOptions {
  readonly durationMs: number;
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  /** 3 or 5 broker processes. */
  readonly brokers: number;
  readonly partitions: number;
  /** Keep the data directories and broker logs (printed at the end). */
  readonly keepDir: boolean;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly report: CheckReport;
  readonly faults: Record<FaultKind, number>;
  readonly events: readonly FaultEvent[];
  /** Whether every partition had a leader and caught-up replicas after healing (within CONVERGE_MS). */
  readonly converged: boolean;
  readonly replacedProducers: number;
  /** Failed sends by error code. */
  readonly failures: ReadonlyMap<string, number>;
  readonly foreignReads: number;
  readonly groupCommits: number;
  readonly offsetObservations: number;
  readonly dir: string;
}

export const CHAOS_TOPIC = "chaos";
const GROUP = "chaos-group";
/** How long the healed cluster gets to elect leaders everywhere and catch replicas up. */
const CONVERGE_MS = 60_000;
/** How long producers get to settle their last sends after healing (the SDK's own total timeout is 30 s). */
const SETTLE_MS = 90_000;

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  const cluster = await ChaosCluster.start(o.brokers);
  const router = new Router(cluster.urls());
  const admin = new RlogClient({ brokers: cluster.urls(), clientId: "chaos-admin" });
  let keep = o.keepDir;
  try {
    await admin.admin().createTopic({ name: CHAOS_TOPIC, partitions: o.partitions, replicationFactor: 3 });
    await waitConverged(cluster, router, 30_000);
    const workload = new Workload({ brokers: cluster.urls(), topic: CHAOS_TOPIC, partitions: o.partitions, groupId: GROUP, log: o.log, ...DEFAULT_WORKLOAD });
    const nemesis = new Nemesis(
      cluster,
      {
        leaderOf: (partition) => leaderOf(cluster, router, partition),
        transfer: (partition, to) => transfer(admin, partition, to),
        log: o.log,
      },
      { seed: o.seed, kinds: o.kinds, partitions: o.partitions, ...DEFAULT_NEMESIS_TIMING },
    );
    workload.start();
    const progress = setInterval(() => o.log(`progress: ${workload.acknowledged()} acknowledged, ${workload.reads.length} read, ${nemesis.events.length} faults, cut ${cluster.cutLinks().join(" ") || "none"}`), 10_000);
    const faults = nemesis.run();
    await sleep(o.durationMs);
    nemesis.stop();
    await faults;
    clearInterval(progress);
    await cluster.healAll();
    o.log(`healed; ${nemesis.events.length} faults applied; waiting for the producers to settle`);

    const settled = await Promise.race([workload.stopProducers().then(() => true), sleep(SETTLE_MS).then(() => false)]);
    if (!settled) o.log(`producers did not settle within ${SETTLE_MS} ms`);
    const converged = settled && (await waitConverged(cluster, router, CONVERGE_MS));
    o.log(converged ? "converged" : "did NOT converge");

    const final = new Map<number, FinalRecord[]>();
    for (let p = 0; p < o.partitions; p++) {
      const records = await readAll(router, CHAOS_TOPIC, p);
      final.set(p, records.map((r) => ({ offset: r.offset, ...(parseValue(r.value) ?? { producer: `foreign(${r.value})`, seq: -1 }) })));
    }
    await sleep(1_000); // let the reader and the group see the end
    await workload.stop();
    await sleep(500); // a heartbeat tells followers the last commit index
    router.close();
    await admin.close();
    await cluster.stop(true);
    const replicas = await readReplicaLogs(cluster.brokers.members);

    const report = checkHistory({ produced: workload.produced, reads: workload.reads, final, replicas, commits: workload.commits, observations: workload.observations });
    if (!report.ok || !converged) keep = true;
    return {
      report,
      faults: nemesis.counts(),
      events: nemesis.events,
      converged,
      replacedProducers: workload.replacedProducers,
      failures: workload.failures,
      foreignReads: workload.foreignReads,
      groupCommits: workload.commits.length,
      offsetObservations: workload.observations.length,
      dir: cluster.brokers.dir,
    };
  } catch (err) {
    keep = true;
    throw err;
  } finally {
    router.close();
    await admin.close().catch(() => undefined);
    await cluster.stop(true);
    if (!keep) rmSync(cluster.brokers.dir, { recursive: true, force: true });
    else o.log(`broker logs and data kept in ${cluster.brokers.dir}`);
  }
}

/** Every partition (the workload's and the internal ones) has a leader whose replicas are all caught up. */
async function waitConverged(cluster: ChaosCluster, router: Router, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const statuses = await Promise.all(cluster.urls().map((u) => withTimeout(router.to(u, "clusterStatus", { op: "clusterStatus" }), 2_000)));
      const all = statuses.flatMap((s) => s.partitions);
      const keys = new Set(all.map((p) => `${p.topic}/${p.partition}`));
      const caughtUp = [...keys].every((k) => all.some((p) => `${p.topic}/${p.partition}` === k && p.leader > 0 && p.replicas.length > 0 && p.replicas.every((r) => r.lagEntries === 0)));
      if (keys.size > 0 && caughtUp && statuses.every((s) => s.controller.leader > 0)) return true;
    } catch {
      // a broker is still starting
    }
    await sleep(200);
  }
  return false;
}

/** The leader of a workload partition per a healthy broker's metadata; 0 when none knows. */
async function leaderOf(cluster: ChaosCluster, router: Router, partition: number): Promise<number> {
  for (const id of cluster.healthy()) {
    try {
      const md = await withTimeout(router.to(cluster.brokers.url(id), "metadata", { op: "metadata", topics: [CHAOS_TOPIC] }), 1_000);
      const leader = md.topics[0]?.partitions[partition]?.leader ?? 0;
      if (leader > 0) return leader;
    } catch {
      // try the next
    }
  }
  return 0;
}

async function transfer(admin: RlogClient, partition: number, to: number | undefined): Promise<string> {
  try {
    const r = await withTimeout(admin.admin().transferLeader({ topic: CHAOS_TOPIC, partition, ...(to === undefined ? {} : { toBrokerId: to }), timeoutMs: 3_000 }), 5_000);
    return `leader ${r.leader}`;
  } catch (err) {
    return err instanceof RlogError ? err.codeName : String(err);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
