/** The controller's InitCluster command: the first id applied wins, and snapshots keep it. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ClusterMetadata, MetadataOp, encodeCommand, type MetadataCommand } from "../../broker/cluster/metadata.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";

const cmd = (i: number, c: MetadataCommand): Entry => ({ index: index(i), term: term(1), kind: EntryKind.Command, offset: offset(0), count: 0, timestampMs: 0, data: encodeCommand(c) });

test("InitCluster: the first id applied wins, later ones are rejected, and a snapshot carries it", () => {
  const m = new ClusterMetadata();
  assert.equal(m.clusterId, undefined);
  const changes = m.apply([cmd(1, { op: MetadataOp.InitCluster, clusterId: "a" }), cmd(2, { op: MetadataOp.InitCluster, clusterId: "b" })]);
  assert.deepEqual(changes.map((c) => c.kind), ["clusterInitialized", "rejected"]);
  assert.equal(m.clusterId, "a");
  const copy = new ClusterMetadata();
  copy.restore({ index: index(2), term: term(1), offset: offset(0), data: m.encode() });
  assert.equal(copy.clusterId, "a");
  copy.restore({ index: index(0), term: term(0), offset: offset(0), data: new Uint8Array(0) });
  assert.equal(copy.clusterId, undefined);
});
