/**
 * Membership changes in the Raft core (RaftNode, "Membership changes"):
 * joint consensus through Config entries that take effect when they commit.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Harness, TEST_TIMING, drainCore } from "./harness.js";
import { RaftNode } from "../../broker/raft/core.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role } from "../../broker/raft/ready.js";
import { decodeMembership, encodeMembership, jointCommittedIndex, jointTally } from "../../broker/raft/membership.js";
import { EntryKind, entryBytes, index, nodeId, offset, term, type Membership, type NodeId } from "../../broker/raft/types.js";

const ids = (...n: number[]): NodeId[] => n.map(nodeId);
const sorted = (a: readonly NodeId[] | undefined): number[] => [...(a ?? [])].sort((x, y) => x - y);

/** Tick until `done` holds (settling after each tick); fails after `ticksMax`. */
function tickUntil(h: Harness, done: () => boolean, ticksMax = 300): void {
  for (let i = 0; i < ticksMax; i++) {
    if (done()) return;
    h.tick();
  }
  assert.ok(done(), `condition not reached within ${ticksMax} ticks`);
}

/** Every live member among `members` has `voters` (and no joint half) in effect. */
function settledOn(h: Harness, members: readonly NodeId[], voters: readonly NodeId[]): boolean {
  return members.every((id) => {
    const m = h.node(id).membership();
    return !m.pending && m.config.votersOutgoing === undefined && sorted(m.config.voters).join() === sorted(voters).join();
  });
}

test("joint quorum maths: commit is the min of the halves; a vote is won only when both halves win", () => {
  const m: Membership = { voters: ids(1, 4, 5), votersOutgoing: ids(1, 2, 3) };
  const match = new Map([[1, 9], [2, 9], [3, 9], [4, 2], [5, 1]]);
  assert.equal(jointCommittedIndex(m, (id) => index(match.get(id)!)), 2, "the incoming half holds only up to 2");
  const votes = new Map<NodeId, boolean>([[nodeId(1), true], [nodeId(2), true], [nodeId(3), true]]);
  assert.equal(jointTally(m, votes), "pending", "the outgoing half alone does not win");
  votes.set(nodeId(4), true);
  assert.equal(jointTally(m, votes), "won");
  const lost = new Map<NodeId, boolean>([[nodeId(1), true], [nodeId(2), true], [nodeId(3), true], [nodeId(4), false], [nodeId(5), false]]);
  assert.equal(jointTally(m, lost), "lost", "losing one half loses");
  assert.deepEqual(decodeMembership(encodeMembership(m)), m);
  assert.equal(decodeMembership(new TextEncoder().encode("{not json")), undefined);
  assert.equal(decodeMembership(encodeMembership({ voters: [] })), undefined);
});

test("enter and leave joint: voters {1,2,3} become {1,2,4}; every member ends on the new configuration, with a joint step between", () => {
  const h = new Harness({ size: 3, extra: 1, priority: [1, 2, 3] });
  const leader = h.elect();
  assert.equal(leader.id, 1);
  h.tick(2);
  const r = leader.changeMembership({ voters: ids(1, 2, 4) });
  assert.ok(r.ok, JSON.stringify(r));
  h.settle();
  tickUntil(h, () => settledOn(h, ids(1, 2, 4), ids(1, 2, 4)));
  const m = leader.membership();
  assert.ok(m.index > r.index, "the leave entry follows the joint one");
  // The leader adopted the joint configuration, then the leave, each written with the hard state.
  const adopted = h.readies.get(leader.id)!.flatMap((rd) => (rd.hardState?.membership ? [rd.hardState] : []));
  assert.deepEqual(adopted.map((hs) => hs.membershipIndex), [r.index, m.index]);
  assert.deepEqual(sorted(adopted[0]!.membership!.votersOutgoing), [1, 2, 3]);
  for (const rd of h.readies.get(leader.id)!) if (rd.hardState?.membership) assert.ok(rd.mustSync, "a new configuration is written at once");
  assert.deepEqual(h.storages.get(nodeId(4))!.hardState().membership, m.config);
  // The group keeps committing with the new voters; member 4's log has it all.
  assert.ok(h.propose(leader.id, "after").ok);
  h.tick(2);
  assert.deepEqual(h.appliedPayloads(4), ["after"]);
  assert.equal(leader.status().membership.index, m.index);
});

