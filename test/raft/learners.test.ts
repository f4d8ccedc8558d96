/**
 * Learners (Membership.learners; RaftNode, "Learners"): non-voting members
 * that receive the log and catch up, but never campaign or lead, and never
 * count toward a commit, an election or a check quorum (they grant votes by
 * the usual rules: a promoted learner may not know it yet).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { drainCore, Harness, TEST_TIMING } from "./harness.js";
import { RaftNode } from "../../broker/raft/core.js";
import { MessageType } from "../../broker/raft/messages.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role } from "../../broker/raft/ready.js";
import { index, nodeId, term, type NodeId } from "../../broker/raft/types.js";

const V = [nodeId(1), nodeId(2), nodeId(3)];
const L = [nodeId(4), nodeId(5)];

/** A lone core: learner 4 of voters 1..3 (or voter `id` of the same group). */
function lone(id: number, storage = new MemoryStorage()): RaftNode {
  return new RaftNode({ id: nodeId(id), membership: { voters: V, learners: L }, priority: V, ...TEST_TIMING }, storage, new SeededRandom(1));
}

function roles(h: Harness, ids: readonly NodeId[]): Role[] {
  return ids.map((id) => h.node(id).status().role);
}

test("a learner's log catches up: it applies what the voters committed, after being down", () => {
  const h = new Harness({ size: 3, learners: 2 });
  const leader = h.elect();
  assert.ok(V.includes(leader.id));
  h.crash(4);
  for (let k = 0; k < 20; k++) assert.ok(h.propose(leader.id, `p${k}`).ok);
  h.tick(3);
  assert.equal(h.appliedPayloads(5).length, 20, "the live learner keeps up");
  assert.deepEqual(h.appliedPayloads(4), []);
  h.start(nodeId(4));
  h.tick(5);
  const want = Array.from({ length: 20 }, (_, k) => `p${k}`);
  for (const id of h.ids) assert.deepEqual(h.appliedPayloads(id), want, `member ${id}`);
  const s = h.node(4).status();
  assert.equal(s.commit, leader.status().commit);
  assert.equal(s.leader, leader.id);
  assert.equal(s.role, Role.Follower);
  // The leader tracks the learners' progress like a follower's.
  assert.deepEqual(leader.status().progress.map((p) => p.id).sort(), [1, 2, 3, 4, 5]);
});

test("a learner never campaigns, even after many election timeouts without a leader", () => {
  const h = new Harness({ size: 3, learners: 2 });
  // Only the learners are up: nobody can lead, and they must not try.
  h.crash(1);
  h.crash(2);
  h.crash(3);
  h.tick(TEST_TIMING.electionTimeoutTicks * 50);
  for (const id of L) {
    const s = h.node(id).status();
    assert.equal(s.role, Role.Follower);
    assert.equal(s.term, 0, "a learner raised its term");
    const sent = h.readies.get(id)!.flatMap((rd) => [...rd.earlyMessages, ...rd.messages]);
    assert.equal(sent.length, 0, `learner ${id} sent ${sent.length} messages`);
  }
  // Nor when its leader dies: voters 1..3 elect one, it crashes, the learners stay followers.
  for (const id of V) h.start(id);
  const leader = h.elect();
  h.tick(3);
  h.crash(leader.id);
  h.tick(TEST_TIMING.electionTimeoutTicks * 20);
  assert.deepEqual(roles(h, L), [Role.Follower, Role.Follower]);
  const next = h.leader()!;
  assert.ok(V.includes(next.id) && next.id !== leader.id);
  for (const id of L) assert.equal(h.node(id).status().leader, next.id);
});

test("commit advances with the voters alone while every learner is down", () => {
  const h = new Harness({ size: 3, learners: 2 });
  const leader = h.elect();
  h.crash(4);
  h.crash(5);
  const r = h.propose(leader.id, "a");
  assert.ok(r.ok);
  h.tick(2 * TEST_TIMING.electionTimeoutTicks + 1);
  assert.equal(leader.status().commit, r.firstIndex);
  for (const id of V) assert.deepEqual(h.appliedPayloads(id), ["a"]);
  // Check quorum counts voters only: the leader stays in office with the learners down...
  assert.equal(leader.status().role, Role.Leader);
  // ...and a leader with only learners left (its voters cut off) steps down.
  const others = V.filter((id) => id !== leader.id);
  for (const id of others) h.crash(id);
  h.start(nodeId(4));
  h.start(nodeId(5));
  h.tick(2 * TEST_TIMING.electionTimeoutTicks + 1);
  assert.notEqual(leader.status().role, Role.Leader, "learners kept a leader in office");
});

test("learners do not count toward a commit: one voter and two learners cannot commit in a 3-voter group", () => {
  const h = new Harness({ size: 3, learners: 2 });
  const leader = h.elect();
  h.tick(3);
  const commitBefore = leader.status().commit;
  for (const id of V) if (id !== leader.id) h.crash(id);
  const r = h.propose(leader.id, "b");
  assert.ok(r.ok);
  h.tick(TEST_TIMING.electionTimeoutTicks - 1);
  assert.equal(leader.status().commit, commitBefore);
  for (const id of L) assert.equal(h.node(id).status().lastIndex, r.firstIndex, `learner ${id} got the entry`);
});

