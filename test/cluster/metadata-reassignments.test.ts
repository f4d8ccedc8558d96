/** ReassignPartitions and CompleteReassignment in the controller metadata: targets recorded next to the current lists, completed, stale or malformed commands rejected whole, snapshots. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataCommand } from "../../broker/cluster/metadata.js";
import { hostingReplicas } from "../../broker/cluster/reassignments.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type NodeId } from "../../broker/raft/types.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });
const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const ids = (...l: number[]): NodeId[] => l.map(nodeId);

/** Metadata holding "orders" (id 1): 2 partitions on [1,2,3] and [2,3,1]. */
function withOrders(): ClusterMetadata {
  const m = new ClusterMetadata();
  m.apply([cmd(1, { op: MetadataOp.CreateTopic, name: "orders", replicas: [ids(1, 2, 3), ids(2, 3, 1)], config: CONFIG, createdMs: 7 })]);
  return m;
}

function snapshotCopy(m: ClusterMetadata): ClusterMetadata {
  const copy = new ClusterMetadata();
  copy.restore({ index: m.appliedIndex, term: term(1), offset: offset(0), data: m.encode() });
  return copy;
}

test("reassignment commands are 12 and 13 (11 is AlterTopic)", () => {
  assert.equal(MetadataOp.ReassignPartitions, 12);
  assert.equal(MetadataOp.CompleteReassignment, 13);
});

test("ReassignPartitions records the target next to the current list; both lists' brokers host the partition until it completes", () => {
  const m = withOrders();
  const [change] = m.apply([cmd(2, { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(2, 3, 4) }] })]);
  assert.ok(change?.kind === "reassignmentStarted", JSON.stringify(change));
  assert.deepEqual(change.moves, [{ partition: 0, target: ids(2, 3, 4) }]);
  const t = m.topic("orders")!;
  assert.deepEqual(t.replicas[0], ids(1, 2, 3), "the replica list stays until the move completes");
  assert.deepEqual(t.reassignments, [{ partition: 0, target: ids(2, 3, 4) }]);
  assert.deepEqual(hostingReplicas(t, 0), ids(1, 2, 3, 4));
  assert.deepEqual(hostingReplicas(t, 1), ids(2, 3, 1));
  assert.deepEqual(snapshotCopy(m).topic("orders"), t, "the target survives a snapshot");

  const [done] = m.apply([cmd(3, { op: MetadataOp.CompleteReassignment, name: "orders", topicId: 1, partition: 0, replicas: ids(2, 3, 4) })]);
  assert.ok(done?.kind === "reassignmentCompleted", JSON.stringify(done));
  assert.deepEqual(done.from, ids(1, 2, 3));
  const after = m.topic("orders")!;
  assert.deepEqual(after.replicas, [ids(2, 3, 4), ids(2, 3, 1)]);
  assert.equal(after.reassignments, undefined, "no moving partition: the field is gone (snapshots as before)");
  assert.equal(after.id, 1, "the partition keeps its Raft group");
  assert.deepEqual(snapshotCopy(m).topic("orders"), after);
});

test("moves of two partitions, completed one at a time", () => {
  const m = withOrders();
  m.apply([cmd(2, { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 1, replicas: ids(4, 3, 1) }, { partition: 0, replicas: ids(1, 2) }] })]);
  assert.deepEqual(m.topic("orders")!.reassignments, [{ partition: 0, target: ids(1, 2) }, { partition: 1, target: ids(4, 3, 1) }]);
  m.apply([cmd(3, { op: MetadataOp.CompleteReassignment, name: "orders", topicId: 1, partition: 1, replicas: ids(4, 3, 1) })]);
  assert.deepEqual(m.topic("orders")!.reassignments, [{ partition: 0, target: ids(1, 2) }]);
  assert.deepEqual(m.topic("orders")!.replicas, [ids(1, 2, 3), ids(4, 3, 1)]);
});

