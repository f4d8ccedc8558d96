/** The controller's checks of reassignment requests and the moves of a broker decommission (pure). */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { TopicMeta } from "../../broker/cluster/metadata.js";
import { checkCancels, checkMoves, decommissionMoves, type PlanCluster } from "../../broker/cluster/reassignment-plan.js";
import { RlogError, type ErrorName } from "../../broker/protocol/errors.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";

const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const ids = (...l: number[]): NodeId[] => l.map(nodeId);
const topic = (name: string, id: number, replicas: number[][], reassignments?: TopicMeta["reassignments"]): TopicMeta => ({
  name,
  id,
  replicas: replicas.map((r) => ids(...r)),
  config: CONFIG,
  createdMs: 0,
  ...(reassignments ? { reassignments } : {}),
});

function cluster(topics: TopicMeta[], brokers = [1, 2, 3, 4], live = brokers): PlanCluster & { topics: TopicMeta[] } {
  return { topic: (n) => topics.find((t) => t.name === n), topics, brokers: ids(...brokers), live: ids(...live) };
}

function refuses(f: () => unknown, name: ErrorName, message: RegExp): void {
  assert.throws(f, (err: unknown) => {
    assert.ok(err instanceof RlogError, String(err));
    assert.equal(err.codeName, name, err.message);
    assert.match(err.message, message);
    return true;
  });
}

const orders = topic("orders", 5, [[1, 2, 3], [2, 3, 1]]);
const moving = topic("moving", 6, [[1, 2, 3]], [{ partition: 0, target: ids(2, 3, 4) }]);

test("moves are grouped per topic incarnation; a move to the current list is left out", () => {
  const c = cluster([orders, moving, topic("logs", 7, [[3, 4]])]);
  const plan = checkMoves(c, [
    { topic: "orders", partition: 1, replicas: ids(4, 3, 1) },
    { topic: "logs", partition: 0, replicas: ids(3, 4) },
    { topic: "orders", partition: 0, replicas: ids(2, 3, 4) },
  ]);
  assert.deepEqual(
    plan.map((tm) => ({ name: tm.topic.name, id: tm.topic.id, moves: tm.moves })),
    [{ name: "orders", id: 5, moves: [{ partition: 1, replicas: ids(4, 3, 1) }, { partition: 0, replicas: ids(2, 3, 4) }] }],
  );
});

test("each bad move is refused with its own code, naming the move", () => {
  const c = cluster([orders, moving], [1, 2, 3, 4, 5], [1, 2, 3, 4]);
  refuses(() => checkMoves(c, []), "INVALID_REQUEST", /no moves/);
  refuses(() => checkMoves(c, [{ topic: "nope", partition: 0, replicas: ids(1) }]), "UNKNOWN_TOPIC", /moves\[0\]: topic nope/);
  refuses(() => checkMoves(c, [{ topic: "orders", partition: 2, replicas: ids(1) }]), "UNKNOWN_PARTITION", /has 2 partitions/);
  refuses(() => checkMoves(c, [{ topic: "orders", partition: 0, replicas: [] }]), "INVALID_REQUEST", /empty/);
  refuses(() => checkMoves(c, [{ topic: "orders", partition: 0, replicas: ids(2, 4, 2) }]), "INVALID_REQUEST", /twice/);
  refuses(() => checkMoves(c, [{ topic: "orders", partition: 0, replicas: ids(2, 3, 9) }]), "BROKER_NOT_AVAILABLE", /broker 9 is not a broker of the cluster/);
  refuses(() => checkMoves(c, [{ topic: "orders", partition: 0, replicas: ids(2, 3, 5) }]), "BROKER_NOT_AVAILABLE", /broker 5 is down/);
  refuses(() => checkMoves(c, [{ topic: "moving", partition: 0, replicas: ids(1, 2, 4) }]), "REASSIGNMENT_IN_PROGRESS", /already moving from 1,2,3 to 2,3,4/);
  refuses(
    () => checkMoves(c, [{ topic: "orders", partition: 1, replicas: ids(1, 2, 4) }, { topic: "orders", partition: 1, replicas: ids(1, 3, 4) }]),
    "INVALID_REQUEST",
    /moves\[1\]: partition orders\/1 is named twice/,
  );
});

test("decommission: each replica on the broker goes to the live broker with fewest replicas not in that list, in its place", () => {
  // Broker 4 holds nothing, 5 one replica: 4 takes the first, then 5 and 4 alternate by count (ties: lowest id).
  const c = cluster([topic("a", 1, [[1, 2, 3], [2, 3, 1], [3, 1, 2]]), topic("b", 2, [[5, 2]])], [1, 2, 3, 4, 5]);
  const moves = decommissionMoves(c, nodeId(1));
  assert.deepEqual(moves, [
    { topic: "a", partition: 0, replicas: ids(4, 2, 3) },
    { topic: "a", partition: 1, replicas: ids(2, 3, 4) },
    { topic: "a", partition: 2, replicas: ids(3, 5, 2) },
  ]);
  // The moves pass the request checks.
  assert.equal(checkMoves(c, moves)[0]?.moves.length, 3);
});

test("decommission refusals: unknown broker, a partition on it moving, too few other live brokers; a broker with nothing moves nothing", () => {
  refuses(() => decommissionMoves(cluster([orders]), nodeId(9)), "BROKER_NOT_AVAILABLE", /broker 9 is not a broker/);
  refuses(() => decommissionMoves(cluster([moving]), nodeId(4)), "REASSIGNMENT_IN_PROGRESS", /moving\/0 is moving/);
  refuses(() => decommissionMoves(cluster([orders], [1, 2, 3, 4], [1, 2, 3]), nodeId(1)), "INVALID_REPLICATION_FACTOR", /orders\/0 has replication factor 3.*live besides it: 2, 3/);
  assert.deepEqual(decommissionMoves(cluster([orders]), nodeId(4)), []);
});

test("cancels: grouped per topic; refused when not moving, already cancelled, unknown or named twice", () => {
  const cancelled = topic("back", 8, [[1, 2, 3]], [{ partition: 0, target: ids(1, 2, 3), cancelled: ids(2, 3, 4) }]);
  const c = cluster([orders, moving, cancelled]);
  assert.deepEqual(
    checkCancels(c, [{ topic: "moving", partition: 0 }]).map((tc) => ({ name: tc.topic.name, partitions: tc.partitions })),
    [{ name: "moving", partitions: [0] }],
  );
  refuses(() => checkCancels(c, []), "INVALID_REQUEST", /no partitions/);
  refuses(() => checkCancels(c, [{ topic: "orders", partition: 0 }]), "NO_REASSIGNMENT_IN_PROGRESS", /orders\/0 is not moving/);
  refuses(() => checkCancels(c, [{ topic: "back", partition: 0 }]), "REASSIGNMENT_IN_PROGRESS", /already cancelled/);
  refuses(() => checkCancels(c, [{ topic: "nope", partition: 0 }]), "UNKNOWN_TOPIC", /nope/);
  refuses(() => checkCancels(c, [{ topic: "moving", partition: 3 }]), "UNKNOWN_PARTITION", /has 1 partitions/);
  refuses(() => checkCancels(c, [{ topic: "moving", partition: 0 }, { topic: "moving", partition: 0 }]), "INVALID_REQUEST", /named twice/);
  // A new move of a partition going back is refused until it is back.
  refuses(() => checkMoves(c, [{ topic: "back", partition: 0, replicas: ids(1, 4) }]), "REASSIGNMENT_IN_PROGRESS", /going back to 1,2,3 after its move to 2,3,4 was cancelled/);
});