test("a learner grants a vote or pre-vote by the usual rules (it may have been promoted), but never campaigns on TimeoutNow", () => {
  const storage = new MemoryStorage();
  const n = lone(4, storage);
  n.step({ type: MessageType.PreVote, from: nodeId(1), to: nodeId(4), term: term(1), lastIndex: index(10), lastTerm: term(1) });
  n.step({ type: MessageType.Vote, from: nodeId(1), to: nodeId(4), term: term(1), lastIndex: index(10), lastTerm: term(1), transfer: false });
  const out = drainCore(n, storage);
  const answers = out.filter((m) => m.type === MessageType.PreVoteResponse || m.type === MessageType.VoteResponse);
  assert.equal(answers.length, 2);
  for (const m of answers) assert.ok((m.type === MessageType.PreVoteResponse || m.type === MessageType.VoteResponse) && m.granted);
  assert.equal(storage.hardState().vote, 1, "the learner's vote is durable like any vote");
  const l = lone(4);
  l.step({ type: MessageType.TimeoutNow, from: nodeId(1), to: nodeId(4), term: term(1) });
  assert.equal(l.status().role, Role.Follower);
  assert.equal(l.status().term, 1);
});

test("a learner's granted vote is not counted: a candidate needs a majority of its own voters", () => {
  // Three voters, two learners: a voter whose two voter peers are down cannot win with the learners' votes.
  const h = new Harness({ size: 3, learners: 2 });
  const leader = h.elect();
  for (const id of V) if (id !== leader.id) h.crash(id);
  h.tick(TEST_TIMING.electionTimeoutTicks * 8);
  for (const id of [...V, ...L]) if (!h.down.has(id)) assert.notEqual(h.node(id).status().role, Role.Leader, `member ${id} leads`);
});

test("transferLeadership to a learner is refused; a transfer without a target and leader preference skip learners", () => {
  // Learners first in the priority list: they must still never be picked.
  const h = new Harness({ size: 3, learners: 2, priority: [4, 5, 1, 2, 3], config: { preferredLeaderCheckTicks: 5 } });
  const leader = h.elect();
  h.tick(3);
  const r = leader.transferLeadership(nodeId(4));
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.code === "INVALID" && /learner/.test(r.message), JSON.stringify(r));
  assert.equal(leader.status().transferee, 0);
  const d = leader.transferLeadership();
  assert.ok(d.ok && V.includes(d.target), JSON.stringify(d));
  h.tick(4 * TEST_TIMING.electionTimeoutTicks);
  const now = h.leader()!;
  assert.ok(V.includes(now.id));
  assert.deepEqual(roles(h, L), [Role.Follower, Role.Follower]);
});

test("quiescence with learners: the group quiesces once learners catch up, and wakes for a learner that comes back", () => {
  const h = new Harness({ size: 3, learners: 2, config: { quiesce: true } });
  const leader = h.elect();
  const untilQuiet = (): boolean => {
    for (let i = 0; i < 50; i++) {
      if (h.ids.every((id) => h.down.has(id) || h.node(id).quiesced())) return true;
      h.tick();
    }
    return false;
  };
  assert.ok(untilQuiet(), "the group with learners did not quiesce");
  h.crash(5);
  leader.peerDown(nodeId(5));
  assert.ok(h.propose(leader.id, "c").ok);
  h.tick(3 * TEST_TIMING.electionTimeoutTicks);
  assert.equal(leader.quiesced(), false, "a leader does not quiesce while a learner is down");
  h.start(nodeId(5));
  leader.peerUp(nodeId(5));
  assert.ok(untilQuiet(), "the group did not quiesce again after the learner came back");
  assert.deepEqual(h.appliedPayloads(5), ["c"]);
});

test("a learner's config is validated: disjoint from voters, no duplicates; a non-member is allowed (passive)", () => {
  const base = { priority: V, ...TEST_TIMING };
  const mk = (id: number, voters: NodeId[], learners: NodeId[]) => () => new RaftNode({ id: nodeId(id), membership: { voters, learners }, ...base }, new MemoryStorage(), new SeededRandom(1));
  assert.throws(mk(1, V, [nodeId(3)]), /both a voter and a learner/);
  assert.throws(mk(4, V, [nodeId(4), nodeId(4)]), /duplicate learners/);
  assert.doesNotThrow(mk(6, V, L));
  assert.doesNotThrow(mk(5, V, L));
});

test("quiescence with learners: a learner that missed the leader's quiesce heartbeat asks again and goes quiet", () => {
  const h = new Harness({ size: 3, learners: 1, config: { quiesce: true } });
  h.elect();
  // Lose every quiesce heartbeat to the learner: the voters go quiet, the learner stays awake.
  h.drop = (m) => m.type === MessageType.Heartbeat && m.to === nodeId(4) && m.quiesce === true;
  for (let i = 0; i < 50 && !V.every((id) => h.node(id).quiesced()); i++) h.tick();
  assert.ok(V.every((id) => h.node(id).quiesced()), "the voters did not quiesce");
  assert.equal(h.node(4).quiesced(), false);
  h.drop = undefined;
  // Its election timeout passes with no word from the leader: it answers the leader, which repeats its quiesce heartbeat.
  h.tick(3 * TEST_TIMING.electionTimeoutTicks);
  assert.equal(h.node(4).quiesced(), true, "the learner stayed awake");
  assert.ok(h.ids.every((id) => h.node(id).quiesced()), "the learner's answer woke the group");
  assert.equal(h.node(4).status().role, Role.Follower);
});
