/**
 * The controller's AllocateProducerIdBlock command: blocks are disjoint, start
 * above every id of the old one-id-per-entry scheme (replayed from the log or
 * covered by an old snapshot), and survive a snapshot.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterMetadata, MetadataOp, PRODUCER_ID_BLOCK_COUNT_MAX, PRODUCER_ID_BLOCK_FLOOR, encodeCommand, type MetadataChange, type MetadataCommand } from "../../broker/cluster/metadata.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });
const block = (i: number, count = 1000) => cmd(i, { op: MetadataOp.AllocateProducerIdBlock, count });
const oldId = (i: number) => cmd(i, { op: MetadataOp.AllocateProducerId });

/** Every id a change handed out. */
function ids(changes: readonly MetadataChange[]): number[] {
  return changes.flatMap((c) => {
    if (c.kind === "producerIdAllocated") return [c.producerId];
    if (c.kind === "producerIdBlockAllocated") return Array.from({ length: c.block.count }, (_, k) => c.block.firstProducerId + k);
    return [];
  });
}

function assertUnique(all: readonly number[]): void {
  assert.equal(new Set(all).size, all.length, "producer ids are unique");
}

test("blocks are consecutive, disjoint, start at the floor, and are the same on every voter", () => {
  const a = new ClusterMetadata();
  const b = new ClusterMetadata();
  const log = [block(1), block(2, 10), block(3)];
  const changes = a.apply(log);
  b.apply(log);
  assert.deepEqual(changes.map((c) => (c.kind === "producerIdBlockAllocated" ? [c.block.firstProducerId, c.block.count] : c.kind)), [
    [PRODUCER_ID_BLOCK_FLOOR, 1000],
    [PRODUCER_ID_BLOCK_FLOOR + 1000, 10],
    [PRODUCER_ID_BLOCK_FLOOR + 1010, 1000],
  ]);
  assert.equal(a.nextProducerId, PRODUCER_ID_BLOCK_FLOOR + 2010);
  assert.deepEqual(a.lastProducerIdBlock, b.lastProducerIdBlock);
  assert.equal(a.lastProducerIdBlock?.index, 3);
  assertUnique(ids(changes));
});

test("replaying a log of old AllocateProducerId entries, then blocks, then old entries again (an older controller in a rolling upgrade): all ids unique", () => {
  const m = new ClusterMetadata();
  const log = [oldId(1), oldId(2), oldId(3), block(4), oldId(5), block(6), oldId(7)];
  const changes = m.apply(log);
  const all = ids(changes);
  assert.equal(all.length, 5 + 2000);
  assertUnique(all);
  assert.deepEqual(ids(changes.slice(0, 3)), [1, 2, 3], "old entries keep their ids: the entry's index");
});

test("a snapshot carries nextProducerId: blocks after a restore never reuse an id", () => {
  const m = new ClusterMetadata();
  const before = ids(m.apply([oldId(1), block(2), block(3)]));
  const restored = new ClusterMetadata();
  restored.restore({ index: index(3), term: term(1), offset: offset(0), data: m.encode() });
  assert.equal(restored.nextProducerId, m.nextProducerId);
  const after = ids(restored.apply([block(4), oldId(5)]));
  assertUnique([...before, ...after]);
});

test("a snapshot without nextProducerId (written before blocks) covering old entries: the next block starts above them", () => {
  // An old broker's snapshot at index 5000, after 5000 AllocateProducerId entries (ids 1..5000).
  const old = new ClusterMetadata();
  old.apply([oldId(1)]);
  const bytes = old.encode();
  const m = new ClusterMetadata();
  m.restore({ index: index(5000), term: term(1), offset: offset(0), data: bytes });
  assert.equal(m.nextProducerId, 0, "as on a voter that applied the old log");
  const [c] = m.apply([block(5001)]);
  assert.ok(c?.kind === "producerIdBlockAllocated" && c.block.firstProducerId > 5000);
  // The same log replayed: the same state, the same block.
  const replayed = new ClusterMetadata();
  replayed.apply(Array.from({ length: 5000 }, (_, k) => oldId(k + 1)));
  assert.equal(replayed.nextProducerId, 0);
  assert.deepEqual(replayed.apply([block(5001)]), [c]);
});

test("a voter that restores a snapshot holds exactly the nextProducerId of one that applied the log", () => {
  const m = new ClusterMetadata();
  m.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "c" }), cmd(2, { op: MetadataOp.RebalanceLeaders })]);
  const restored = new ClusterMetadata();
  restored.restore({ index: index(2), term: term(1), offset: offset(0), data: m.encode() });
  assert.equal(restored.clusterId, "c");
  assert.equal(restored.nextProducerId, m.nextProducerId);
  assert.deepEqual(restored.apply([block(3)]), m.apply([block(3)]));
});

test("a block command with a bad count is rejected and hands out nothing", () => {
  const m = new ClusterMetadata();
  const bad = [0, -1, 1.5, PRODUCER_ID_BLOCK_COUNT_MAX + 1, Number.NaN].map((count, k) => cmd(k + 1, { op: MetadataOp.AllocateProducerIdBlock, count }));
  const changes = m.apply([...bad, cmd(9, { op: MetadataOp.AllocateProducerIdBlock } as unknown as MetadataCommand)]);
  assert.deepEqual(changes.map((c) => c.kind), ["rejected", "rejected", "rejected", "rejected", "rejected", "rejected"]);
  assert.equal(m.nextProducerId, 0);
  assert.equal(m.lastProducerIdBlock, undefined);
});

test("the snapshot of metadata that never handed out a block is what older brokers wrote (no nextProducerId)", () => {
  const m = new ClusterMetadata();
  m.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "c" }), oldId(2)]);
  assert.ok(!new TextDecoder().decode(m.encode()).includes("nextProducerId"));
  m.apply([block(3)]);
  assert.ok(new TextDecoder().decode(m.encode()).includes("nextProducerId"));
});
