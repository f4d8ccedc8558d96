import { test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.js";
import { RaftNode } from "../../broker/raft/core.js";
import { MessageType } from "../../broker/raft/messages.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role } from "../../broker/raft/ready.js";
import { EntryKind, index, nodeId, offset, term, type Entry } from "../../broker/raft/types.js";
import { TEST_TIMING } from "./harness.js";

test("the most preferred member wins the first election and commits a no-op", () => {
  const h = new Harness({ size: 3, priority: [2, 1, 3] });
  const leader = h.elect();
  assert.equal(leader.id, 2);
  h.tick(3);
  for (const id of h.ids) {
    const s = h.node(id).status();
    assert.equal(s.leader, 2);
    assert.equal(s.commit, 1);
    assert.equal(h.applied.get(id)![0]!.kind, EntryKind.Noop);
  }
});

test("proposals commit on every member with dense offsets", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  const r1 = h.propose(leader.id, "a", 3);
  const r2 = h.propose(leader.id, "b", 2);
  assert.ok(r1.ok && r2.ok);
  h.tick(3);
  for (const id of h.ids) {
    assert.deepEqual(h.appliedPayloads(id), ["a", "b"]);
    const recs = h.applied.get(id)!.filter((e) => e.kind === EntryKind.Records);
    assert.deepEqual(recs.map((e) => [e.offset, e.count]), [[0, 3], [3, 2]]);
  }
});

test("a follower refuses proposals with NOT_LEADER naming the leader", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  h.tick(2);
  const follower = h.ids.find((id) => id !== leader.id)!;
  const r = h.propose(follower, "x");
  assert.equal(r.ok, false);
  assert.ok(!r.ok && r.code === "NOT_LEADER" && r.leader === leader.id);
});

test("term and vote are in the same Ready as the vote they justify", () => {
  const h = new Harness({ size: 3 });
  h.elect();
  for (const id of h.ids) {
    for (const rd of h.readies.get(id)!) {
      for (const m of rd.messages) {
        if (m.type === MessageType.VoteResponse && m.granted) {
          assert.ok(rd.hardState, "vote granted without persisting hard state in the same Ready");
          assert.equal(rd.hardState.vote, m.to);
          assert.equal(rd.hardState.term, m.term);
        }
      }
    }
  }
});

test("pre-vote: a member isolated in a minority does not raise its term", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  h.tick(5);
  const isolated = h.ids.find((id) => id !== leader.id)!;
  const termBefore = leader.status().term;
  h.isolate(isolated);
  h.tick(200);
  assert.equal(h.node(isolated).status().term, termBefore);
  h.heal();
  h.tick(20);
  assert.equal(h.leader()!.id, leader.id);
  assert.equal(h.leader()!.status().term, termBefore);
});

test("votedFor is cleared when the term advances", () => {
  const storage = new MemoryStorage();
  const cfg = { id: nodeId(1), membership: { voters: [nodeId(1), nodeId(2), nodeId(3)] }, priority: [nodeId(1), nodeId(2), nodeId(3)], ...TEST_TIMING };
  storage.apply({ hardState: { term: term(5), vote: nodeId(2), commit: index(0) } });
  const n = new RaftNode(cfg, storage, new SeededRandom(1));
  // A heartbeat at a higher term from member 3 moves us to term 6 with no vote.
  n.step({ type: MessageType.Heartbeat, from: nodeId(3), to: nodeId(1), term: term(6), commit: index(0) });
  const rd = n.ready();
  assert.deepEqual(rd.hardState, { term: 6, vote: 0, commit: 0 });
  n.advance(rd);
  // And a vote request at term 6 from member 2 is not granted: member 3 leads.
  n.step({ type: MessageType.Vote, from: nodeId(2), to: nodeId(1), term: term(6), lastIndex: index(0), lastTerm: term(0), transfer: false });
  const rd2 = n.ready();
  const resp = rd2.messages.find((m) => m.type === MessageType.VoteResponse);
  assert.ok(!resp || (resp.type === MessageType.VoteResponse && !resp.granted));
});

