/**
 * Controller snapshots in process: three controller voters over MemoryStorage
 * with snapshotEntries 20. Every member snapshots its own applied state on
 * that cadence and compacts its log; each snapshot encodes exactly the index
 * it is taken at, never past the commit index; a voter cut off while the
 * others compacted past its log catches up by an installed snapshot; a
 * controller restarted on a compacted log restores and replays; a snapshot
 * write failing on an I/O error is skipped and tried again later.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Packr } from "msgpackr";
import { Controller } from "../../broker/cluster/controller.js";
import type { MetadataChange } from "../../broker/cluster/metadata.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { StorageError } from "../../broker/raft/log-storage.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { nodeId, type NodeId, type SnapshotMeta } from "../../broker/raft/types.js";
import { failOnFatal, LoopbackNet, raftConfig, silentLogger, Ticker } from "../group/in-process.js";

const SNAPSHOT_ENTRIES = 20;
const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** One compaction a member's storage was asked for: the point, the stored commit then, and the applied index its data encodes. */
interface Compaction {
  readonly index: number;
  readonly commit: number;
  readonly encodedIndex: number;
}

function controller(id: number, log: MemoryStorage, net: LoopbackNet, changes: (MetadataChange["kind"] | "reset")[]): Controller {
  const c = new Controller({
    raft: raftConfig(id, [1, 2, 3]),
    log,
    random: new SeededRandom(id),
    send: net.send,
    logger: silentLogger,
    brokers: [1, 2, 3].map(nodeId),
    liveBrokers: () => [1, 2, 3].map(nodeId),
    leaderHint: (b: NodeId) => ({ brokerId: b, url: `ws://b${b}:9092` }),
    clock: () => 5_000,
    onChange: (ch) => changes.push(ch.kind),
    onFatal: failOnFatal,
    snapshotEntries: SNAPSHOT_ENTRIES,
  });
  net.join(nodeId(id), (m) => c.runner.step(m));
  return c;
}

function cluster() {
  const net = new LoopbackNet();
  const logs = [1, 2, 3].map(() => new MemoryStorage());
  const compactions = logs.map(() => [] as Compaction[]);
  logs.forEach((log, i) => {
    const compact = log.compact.bind(log);
    log.compact = (meta: SnapshotMeta, data?: Uint8Array) => {
      const encoded = packr.unpack(data ?? new Uint8Array(0)) as { appliedIndex: number };
      compactions[i]!.push({ index: meta.index, commit: log.hardState().commit, encodedIndex: encoded.appliedIndex });
      return compact(meta, data);
    };
  });
  const changes = [1, 2, 3].map(() => [] as (MetadataChange["kind"] | "reset")[]);
  const all = [1, 2, 3].map((id) => controller(id, logs[id - 1]!, net, changes[id - 1]!));
  const ticker = new Ticker(() => all.forEach((c) => c.runner.tick()));
  const elected = async (among = all): Promise<Controller> => {
    await ticker.until(() => among.some((c) => c.isLeader()), "a controller leader");
    return among.find((c) => c.isLeader())!;
  };
  return { net, logs, compactions, changes, all, ticker, elected };
}

/** Every committed metadata change, one at a time (each its own controller entry). */
async function rebalances(k: ReturnType<typeof cluster>, leader: Controller, count: number): Promise<void> {
  for (let i = 0; i < count; i++) await k.ticker.settle(leader.requestRebalance(undefined));
}

test("every voter snapshots its own applied state every snapshotEntries entries and compacts its log to it", async () => {
  const k = cluster();
  const leader = await k.elected();
  await k.ticker.settle(leader.createTopic("orders", 2, 3, CONFIG));
  await rebalances(k, leader, 70);
  const last = leader.runner.applied();
  await k.ticker.until(() => k.all.every((c) => c.runner.applied() === last), "every voter applied everything");
  for (const [i, c] of k.all.entries()) {
    const log = k.logs[i]!;
    const done = k.compactions[i]!;
    assert.ok(done.length >= 2, `voter ${i + 1} compacted ${done.length} times`);
    assert.equal(c.runner.snapshotsTakenCount(), done.length);
    let previous = 0;
    for (const d of done) {
      assert.equal(d.encodedIndex, d.index, "the snapshot encodes the state at exactly its index");
      assert.ok(d.index <= d.commit, `compaction point ${d.index} past the stored commit ${d.commit}`);
      assert.ok(d.index - previous >= SNAPSHOT_ENTRIES, `snapshots at ${previous} and ${d.index}: closer than ${SNAPSHOT_ENTRIES}`);
      previous = d.index;
    }
    const snap = log.snapshot();
    assert.equal(snap.index, done[done.length - 1]!.index);
    assert.equal(log.firstIndex(), snap.index + 1, "the entries the snapshot covers are gone");
    assert.ok(last - snap.index < 2 * SNAPSHOT_ENTRIES, `log holds ${last - snap.index} entries past the snapshot`);
    assert.equal(c.metadata.topic("orders")?.replicas.length, 2);
  }
});

