/**
 * A member whose storage cut a damaged suffix off its log (LogStorage.repair,
 * HardState.promise): it must not vote for a candidate that lacks what it
 * acknowledged before the cut, nor lead, and its leader must stop counting
 * entries it no longer holds. The argument is in docs/STORAGE.md, "A damaged
 * entry".
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TEST_TIMING, drainCore } from "./harness.js";
import { RaftNode } from "../../broker/raft/core.js";
import { MessageType, type Message } from "../../broker/raft/messages.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { Role } from "../../broker/raft/ready.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type HardState, type NodeId } from "../../broker/raft/types.js";

const disks = new WeakMap<RaftNode, MemoryStorage>();

function entry(i: number, t: number): Entry {
  return { index: index(i), term: term(t), kind: EntryKind.Noop, offset: offset(0), count: 0, timestampMs: 0, data: new Uint8Array(0) };
}

/** Member `id` whose log held entries 1..`terms.length` (with those terms), all committed, then cut from `from`. */
function repairedCore(terms: readonly number[], from: number, voters = [1, 2, 3], id = 2): RaftNode {
  const ids = voters.map(nodeId);
  const disk = new MemoryStorage();
  const last = terms[terms.length - 1]!;
  disk.apply({ entries: terms.map((t, k) => entry(k + 1, t)), hardState: { term: term(last), vote: NO_VOTE, commit: index(terms.length) } });
  disk.repairSync(index(from));
  const n = new RaftNode({ id: nodeId(id), membership: { voters: ids }, priority: ids, ...TEST_TIMING }, disk, new SeededRandom(7));
  disks.set(n, disk);
  return n;
}
const NO_VOTE = nodeId(0);

/** Run the Ready loop (each write durable at once); returns the messages and the last hard state written. */
function drain(n: RaftNode): Message[] & { hard?: HardState } {
  return drainCore(n, disks.get(n)!);
}

function votes(out: readonly Message[]): [number, boolean | undefined][] {
  return out.filter((m) => m.type === MessageType.VoteResponse || m.type === MessageType.PreVoteResponse).map((m) => [m.type, "granted" in m ? m.granted : undefined]);
}

test("repair lowers the commit index and records the position the log held as the promise", () => {
  const n = repairedCore([1, 1, 2, 2, 2], 3);
  const disk = disks.get(n)!;
  assert.equal(disk.lastIndex(), 2);
  assert.deepEqual(disk.hardState(), { term: 2, vote: 0, commit: 2, promise: { term: 2, index: 5 } });
  assert.equal(n.softState().repairing, true);
  // A second repair keeps the larger promise.
  disk.repairSync(index(2));
  assert.deepEqual(disk.hardState().promise, { term: 2, index: 5 });
});

test("behind its promise, a member votes only for candidates at least as up to date as the promise, and never campaigns", () => {
  // Held 1..5 (terms 1,1,2,2,2), cut from 3: its log ends at (1, 2), its promise is (2, 5).
  const below = repairedCore([1, 1, 2, 2, 2], 3);
  // A candidate at (2, 4) is more up to date than the cut log but lacks entry 5, which may be committed.
  below.step({ type: MessageType.PreVote, from: nodeId(3), to: nodeId(2), term: term(3), lastIndex: index(4), lastTerm: term(2) });
  below.step({ type: MessageType.Vote, from: nodeId(3), to: nodeId(2), term: term(3), lastIndex: index(4), lastTerm: term(2), transfer: false });
  assert.deepEqual(votes(drain(below)), [
    [MessageType.PreVoteResponse, false],
    [MessageType.VoteResponse, false],
  ]);

  const keeps = repairedCore([1, 1, 2, 2, 2], 3);
  keeps.step({ type: MessageType.Vote, from: nodeId(3), to: nodeId(2), term: term(3), lastIndex: index(5), lastTerm: term(2), transfer: false });
  assert.deepEqual(votes(drain(keeps)), [[MessageType.VoteResponse, true]]);
  const higher = repairedCore([1, 1, 2, 2, 2], 3);
  higher.step({ type: MessageType.Vote, from: nodeId(1), to: nodeId(2), term: term(4), lastIndex: index(3), lastTerm: term(3), transfer: false });
  assert.deepEqual(votes(drain(higher)), [[MessageType.VoteResponse, true]]);

  // A hundred election timeouts and a transfer's TimeoutNow: no campaign.
  const idle = repairedCore([1, 1, 2, 2, 2], 3);
  for (let k = 0; k < 100 * TEST_TIMING.electionTimeoutTicks; k++) idle.tick();
  idle.step({ type: MessageType.TimeoutNow, from: nodeId(1), to: nodeId(2), term: term(2) });
  assert.ok(!drain(idle).some((m) => m.type === MessageType.PreVote || m.type === MessageType.Vote));
  assert.equal(idle.softState().role, Role.Follower);
});