test("check quorum: a leader cut off from the majority steps down", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  h.isolate(leader.id);
  h.tick(TEST_TIMING.electionTimeoutTicks * 2 + 1);
  assert.notEqual(leader.status().role, Role.Leader);
  const newLeader = h.elect();
  assert.notEqual(newLeader.id, leader.id);
});

test("leadership transfer: proposals are refused naming the target, then the target leads", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  h.tick(3);
  h.propose(leader.id, "before");
  const target = h.ids.find((id) => id !== leader.id)!;
  // Keep the transfer from completing inside transferLeadership by cutting the target first.
  h.cut.add(`${leader.id}->${target}`);
  const t = leader.transferLeadership(target);
  assert.deepEqual(t, { ok: true, target });
  const refused = leader.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 0, data: new Uint8Array([1]) }]);
  assert.ok(!refused.ok && refused.code === "LEADER_TRANSFER_IN_PROGRESS" && refused.leader === target);
  h.heal();
  h.tick(TEST_TIMING.heartbeatIntervalTicks + 1);
  assert.equal(h.leader()!.id, target);
  assert.ok(h.propose(target, "after").ok);
  h.tick(3);
  for (const id of h.ids) assert.deepEqual(h.appliedPayloads(id), ["before", "after"]);
});

test("transfer to a lagging member catches it up first", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  const target = h.ids.find((id) => id !== leader.id)!;
  h.isolate(target);
  for (let i = 0; i < 20; i++) h.propose(leader.id, `r${i}`);
  h.heal();
  assert.ok(leader.transferLeadership(target).ok);
  h.tick(TEST_TIMING.electionTimeoutTicks);
  assert.equal(h.leader()!.id, target);
  h.tick(3);
  assert.equal(h.appliedPayloads(target).length, 20);
});

test("transfer to a dead member: the old leader takes proposals again after an election timeout", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  h.tick(3);
  const target = h.ids.find((id) => id !== leader.id)!;
  h.crash(target);
  assert.ok(leader.transferLeadership(target).ok);
  assert.equal(h.propose(leader.id, "x").ok, false);
  h.tick(TEST_TIMING.electionTimeoutTicks);
  assert.equal(h.leader()!.id, leader.id);
  assert.ok(h.propose(leader.id, "y").ok);
});

test("only one transfer at a time", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  const [a, b] = h.ids.filter((id) => id !== leader.id);
  h.crash(a!);
  assert.ok(leader.transferLeadership(a).ok);
  const second = leader.transferLeadership(b);
  assert.ok(!second.ok && second.code === "LEADER_TRANSFER_IN_PROGRESS");
});

test("leader preference: the preferred member takes leadership back once caught up", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3], config: { preferredLeaderCheckTicks: 15 } });
  assert.equal(h.elect().id, 1);
  h.crash(1);
  h.tick(TEST_TIMING.electionTimeoutTicks * 3);
  const interim = h.elect();
  assert.notEqual(interim.id, 1);
  for (let i = 0; i < 10; i++) h.propose(interim.id, `r${i}`);
  h.start(nodeId(1));
  h.tick(60);
  assert.equal(h.leader()!.id, 1);
  h.tick(3);
  assert.equal(h.appliedPayloads(1).length, 10);
});

test("a restarted member re-applies committed entries from its storage", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  for (let i = 0; i < 5; i++) h.propose(leader.id, `r${i}`);
  h.tick(3);
  const follower = h.ids.find((id) => id !== leader.id)!;
  h.crash(follower);
  h.start(follower);
  h.tick(1);
  assert.deepEqual(h.appliedPayloads(follower), ["r0", "r1", "r2", "r3", "r4"]);
});

