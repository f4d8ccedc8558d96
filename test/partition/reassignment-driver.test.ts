/** The reassignment driver on a fake runner: steps taken on the leader only, in order, and done reported with the voters. */
import { test } from "node:test";
import assert from "node:assert/strict";
import pino from "pino";
import { ReassignmentDriver, type MovingPartition, type MovingRunner } from "../../broker/partition/reassignment-driver.js";
import type { MembershipView } from "../../broker/partition/reassignment.js";
import { Role } from "../../broker/raft/ready.js";
import { NO_NODE, nodeId, term, type NodeId } from "../../broker/raft/types.js";

const ids = (...l: number[]): NodeId[] => l.map(nodeId);

/** A group whose changes commit at once and whose learners are always caught up; a voter change goes joint, the next status leaves it. */
class FakeRunner implements MovingRunner {
  calls: string[] = [];
  role: Role = Role.Leader;
  config: MembershipView;
  constructor(voters: NodeId[], readonly self: NodeId) {
    this.config = { voters };
  }
  status() {
    if ((this.config.votersOutgoing?.length ?? 0) > 0) this.config = { voters: this.config.voters };
    const members = [...this.config.voters, ...(this.config.learners ?? [])];
    return { id: this.self, role: this.role, term: term(3), commit: 50, transferee: NO_NODE, progress: members.map((id) => ({ id, match: 50, active: true })) };
  }
  membership() {
    return { config: this.config, pending: false };
  }
  changeMembership(t: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] }) {
    this.calls.push(`change voters=${t.voters.join(",")} learners=${(t.learners ?? []).join(",")}`);
    const joint = t.voters.join() !== this.config.voters.join();
    this.config = joint ? { voters: t.voters, votersOutgoing: this.config.voters, learners: t.learners ?? [] } : { voters: t.voters, learners: t.learners ?? [] };
    return { ok: true };
  }
  transferLeadership(to?: NodeId) {
    this.calls.push(`transfer ${to}`);
    this.role = Role.Follower;
    return { ok: true };
  }
}

test("the driver takes each step on the group it leads and reports done with the committed voters", () => {
  const runner = new FakeRunner(ids(1, 2, 3), nodeId(2));
  const done: unknown[] = [];
  const p: MovingPartition = { group: "p/7/0", topic: "t", topicId: 7, partition: 0, target: ids(2, 3, 4), runner };
  const d = new ReassignmentDriver({ catchUpLagEntriesMax: 10, logger: pino({ level: "silent" }), moving: () => [p], onDone: (q, t, voters) => done.push({ group: q.group, term: t, voters }) });
  for (let i = 0; i < 4; i++) d.pass();
  assert.deepEqual(runner.calls, ["change voters=1,2,3 learners=4", "change voters=2,3,4 learners="]);
  assert.deepEqual(done.at(-1), { group: "p/7/0", term: 3, voters: ids(2, 3, 4) });
  assert.deepEqual(ReassignmentDriver.progress(runner, p.target), { phase: "completing", learners: [] });
});

test("a leader leaving the target hands over first; a follower does nothing", () => {
  const runner = new FakeRunner(ids(1, 2, 3), nodeId(1));
  const d = new ReassignmentDriver({ catchUpLagEntriesMax: 10, logger: pino({ level: "silent" }), moving: () => [{ group: "g", topic: "t", topicId: 7, partition: 0, target: ids(2, 3, 4), runner }], onDone: () => assert.fail("not done") });
  d.pass();
  d.pass();
  d.pass();
  assert.deepEqual(runner.calls, ["change voters=1,2,3 learners=4", "transfer 2"], "after the transfer this broker follows: no more steps here");
  assert.deepEqual(ReassignmentDriver.progress(runner, ids(2, 3, 4)), { phase: "learners", learners: [] }, "a follower knows the phase, not the lag");
  assert.deepEqual(ReassignmentDriver.progress(undefined, ids(2, 3, 4)), { phase: "pending", learners: [] });
});
