/**
 * An offsets-topic replica with snapshots, in process (one voter over
 * MemoryStorage, the group coordinator's real applier): it snapshots its
 * group table every snapshotEntries applied entries and compacts its log;
 * retention never cuts that log; a replica restarted on the compacted log
 * restores the snapshot and replays the tail to the same table; a table the
 * applier declines to snapshot (too large) leaves the log whole until the
 * next try, snapshotEntries entries later.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupCoordinator, type CoordinatorHost } from "../../broker/consumer-groups/coordinator.js";
import { offsetCommitRecord } from "../../broker/consumer-groups/group-records.js";
import { decodeGroupSnapshot } from "../../broker/consumer-groups/group-snapshot.js";
import { offsetKey } from "../../broker/consumer-groups/group-table.js";
import { PartitionReplica, type ReplicaApplier } from "../../broker/partition/partition-replica.js";
import { buildUncompressedBatch } from "../../broker/protocol/batch-codec.js";
import { OFFSETS_TOPIC } from "../../broker/protocol/group-routing.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { nodeId } from "../../broker/raft/types.js";
import { failOnFatal, raftConfig, silentLogger, Ticker } from "../group/in-process.js";

const SNAPSHOT_ENTRIES = 10;
const ID = nodeId(1);

function coordinator(): GroupCoordinator {
  const unused = (): never => assert.fail("not used by these tests");
  const host: CoordinatorHost = {
    brokerId: ID,
    brokers: [ID],
    topicPartitions: 1,
    controller: unused,
    topicDefaults: unused,
    hostedReplica: unused,
    leaderHint: (id) => ({ brokerId: id, url: "ws://b1:9092" }),
    wallMs: () => 1_764_000_000_000,
    monotonicMs: () => 0,
    logger: silentLogger,
  };
  return new GroupCoordinator(host);
}

function replicaOn(log: MemoryStorage, applier: ReplicaApplier): PartitionReplica {
  return new PartitionReplica({
    topic: OFFSETS_TOPIC,
    partition: 0,
    topicId: 1,
    raft: raftConfig(1, [1]),
    log,
    random: new SeededRandom(1),
    send: () => undefined,
    logger: silentLogger,
    leaderHint: (id) => ({ brokerId: id, url: "ws://b1:9092" }),
    clock: () => 1_764_000_000_000,
    applier,
    onFatal: failOnFatal,
    compression: "none",
    snapshotEntries: SNAPSHOT_ENTRIES,
  });
}

/** Commit `count` offsets, one entry each: group g<i mod 3>, partition i mod 4, offset 100 + i. Returns the latest per group and key. */
async function commit(replica: PartitionReplica, ticker: Ticker, from: number, count: number, expected: Map<string, Map<string, number>>): Promise<void> {
  for (let i = from; i < from + count; i++) {
    const group = `g${i % 3}`;
    const batch = buildUncompressedBatch([offsetCommitRecord(group, "t", i % 4, { offset: 100 + i, metadata: "", commitMs: 1_764_000_000_000 })], { timestampMs: 0 });
    await ticker.settle(replica.produce({ op: "produce", topic: OFFSETS_TOPIC, partition: 0, batch, acks: "all" }));
    let m = expected.get(group);
    if (m === undefined) expected.set(group, (m = new Map()));
    m.set(offsetKey("t", i % 4), 100 + i);
  }
}

async function leading(replica: PartitionReplica): Promise<Ticker> {
  const ticker = new Ticker(() => replica.tick());
  await ticker.until(() => replica.isLeader(), "the replica leads");
  return ticker;
}

test("an offsets replica snapshots its table and compacts; retention never cuts it; a restart restores snapshot + tail", async () => {
  const log = new MemoryStorage();
  const groups = coordinator();
  const replica = replicaOn(log, groups.applierFor(1, 0));
  groups.attach(0, replica);
  const ticker = await leading(replica);
  const expected = new Map<string, Map<string, number>>();
  await commit(replica, ticker, 0, 3 * SNAPSHOT_ENTRIES + 5, expected);

  const snap = log.snapshot();
  assert.ok(snap.index >= 3 * SNAPSHOT_ENTRIES, `compacted to ${snap.index}`);
  assert.ok(log.firstIndex() > 1, "the entries the snapshot covers are gone");
  const inSnapshot = decodeGroupSnapshot(snap.data);
  assert.deepEqual([...inSnapshot.keys()].sort(), ["g0", "g1", "g2"]);

  // Retention as tight as it gets: a log compacted to snapshots of its state is left alone.
  const kept = await replica.applyRetention({ retentionBytes: 1, retentionMs: 1 });
  assert.deepEqual(kept, { segmentsDropped: 0, bytesDropped: 0 });
  assert.equal(log.snapshot().index, snap.index);

  // Two more commits after the snapshot: the tail a restart replays.
  await commit(replica, ticker, 3 * SNAPSHOT_ENTRIES + 5, 2, expected);
  await ticker.settle(replica.readBarrier(1_000)); // the commit index of the last entries is written with this one
  const before = groups.tableSize(0);
  assert.deepEqual(before, { groups: 3, offsets: 12 });
  await replica.close();

  const again = coordinator();
  const restarted = replicaOn(log, again.applierFor(1, 0));
  again.attach(0, restarted);
  assert.deepEqual(again.tableSize(0), before);
  assert.ok(log.hardState().commit > log.snapshot().index, "there was a tail to replay");
  // The table equals the expected one: the stored snapshot plus the replayed tail, read back through a new snapshot.
  const t2 = await leading(restarted);
  await commit(restarted, t2, 1_000, SNAPSHOT_ENTRIES, expected);
  const latest = decodeGroupSnapshot(log.snapshot().data);
  for (const [g, offsets] of expected) {
    const got = new Map([...(latest.get(g)?.offsets ?? new Map())].map(([k, v]) => [k, v.offset]));
    assert.deepEqual(got, offsets, `group ${g}`);
  }
  await restarted.close();
});

test("a table the applier declines to snapshot (too large) leaves the log whole until the next try", async () => {
  const log = new MemoryStorage();
  const groups = coordinator();
  const real = groups.applierFor(1, 0);
  let declines = 1;
  const applier: ReplicaApplier = {
    apply: (e) => real.apply(e),
    reset: (i, t) => real.reset(i, t),
    restore: (s) => real.restore!(s),
    checkSnapshot: (s) => real.checkSnapshot!(s),
    snapshot: () => (declines-- > 0 ? undefined : real.snapshot!()),
  };
  const replica = replicaOn(log, applier);
  groups.attach(0, replica);
  const ticker = await leading(replica);
  const expected = new Map<string, Map<string, number>>();
  await commit(replica, ticker, 0, SNAPSHOT_ENTRIES + 2, expected);
  assert.equal(log.snapshot().index, 0, "declined: no snapshot, nothing compacted");
  await commit(replica, ticker, 100, SNAPSHOT_ENTRIES + 2, expected);
  assert.ok(log.snapshot().index > SNAPSHOT_ENTRIES, `tried again ${SNAPSHOT_ENTRIES} entries later: ${log.snapshot().index}`);
  await replica.close();
});