test("its answers carry a repair tag and say it cannot lead; the promise is dropped (and written) once its log reaches it", () => {
  const n = repairedCore([1, 1, 2, 2, 2], 3);
  const leader = nodeId(1);
  n.step({ type: MessageType.Heartbeat, from: leader, to: nodeId(2), term: term(2), commit: index(2) });
  let out = drain(n);
  const hbr = out.find((m) => m.type === MessageType.HeartbeatResponse);
  assert.ok(hbr && hbr.type === MessageType.HeartbeatResponse);
  assert.equal(hbr.promotable, false);
  const tag = hbr.repairing;
  assert.ok(tag !== undefined && tag > 0);
  // The leader sends 3..5 again: the log reaches its promise.
  n.step({ type: MessageType.Append, from: leader, to: nodeId(2), term: term(2), prevIndex: index(2), prevTerm: term(1), entries: [entry(3, 2), entry(4, 2), entry(5, 2)], commit: index(5) });
  out = drain(n);
  const ack = out.find((m) => m.type === MessageType.AppendResponse);
  assert.ok(ack && ack.type === MessageType.AppendResponse && ack.success && ack.index === 5);
  assert.equal(ack.repairing, undefined, "untagged once the promise is kept");
  assert.equal(n.softState().repairing, false);
  assert.equal(disks.get(n)!.hardState().promise, undefined, "the dropped promise is written with the entries");
});

test("a leader resets the progress of a member whose repair tag changed, and finds where its log really ends", () => {
  const ids = [1, 2, 3].map(nodeId);
  const disk = new MemoryStorage();
  disk.apply({ entries: [entry(1, 1), entry(2, 1), entry(3, 1)], hardState: { term: term(1), vote: nodeId(1), commit: index(3) } });
  const leader = new RaftNode({ id: nodeId(1), membership: { voters: ids }, priority: ids, ...TEST_TIMING }, disk, new SeededRandom(3));
  disks.set(leader, disk);
  // Elect it in term 2: it appends its no-op at 4.
  for (let k = 0; k < 3 * TEST_TIMING.electionTimeoutTicks && leader.softState().role === Role.Follower; k++) leader.tick();
  assert.equal(leader.softState().role, Role.PreCandidate);
  drain(leader);
  const grant = (from: NodeId): void => {
    leader.step({ type: MessageType.PreVoteResponse, from, to: nodeId(1), term: term(2), granted: true });
    drain(leader);
    leader.step({ type: MessageType.VoteResponse, from, to: nodeId(1), term: term(2), granted: true });
    drain(leader);
  };
  grant(nodeId(2));
  assert.equal(leader.softState().role, Role.Leader);
  drain(leader);
  // Member 2 acks everything (4), then is cut to 1 and says so with a tag.
  leader.step({ type: MessageType.AppendResponse, from: nodeId(2), to: nodeId(1), term: term(2), success: true, index: index(4), hintIndex: index(0), hintTerm: term(0) });
  drain(leader);
  assert.equal(leader.status().progress.find((p) => p.id === 2)?.match, 4);
  leader.step({ type: MessageType.HeartbeatResponse, from: nodeId(2), to: nodeId(1), term: term(2), promotable: false, repairing: 99 });
  const out = drain(leader);
  assert.equal(leader.status().progress.find((p) => p.id === 2)?.match, 0, "progress reset");
  assert.equal(leader.status().progress.find((p) => p.id === 2)?.repairing, true, "the status says member 2 is repairing");
  // It probes again: an append to member 2 follows, and the member cannot be a transfer target.
  assert.ok(out.some((m) => m.type === MessageType.Append && m.to === 2));
  const t = leader.transferLeadership(nodeId(2));
  assert.equal(t.ok, false);
  // A rejection from the cut log now moves next back to where the member's log ends.
  leader.step({ type: MessageType.AppendResponse, from: nodeId(2), to: nodeId(1), term: term(2), success: false, index: index(4), hintIndex: index(1), hintTerm: term(1), repairing: 99 });
  const resend = drain(leader).find((m) => m.type === MessageType.Append && m.to === 2);
  assert.ok(resend && resend.type === MessageType.Append && resend.prevIndex <= 1, `resend from ${resend && resend.type === MessageType.Append ? resend.prevIndex : "none"}`);
});

test("with one or two voters there is no promise: the peer holds every committed entry (or nobody else ever could)", () => {
  const two = repairedCore([1, 1, 2, 2, 2], 3, [1, 2]);
  assert.equal(two.softState().repairing, false);
  two.step({ type: MessageType.Vote, from: nodeId(1), to: nodeId(2), term: term(3), lastIndex: index(4), lastTerm: term(2), transfer: false });
  const out = drain(two);
  assert.deepEqual(votes(out), [[MessageType.VoteResponse, true]]);
  assert.equal(out.hard?.promise, undefined, "the stored promise is dropped with the next write");
  const one = repairedCore([1, 1, 2], 2, [2]);
  for (let k = 0; k < 3 * TEST_TIMING.electionTimeoutTicks; k++) one.tick();
  drain(one);
  assert.equal(one.softState().role, Role.Leader, "a single voter goes on without the lost entries");
});
