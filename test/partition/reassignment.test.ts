/** The moving partition leader's decisions (broker/partition/reassignment.ts), driven against a small model of a group's membership. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { learnerLags, nextStep, reassignmentPhase, type MembershipView, type MovingGroupView } from "../../broker/partition/reassignment.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";

const ids = (...l: number[]): NodeId[] => l.map(nodeId);

function view(self: number, membership: MembershipView, over: Partial<MovingGroupView> = {}, matches: Record<number, number> = {}): MovingGroupView {
  const members = [...membership.voters, ...(membership.learners ?? []), ...(membership.votersOutgoing ?? [])];
  return {
    self: nodeId(self),
    membership,
    pending: false,
    commit: 100,
    transferring: false,
    progress: [...new Set(members)].map((id) => ({ id, match: matches[id] ?? 100, active: true })),
    ...over,
  };
}

/**
 * A model of the core's side of the contract: a change commits at once; a
 * voter change enters joint and the next step leaves it; a leader outside
 * the committed voters hands over to the first target voter.
 */
function drive(start: MembershipView, leader: number, target: NodeId[], lag: (id: NodeId, round: number) => number): { steps: string[]; final: MembershipView; leader: number } {
  let m = start;
  let self = leader;
  const steps: string[] = [];
  for (let round = 0; round < 20; round++) {
    if ((m.votersOutgoing?.length ?? 0) > 0) {
      m = { voters: m.voters, ...(m.learners?.length ? { learners: m.learners } : {}) }; // the core leaves joint on its own
      steps.push("leave");
      if (!m.voters.includes(nodeId(self))) self = m.voters[0]!; // stepped down; a target voter is elected
      continue;
    }
    const matches = Object.fromEntries((m.learners ?? []).map((id) => [id, 100 - lag(id, round)]));
    const s = nextStep(view(self, m, {}, matches), target, 10);
    steps.push(s.kind === "wait" ? `wait(${s.phase})` : s.kind === "transfer" ? `transfer ${s.to}` : s.kind);
    if (s.kind === "done") return { steps, final: m, leader: self };
    if (s.kind === "setLearners") m = { voters: m.voters, learners: s.learners };
    if (s.kind === "changeVoters") m = { voters: s.voters, votersOutgoing: m.voters, learners: [] };
    if (s.kind === "transfer") self = s.to;
  }
  throw new Error(`no end: ${steps.join(", ")}`);
}

test("{1,2,3} -> {2,3,4} led by 1: learner 4 catches up, leadership goes to 2, voters change through joint", () => {
  const r = drive({ voters: ids(1, 2, 3) }, 1, ids(2, 3, 4), (_id, round) => (round < 3 ? 500 : 0));
  assert.deepEqual(r.steps, ["setLearners", "wait(learners)", "wait(learners)", "transfer 2", "changeVoters", "leave", "done"]);
  assert.deepEqual(r.final, { voters: ids(2, 3, 4) });
  assert.equal(r.leader, 2);
});

test("a move to all-new brokers goes joint first; the old leader steps down after the leave", () => {
  const r = drive({ voters: ids(1, 2, 3) }, 1, ids(4, 5, 6), () => 0);
  assert.deepEqual(r.steps, ["setLearners", "changeVoters", "leave", "done"]);
  assert.deepEqual(r.final.voters, ids(4, 5, 6));
  assert.equal(r.leader, 4);
});

test("shrinking and growing the replication factor", () => {
  assert.deepEqual(drive({ voters: ids(1, 2, 3) }, 2, ids(1, 2), () => 0).steps, ["changeVoters", "leave", "done"]);
  assert.deepEqual(drive({ voters: ids(1, 2, 3) }, 3, ids(1, 2), () => 0).steps, ["transfer 1", "changeVoters", "leave", "done"]);
  assert.deepEqual(drive({ voters: ids(1, 2) }, 1, ids(1, 2, 3), () => 0).steps, ["setLearners", "changeVoters", "leave", "done"]);
});

test("a new leader resumes from the committed membership: every step is idempotent", () => {
  // Learners already added by the old leader: the new one (2) does not add them again.
  assert.deepEqual(nextStep(view(2, { voters: ids(1, 2, 3), learners: ids(4) }), ids(2, 3, 4), 10), { kind: "changeVoters", voters: ids(2, 3, 4) });
  // Already joint, or a change in flight: wait for the core.
  assert.equal(nextStep(view(2, { voters: ids(2, 3, 4), votersOutgoing: ids(1, 2, 3) }, { pending: true }), ids(2, 3, 4), 10).kind, "wait");
  // Already there: done; leftover learners not in the target are dropped first.
  assert.deepEqual(nextStep(view(2, { voters: ids(3, 4, 2) }), ids(2, 3, 4), 10), { kind: "done" });
  assert.deepEqual(nextStep(view(2, { voters: ids(2, 3, 4), learners: ids(5) }), ids(2, 3, 4), 10), { kind: "setLearners", learners: [] });
  // A learner that is not wanted any more (another target) is replaced.
  assert.deepEqual(nextStep(view(1, { voters: ids(1, 2, 3), learners: ids(5) }), ids(1, 2, 4), 10), { kind: "setLearners", learners: ids(4) });
});

test("a learner that is caught up but silent, or a transfer under way, holds the voter change", () => {
  const silent = view(1, { voters: ids(1, 2, 3), learners: ids(4) });
  const quiet = { ...silent, progress: silent.progress.map((p) => (p.id === 4 ? { ...p, active: false } : p)) };
  const s = nextStep(quiet, ids(1, 2, 4), 10);
  assert.equal(s.kind, "wait");
  assert.match(s.kind === "wait" ? s.why : "", /4 \(0 entries behind\)/);
  assert.equal(nextStep(view(1, { voters: ids(1, 2, 3), learners: ids(4) }, { transferring: true }), ids(1, 2, 4), 10).kind, "wait");
});

test("phases and learner lags as listReassignments shows them", () => {
  const target = ids(2, 3, 4);
  assert.equal(reassignmentPhase({ voters: ids(1, 2, 3) }, target), "pending");
  assert.equal(reassignmentPhase({ voters: ids(1, 2, 3), learners: ids(4) }, target), "learners");
  assert.equal(reassignmentPhase({ voters: ids(2, 3, 4), votersOutgoing: ids(1, 2, 3) }, target), "joint");
  assert.equal(reassignmentPhase({ voters: ids(4, 3, 2) }, target), "completing");
  assert.deepEqual(learnerLags(view(1, { voters: ids(1, 2, 3), learners: ids(4, 5) }, { commit: 100 }, { 4: 40, 5: 120 })), [
    { brokerId: 4, lagEntries: 60 },
    { brokerId: 5, lagEntries: 0 },
  ]);
});

test("a cancel after the voters changed goes back the same way: the old brokers rejoin as learners, then vote again", () => {
  // Cancelled once the group already stood on {2,3,4} (led by 4): back to {1,2,3}.
  const r = drive({ voters: ids(2, 3, 4) }, 4, ids(1, 2, 3), () => 0);
  assert.deepEqual(r.steps, ["setLearners", "transfer 2", "changeVoters", "leave", "done"]);
  assert.deepEqual(r.final.voters, ids(1, 2, 3));
  // Cancelled while the new broker was still a learner: it is dropped, nothing else changes.
  assert.deepEqual(drive({ voters: ids(1, 2, 3), learners: ids(4) }, 1, ids(1, 2, 3), () => 0).steps, ["setLearners", "done"]);
});