test("a ReassignPartitions that does not fit is rejected whole and changes nothing", () => {
  const m = withOrders();
  m.apply([cmd(2, { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 1, replicas: ids(1, 2, 4) }] })]);
  const before = m.encode();
  const bad: MetadataCommand[] = [
    { op: MetadataOp.ReassignPartitions, name: "nope", topicId: 1, moves: [{ partition: 0, replicas: ids(1, 2) }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 9, moves: [{ partition: 0, replicas: ids(1, 2) }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 2, replicas: ids(1, 2) }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: [] }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(2, 2) }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(1, 2, 3) }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(2, 4) }, { partition: 0, replicas: ids(3, 4) }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(2, 4) }, { partition: 1, replicas: ids(3, 4) }] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: "x" } as unknown as MetadataCommand,
    { op: MetadataOp.CompleteReassignment, name: "orders", topicId: 1, partition: 0, replicas: ids(1, 2) },
    { op: MetadataOp.CompleteReassignment, name: "orders", topicId: 1, partition: 1, replicas: ids(1, 2, 5) },
    { op: MetadataOp.CompleteReassignment, name: "orders", topicId: 2, partition: 1, replicas: ids(1, 2, 4) },
  ];
  const changes = m.apply(bad.map((c, i) => cmd(3 + i, c)));
  assert.deepEqual(changes.map((c) => c.kind), bad.map(() => "rejected"));
  const copy = new ClusterMetadata();
  copy.restore({ index: index(2), term: term(1), offset: offset(0), data: before });
  assert.deepEqual(m.topic("orders"), copy.topic("orders"));
});

test("deleting a moving topic drops its moves; a re-created topic starts without any", () => {
  const m = withOrders();
  m.apply([
    cmd(2, { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(2, 3, 4) }] }),
    cmd(3, { op: MetadataOp.DeleteTopic, name: "orders" }),
    cmd(4, { op: MetadataOp.CreateTopic, name: "orders", replicas: [ids(1, 2, 3)], config: CONFIG, createdMs: 8 }),
  ]);
  const [stale] = m.apply([cmd(5, { op: MetadataOp.CompleteReassignment, name: "orders", topicId: 1, partition: 0, replicas: ids(2, 3, 4) })]);
  assert.equal(stale?.kind, "rejected");
  assert.equal(m.topic("orders")!.reassignments, undefined);
});

test("CancelReassignment (14) turns a move back toward the partition's list; the cancelled target's brokers host it until it completes", () => {
  assert.equal(MetadataOp.CancelReassignment, 14);
  const m = withOrders();
  m.apply([cmd(2, { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(2, 3, 4) }, { partition: 1, replicas: ids(4, 3, 1) }] })]);
  const [change] = m.apply([cmd(3, { op: MetadataOp.CancelReassignment, name: "orders", topicId: 1, partitions: [0] })]);
  assert.ok(change?.kind === "reassignmentCancelled", JSON.stringify(change));
  assert.deepEqual(change.moves, [{ partition: 0, target: ids(1, 2, 3), cancelled: ids(2, 3, 4) }]);
  const t = m.topic("orders")!;
  assert.deepEqual(t.reassignments, [{ partition: 0, target: ids(1, 2, 3), cancelled: ids(2, 3, 4) }, { partition: 1, target: ids(4, 3, 1) }]);
  assert.deepEqual(hostingReplicas(t, 0), ids(1, 2, 3, 4), "broker 4 may be a voter by now: it keeps its copy");
  assert.deepEqual(snapshotCopy(m).topic("orders"), t);
  // Refused whole: not moving, already cancelled, named twice, unknown partition; a new move of a cancelled partition too.
  const bad: MetadataCommand[] = [
    { op: MetadataOp.CancelReassignment, name: "orders", topicId: 1, partitions: [0] },
    { op: MetadataOp.CancelReassignment, name: "orders", topicId: 1, partitions: [1, 1] },
    { op: MetadataOp.CancelReassignment, name: "orders", topicId: 1, partitions: [1, 2] },
    { op: MetadataOp.CancelReassignment, name: "orders", topicId: 1, partitions: [] },
    { op: MetadataOp.CancelReassignment, name: "orders", topicId: 7, partitions: [1] },
    { op: MetadataOp.ReassignPartitions, name: "orders", topicId: 1, moves: [{ partition: 0, replicas: ids(3, 4) }] },
  ];
  assert.deepEqual(m.apply(bad.map((c, i) => cmd(4 + i, c))).map((c) => c.kind), bad.map(() => "rejected"));
  assert.deepEqual(m.topic("orders"), t);
  // The group back on its list: the move completes with the list unchanged and broker 4 no longer hosting.
  const [done] = m.apply([cmd(20, { op: MetadataOp.CompleteReassignment, name: "orders", topicId: 1, partition: 0, replicas: ids(1, 2, 3) })]);
  assert.ok(done?.kind === "reassignmentCompleted");
  assert.deepEqual(m.topic("orders")!.replicas[0], ids(1, 2, 3));
  assert.deepEqual(hostingReplicas(m.topic("orders")!, 0), ids(1, 2, 3));
  assert.deepEqual(m.topic("orders")!.reassignments, [{ partition: 1, target: ids(4, 3, 1) }]);
});