test("a divergent uncommitted suffix is truncated and replaced (fast back-off)", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  assert.equal(h.elect().id, 1);
  h.tick(3);
  h.propose(nodeId(1), "committed");
  h.tick(3);
  // Leader 1 appends entries nobody else gets, then dies.
  h.isolate(1);
  for (let i = 0; i < 6; i++) h.propose(nodeId(1), `lost${i}`);
  h.crash(1);
  h.heal();
  h.tick(TEST_TIMING.electionTimeoutTicks * 3);
  const l2 = h.elect();
  assert.notEqual(l2.id, 1);
  for (let i = 0; i < 3; i++) h.propose(l2.id, `new${i}`);
  h.start(nodeId(1));
  h.tick(20);
  h.tick(3);
  for (const id of h.ids) assert.deepEqual(h.appliedPayloads(id), ["committed", "new0", "new1", "new2"]);
  // Offsets were recomputed densely by the new leader.
  const recs = h.storages.get(nodeId(1))!.entries(index(1), index(h.storages.get(nodeId(1))!.lastIndex() + 1), Infinity).filter((e: Entry) => e.count > 0);
  assert.deepEqual(recs.map((e) => e.offset), [0, 1, 2, 3]);
});

test("a follower behind the leader's log start gets a snapshot", async () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  assert.equal(h.elect().id, 1);
  h.crash(3);
  for (let i = 0; i < 10; i++) h.propose(nodeId(1), `r${i}`);
  h.tick(3);
  // Compact the leader's and member 2's logs past what member 3 has.
  for (const id of [1, 2]) {
    const s = h.storages.get(nodeId(id))!;
    // Through the durable commit (the newest commit-only change is not written).
    const upTo = s.hardState().commit;
    assert.ok(upTo > 3);
    const e = s.entries(upTo, index(upTo + 1), Infinity)[0]!;
    await s.compact({ index: upTo, term: e.term, offset: offset(e.offset + e.count) });
  }
  h.start(nodeId(3));
  h.tick(10);
  const s3 = h.storages.get(nodeId(3))!;
  assert.equal(s3.snapshot().index, h.storages.get(nodeId(1))!.snapshot().index);
  assert.equal(s3.nextOffset(), 10);
  assert.ok(h.propose(nodeId(1), "after").ok);
  h.tick(3);
  assert.equal(h.appliedPayloads(3).at(-1), "after");
  assert.equal(s3.nextOffset(), 11);
});

test("a single-member group elects itself and commits", () => {
  const h = new Harness({ size: 1 });
  const l = h.elect();
  assert.ok(h.propose(l.id, "solo").ok);
  assert.deepEqual(h.appliedPayloads(1), ["solo"]);
});

test("invalid proposals are refused", () => {
  const h = new Harness({ size: 1 });
  const l = h.elect();
  const r = l.propose([{ kind: EntryKind.Records, count: 0, timestampMs: 0, data: new Uint8Array() }]);
  assert.ok(!r.ok && r.code === "INVALID");
});

test("a draining member (controlled shutdown) never takes leadership back", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3], config: { preferredLeaderCheckTicks: 15 } });
  assert.equal(h.elect().id, 1);
  h.node(1).setPromotable(false);
  assert.ok(h.node(1).transferLeadership().ok);
  h.tick(TEST_TIMING.electionTimeoutTicks);
  const l = h.leader()!;
  assert.notEqual(l.id, 1);
  // Leader preference would hand it back to 1 (caught up, most preferred); draining refuses.
  h.tick(100);
  assert.equal(h.leader()!.id, l.id);
  assert.ok(h.propose(l.id, "still served").ok);
  // Member 1 still votes: with 1 and the leader alone, the group keeps a quorum.
  h.crash([2, 3].find((id) => id !== l.id)!);
  h.tick(TEST_TIMING.electionTimeoutTicks * 3);
  assert.equal(h.leader()!.id, l.id);
});

test("a transfer without a target skips dead members and picks the most preferred live one", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  assert.equal(h.elect().id, 1);
  h.tick(3);
  h.crash(2);
  h.tick(TEST_TIMING.electionTimeoutTicks + 1);
  const t = h.node(1).transferLeadership();
  assert.deepEqual(t, { ok: true, target: 3 });
  h.tick(TEST_TIMING.electionTimeoutTicks);
  assert.equal(h.leader()!.id, 3);
});

// ---------------------------------------------------------------- writing in parallel (thesis §10.2.1) and MustSync

