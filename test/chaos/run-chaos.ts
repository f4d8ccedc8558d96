/**
 * One chaos run: start brokers behind link proxies, create the topic, run
 * the workload while the nemesis injects faults, then heal everything, let
 * the cluster converge, read the final logs and every replica's log files,
 * and judge the history with the checker (safety) and availability.ts
 * (throughput in the quiet windows, transfers to healthy replicas).
 */
import { rmSync } from "node:fs";
import { RlogClient, RlogError } from "../../client/index.js";
import { sleep } from "../broker/cluster-harness.js";
import { Router, readAll } from "../broker/test-producer.js";
import { readReplicaLogs } from "../broker/replica-logs.js";
import { ChaosCluster } from "./chaos-cluster.js";
import { checkAvailability, type AvailabilityOptions, type AvailabilityReport } from "./availability.js";
import { checkHistory, type CheckReport } from "./checker.js";
import type { FinalRecord } from "./history.js";
import { DEFAULT_NEMESIS_TIMING, DISK_FAULT_KINDS, Nemesis, type FaultEvent, type FaultKind, type TransferResult } from "./nemesis.js";
import { DEFAULT_WORKLOAD, Workload, parseValue } from "./workload.js";

export interface ChaosOptions {
  readonly durationMs: number;
  readonly seed: number;
  readonly kinds: readonly FaultKind[];
  /** 3 or 5 broker processes. */
  readonly brokers: number;
  readonly partitions: number;
  /** Of the workload topic; at most `brokers`. */
  readonly replicationFactor: number;
  /** The first part of the duration, with no fault: the baseline rate is measured there. */
  readonly warmupMs: number;
  /** Thresholds of the availability verdict (DEFAULT_AVAILABILITY). */
  readonly availability: AvailabilityOptions;
  /** Keep the data directories and broker logs (printed at the end). */
  readonly keepDir: boolean;
  readonly log: (line: string) => void;
}

