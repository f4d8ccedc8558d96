import { test } from "node:test";
import assert from "node:assert/strict";
import type { ClusterStatusResult, PartitionStatus } from "../../../client/index.js";
import { mergeStatus, type BrokerAnswer } from "../../../cli/admin/status-merge.js";
import { shownStatus, statusText } from "../../../cli/admin/cluster-status.js";

const brokers = [1, 2, 3].map((id) => ({ brokerId: id, clientUrl: `ws://h:${id}`, reachable: true }));
const replicas = (ids: number[]) => ids.map((id) => ({ brokerId: id, matchIndex: 10, lagEntries: id, reachable: id !== 3 }));

function p(partition: number, leader: number, term: number, led: boolean, highWatermark = 100): PartitionStatus {
  return { topic: "t", partition, leader, term, preferredLeader: 1, highWatermark, logStartOffset: 0, replicas: led ? replicas([1, 2, 3]) : [] };
}

function answer(url: string, partitions: PartitionStatus[], controller = { leader: 1, term: 4 }): BrokerAnswer {
  const status: ClusterStatusResult = { brokers, controller, partitions };
  return { url, status };
}

test("each partition comes from the broker that leads it; the highest term wins; followers fill in what no leader answered", () => {
  const merged = mergeStatus([
    answer("ws://h:1", [p(0, 1, 3, true), p(1, 2, 2, false, 50), p(2, 0, 0, false)]),
    answer("ws://h:2", [p(0, 1, 3, false, 90), p(1, 2, 2, true), p(2, 1, 5, false)], { leader: 2, term: 5 }),
    // A deposed leader that has not heard of the new term yet.
    answer("ws://h:3", [p(0, 3, 2, true), p(1, 2, 2, false), p(2, 3, 4, false)]),
  ]);
  assert.deepEqual(
    merged.partitions.map((x) => [x.partition, x.leader, x.term, x.fromLeader, x.highWatermark]),
    [
      [0, 1, 3, true, 100],
      [1, 2, 2, true, 100],
      [2, 1, 5, false, 100],
    ],
  );
  assert.deepEqual(merged.controller, { leader: 2, term: 5, voters: [], learners: [] });
  assert.deepEqual(merged.brokers.map((b) => [b.brokerId, b.reachable]), [[1, true], [2, true], [3, true]]);
});

test("a broker that did not answer is unreachable, with the reason; partitions from the others still show", () => {
  const merged = mergeStatus([answer("ws://h:1", [p(0, 1, 3, true)]), { url: "ws://h:2", status: undefined, error: "BROKER_NOT_AVAILABLE: refused" }]);
  assert.deepEqual(
    merged.brokers.map((b) => [b.brokerId, b.reachable, b.error]),
    [
      [1, true, undefined],
      [2, false, "BROKER_NOT_AVAILABLE: refused"],
      [3, false, "not asked"],
    ],
  );
  const text = statusText(merged);
  assert.match(text, /^BROKER +URL +REACHABLE\n1 +ws:\/\/h:1 +yes\n2 +ws:\/\/h:2 +no \(BROKER_NOT_AVAILABLE: refused\)\n/);
  assert.match(text, /\ncontroller: broker 1, term 4\n/);
  assert.match(text, /\nt +0 +1 +1 +3 +100 +0 +1:1 2:2 3:3!\n/);
  assert.match(text, /!: replica not reachable from the leader\n$/);
});

test("no answers at all: nothing reachable, no controller", () => {
  const merged = mergeStatus([{ url: "ws://x:1", status: undefined, error: "down" }]);
  assert.deepEqual(merged, { brokers: [], controller: { leader: 0, term: 0, voters: [], learners: [] }, partitions: [] });
});

test("a replica recovering from a lost disk is marked ~, with a note; none marked, no note", () => {
  const recovering: PartitionStatus = { ...p(0, 1, 3, true), replicas: [...replicas([1, 2]), { brokerId: 3, matchIndex: 4, lagEntries: 6, reachable: true, recovering: true }] };
  const text = statusText(mergeStatus([answer("ws://h:1", [recovering])]));
  assert.match(text, /\nt +0 +1 +1 +3 +100 +0 +1:1 2:2 3:6~\n/);
  assert.match(text, /~: replica recovering from a lost disk/);
  assert.doesNotMatch(statusText(mergeStatus([answer("ws://h:1", [p(0, 1, 3, true)])])), /~/);
});

test("a replica repairing a damaged entry is marked #, with a note; none marked, no note", () => {
  const repairing: PartitionStatus = { ...p(0, 1, 3, true), replicas: [...replicas([1, 2]), { brokerId: 3, matchIndex: 4, lagEntries: 6, reachable: true, repairing: true }] };
  const text = statusText(mergeStatus([answer("ws://h:1", [repairing])]));
  assert.match(text, /\nt +0 +1 +1 +3 +100 +0 +1:1 2:2 3:6#\n/);
  assert.match(text, /#: replica repairing a damaged entry/);
  assert.doesNotMatch(statusText(mergeStatus([answer("ws://h:1", [p(0, 1, 3, true)])])), /#/);
});

test("the controller's voters and learners come from the answer of the highest controller term, and are printed", () => {
  const older = answer("ws://h:1", [], { leader: 1, term: 4, voters: [1, 2, 3], learners: [] } as ClusterStatusResult["controller"]);
  const newer = answer("ws://h:2", [], { leader: 2, term: 5, voters: [1, 2, 4], learners: [3] } as ClusterStatusResult["controller"]);
  const merged = mergeStatus([older, newer]);
  assert.deepEqual(merged.controller, { leader: 2, term: 5, voters: [1, 2, 4], learners: [3] });
  assert.match(statusText(merged), /\ncontroller: broker 2, term 5\ncontroller voters: 1,2,4; learners: 3\n/);
});

test("internal topics' partitions are hidden unless asked for, and the text says how many", () => {
  const internal = { ...p(0, 1, 3, true), topic: "__consumer_offsets" };
  const merged = mergeStatus([answer("ws://h:1", [p(0, 1, 3, true), internal, { ...internal, partition: 1 }])]);
  const hidden = shownStatus(merged, false);
  assert.deepEqual(hidden.partitions.map((x) => x.topic), ["t"]);
  assert.equal(hidden.internalPartitionsHidden, 2);
  assert.match(statusText(hidden), /\n2 internal partitions hidden \(topics starting "__"\); show them with --include-internal\n$/);
  const all = shownStatus(merged, true);
  assert.deepEqual(all.partitions.map((x) => x.topic).sort(), ["__consumer_offsets", "__consumer_offsets", "t"]);
  assert.equal(all.internalPartitionsHidden, 0);
  assert.doesNotMatch(statusText(all), /hidden/);
  assert.match(statusText(all), /\n__consumer_offsets +1 +1 /);
});
