/** The invariants checkRaftMessage holds for every Raft message from a peer (broker/protocol/raft-message-check.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkRaftMessage } from "../../broker/protocol/raft-message-check.js";
import { MessageType } from "../../broker/raft/messages.js";
import { GROUP_MEMBERS_MAX, encodeMembership } from "../../broker/raft/membership.js";
import { EntryKind, nodeId, type Membership } from "../../broker/raft/types.js";

const e = (index: number, term: number, offset: number, count = 1) => ({ index, term, kind: 1, offset, count, timestampMs: 0, data: new Uint8Array(1) });
const append = (over: Record<string, unknown>) => ({ type: MessageType.Append, from: 2, to: 1, term: 5, prevIndex: 10, prevTerm: 3, commit: 9, entries: [e(11, 3, 100), e(12, 4, 101, 5), e(13, 5, 106)], ...over });

test("a correct Append passes, also empty and from index 0", () => {
  checkRaftMessage(append({}), "m");
  checkRaftMessage(append({ entries: [] }), "m");
  checkRaftMessage(append({ prevIndex: 0, prevTerm: 0, entries: [e(1, 1, 0)] }), "m");
});

test("Appends no correct leader sends are refused, naming the rule", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ entries: [e(12, 3, 100)] }, /entries\[0\]\.index: 12 does not follow 10/],
    [{ entries: [e(11, 3, 100), e(13, 3, 101)] }, /entries\[1\]\.index: 13 does not follow 11/],
    [{ entries: [e(11, 4, 100), e(12, 3, 101)] }, /entries\[1\]\.term: 3 is older than 4/],
    [{ entries: [e(11, 2, 100)] }, /entries\[0\]\.term: 2 is older than 3/],
    [{ entries: [e(11, 6, 100)] }, /entries\[0\]\.term: 6 is newer than the message's term 5/],
    [{ prevTerm: 6, entries: [] }, /prevTerm: 6 is newer than the message's term 5/],
    [{ entries: [e(11, 3, 100, 2), e(12, 3, 101)] }, /entries\[1\]\.offset: 101 does not continue at 102/],
    [{ prevIndex: Number.MAX_SAFE_INTEGER, entries: [e(1, 3, 0)] }, /past/],
    [{ entries: [e(11, 3, Number.MAX_SAFE_INTEGER - 1, 5)] }, /past/],
  ];
  for (const [over, why] of cases) assert.throws(() => checkRaftMessage(append(over), "m"), why, JSON.stringify(over));
});

test("a vote's lastTerm and a snapshot's term are never newer than the message's term", () => {
  checkRaftMessage({ type: MessageType.Vote, from: 2, to: 1, term: 5, lastIndex: 3, lastTerm: 5, transfer: false }, "m");
  assert.throws(() => checkRaftMessage({ type: MessageType.Vote, from: 2, to: 1, term: 5, lastIndex: 3, lastTerm: 6, transfer: false }, "m"), /lastTerm: 6 is newer/);
  assert.throws(() => checkRaftMessage({ type: MessageType.PreVote, from: 2, to: 1, term: 5, lastIndex: 3, lastTerm: 9 }, "m"), /lastTerm: 9 is newer/);
  const snap = (t: number) => ({ type: MessageType.Snapshot, from: 2, to: 1, term: 5, snapshot: { index: 7, term: t, offset: 7, data: new Uint8Array(0) } });
  checkRaftMessage(snap(5), "m");
  assert.throws(() => checkRaftMessage(snap(6), "m"), /snapshot\.term: 6 is newer/);
});

test("a heartbeat answer's optional unasked flag (a learner asking a quiesced leader again) must be a boolean", () => {
  const hr = (over: Record<string, unknown>) => ({ type: MessageType.HeartbeatResponse, from: 4, to: 1, term: 5, promotable: true, ...over });
  checkRaftMessage(hr({}), "m");
  checkRaftMessage(hr({ unasked: true }), "m");
  assert.throws(() => checkRaftMessage(hr({ unasked: 1 }), "m"), /unasked/);
});

test("configuration entries and a snapshot's membership must be well-formed and at most GROUP_MEMBERS_MAX members", () => {
  const conf = (m: Membership, count = 0) => ({ index: 11, term: 3, kind: EntryKind.Config, offset: 100, count, timestampMs: 0, data: encodeMembership(m) });
  checkRaftMessage(append({ entries: [conf({ voters: [nodeId(1), nodeId(4)], votersOutgoing: [nodeId(1), nodeId(2)] })] }), "m");
  assert.throws(() => checkRaftMessage(append({ entries: [conf({ voters: [] })] }), "m"), /entries\[0\]\.data: not a well-formed configuration/);
  assert.throws(() => checkRaftMessage(append({ entries: [{ ...conf({ voters: [nodeId(1)] }), data: new Uint8Array([1, 2]) }] }), "m"), /not a well-formed configuration/);
  assert.throws(() => checkRaftMessage(append({ entries: [conf({ voters: [nodeId(1)] }, 1)] }), "m"), /consumes no offsets/);
  const many = Array.from({ length: GROUP_MEMBERS_MAX + 1 }, (_, i) => nodeId(i + 1));
  assert.throws(() => checkRaftMessage(append({ entries: [conf({ voters: many })] }), "m"), /not a well-formed configuration/);

  const snap = (extra: Record<string, unknown>) => ({ type: MessageType.Snapshot, from: 2, to: 1, term: 5, snapshot: { index: 7, term: 5, offset: 7, data: new Uint8Array(0), ...extra } });
  checkRaftMessage(snap({ membership: { voters: [1, 2, 3], learners: [4] }, membershipIndex: 6 }), "m");
  checkRaftMessage(snap({ membership: { voters: [1, 2, 3], votersOutgoing: [1, 2, 5] }, membershipIndex: 9 }), "m");
  assert.throws(() => checkRaftMessage(snap({ membership: { voters: [1, 2, 3] } }), "m"), /membershipIndex/);
  assert.throws(() => checkRaftMessage(snap({ membership: { voters: [1, 1] }, membershipIndex: 1 }), "m"), /duplicate voters/);
  assert.throws(() => checkRaftMessage(snap({ membership: { voters: [1, 2], learners: [2] }, membershipIndex: 1 }), "m"), /both a voter and a learner/);
  assert.throws(() => checkRaftMessage(snap({ membership: { voters: many }, membershipIndex: 1 }), "m"), /more than/);
  assert.throws(() => checkRaftMessage(snap({ membership: { voters: [0] }, membershipIndex: 1 }), "m"), /voters\[0\]/);
});

test("a (pre-)vote request's or answer's optional commit position: an index and a term not newer than the message's", () => {
  const committed = (index: number, term: number) => ({ committed: { index, term } });
  checkRaftMessage({ type: MessageType.PreVote, from: 2, to: 1, term: 5, lastIndex: 3, lastTerm: 4, ...committed(3, 4) }, "m");
  checkRaftMessage({ type: MessageType.Vote, from: 2, to: 1, term: 5, lastIndex: 3, lastTerm: 4, transfer: false, ...committed(2, 1) }, "m");
  checkRaftMessage({ type: MessageType.VoteResponse, from: 2, to: 1, term: 5, granted: false, ...committed(9, 5) }, "m");
  assert.throws(() => checkRaftMessage({ type: MessageType.PreVoteResponse, from: 2, to: 1, term: 5, granted: false, ...committed(9, 6) }, "m"), /committed\.term: 6 is newer/);
  assert.throws(() => checkRaftMessage({ type: MessageType.PreVote, from: 2, to: 1, term: 5, lastIndex: 3, lastTerm: 4, committed: { index: -1, term: 1 } }, "m"), /committed\.index/);
  assert.throws(() => checkRaftMessage({ type: MessageType.Vote, from: 2, to: 1, term: 5, lastIndex: 3, lastTerm: 4, transfer: false, committed: 7 }, "m"), /committed/);
});

test("a leader's or candidate's message, an entry and a log position past index 0 have a term of at least 1; answers may carry term 0", () => {
  // What a member at term 0 (its group never elected) would otherwise take from any sender: the stale frames of the peer fuzz.
  const snapshot = { index: 464582, term: 0, offset: 750415, data: new Uint8Array(34) };
  assert.throws(() => checkRaftMessage({ type: MessageType.Snapshot, from: 2, to: 1, term: 0, snapshot }, "m"), /m\.term: .*0/);
  assert.throws(() => checkRaftMessage({ type: MessageType.Snapshot, from: 2, to: 1, term: 1, snapshot }, "m"), /snapshot\.term: 0 at index 464582/);
  checkRaftMessage({ type: MessageType.Snapshot, from: 2, to: 1, term: 1, snapshot: { ...snapshot, term: 1 } }, "m");
  for (const type of [MessageType.Heartbeat, MessageType.TimeoutNow, MessageType.Rejoin]) {
    assert.throws(() => checkRaftMessage({ type, from: 2, to: 1, term: 0, commit: 0, index: 1, incarnation: 1 }, "m"), /m\.term/, `type ${type}`);
  }
  assert.throws(() => checkRaftMessage(append({ term: 0, prevIndex: 0, prevTerm: 0, entries: [] }), "m"), /m\.term/);
  assert.throws(() => checkRaftMessage(append({ prevIndex: 4, prevTerm: 0, entries: [] }), "m"), /prevTerm: 0 at prevIndex 4/);
  assert.throws(() => checkRaftMessage(append({ prevIndex: 0, prevTerm: 0, entries: [e(1, 0, 0)] }), "m"), /entries\[0\]\.term/);
  assert.throws(() => checkRaftMessage({ type: MessageType.PreVote, from: 2, to: 1, term: 0, lastIndex: 0, lastTerm: 0 }, "m"), /m\.term/);
  assert.throws(() => checkRaftMessage({ type: MessageType.Vote, from: 2, to: 1, term: 2, lastIndex: 3, lastTerm: 0, transfer: false }, "m"), /lastTerm: 0 at lastIndex 3/);
  assert.throws(() => checkRaftMessage({ type: MessageType.VoteResponse, from: 2, to: 1, term: 2, granted: false, committed: { index: 3, term: 0 } }, "m"), /committed\.term: 0 at index 3/);
  // An empty log's position is index 0 at term 0; a member still at term 0 answers at term 0.
  checkRaftMessage({ type: MessageType.PreVote, from: 2, to: 1, term: 1, lastIndex: 0, lastTerm: 0 }, "m");
  checkRaftMessage({ type: MessageType.PreVoteResponse, from: 2, to: 1, term: 0, granted: false }, "m");
  checkRaftMessage({ type: MessageType.AppendResponse, from: 2, to: 1, term: 0, success: false, index: 0, hintIndex: 0, hintTerm: 0 }, "m");
  // A fast back-off hint names a compacted index at term 0 (RaftLog.findConflictByTerm): not a log position it vouches for.
  checkRaftMessage({ type: MessageType.AppendResponse, from: 2, to: 1, term: 3, success: false, index: 9, hintIndex: 5, hintTerm: 0 }, "m");
  checkRaftMessage({ type: MessageType.HeartbeatResponse, from: 2, to: 1, term: 0, promotable: true }, "m");
});