test("while joint, a commit needs a majority of both halves; the change completes when the new voters come back", () => {
  const h = new Harness({ size: 3, extra: 2, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  const r = leader.changeMembership({ voters: ids(1, 4, 5) });
  assert.ok(r.ok);
  h.crash(4);
  h.crash(5);
  h.tick(5);
  // The joint entry committed under the old voters; the leave cannot (the incoming half {1,4,5} has only 1).
  const m = leader.membership();
  assert.equal(m.index, r.index);
  assert.deepEqual(sorted(m.config.votersOutgoing), [1, 2, 3]);
  assert.ok(m.pending);
  const before = leader.status().commit;
  const p = h.propose(leader.id, "needs-both");
  assert.ok(p.ok);
  h.tick(TEST_TIMING.electionTimeoutTicks - 2);
  assert.equal(leader.status().commit, before, "1, 2 and 3 hold it, but the incoming half does not");
  h.start(nodeId(4));
  tickUntil(h, () => settledOn(h, ids(1, 4), ids(1, 4, 5)) && h.appliedPayloads(4).includes("needs-both"));
});

test("refusals: NOT_LEADER on a follower, INVALID targets, BUSY while a change is in flight and before the leader's first commit", () => {
  const h = new Harness({ size: 3, extra: 1, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  const follower = h.node(2);
  const nl = follower.changeMembership({ voters: ids(1, 2) });
  assert.ok(!nl.ok && nl.code === "NOT_LEADER");
  for (const bad of [{ voters: [] }, { voters: ids(1, 1, 2) }, { voters: ids(1, 2), learners: ids(2) }, { voters: [nodeId(0)] }]) {
    const x = leader.changeMembership(bad);
    assert.ok(!x.ok && x.code === "INVALID", JSON.stringify([bad, x]));
  }
  const first = leader.changeMembership({ voters: ids(1, 2, 3), learners: ids(4) });
  assert.ok(first.ok);
  const busy = leader.changeMembership({ voters: ids(1, 2, 4) });
  assert.ok(!busy.ok && busy.code === "BUSY", JSON.stringify(busy));
  h.settle();
  h.tick(2);
  assert.equal(leader.membership().pending, false);
  assert.deepEqual(leader.membership().config.learners, ids(4));
  // Nothing changes: ok at the configuration in effect, no entry.
  const last = leader.status().lastIndex;
  const same = leader.changeMembership({ voters: ids(3, 2, 1), learners: ids(4) });
  assert.ok(same.ok && same.index === leader.membership().index);
  assert.equal(leader.status().lastIndex, last);
  // Proposals of Config entries go through changeMembership only.
  const raw = leader.propose([{ kind: EntryKind.Config, count: 0, timestampMs: 0, data: encodeMembership({ voters: ids(1) }) }]);
  assert.ok(!raw.ok && raw.code === "INVALID");

  // A new leader refuses until an entry of its term commits.
  const storage = new MemoryStorage();
  const solo = new RaftNode({ id: nodeId(1), membership: { voters: ids(1) }, priority: ids(1), ...TEST_TIMING }, storage, new SeededRandom(1));
  for (let i = 0; i < 40 && solo.status().role !== Role.Leader; i++) solo.tick();
  assert.equal(solo.status().role, Role.Leader);
  const early = solo.changeMembership({ voters: ids(1), learners: ids(2) });
  assert.ok(!early.ok && early.code === "BUSY", JSON.stringify(early));
  drainCore(solo, storage);
  assert.ok(solo.changeMembership({ voters: ids(1), learners: ids(2) }).ok);
});

test("a new voter that is a non-member at start catches up, then votes: the group survives losing two old members", () => {
  const h = new Harness({ size: 3, extra: 1, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  for (let i = 0; i < 5; i++) h.propose(leader.id, `r${i}`);
  // The non-member never campaigns, however long it hears nothing.
  assert.equal(h.node(4).status().role, Role.Follower);
  assert.ok(leader.changeMembership({ voters: ids(1, 2, 4) }).ok);
  tickUntil(h, () => settledOn(h, ids(1, 2, 4), ids(1, 2, 4)));
  assert.deepEqual(h.appliedPayloads(4), ["r0", "r1", "r2", "r3", "r4"]);
  // Without 1 (the leader) and 3 (removed), 2 and 4 are a majority of {1,2,4}.
  h.crash(1);
  h.crash(3);
  tickUntil(h, () => [2, 4].some((id) => h.node(id).status().role === Role.Leader));
  const l2 = h.leader()!;
  assert.ok(h.propose(l2.id, "after").ok);
  h.tick(2);
  assert.equal(h.appliedPayloads(4).at(-1), "after");
  assert.equal(h.appliedPayloads(2).at(-1), "after");
});

test("a leader removed by the leave steps down, never campaigns again, and the new voters elect a leader", () => {
  const h = new Harness({ size: 3, extra: 1, priority: [1, 2, 3] });
  const leader = h.elect();
  assert.equal(leader.id, 1);
  h.tick(2);
  assert.ok(leader.changeMembership({ voters: ids(2, 3, 4) }).ok);
  tickUntil(h, () => settledOn(h, ids(1, 2, 3, 4), ids(2, 3, 4)) && h.leader() !== undefined && h.leader()!.id !== 1);
  const messages: Message[] = [];
  h.drop = (m) => {
    messages.push(m);
    return false;
  };
  h.tick(TEST_TIMING.electionTimeoutTicks * 6);
  assert.notEqual(h.node(1).status().role, Role.Leader);
  assert.ok(!messages.some((m) => m.from === 1 && (m.type === MessageType.PreVote || m.type === MessageType.Vote)), "the removed member campaigned");
  const l = h.leader()!;
  assert.ok([2, 3, 4].includes(l.id));
  assert.ok(h.propose(l.id, "x").ok);
});

test("a restart keeps the committed membership (HardState.membership), over the base configuration", () => {
  const h = new Harness({ size: 3, extra: 1, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  assert.ok(leader.changeMembership({ voters: ids(1, 2, 4), learners: ids(3) }).ok);
  tickUntil(h, () => settledOn(h, ids(1, 2, 3, 4), ids(1, 2, 4)));
  const want = leader.membership();
  for (const id of [1, 2, 3, 4]) h.crash(id);
  for (const id of [1, 2, 3, 4]) h.start(nodeId(id));
  for (const id of [1, 2, 3, 4]) {
    const m = h.node(id).membership();
    assert.equal(m.index, want.index, `member ${id}`);
    assert.deepEqual(sorted(m.config.voters), [1, 2, 4]);
    assert.deepEqual(m.config.learners, ids(3));
  }
  const l = h.elect();
  assert.ok([1, 2, 4].includes(l.id), "3 is a learner now and never leads");
  h.tick(2);
  assert.ok(h.propose(l.id, "after-restart").ok);
  h.tick(2);
  assert.equal(h.appliedPayloads(3).at(-1), "after-restart");
});

test("a snapshot carries the membership to a far-behind member", async () => {
  const h = new Harness({ size: 3, extra: 1, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  h.crash(4);
  const r = leader.changeMembership({ voters: ids(1, 2, 3), learners: ids(4) });
  assert.ok(r.ok);
  for (let i = 0; i < 6; i++) h.propose(leader.id, `r${i}`);
  h.tick(3);
  for (const id of [1, 2, 3]) {
    const s = h.storages.get(nodeId(id))!;
    const upTo = s.hardState().commit;
    assert.ok(upTo > r.index);
    const e = s.entries(upTo, index(upTo + 1), Infinity)[0]!;
    await s.compact({ index: upTo, term: e.term, offset: offset(e.offset + e.count) });
  }
  // Member 4 starts from nothing (its disk lost): it knows only the base membership, and is not in it.
  h.storages.set(nodeId(4), new MemoryStorage());
  h.start(nodeId(4));
  assert.equal(h.node(4).membership().index, 0);
  tickUntil(h, () => h.node(4).membership().index === r.index);
  assert.deepEqual(h.node(4).membership().config.learners, ids(4));
  assert.equal(h.storages.get(nodeId(4))!.snapshot().index, h.storages.get(nodeId(1))!.snapshot().index);
  assert.equal(h.storages.get(nodeId(4))!.hardState().membershipIndex, r.index);
});

test("learnerAppendBytesPerTick bounds the bytes sent to learners per tick; voters are not throttled; the learner still catches up", () => {
  const perTick = 3000;
  const h = new Harness({ size: 3, learners: 1, priority: [1, 2, 3], config: { learnerAppendBytesPerTick: perTick } });
  const leader = h.elect();
  h.tick(2);
  h.crash(4);
  const payload = "x".repeat(960); // entryBytes: 1000
  for (let i = 0; i < 40; i++) assert.ok(h.propose(leader.id, payload).ok);
  h.tick(2);
  const entrySize = entryBytes({ index: index(1), term: leader.status().term, kind: EntryKind.Records, offset: offset(0), count: 1, timestampMs: 0, data: new TextEncoder().encode(payload) });
  const perTickBytes: number[] = [];
  let current = 0;
  h.drop = (m) => {
    if (m.type === MessageType.Append && m.to === 4) current += m.entries.reduce((n, e) => n + entryBytes(e), 0);
    return false;
  };
  h.start(nodeId(4));
  for (let t = 0; t < 60 && h.appliedPayloads(4).length < 40; t++) {
    current = 0;
    h.tick();
    perTickBytes.push(current);
  }
  assert.equal(h.appliedPayloads(4).length, 40, "the learner caught up");
  assert.ok(Math.max(...perTickBytes) <= perTick + entrySize, `bytes per tick ${perTickBytes.join(",")}`);
  assert.ok(perTickBytes.filter((b) => b > 0).length >= Math.floor((40 * entrySize) / (perTick + entrySize)), "spread over many ticks");
});

test("learnerAppendBytesPerTick: entries larger than a tick's budget overdraw it and later ticks pay it back, so the average rate holds", () => {
  const perTick = 500;
  const h = new Harness({ size: 3, learners: 1, priority: [1, 2, 3], config: { learnerAppendBytesPerTick: perTick } });
  const leader = h.elect();
  h.tick(2);
  h.crash(4);
  const payload = "x".repeat(1460); // entryBytes: 1500, three ticks' budget
  const count = 12;
  for (let i = 0; i < count; i++) assert.ok(h.propose(leader.id, payload).ok);
  h.tick(2);
  let bytes = 0;
  h.drop = (m) => {
    if (m.type === MessageType.Append && m.to === 4) bytes += m.entries.reduce((n, e) => n + entryBytes(e), 0);
    return false;
  };
  h.start(nodeId(4));
  let ticks = 0;
  while (h.appliedPayloads(4).length < count && ticks < 200) {
    h.tick();
    ticks++;
  }
  assert.equal(h.appliedPayloads(4).length, count, "the learner caught up");
  // Budget over the run: perTick per tick in, `bytes` out, overdrawn by at most one entry at the end. Without
  // paying back, one 1500-byte entry would leave every tick (about `count` ticks); with it, about three ticks each.
  const entrySize = 1500;
  assert.ok(ticks * perTick >= bytes - entrySize, `${bytes} bytes in ${ticks} ticks at ${perTick} per tick`);
  assert.ok(ticks >= 2 * count, `${count} entries of three ticks' budget took only ${ticks} ticks`);
});

test("setPriority replaces the leader preference: the leader hands over to the new most preferred voter", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3], config: { preferredLeaderCheckTicks: 5 } });
  assert.equal(h.elect().id, 1);
  h.tick(2);
  for (const id of [1, 2, 3]) h.node(id).setPriority(ids(3, 1, 2));
  tickUntil(h, () => h.leader()?.id === 3);
});

/** A core (member `id`, base voters 1..3) over a log of [noop, joint {1,2,4 | 1,2,3}, leave {1,2,4}], of which only the no-op is known committed. */
function behindOnAChange(id: number): { node: RaftNode; storage: MemoryStorage } {
  const storage = new MemoryStorage();
  const conf = (m: Membership, i: number) => ({ index: index(i), term: term(1), kind: EntryKind.Config, offset: offset(0), count: 0, timestampMs: 0, data: encodeMembership(m) });
  storage.apply({
    entries: [
      { index: index(1), term: term(1), kind: EntryKind.Noop, offset: offset(0), count: 0, timestampMs: 0, data: new Uint8Array(0) },
      conf({ voters: ids(1, 2, 4), votersOutgoing: ids(1, 2, 3) }, 2),
      conf({ voters: ids(1, 2, 4) }, 3),
    ],
    hardState: { term: term(1), vote: nodeId(0), commit: index(1) },
  });
  const node = new RaftNode({ id: nodeId(id), membership: { voters: ids(1, 2, 3) }, priority: ids(1, 2, 3), ...TEST_TIMING }, storage, new SeededRandom(id));
  return { node, storage };
}

test("a member that missed the end of a change learns it from the commit position a (pre-)vote request or answer carries", () => {
  // Restarted with the leave uncommitted in its view: the two Config entries are pending.
  const a = behindOnAChange(3);
  assert.equal(a.node.membership().index, 0);
  assert.ok(a.node.membership().pending, "the base configuration in effect, a change in the log");
  // A pre-vote request from member 4 at an older term carries commit 3 (term 1), which member 3's log holds.
  a.node.step({ type: MessageType.PreVote, from: nodeId(4), to: nodeId(3), term: term(2), lastIndex: index(3), lastTerm: term(1), committed: { index: index(3), term: term(1) } });
  assert.equal(a.node.membership().index, 3, "the leave is in effect");
  assert.deepEqual(sorted(a.node.membership().config.voters), [1, 2, 4]);
  const out = drainCore(a.node, a.storage);
  assert.equal(a.storage.hardState().membershipIndex, 3, "and written with the commit index");
  assert.equal(out.hard?.commit, 3);
  // Member 3, removed, never campaigns now.
  for (let i = 0; i < 10 * TEST_TIMING.electionTimeoutTicks; i++) a.node.tick();
  assert.ok(!drainCore(a.node, a.storage).some((m) => m.type === MessageType.PreVote || m.type === MessageType.Vote));

  // A position the log does not hold (another term there) is ignored.
  const b = behindOnAChange(2);
  b.node.step({ type: MessageType.PreVote, from: nodeId(4), to: nodeId(2), term: term(2), lastIndex: index(3), lastTerm: term(1), committed: { index: index(3), term: term(5) } });
  assert.equal(b.node.membership().index, 0);

  // A candidate takes it from a rejecting answer of an older term: it then campaigns with the new voters.
  const c = behindOnAChange(2);
  for (let i = 0; i < 10 * TEST_TIMING.electionTimeoutTicks && c.node.status().role !== Role.PreCandidate; i++) c.node.tick();
  assert.equal(c.node.status().role, Role.PreCandidate);
  const asked = drainCore(c.node, c.storage).filter((m) => m.type === MessageType.PreVote).map((m) => m.to).sort();
  assert.deepEqual(asked, [1, 3], "the base voters: the committed configuration it knows");
  c.node.step({ type: MessageType.PreVoteResponse, from: nodeId(3), to: nodeId(2), term: term(0), granted: false, committed: { index: index(3), term: term(1) } });
  assert.equal(c.node.membership().index, 3);
});

test("a non-voter's election clock runs on past its nudges: once its leader is silent an election timeout, it grants pre-votes", () => {
  const storage = new MemoryStorage();
  const n = new RaftNode({ id: nodeId(4), membership: { voters: ids(1, 2, 3), learners: ids(4) }, priority: ids(1, 2, 3), ...TEST_TIMING }, storage, new SeededRandom(4));
  n.step({ type: MessageType.Heartbeat, from: nodeId(1), to: nodeId(4), term: term(1), commit: index(0) });
  drainCore(n, storage);
  let nudges = 0;
  for (let i = 0; i < 5 * TEST_TIMING.electionTimeoutTicks; i++) {
    n.tick();
    nudges += drainCore(n, storage).filter((m) => m.type === MessageType.HeartbeatResponse).length;
  }
  assert.ok(nudges >= 2 && nudges <= 5, `one nudge per election timeout (${nudges})`);
  n.step({ type: MessageType.PreVote, from: nodeId(2), to: nodeId(4), term: term(2), lastIndex: index(0), lastTerm: term(0) });
  const answer = drainCore(n, storage).find((m) => m.type === MessageType.PreVoteResponse);
  assert.ok(answer !== undefined && answer.type === MessageType.PreVoteResponse && answer.granted, "the dead leader's lease is over");
});

test("quiescence never hides a change in flight: a leader stays awake while a joint configuration cannot be left", () => {
  const h = new Harness({ size: 3, extra: 2, priority: [1, 2, 3], config: { quiesce: true } });
  const leader = h.elect();
  tickUntil(h, () => leader.quiesced(), 100);
  h.crash(4);
  h.crash(5);
  assert.ok(leader.changeMembership({ voters: ids(1, 4, 5) }).ok);
  // Several heartbeat intervals, each a chance to quiesce; less than the check-quorum timeout (the incoming half is down).
  h.tick(TEST_TIMING.electionTimeoutTicks - 1);
  assert.equal(leader.status().role, Role.Leader);
  assert.ok(leader.membership().pending, "the leave needs 4 or 5");
  assert.equal(leader.quiesced(), false, "a group with a change in flight stays awake");
  h.start(nodeId(4));
  h.start(nodeId(5));
  tickUntil(h, () => settledOn(h, ids(1, 4, 5), ids(1, 4, 5)));
});
