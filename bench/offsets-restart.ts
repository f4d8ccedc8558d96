/**
 * Restart time of a consumer-offsets partition with and without snapshots
 * of its group table (issue 14):
 *
 *   npx tsc -p tsconfig.json && node dist/bench/offsets-restart.js [--commits N] [--snapshot-entries M] [--groups G] [--partitions P]
 *
 * One replica of `__consumer_offsets` partition 0 (a single voter, as the
 * broker runs it: PartitionReplica with the group coordinator's applier)
 * over a real LMDB log (fsync off: what is measured is the replay, not the
 * disk) takes N offset commits, each one commitOffsets request of one offset
 * (one Raft entry), spread over G groups x P partitions (so the table holds
 * G x P offsets whatever N is). Once with snapshots every M applied entries,
 * once without (M = 0, the code before snapshots: the whole log is kept and
 * replayed). For each it prints the entries the log still holds, their
 * bytes, the stored snapshot's size, data.mdb's size, and the restart time:
 * opening the store and the log and building the replica, which restores the
 * snapshot (if any) and replays the committed log after it into the group
 * table, as a broker does at start-up for each offsets partition it hosts.
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import pino from "pino";
import { GroupCoordinator, type CoordinatorHost } from "../broker/consumer-groups/coordinator.js";
import { offsetCommitRecord } from "../broker/consumer-groups/group-records.js";
import { PartitionReplica } from "../broker/partition/partition-replica.js";
import { buildUncompressedBatch } from "../broker/protocol/batch-codec.js";
import { STORAGE_DEFAULTS } from "../broker/protocol/defaults.js";
import { OFFSETS_TOPIC } from "../broker/protocol/group-routing.js";
import { DEFAULT_RAFT_TIMING } from "../broker/raft/config.js";
import { SeededRandom } from "../broker/raft/random.js";
import { nodeId } from "../broker/raft/types.js";
import { LogStore } from "../broker/storage/log-store.js";
import { logFootprint } from "./log-footprint.js";
import { parseOffsetsRestartArgs, type OffsetsRestartArgs as Args } from "./offsets-restart-args.js";

const USAGE = "usage: offsets-restart.js [--commits N] [--snapshot-entries M] [--groups G] [--partitions P]";

const logger = pino({ level: "silent" });
const ID = nodeId(1);
const TOPIC_ID = 1;
/** Produce requests in flight at once: enough to keep the single voter's pipeline full. */
const INFLIGHT_COMMITS_MAX = 512;
const SETTINGS = { segmentBytes: STORAGE_DEFAULTS.segmentBytes, segmentMs: STORAGE_DEFAULTS.segmentMs };

/** A coordinator that only hosts (applierFor): the rest of the host is not used by the replay. */
function coordinator(): GroupCoordinator {
  const unused = (): never => {
    throw new Error("not used by the bench");
  };
  const host: CoordinatorHost = {
    brokerId: ID,
    brokers: [ID],
    topicPartitions: 1,
    controller: unused,
    topicDefaults: unused,
    hostedReplica: unused,
    leaderHint: (id) => ({ brokerId: id, url: "ws://127.0.0.1:9092" }),
    wallMs: () => Date.now(),
    monotonicMs: () => performance.now(),
    logger,
  };
  return new GroupCoordinator(host);
}

function replicaOn(log: Awaited<ReturnType<LogStore["openLog"]>>, snapshotEntries: number): { replica: PartitionReplica; groups: GroupCoordinator } {
  const groups = coordinator();
  const replica = new PartitionReplica({
    topic: OFFSETS_TOPIC,
    partition: 0,
    topicId: TOPIC_ID,
    raft: { id: ID, membership: { voters: [ID] }, priority: [ID], ...DEFAULT_RAFT_TIMING },
    log,
    random: new SeededRandom(1),
    send: () => undefined,
    logger,
    leaderHint: (id) => ({ brokerId: id, url: "ws://127.0.0.1:9092" }),
    clock: () => Date.now(),
    applier: groups.applierFor(TOPIC_ID, 0),
    onFatal: (err, message) => {
      throw new Error(`${message}: ${String(err)}`);
    },
    compression: "none",
    ...(snapshotEntries > 0 ? { snapshotEntries } : {}),
  });
  groups.attach(0, replica);
  return { replica, groups };
}

async function run(args: Args, snapshotEntries: number): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), "rlog-offsets-restart-"));
  try {
    let store = await LogStore.open({ path: dir, fsync: false });
    let log = await store.openLog("offsets-0", SETTINGS);
    const { replica } = replicaOn(log, snapshotEntries);
    while (!replica.isLeader()) {
      replica.tick();
      await new Promise((r) => setImmediate(r));
    }
    const startedMs = performance.now();
    let next = 0;
    const worker = async (): Promise<void> => {
      for (;;) {
        const i = next++;
        if (i >= args.commits) return;
        const group = `group-${i % args.groups}`;
        const partition = Math.floor(i / args.groups) % args.partitions;
        const record = offsetCommitRecord(group, "events", partition, { offset: i, metadata: "", commitMs: Date.now() });
        const batch = buildUncompressedBatch([record], { timestampMs: Date.now() });
        await replica.produce({ op: "produce", topic: OFFSETS_TOPIC, partition: 0, batch, acks: "all", timeoutMs: 60_000 });
      }
    };
    await Promise.all(Array.from({ length: INFLIGHT_COMMITS_MAX }, worker));
    const commitMs = performance.now() - startedMs;
    await replica.close();
    const footprint = logFootprint(log);
    await store.close();
    const mdbBytes = (await stat(join(dir, "data.mdb"))).size;
    // Restart: open the store and the log, build the replica (restore the snapshot, replay the committed rest).
    const reopenedMs = performance.now();
    store = await LogStore.open({ path: dir, fsync: false });
    log = await store.openLog("offsets-0", SETTINGS);
    const again = replicaOn(log, snapshotEntries);
    const restartMs = performance.now() - reopenedMs;
    // The restarted table must hold every offset committed (a check that the restart rebuilt it).
    const size = again.groups.tableSize(0);
    const expected = Math.min(args.commits, args.groups * args.partitions);
    if (size?.offsets !== expected) throw new Error(`restarted table holds ${String(size?.offsets)} offsets, not ${expected}`);
    await again.replica.close();
    await store.close();
    return {
      commits: args.commits,
      snapshotEntries,
      ...footprint,
      dataMdbBytes: mdbBytes,
      restartMs: Math.round(restartMs),
      groupsAfterRestart: size.groups,
      offsetsAfterRestart: size.offsets,
      commitsPerSec: Math.round(args.commits / (commitMs / 1000)),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const args = parseOffsetsRestartArgs(process.argv.slice(2), USAGE);
for (const m of [0, args.snapshotEntries]) console.log(JSON.stringify(await run(args, m)));
