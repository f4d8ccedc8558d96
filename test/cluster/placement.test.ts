import { test } from "node:test";
import assert from "node:assert/strict";
import { placeReplicas } from "../../broker/cluster/placement.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";

const brokers = [1, 2, 3].map(nodeId);

test("preferred leaders and replicas spread evenly", () => {
  const lists = placeReplicas(brokers, 6, 3);
  const leaders = new Map<NodeId, number>();
  const replicas = new Map<NodeId, number>();
  for (const r of lists) {
    assert.equal(new Set(r).size, 3, "replicas of a partition are distinct");
    leaders.set(r[0]!, (leaders.get(r[0]!) ?? 0) + 1);
    for (const b of r) replicas.set(b, (replicas.get(b) ?? 0) + 1);
  }
  assert.deepEqual([...leaders.values()], [2, 2, 2]);
  assert.deepEqual([...replicas.values()], [6, 6, 6]);
});

test("a new topic starts on the broker that leads the fewest partitions", () => {
  const counts = new Map([[nodeId(1), 3], [nodeId(2), 1], [nodeId(3), 2]]);
  assert.equal(placeReplicas(brokers, 1, 2, counts)[0]![0], 2);
});

test("replication factor above the broker count is refused", () => {
  assert.throws(() => placeReplicas(brokers, 1, 4), RangeError);
});
