/**
 * A member that lost its disk (RaftConfig.recovering): it must not vote with
 * a vote it has forgotten, nor count toward commits with acks its lost
 * storage may have contradicted, until a leader says it has caught up.
 * The argument is in docs/STORAGE.md, "A lost disk".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Harness, TEST_TIMING, drainCore } from "./harness.js";
import { RaftNode } from "../../broker/raft/core.js";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role } from "../../broker/raft/ready.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type HardState } from "../../broker/raft/types.js";

const INC = 0x5eed;

const disks = new WeakMap<RaftNode, MemoryStorage>();

function recoveringCore(voters = [1, 2, 3]): RaftNode {
  const ids = voters.map(nodeId);
  const disk = new MemoryStorage();
  const n = new RaftNode(
    { id: nodeId(2), membership: { voters: ids }, priority: ids, ...TEST_TIMING, recovering: { incarnation: INC } },
    disk,
    new SeededRandom(7),
  );
  disks.set(n, disk);
  return n;
}

/** Run the Ready loop (each write durable at once); returns the messages and the last hard state written. */
function drain(n: RaftNode): Message[] & { hard?: HardState } {
  return drainCore(n, disks.get(n)!);
}

function entry(i: number, t: number): Entry {
  return { index: index(i), term: term(t), kind: EntryKind.Noop, offset: offset(0), count: 0, timestampMs: 0, data: new Uint8Array(0) };
}

test("a recovering member refuses votes and pre-votes and never campaigns", () => {
  const n = recoveringCore();
  assert.equal(n.softState().recovering, true);
  n.step({ type: MessageType.PreVote, from: nodeId(3), to: nodeId(2), term: term(5), lastIndex: index(9), lastTerm: term(4) });
  n.step({ type: MessageType.Vote, from: nodeId(3), to: nodeId(2), term: term(5), lastIndex: index(9), lastTerm: term(4), transfer: false });
  const answers = drain(n);
  assert.deepEqual(
    answers.map((m) => [m.type, "granted" in m ? m.granted : undefined]),
    [
      [MessageType.PreVoteResponse, false],
      [MessageType.VoteResponse, false],
    ],
  );
  // A transfer's TimeoutNow and a hundred election timeouts: still no campaign.
  n.step({ type: MessageType.TimeoutNow, from: nodeId(1), to: nodeId(2), term: term(5) });
  for (let k = 0; k < 100 * TEST_TIMING.electionTimeoutTicks; k++) n.tick();
  const s = n.status();
  assert.equal(s.role, Role.Follower);
  assert.equal(s.term, 5);
  assert.ok(!drain(n).some((m) => m.type === MessageType.PreVote || m.type === MessageType.Vote));
});

test("a recovering member acks appends tagged with its incarnation, ignores heartbeat commits, and leaves only on a matching Rejoin", () => {
  const n = recoveringCore();
  const leader = nodeId(1);
  n.step({ type: MessageType.Heartbeat, from: leader, to: nodeId(2), term: term(3), commit: index(2) });
  let out = drain(n);
  const hbr = out.find((m) => m.type === MessageType.HeartbeatResponse);
  assert.ok(hbr && hbr.type === MessageType.HeartbeatResponse);
  assert.equal(hbr.recovering, INC);
  assert.equal(hbr.promotable, false, "a recovering member is never a transfer target");
  assert.equal(n.status().commit, 0, "a heartbeat's commit may describe the lost storage: ignored");

  n.step({ type: MessageType.Append, from: leader, to: nodeId(2), term: term(3), prevIndex: index(0), prevTerm: term(0), entries: [entry(1, 2), entry(2, 3), entry(3, 3)], commit: index(2) });
  out = drain(n);
  const ack = out.find((m) => m.type === MessageType.AppendResponse);
  assert.ok(ack && ack.type === MessageType.AppendResponse && ack.success);
  assert.equal(ack.recovering, INC);
  assert.equal(n.status().commit, 2, "an append's commit is checked against the log: taken");

  // Wrong incarnation, wrong term, an entry we do not hold: all ignored.
  n.step({ type: MessageType.Rejoin, from: leader, to: nodeId(2), term: term(3), index: index(3), incarnation: INC + 1 });
  n.step({ type: MessageType.Rejoin, from: leader, to: nodeId(2), term: term(3), index: index(4), incarnation: INC });
  n.step({ type: MessageType.Rejoin, from: leader, to: nodeId(2), term: term(3), index: index(1), incarnation: INC }); // entry 1 has term 2
  drain(n);
  assert.equal(n.softState().recovering, true);

  n.step({ type: MessageType.Rejoin, from: leader, to: nodeId(2), term: term(3), index: index(3), incarnation: INC });
  const hard = drain(n).hard;
  assert.equal(disks.get(n)!.hardState().vote, leader, "the vote is durable");
  assert.equal(n.softState().recovering, false);
  assert.equal(n.status().commit, 3);
  assert.ok(hard);
  assert.equal(hard.vote, leader, "it records a vote for the leader: never another vote in this term");
  assert.equal(hard.term, 3);

  n.step({ type: MessageType.HeartbeatResponse, from: leader, to: nodeId(2), term: term(3), promotable: true });
  n.step({ type: MessageType.Heartbeat, from: leader, to: nodeId(2), term: term(3), commit: index(3) });
  out = drain(n);
  const after = out.find((m) => m.type === MessageType.HeartbeatResponse);
  assert.ok(after && after.type === MessageType.HeartbeatResponse);
  assert.equal(after.recovering, undefined);
  assert.equal(after.promotable, true);
});

