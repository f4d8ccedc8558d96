/** AlterTopic in the controller metadata: partitions appended, settings replaced, stale or malformed commands rejected whole, snapshots. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataChange, type MetadataCommand } from "../../broker/cluster/metadata.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type NodeId } from "../../broker/raft/types.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });
const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const ids = (...lists: number[][]): NodeId[][] => lists.map((l) => l.map(nodeId));

/** Metadata holding "orders" (id 1): 2 partitions of replication factor 2. */
function withOrders(): ClusterMetadata {
  const m = new ClusterMetadata();
  m.apply([cmd(1, { op: MetadataOp.CreateTopic, name: "orders", replicas: ids([1, 2], [2, 3]), config: CONFIG, createdMs: 7 })]);
  return m;
}

const kinds = (changes: readonly MetadataChange[]): string[] => changes.map((c) => c.kind);

test("AlterTopic is command 11 (10 belongs to producer-id blocks)", () => {
  assert.equal(MetadataOp.AlterTopic, 11);
});

test("AlterTopic appends the new partitions' replica lists and replaces the settings; the change names the topic before and after", () => {
  const m = withOrders();
  const config = { ...CONFIG, retentionMs: 3_600_000, compression: "zstd" as const };
  const [change] = m.apply([cmd(2, { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, partitionsBefore: 2, addReplicas: ids([3, 1], [1, 3]), config })]);
  assert.ok(change?.kind === "topicAltered", JSON.stringify(change));
  assert.equal(change.before.replicas.length, 2);
  assert.deepEqual(change.topic.replicas, ids([1, 2], [2, 3], [3, 1], [1, 3]));
  assert.deepEqual(change.topic.config, config);
  const t = m.topic("orders")!;
  assert.deepEqual(t, change.topic);
  assert.equal(t.id, 1, "the topic keeps its incarnation: existing partitions keep their Raft groups");
  assert.equal(t.createdMs, 7);
  // Settings alone.
  const [only] = m.apply([cmd(3, { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, config: CONFIG })]);
  assert.equal(only?.kind, "topicAltered");
  assert.equal(m.topic("orders")!.replicas.length, 4);
  assert.deepEqual(m.topic("orders")!.config, CONFIG);
});

test("an AlterTopic that no longer fits is rejected whole and changes nothing: gone, re-created, grown meanwhile, wrong replication factor, empty", () => {
  const m = withOrders();
  const before = m.encode();
  const stale: MetadataCommand[] = [
    { op: MetadataOp.AlterTopic, name: "nope", topicId: 1, config: CONFIG },
    { op: MetadataOp.AlterTopic, name: "orders", topicId: 99, config: CONFIG },
    { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, partitionsBefore: 3, addReplicas: ids([1, 2]) },
    { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, partitionsBefore: 2, addReplicas: ids([1, 2, 3]), config: { ...CONFIG, retentionMs: 5 } },
    { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, partitionsBefore: 2, addReplicas: ids([1, 1]) },
    { op: MetadataOp.AlterTopic, name: "orders", topicId: 1 },
    { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, partitionsBefore: 2, addReplicas: "x" } as unknown as MetadataCommand,
  ];
  const changes = m.apply(stale.map((c, i) => cmd(2 + i, c)));
  assert.deepEqual(kinds(changes), stale.map(() => "rejected"));
  const after = new ClusterMetadata();
  after.restore({ index: index(1), term: term(1), offset: offset(0), data: before });
  assert.deepEqual(m.topic("orders"), after.topic("orders"));
});

test("two alters placed against the same count: the first applies, the second is rejected (no double growth)", () => {
  const m = withOrders();
  const grow: MetadataCommand = { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, partitionsBefore: 2, addReplicas: ids([3, 1]) };
  assert.deepEqual(kinds(m.apply([cmd(2, grow), cmd(3, grow)])), ["topicAltered", "rejected"]);
  assert.equal(m.topic("orders")!.replicas.length, 3);
});

test("apply is deterministic and a snapshot carries the altered topic", () => {
  const entries = [
    cmd(1, { op: MetadataOp.CreateTopic, name: "orders", replicas: ids([1, 2], [2, 3]), config: CONFIG, createdMs: 7 }),
    cmd(2, { op: MetadataOp.AlterTopic, name: "orders", topicId: 1, partitionsBefore: 2, addReplicas: ids([3, 1]), config: { ...CONFIG, retentionBytes: 4096 } }),
  ];
  const a = new ClusterMetadata();
  const b = new ClusterMetadata();
  a.apply(entries);
  b.apply(entries);
  assert.deepEqual(a.encode(), b.encode());
  const restored = new ClusterMetadata();
  restored.restore({ index: index(2), term: term(1), offset: offset(0), data: a.encode() });
  assert.deepEqual(restored.topic("orders")!.replicas, ids([1, 2], [2, 3], [3, 1]));
  assert.equal(restored.topic("orders")!.config.retentionBytes, 4096);
  assert.equal(restored.leaderCounts().get(nodeId(3)), 1);
});
