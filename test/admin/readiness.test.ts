import { test } from "node:test";
import assert from "node:assert/strict";
import { readiness, REASONS_MAX, type ReplicaReadiness } from "../../broker/admin/readiness.js";

const follower = (partition: number, applied: number, leaderCommit: number): ReplicaReadiness => ({
  topic: "t",
  partition,
  open: true,
  leader: 2,
  isLeader: false,
  recovering: false,
  repairing: false,
  applied,
  leaderCommit,
});
const leaderReplica: ReplicaReadiness = { ...follower(9, 50, 50), leader: 1, isLeader: true };

test("ready: started, controller leader known, every hosted replica caught up (a follower within lagEntriesMax)", () => {
  const r = readiness({ started: true, stopping: false, controllerLeader: 3, replicas: [leaderReplica, follower(0, 90, 100), follower(1, 100, 100)], lagEntriesMax: 10 });
  assert.deepEqual(r, { ready: true, notReady: [], notReadyCount: 0 });
});

test("a broker still starting, or without a controller leader, is not ready, and says why", () => {
  const r = readiness({ started: false, stopping: false, controllerLeader: 0, replicas: [], lagEntriesMax: 10 });
  assert.equal(r.ready, false);
  assert.deepEqual(r.notReady, ["broker: still starting", "controller: leader unknown"]);
  assert.deepEqual(readiness({ started: true, stopping: true, controllerLeader: 1, replicas: [], lagEntriesMax: 10 }).notReady, ["broker: stopping"]);
});

test("each replica rule: not open, recovering, repairing, leader unknown, no commit heard, too far behind", () => {
  const lagging = follower(5, 89, 100);
  const r = readiness({
    started: true,
    stopping: false,
    controllerLeader: 1,
    replicas: [
      { ...follower(0, 0, 0), open: false },
      { ...follower(1, 10, 10), recovering: true },
      { ...follower(2, 10, 10), repairing: true },
      { ...follower(3, 10, 10), leader: 0 },
      follower(4, 10, 0),
      lagging,
      follower(6, 90, 100), // exactly lagEntriesMax behind: caught up
    ],
    lagEntriesMax: 10,
  });
  assert.equal(r.ready, false);
  assert.deepEqual(r.notReady, [
    "t/0: replica not open",
    "t/1: recovering after a lost disk",
    "t/2: repairing a damaged log",
    "t/3: leader unknown",
    "t/4: no commit index heard from leader 2 yet",
    "t/5: applied 89, 11 entries behind leader 2's commit 100 (max 10)",
  ]);
  assert.equal(r.notReadyCount, 6);
});

test("the list of reasons is bounded; the count is not", () => {
  const replicas = Array.from({ length: REASONS_MAX + 15 }, (_, i) => ({ ...follower(i, 0, 0), open: false }));
  const r = readiness({ started: true, stopping: false, controllerLeader: 1, replicas, lagEntriesMax: 0 });
  assert.equal(r.notReady.length, REASONS_MAX);
  assert.equal(r.notReadyCount, REASONS_MAX + 15);
});