export interface ChaosResult {
  readonly report: CheckReport;
  readonly availability: AvailabilityReport;
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
/**
 * A replica at most this many entries behind the leader counts as caught up
 * for a transfer that must succeed: the transfer itself brings the target to
 * the leader's last index first, and a reachable follower closes a gap of a
 * hundred entries (batches) in milliseconds.
 */
const CAUGHT_UP_LAG_ENTRIES_MAX = 100;

export async function runChaos(o: ChaosOptions): Promise<ChaosResult> {
  // The disk-full fault fills a broker's data directory: each broker gets a tmpfs of its own.
  const cluster = await ChaosCluster.start(o.brokers, {}, { disks: o.kinds.some((k) => DISK_FAULT_KINDS.includes(k)) });
  const router = new Router(cluster.urls());
  const admin = new RlogClient({ brokers: cluster.urls(), clientId: "chaos-admin" });
  let keep = o.keepDir;
  try {
    await admin.admin().createTopic({ name: CHAOS_TOPIC, partitions: o.partitions, replicationFactor: o.replicationFactor });
    await waitConverged(cluster, router, 30_000);
    const clockStartMs = Date.now();
    const workload = new Workload({ brokers: cluster.urls(), topic: CHAOS_TOPIC, partitions: o.partitions, groupId: GROUP, clockStartMs, log: o.log, ...DEFAULT_WORKLOAD });
    const nemesis = new Nemesis(
      cluster,
      {
        leaderOf: (partition) => leaderOf(cluster, router, partition),
        transfer: (partition, to) => transfer(cluster, router, admin, partition, to),
        log: o.log,
      },
      { seed: o.seed, kinds: o.kinds, partitions: o.partitions, ...DEFAULT_NEMESIS_TIMING, warmupMs: o.warmupMs, clockStartMs },
    );
    workload.start();
    const progress = setInterval(() => o.log(`progress: ${workload.acknowledged()} acknowledged, ${workload.reads.length} read, ${nemesis.events.length} faults, cut ${cluster.cutLinks().join(" ") || "none"}`), 10_000);
    const faults = nemesis.run();
    await sleep(o.durationMs - (Date.now() - clockStartMs));
    const faultPhaseEndMs = Date.now() - clockStartMs;
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
    const availability = checkAvailability(
      { produced: workload.produced, faults: nemesis.windows, transfers: nemesis.transfers, warmupEndMs: o.warmupMs, faultPhaseEndMs, offeredPerS: workload.offeredPerS() },
      o.availability,
    );
    if (!report.ok || !availability.ok || !converged) keep = true;
    return {
      report,
      availability,
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
    cluster.unmountDisks(keep);
    if (!keep) rmSync(cluster.brokers.dir, { recursive: true, force: true });
    else o.log(`broker logs and data kept in ${cluster.brokers.dir}`);
  }
}

/** Whether the run passed: no safety or availability violation, converged, nothing foreign read. */
export function chaosOk(r: ChaosResult): boolean {
  return r.report.ok && r.availability.ok && r.converged && r.foreignReads === 0;
}

/** The run's report, as printed by `npm run chaos` (docs/CHAOS.md). */
export function reportLines(r: ChaosResult): string[] {
  const c = r.report.counts;
  const a = r.availability;
  const rate = (x: { perS: number; acknowledged: number; ms: number }): string => `${x.perS.toFixed(1)}/s (${x.acknowledged} in ${(x.ms / 1000).toFixed(1)} s)`;
  const t = a.transfers;
  return [
    `faults        ${Object.entries(r.faults).map(([k, n]) => `${k} ${n}`).join(", ")}`,
    `records       ${c.acknowledged} acknowledged, ${c.unacknowledged} unacknowledged (${c.unacknowledgedPresent} of them written anyway), ${c.reads} reads`,
    `failed sends  ${[...r.failures].map(([k, n]) => `${k} ${n}`).join(", ") || "none"}`,
    `group         ${r.groupCommits} acknowledged commits, ${r.offsetObservations} offset fetches`,
    `producers     ${r.replacedProducers} replaced after a fatal error; foreign reads ${r.foreignReads}`,
    `converged     ${r.converged ? "yes" : "NO"}`,
    `acked/s       baseline ${rate(a.baseline)}; quiet ${rate(a.quiet)} over ${a.quiet.windows} windows, ${a.quiet.judgedWindows} judged, slowest ${a.quiet.slowest === undefined ? "none" : `${a.quiet.slowest.perS.toFixed(1)}/s at ${(a.quiet.slowest.startMs / 1000).toFixed(1)} s`}; with faults ${rate(a.faulted)}`,
    `transfers     ${t.judged} to a healthy caught-up replica (${t.judgedFailed} failed); ${t.excused} during faults or to lagging/other targets (${t.excusedFailed} failed${t.excusedFailed > 0 ? `: ${[...t.excusedFailures].map(([k, n]) => `${k} ${n}`).join(", ")}` : ""})`,
    `violations    lost ${c.lost}, duplicated ${c.duplicated}, misplaced ${c.misplaced}, reordered ${c.reordered}, phantom reads ${c.phantomReads}, divergent replicas ${c.divergentReplicas}, offsets went back ${c.offsetsWentBack}`,
    `availability  low baseline ${a.counts.lowBaseline}, slow quiet windows ${a.counts.slowQuietWindows}, failed transfers ${a.counts.failedTransfers}`,
    ...[...r.report.violations, ...a.violations].map((v) => `  ${v.kind}: ${v.detail}`),
  ];
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

/** Ask for a transfer through the SDK, after finding out whether it may fail (transferExcuse). */
async function transfer(cluster: ChaosCluster, router: Router, admin: RlogClient, partition: number, to: number | undefined): Promise<TransferResult> {
  const excuse = await transferExcuse(cluster, router, partition, to);
  try {
    const r = await withTimeout(admin.admin().transferLeader({ topic: CHAOS_TOPIC, partition, ...(to === undefined ? {} : { toBrokerId: to }), timeoutMs: 3_000 }), 5_000);
    return { ok: to === undefined || r.leader === to, outcome: `leader ${r.leader}`, excuse };
  } catch (err) {
    return { ok: false, outcome: err instanceof RlogError ? err.codeName : err instanceof Error ? err.message : String(err), excuse };
  }
}

/**
 * Why a transfer may fail, or undefined when it must succeed: no fault is
 * in force, and the partition's leader (asked directly, not through the SDK's
 * metadata) sees the target (or, for "any", some other replica) reachable
 * and at most CAUGHT_UP_LAG_ENTRIES_MAX entries behind. A transfer to the
 * current leader must succeed too (there is nothing to do).
 */
async function transferExcuse(cluster: ChaosCluster, router: Router, partition: number, to: number | undefined): Promise<string | undefined> {
  const faults = cluster.activeFaults();
  if (faults.length > 0) return `a fault is active: ${faults.join(", ")}`;
  const statuses = await Promise.all(
    cluster.ids.map((id) => withTimeout(router.to(cluster.brokers.url(id), "clusterStatus", { op: "clusterStatus" }), 1_000).catch(() => undefined)),
  );
  // Only a leader lists its replicas' progress; after a heal a deposed one may still think it leads: take the highest term.
  const leading = statuses
    .flatMap((s) => s?.partitions ?? [])
    .filter((p) => p.topic === CHAOS_TOPIC && p.partition === partition && p.replicas.length > 0)
    .sort((a, b) => b.term - a.term)[0];
  if (leading === undefined) return "no broker answered as the partition's leader";
  if (to === leading.leader) return undefined;
  if (to !== undefined && !leading.replicas.some((r) => r.brokerId === to)) return `broker ${to} is not a replica`;
  const candidates = leading.replicas.filter((r) => r.brokerId !== leading.leader && (to === undefined || r.brokerId === to));
  // A replica recovering after a lost disk (a damaged data file set aside) cannot take leadership until it rejoins.
  if (candidates.some((r) => r.reachable && !r.recovering && r.lagEntries <= CAUGHT_UP_LAG_ENTRIES_MAX)) return undefined;
  return `the leader (broker ${leading.leader}) sees ${candidates.map((r) => `broker ${r.brokerId} ${r.reachable ? "reachable" : "unreachable"}${r.recovering ? ", recovering" : ""}, ${r.lagEntries} entries behind`).join("; ")}`;
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