test("a voter cut off while the others compacted past its log catches up by an installed snapshot", async () => {
  const k = cluster();
  const leader = await k.elected();
  await k.ticker.settle(leader.createTopic("before", 1, 3, CONFIG));
  const lagging = k.all.find((c) => c !== leader)!;
  const lagId = k.all.indexOf(lagging);
  await k.ticker.until(() => lagging.metadata.topic("before") !== undefined, "the lagging voter has the first topic");
  k.net.isolate(nodeId(lagId + 1));
  const lagLast = k.logs[lagId]!.lastIndex();
  await rebalances(k, leader, 2 * SNAPSHOT_ENTRIES + 5);
  const t = await k.ticker.settle(leader.createTopic("while-away", 1, 2, CONFIG));
  assert.ok(k.logs[k.all.indexOf(leader)]!.firstIndex() > lagLast + 1, "the leader compacted past what the cut-off voter holds");
  k.net.heal(nodeId(lagId + 1));
  await k.ticker.until(() => lagging.metadata.topic("while-away")?.id === t.id, "the cut-off voter learns the topic created while it was away");
  assert.ok(lagging.runner.snapshotsInstalledCount() >= 1, "it got there by a snapshot");
  assert.ok(k.changes[lagId]!.includes("reset"), "its broker was told the state was replaced");
  assert.ok(lagging.metadata.topic("before"));
  assert.deepEqual(lagging.metadata.topics(), leader.metadata.topics());
  assert.equal(lagging.metadata.clusterId, leader.metadata.clusterId);
});

test("a controller restarted on a compacted log restores the snapshot, then replays the entries after it", async () => {
  const k = cluster();
  const leader = await k.elected();
  await k.ticker.settle(leader.createTopic("kept", 3, 3, CONFIG));
  await rebalances(k, leader, SNAPSHOT_ENTRIES + 3);
  const t = await k.ticker.settle(leader.createTopic("after-snapshot", 1, 1, CONFIG));
  // A commit index that only advanced is written with the next write: one more entry makes the topic's commit durable.
  await rebalances(k, leader, 1);
  const i = k.all.indexOf(leader);
  const log = k.logs[i]!;
  assert.ok(log.snapshot().index > 0 && log.snapshot().index < t.id && log.hardState().commit >= t.id, "a snapshot, and the topic committed after it");
  await leader.runner.close();
  const changes: (MetadataChange["kind"] | "reset")[] = [];
  const restarted = controller(i + 1, log, new LoopbackNet(), changes);
  assert.deepEqual(restarted.metadata.topics(), leader.metadata.topics());
  assert.equal(restarted.metadata.clusterId, leader.metadata.clusterId);
  assert.equal(restarted.metadata.appliedIndex, log.hardState().commit, "the committed entries after the snapshot were replayed");
  assert.ok(changes[0] === "reset" && changes.includes("topicCreated"), `changes ${changes.join(",")}`);
  await restarted.runner.close();
});

test("a snapshot write that fails on an I/O error is skipped, the log kept, and tried again snapshotEntries entries later", async () => {
  const k = cluster();
  const leader = await k.elected();
  const i = k.all.indexOf(leader);
  const log = k.logs[i]!;
  const compact = log.compact.bind(log);
  let failures = 1;
  log.compact = (meta: SnapshotMeta, data?: Uint8Array) => {
    if (failures-- > 0) return Promise.reject(new StorageError("IO_ERROR", "injected: the disk failed the snapshot write"));
    return compact(meta, data);
  };
  await rebalances(k, leader, SNAPSHOT_ENTRIES + 2);
  assert.equal(leader.runner.snapshotsTakenCount(), 0, "the failed snapshot is not counted");
  assert.equal(log.snapshot().index, 0, "the log kept every entry");
  assert.ok(leader.isLeader(), "the group goes on");
  await rebalances(k, leader, SNAPSHOT_ENTRIES);
  assert.equal(leader.runner.snapshotsTakenCount(), 1, "tried again once snapshotEntries more were applied");
  assert.ok(log.snapshot().index >= 2 * SNAPSHOT_ENTRIES, `snapshot at ${log.snapshot().index}`);
});
