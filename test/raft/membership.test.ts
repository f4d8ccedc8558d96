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
import { EntryKind, entryBytes, index, nodeId, offset, type Membership, type NodeId } from "../../broker/raft/types.js";

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

test("setPriority replaces the leader preference: the leader hands over to the new most preferred voter", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3], config: { preferredLeaderCheckTicks: 5 } });
  assert.equal(h.elect().id, 1);
  h.tick(2);
  for (const id of [1, 2, 3]) h.node(id).setPriority(ids(3, 1, 2));
  tickUntil(h, () => h.leader()?.id === 3);
});