test("groups of one or two voters never recover: every quorum is all of them", () => {
  assert.equal(recoveringCore([2]).softState().recovering, false);
  assert.equal(recoveringCore([1, 2]).softState().recovering, false);
  assert.equal(recoveringCore([1, 2, 3, 4]).softState().recovering, true);
});

/**
 * The hazard of issue 12: entry committed on {1,2} of {1,2,3}; 2 loses its
 * disk; stale 3 campaigns. Unguarded, 2 votes for 3 with its forgotten vote
 * and empty log, and 3 overwrites the committed entry.
 */
function hazard(guarded: boolean): { h: Harness; committedOn1: string[] } {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  const leader = h.elect();
  assert.equal(leader.id, 1);
  h.tick(3);
  h.isolate(3);
  const r = h.propose(nodeId(1), "committed");
  assert.ok(r.ok);
  h.tick(2);
  assert.deepEqual(h.appliedPayloads(1), ["committed"]);
  // 1 goes down, 2 loses its disk and comes back, 3 (missing the entry) rejoins the network.
  h.crash(1);
  h.loseDisk(2, INC, guarded);
  h.heal();
  h.tick(20 * TEST_TIMING.electionTimeoutTicks);
  return { h, committedOn1: h.appliedPayloads(1) };
}

test("unguarded, the lost disk loses a committed entry (the hazard is real)", () => {
  const { h } = hazard(false);
  const l = h.leader();
  assert.ok(l, "3 wins with 2's forgotten vote");
  assert.equal(l.id, 3);
  h.start(nodeId(1));
  h.tick(5 * TEST_TIMING.electionTimeoutTicks);
  assert.deepEqual(h.appliedPayloads(3), [], "the committed entry is gone from the new leader");
});

test("guarded, the recovering member refuses the stale candidate; once a real leader is back it catches up and votes again", () => {
  const { h } = hazard(true);
  assert.equal(h.leader(), undefined, "no quorum without the recovering member's vote: the group waits");
  assert.equal(h.node(3).status().role !== Role.Leader, true);
  h.start(nodeId(1));
  h.tick(10 * TEST_TIMING.electionTimeoutTicks);
  const l = h.leader();
  assert.ok(l);
  assert.equal(l.id, 1, "only 1 holds the committed entry, and only it can win");
  assert.equal(h.node(2).softState().recovering, false, "2 caught up and rejoined");
  for (const id of [1, 2, 3]) assert.ok(h.appliedPayloads(id).includes("committed"), `member ${id} applied the committed entry`);
  // 2 now counts: with 1 down, 2 and 3 elect a leader that keeps the entry.
  h.crash(1);
  h.tick(10 * TEST_TIMING.electionTimeoutTicks);
  const l2 = h.leader();
  assert.ok(l2 && l2.id !== 1);
  const r = h.propose(l2.id, "after");
  assert.ok(r.ok);
  h.tick(3);
  assert.deepEqual(h.appliedPayloads(l2.id).filter((p) => p === "committed" || p === "after"), ["committed", "after"]);
});

test("a leader counts no recovering member toward commits, and appends a marker for each new incarnation", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  h.elect();
  h.tick(3);
  h.crash(3);
  h.loseDisk(2, INC);
  h.tick(2);
  const before = h.node(1).status().lastIndex;
  const r = h.propose(nodeId(1), "needs-two");
  assert.ok(r.ok);
  h.tick(5);
  assert.ok(h.node(2).status().lastIndex >= r.firstIndex, "the recovering member holds the entry");
  assert.ok(h.node(1).status().commit < r.firstIndex, "but its ack does not count");
  // The leader's status says so, which is how a controlled shutdown knows not to wait for it.
  assert.equal(h.node(1).status().progress.find((p) => p.id === 2)?.recovering, true);
  assert.ok(before >= 2, "a marker no-op was appended when the leader learned of the recovery");
  h.start(nodeId(3));
  h.tick(10);
  assert.ok(h.node(1).status().commit >= r.firstIndex);
  assert.equal(h.node(2).softState().recovering, false);
  assert.equal(h.node(1).status().progress.find((p) => p.id === 2)?.recovering, false);
  // A second loss of the same member: a new incarnation, a new marker, recovering again.
  h.loseDisk(2, INC + 1);
  assert.equal(h.node(2).softState().recovering, true);
  h.tick(10);
  assert.equal(h.node(2).softState().recovering, false);
  assert.equal(h.node(1).status().lastIndex, r.firstIndex + 1, "another marker was appended");
});