test("a leader's appends leave before its write; a follower's ack waits for its own", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  leader.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 1, data: new Uint8Array([1]) }]);
  const rd = leader.ready();
  assert.equal(rd.mustSync, true);
  assert.equal(rd.entries.length, 1);
  const appends = rd.earlyMessages.filter((m) => m.type === MessageType.Append);
  assert.equal(appends.length, 2, "one Append per follower, sent before the write");
  assert.ok(rd.messages.every((m) => m.type !== MessageType.Append));
  // The follower's acknowledgement is a late message: it promises the follower's write.
  const follower = h.node(2);
  follower.step(appends.find((m) => m.to === 2)!);
  const frd = follower.ready();
  assert.equal(frd.mustSync, true);
  assert.deepEqual(frd.earlyMessages, []);
  assert.ok(frd.messages.some((m) => m.type === MessageType.AppendResponse && m.success));
  h.storages.get(nodeId(1))!.apply({ entries: rd.entries, ...(rd.hardState ? { hardState: rd.hardState } : {}) });
  leader.advance(rd);
  h.storages.get(nodeId(2))!.apply({ entries: frd.entries, ...(frd.hardState ? { hardState: frd.hardState } : {}) });
  follower.advance(frd);
});

test("a leader does not count its own entries toward a commit before its write is durable", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  h.crash(3); // one follower only: a commit needs the leader's own durable copy
  const commitBefore = leader.status().commit;
  leader.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 1, data: new Uint8Array([7]) }]);
  const rd = leader.ready();
  const last = rd.entries[rd.entries.length - 1]!.index;
  // Member 2 receives the Append while the leader's write is in flight, persists it and acknowledges.
  const follower = h.node(2);
  for (const m of rd.earlyMessages) if (m.to === 2) follower.step(m);
  const frd = follower.ready();
  h.storages.get(nodeId(2))!.apply({ entries: frd.entries, ...(frd.hardState ? { hardState: frd.hardState } : {}) });
  follower.advance(frd);
  for (const m of frd.messages) leader.step(m);
  assert.equal(leader.status().commit, commitBefore, "one durable copy of three is not a quorum");
  // The leader's write completes: now it counts itself.
  h.storages.get(nodeId(1))!.apply({ entries: rd.entries, ...(rd.hardState ? { hardState: rd.hardState } : {}) });
  leader.advance(rd);
  assert.equal(leader.status().commit, last);
  const next = leader.ready();
  assert.equal(next.committed.at(-1)?.index, last);
});

test("a commit-only change needs no sync; a restart recovers the lower written commit and catches up", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  const leader = h.elect();
  h.tick(2);
  h.propose(leader.status().id, "a");
  h.propose(leader.status().id, "b");
  h.tick(3);
  const commit = leader.status().commit;
  const f3 = h.readies.get(nodeId(3))!;
  // Some Ready on member 3 changed only its commit index (a heartbeat), and was not written.
  assert.ok(f3.some((rd) => rd.hardState && !rd.mustSync && rd.entries.length === 0));
  const written = h.storages.get(nodeId(3))!.hardState().commit;
  assert.ok(written <= commit);
  h.crash(3);
  h.start(nodeId(3));
  assert.equal(h.node(3).status().commit, written, "restarts at the commit it last wrote");
  h.tick(5);
  assert.equal(h.node(3).status().commit, commit);
  assert.deepEqual(h.appliedPayloads(3), ["a", "b"], "the restarted member applied everything again, once");
});

test("status.leaderCommit: the leader's own commit; on a follower the leader's commit as last heard", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3] });
  const leader = h.elect();
  h.propose(leader.id, "a", 2);
  h.tick(3);
  const commit = leader.status().commit;
  assert.equal(leader.status().leaderCommit, commit);
  for (const id of h.ids.filter((x) => x !== leader.id)) assert.equal(h.node(id).status().leaderCommit, commit, `follower ${id}`);
  // A follower cut off hears nothing more: it keeps the last commit it heard while the others move on.
  const cut = h.ids.find((x) => x !== leader.id)!;
  h.isolate(cut);
  h.propose(leader.id, "b", 1);
  h.tick(3);
  assert.ok(leader.status().leaderCommit > commit);
  assert.equal(h.node(cut).status().leaderCommit, commit);
  h.heal();
  h.tick(5);
  assert.equal(h.node(cut).status().leaderCommit, leader.status().commit);
});
