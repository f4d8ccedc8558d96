/**
 * Restart time of a whole broker process whose group coordinator has seen N
 * offset commits, with and without snapshots of the group table (issue 14):
 *
 *   npx tsc -p tsconfig.json && node dist/bench/offsets-restart-broker.js [--commits N] [--snapshot-entries M] [--groups G] [--partitions P]
 *
 * For M = 0 (never: the whole offsets log is replayed at start-up, as before
 * snapshots) and then M: a one-broker cluster (fsync off, one offsets
 * partition) takes N commitOffsets requests of one offset each over the
 * wire, spread over G groups x P partitions; the broker is SIGKILLed and
 * started again, and the time is taken from the spawn until the broker
 * answers metadata with a known controller ("ready"), and until the
 * coordinator answers fetchOffsets for every group with every committed
 * offset ("serving"). Prints one JSON line per run.
 */
import { performance } from "node:perf_hooks";
import { BenchCluster } from "./cluster.js";
import { cleanupNow, installCleanupHandlers } from "./cleanup.js";
import { sleep } from "./time.js";
import { WireProbe } from "./wire-probe.js";
import { parseOffsetsRestartArgs, type OffsetsRestartArgs as Args } from "./offsets-restart-args.js";

const USAGE = "usage: offsets-restart-broker.js [--commits N] [--snapshot-entries M] [--groups G] [--partitions P]";
/** Connections the commits are spread over, and requests in flight on each (the probe allows 64). */
const CONNECTIONS = 8;
const INFLIGHT_PER_CONNECTION = 48;
/** How long the restarted coordinator may take to serve every group. */
const SERVING_MS_MAX = 300_000;

/** Retry `fn` until it succeeds or `deadlineMs` (performance.now) passes. */
async function until<T>(fn: () => Promise<T>, deadlineMs: number, what: string): Promise<T> {
  let last: unknown;
  while (performance.now() < deadlineMs) {
    try {
      return await fn();
    } catch (err) {
      last = err;
      await sleep(10);
    }
  }
  throw new Error(`${what}: ${last instanceof Error ? last.message : String(last)}`);
}

async function run(args: Args, snapshotEntries: number): Promise<Record<string, number>> {
  const cluster = await BenchCluster.start({
    size: 1,
    fsync: false,
    logLevel: "warn",
    nodeArgs: [],
    cwd: process.cwd(),
    env: { RLOG_GROUPS_SNAPSHOT_ENTRIES: String(snapshotEntries), RLOG_GROUPS_TOPIC_PARTITIONS: "1" },
  });
  try {
    const url = cluster.urlOf(1);
    const probes = await Promise.all(Array.from({ length: CONNECTIONS }, () => WireProbe.connect(url)));
    const startedMs = performance.now();
    let next = 0;
    const worker = async (probe: WireProbe): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= args.commits) return;
        const group = `group-${i % args.groups}`;
        const partition = Math.floor(i / args.groups) % args.partitions;
        // The offsets topic is created by the controller at start: the first commits may find it still opening.
        await until(() => probe.request("commitOffsets", { op: "commitOffsets", group, offsets: [{ topic: "events", partition, offset: i }] }, 30_000), performance.now() + 60_000, `commit ${i}`);
      }
    };
    await Promise.all(probes.flatMap((p) => Array.from({ length: INFLIGHT_PER_CONNECTION }, () => worker(p))));
    const commitMs = performance.now() - startedMs;
    for (const p of probes) p.close();

    await cluster.kill(1);
    const restartedMs = performance.now();
    await cluster.restart(1); // resolves once the broker answers metadata with a known controller
    const readyMs = performance.now() - restartedMs;
    const probe = await WireProbe.connect(url);
    const deadline = performance.now() + SERVING_MS_MAX;
    for (let g = 0; g < Math.min(args.groups, args.commits); g++) {
      // Group g took commits g, g + G, ...: one per partition until all P have one.
      const expected = Math.min(args.partitions, Math.ceil((args.commits - g) / args.groups));
      await until(
        async () => {
          const r = await probe.request("fetchOffsets", { op: "fetchOffsets", group: `group-${g}` }, 30_000);
          if (r.offsets.length !== expected) throw new Error(`group-${g} has ${r.offsets.length} offsets, not ${expected}`);
          return r;
        },
        deadline,
        `fetchOffsets group-${g} after the restart`,
      );
    }
    const servingMs = performance.now() - restartedMs;
    probe.close();
    return {
      commits: args.commits,
      snapshotEntries,
      groups: args.groups,
      offsets: Math.min(args.commits, args.groups * args.partitions),
      commitsPerSec: Math.round(args.commits / (commitMs / 1000)),
      restartReadyMs: Math.round(readyMs),
      restartServingMs: Math.round(servingMs),
    };
  } finally {
    await cluster.stop();
  }
}

installCleanupHandlers();
try {
  const args = parseOffsetsRestartArgs(process.argv.slice(2), USAGE);
  for (const m of [0, args.snapshotEntries]) console.log(JSON.stringify(await run(args, m)));
} finally {
  cleanupNow();
}
