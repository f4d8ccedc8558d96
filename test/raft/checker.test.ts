import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTrace, type Observation, type ViolationKind } from "./sim/checker.js";
import { encodePayload } from "./sim/payload.js";
import { runOptions, runSeed } from "./sim/simulation.js";
import { directJump } from "./sim/unsafe-membership.js";
import { MessageType } from "../../broker/raft/messages.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type HardState } from "../../broker/raft/types.js";

// Hand-built traces. A log is written as a list of entries, each either
// "n<term>" (a no-op) or "p<id>@<term>" (a one-record client entry);
// offsets are assigned densely, as a leader would.

const N1 = nodeId(1);
const N2 = nodeId(2);
const N3 = nodeId(3);

function log(...spec: string[]): Entry[] {
  const out: Entry[] = [];
  let next = 0;
  spec.forEach((s, k) => {
    const m = /^(?:n(\d+)|p(\d+)@(\d+))$/.exec(s);
    assert.ok(m, `bad entry spec ${s}`);
    const noop = m[1] !== undefined;
    const t = Number(noop ? m[1] : m[3]);
    const count = noop ? 0 : 1;
    out.push({
      index: index(k + 1),
      term: term(t),
      kind: noop ? EntryKind.Noop : EntryKind.Records,
      offset: offset(next),
      count,
      timestampMs: 0,
      data: noop ? new Uint8Array(0) : encodePayload(Number(m[2]), 8),
    });
    next += count;
  });
  return out;
}

const hs = (t: number, vote: number, commit: number): HardState => ({ term: term(t), vote: nodeId(vote), commit: index(commit) });
const at = (entries: Entry[], i: number): Entry => {
  const e = entries[i - 1];
  assert.ok(e);
  return e;
};
const kinds = (trace: Observation[]): ViolationKind[] => checkTrace(trace, { uniqueProposals: true }).map((v) => v.kind);

/** Three members agree on [n1 p1 p2 p3], all committed, p1..p3 acknowledged. */
function cleanTrace(): Observation[] {
  const l = log("n1", "p1@1", "p2@1", "p3@1");
  const t: Observation[] = [];
  for (const n of [N1, N2, N3]) t.push({ kind: "persist", node: n, hardState: hs(0, 0, 0) });
  t.push({ kind: "persist", node: N1, hardState: hs(1, 1, 0) });
  t.push({ kind: "send", node: N1, message: { type: MessageType.Vote, from: N1, to: N2, term: term(1), lastIndex: index(0), lastTerm: term(0), transfer: false } });
  t.push({ kind: "persist", node: N2, hardState: hs(1, 1, 0) });
  t.push({ kind: "send", node: N2, message: { type: MessageType.VoteResponse, from: N2, to: N1, term: term(1), granted: true } });
  t.push({ kind: "leader", node: N1, term: term(1) });
  t.push({ kind: "persist", node: N1, entries: l });
  for (const n of [N2, N3]) {
    t.push({ kind: "persist", node: n, entries: l, hardState: hs(1, n === N2 ? 1 : 0, 0) });
    t.push({ kind: "send", node: n, message: { type: MessageType.AppendResponse, from: n, to: N1, term: term(1), success: true, index: index(4), hintIndex: index(0), hintTerm: term(0) } });
  }
  t.push({ kind: "persist", node: N1, hardState: hs(1, 1, 4) });
  for (let i = 1; i <= 4; i++) t.push({ kind: "applied", node: N1, entry: at(l, i) });
  for (let i = 2; i <= 4; i++) t.push({ kind: "ack", proposalId: i - 1, node: N1, index: index(i), term: term(1), offset: at(l, i).offset });
  t.push({ kind: "persist", node: N2, hardState: hs(1, 1, 4) });
  t.push({ kind: "commit", node: N3, index: index(4) });
  t.push({ kind: "final" });
  return t;
}

test("a clean trace reports nothing", () => {
  assert.deepEqual(kinds(cleanTrace()), []);
});

test("final states given in the final observation are checked", () => {
  const l = log("n1", "p1@1");
  const trace: Observation[] = [
    { kind: "leader", node: N1, term: term(1) },
    { kind: "ack", proposalId: 1, node: N1, index: index(2), term: term(1), offset: offset(0) },
    {
      kind: "final",
      nodes: [N1, N2, N3].map((n) => ({ node: n, commit: index(2), entries: l })),
    },
  ];
  assert.deepEqual(kinds(trace), []);
  // The same with one member's log different below the commit index.
  const bad = log("n1", "p9@2");
  const trace2: Observation[] = [
    ...trace.slice(0, 2),
    { kind: "final", nodes: [{ node: N1, commit: index(2), entries: l }, { node: N2, commit: index(2), entries: bad }] },
  ];
  assert.deepEqual(kinds(trace2), ["LOG_MISMATCH"]);
});

test("two leaders in one term: TWO_LEADERS", () => {
  const v = checkTrace([
    { kind: "leader", node: N1, term: term(2) },
    { kind: "leader", node: N1, term: term(2) },
    { kind: "leader", node: N2, term: term(3) },
    { kind: "leader", node: N3, term: term(2) },
  ]);
  assert.deepEqual(
    v.map((x) => x.kind),
    ["TWO_LEADERS"],
  );
  assert.match(v[0]!.message, /nodes 1 and 3 both led term 2/);
  // A leader's messages count as a claim too.
  assert.deepEqual(
    kinds([
      { kind: "leader", node: N1, term: term(2) },
      { kind: "send", node: N2, message: { type: MessageType.Heartbeat, from: N2, to: N3, term: term(2), commit: index(0) } },
    ]),
    ["TWO_LEADERS"],
  );
});

test("a committed entry truncated away: COMMITTED_ENTRY_LOST", () => {
  const l = log("n1", "p1@1", "p2@1");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N2, entries: l, hardState: hs(1, 0, 3) },
      // A later "leader" sends a conflicting entry at 2: the follower truncates below its commit.
      { kind: "persist", node: N2, entries: [{ ...at(log("n1", "p7@2"), 2) }] },
    ]),
    ["COMMITTED_ENTRY_LOST"],
  );
});

test("a committed entry changed in place: COMMITTED_ENTRY_LOST", () => {
  const l = log("n1", "p1@1", "p2@1");
  const changed = log("n1", "p1@1", "p5@1");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N2, entries: l, hardState: hs(1, 0, 3) },
      { kind: "log", node: N2, entries: changed },
    ]),
    // Changed below commit, and a second entry with index 3 and term 1.
    ["LOG_MISMATCH", "COMMITTED_ENTRY_LOST"],
  );
});

test("a later leader lacking a committed entry: COMMITTED_ENTRY_LOST", () => {
  const l = log("n1", "p1@1", "p2@1");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 3) },
      { kind: "persist", node: N3, entries: l.slice(0, 2), hardState: hs(2, 3, 2) },
      { kind: "leader", node: N3, term: term(2) },
    ]),
    ["COMMITTED_ENTRY_LOST"],
  );
});

test("a leader of an older term may lack an entry committed in a later term", () => {
  // Entry 3 was committed in term 5; a stale election for term 4 completing
  // late does not break Leader Completeness.
  const l = log("n1", "p1@1", "p2@5");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(5, 1, 3) },
      { kind: "persist", node: N3, entries: l.slice(0, 2), hardState: hs(4, 3, 1) },
      { kind: "leader", node: N3, term: term(4) },
    ]),
    [],
  );
});

test("a lagging follower may hold a different, uncommitted entry at a committed index", () => {
  const good = log("n1", "p1@1", "p2@2");
  const stale = log("n1", "p1@1", "p9@1");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: good, hardState: hs(2, 1, 3) },
      { kind: "persist", node: N3, entries: stale, hardState: hs(1, 0, 2) },
      // N3 catches up: overwrites its uncommitted entry 3, then commits it.
      { kind: "persist", node: N3, entries: [at(good, 3)], hardState: hs(2, 0, 3) },
      { kind: "final" },
    ]),
    [],
  );
});

test("logs diverging below the commit index: LOG_MISMATCH", () => {
  const a = log("n1", "p1@1", "p2@1");
  const b = log("n1", "p1@1", "p3@2");
  const v = checkTrace([
    { kind: "persist", node: N1, entries: a, hardState: hs(1, 1, 3) },
    { kind: "persist", node: N2, entries: b, hardState: hs(2, 2, 3) },
  ]);
  assert.deepEqual(
    v.map((x) => x.kind),
    ["LOG_MISMATCH"],
  );
  assert.equal(v[0]!.index, 3);
});

test("two different entries with one index and term: LOG_MISMATCH", () => {
  const a = log("n1", "p1@1");
  const b = log("n1", "p2@1");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: a },
      { kind: "persist", node: N2, entries: b },
    ]),
    ["LOG_MISMATCH"],
  );
});

test("a commit index going back: COMMIT_WENT_BACK, also across a restart", () => {
  const l = log("n1", "p1@1", "p2@1", "p3@1", "p4@1");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 5) },
      { kind: "commit", node: N1, index: index(3) },
    ]),
    ["COMMIT_WENT_BACK"],
  );
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N2, entries: l, hardState: hs(1, 1, 5) },
      { kind: "restart", node: N2 },
      { kind: "persist", node: N2, hardState: hs(1, 1, 4) },
    ]),
    ["COMMIT_WENT_BACK"],
  );
});

test("a commit index past the durable log: COMMIT_BEYOND_LOG", () => {
  assert.deepEqual(kinds([{ kind: "persist", node: N1, entries: log("n1", "p1@1"), hardState: hs(1, 1, 3) }]), ["COMMIT_BEYOND_LOG"]);
});

test("durable term going back and a second vote in one term", () => {
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, hardState: hs(3, 2, 0) },
      { kind: "persist", node: N1, hardState: hs(2, 0, 0) },
    ]),
    ["TERM_WENT_BACK"],
  );
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, hardState: hs(3, 2, 0) },
      { kind: "persist", node: N1, hardState: hs(3, 3, 0) },
    ]),
    ["DOUBLE_VOTE"],
  );
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, hardState: hs(3, 0, 0) },
      { kind: "persist", node: N1, hardState: hs(3, 3, 0) },
      { kind: "persist", node: N1, hardState: hs(4, 0, 0) },
    ]),
    [],
  );
});

test("replies and leadership ahead of durable state: NOT_DURABLE", () => {
  const base: Observation = { kind: "persist", node: N2, hardState: hs(1, 0, 0) };
  assert.deepEqual(
    kinds([base, { kind: "send", node: N2, message: { type: MessageType.VoteResponse, from: N2, to: N1, term: term(1), granted: true } }]),
    ["NOT_DURABLE"],
  );
  assert.deepEqual(
    kinds([base, { kind: "send", node: N2, message: { type: MessageType.HeartbeatResponse, from: N2, to: N1, term: term(2), promotable: true } }]),
    ["NOT_DURABLE"],
  );
  assert.deepEqual(
    kinds([
      base,
      { kind: "send", node: N2, message: { type: MessageType.AppendResponse, from: N2, to: N1, term: term(1), success: true, index: index(1), hintIndex: index(0), hintTerm: term(0) } },
    ]),
    ["NOT_DURABLE"],
  );
  assert.deepEqual(kinds([base, { kind: "leader", node: N2, term: term(2) }]), ["NOT_DURABLE"]);
  assert.deepEqual(
    kinds([base, { kind: "send", node: N2, message: { type: MessageType.Vote, from: N2, to: N1, term: term(1), lastIndex: index(0), lastTerm: term(0), transfer: false } }]),
    ["NOT_DURABLE"],
  );
  // Replies of an older term than the persisted one: the member durably left that
  // term (found by seeds 886 and 1433 of the simulator; see Checker.onSend).
  const moved: Observation = { kind: "persist", node: N2, entries: log("n1"), hardState: hs(5, 1, 0) };
  assert.deepEqual(
    kinds([
      moved,
      { kind: "send", node: N2, message: { type: MessageType.VoteResponse, from: N2, to: N3, term: term(4), granted: true } },
      { kind: "send", node: N2, message: { type: MessageType.AppendResponse, from: N2, to: N3, term: term(4), success: true, index: index(3), hintIndex: index(0), hintTerm: term(0) } },
    ]),
    [],
  );
  // Pre-vote traffic carries a future term and needs nothing durable.
  assert.deepEqual(
    kinds([base, { kind: "send", node: N2, message: { type: MessageType.PreVote, from: N2, to: N1, term: term(2), lastIndex: index(0), lastTerm: term(0) } }]),
    [],
  );
});

test("applying the wrong entry, out of order or past commit: APPLIED_MISMATCH", () => {
  const l = log("n1", "p1@1", "p2@1");
  const other = log("n1", "p1@1", "p8@1");
  const start: Observation[] = [{ kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 2) }];
  assert.deepEqual(kinds([...start, { kind: "applied", node: N1, entry: at(l, 2) }]), ["APPLIED_MISMATCH"]);
  assert.deepEqual(
    kinds([...start, { kind: "applied", node: N1, entry: at(l, 1) }, { kind: "applied", node: N1, entry: at(l, 2) }, { kind: "applied", node: N1, entry: at(l, 3) }]),
    ["APPLIED_MISMATCH"],
  );
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 3) },
      { kind: "applied", node: N1, entry: at(l, 1) },
      { kind: "applied", node: N1, entry: at(l, 2) },
      { kind: "applied", node: N1, entry: at(other, 3) },
    ]),
    ["APPLIED_MISMATCH"],
  );
  // After a restart the state machine is rebuilt from the start: no complaint.
  assert.deepEqual(
    kinds([
      ...start,
      { kind: "applied", node: N1, entry: at(l, 1) },
      { kind: "applied", node: N1, entry: at(l, 2) },
      { kind: "restart", node: N1 },
      { kind: "applied", node: N1, entry: at(l, 1) },
    ]),
    [],
  );
});

test("an acknowledged proposal missing from the final log: ACK_MISSING", () => {
  const l = log("n1", "p1@1", "p2@1");
  // Acknowledged at 3 but never committed.
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 2) },
      { kind: "ack", proposalId: 2, node: N1, index: index(3), term: term(1), offset: offset(1) },
      { kind: "final" },
    ]),
    ["ACK_MISSING"],
  );
  // Acknowledged at 3, but the committed entry at 3 is another proposal.
  assert.deepEqual(
    kinds([
      { kind: "ack", proposalId: 2, node: N1, index: index(3), term: term(1), offset: offset(1) },
      { kind: "persist", node: N2, entries: log("n1", "p1@1", "p5@2"), hardState: hs(2, 2, 3) },
      { kind: "final" },
    ]),
    ["ACK_MISSING"],
  );
  // Acknowledged with the wrong term.
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 3) },
      { kind: "ack", proposalId: 2, node: N1, index: index(3), term: term(2), offset: offset(1) },
    ]),
    ["ACK_MISSING"],
  );
});

test("an acknowledged proposal committed twice: ACK_DUPLICATED", () => {
  const l = log("n1", "p1@1", "p2@1", "p1@1");
  assert.deepEqual(
    checkTrace([
      { kind: "ack", proposalId: 1, node: N1, index: index(2), term: term(1), offset: offset(0) },
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 4) },
      { kind: "final" },
    ]).map((v) => v.kind),
    ["ACK_DUPLICATED", "ACK_DUPLICATED"],
  );
  // Acknowledged twice at different positions.
  assert.deepEqual(
    kinds([
      { kind: "ack", proposalId: 1, node: N1, index: index(2), term: term(1), offset: offset(0) },
      { kind: "ack", proposalId: 1, node: N2, index: index(4), term: term(1), offset: offset(2) },
    ]),
    ["ACK_DUPLICATED"],
  );
  // Not acknowledged, but proposals are unique: DUPLICATE_ENTRY.
  assert.deepEqual(kinds([{ kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 4) }]), ["DUPLICATE_ENTRY"]);
});

test("members not converged at the end: NOT_CONVERGED", () => {
  const l = log("n1", "p1@1");
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 2) },
      { kind: "persist", node: N2, entries: l, hardState: hs(1, 1, 1) },
      { kind: "final" },
    ]),
    ["NOT_CONVERGED"],
  );
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 2) },
      { kind: "persist", node: N2, entries: l, hardState: hs(1, 1, 1) },
      { kind: "final", converged: false },
    ]),
    [],
  );
});

test("snapshots and compaction keep committed history consistent", () => {
  const l = log("n1", "p1@1", "p2@1", "p3@1");
  const tail = l.slice(3);
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 4) },
      { kind: "compact", node: N1, snapshot: { index: index(2), term: term(1), offset: offset(1) } },
      // N2 installs a snapshot at 3 and receives entry 4.
      { kind: "persist", node: N2, snapshot: { index: index(3), term: term(1), offset: offset(2) }, entries: tail, hardState: hs(1, 0, 4) },
      { kind: "restore", node: N2, snapshot: { index: index(3), term: term(1), offset: offset(2) } },
      { kind: "applied", node: N2, entry: at(l, 4) },
      { kind: "leader", node: N1, term: term(1) },
      { kind: "final" },
    ]),
    [],
  );
  // A snapshot whose term disagrees with the committed entry at its index.
  assert.deepEqual(
    kinds([
      { kind: "persist", node: N1, entries: l, hardState: hs(1, 1, 4) },
      { kind: "persist", node: N2, snapshot: { index: index(3), term: term(2), offset: offset(2) } },
    ]),
    ["LOG_MISMATCH"],
  );
});

// ---------------------------------------------------------------- lost disks

test("a lost disk empties the member's mirror without a false TERM_WENT_BACK or COMMITTED_ENTRY_LOST", () => {
  const l = log("n1", "p1@1");
  const trace: Observation[] = [
    { kind: "persist", node: N2, entries: l, hardState: hs(1, 1, 2) },
    { kind: "diskLost", node: N2 },
    { kind: "restart", node: N2 },
    { kind: "persist", node: N2, hardState: hs(0, 0, 0) },
    { kind: "persist", node: N2, entries: l, hardState: hs(1, 0, 2) },
  ];
  assert.deepEqual(checkTrace(trace), []);
});

test("a member that lost its disk must not grant its vote of a term to another candidate (DOUBLE_VOTE across disks)", () => {
  const grant = (to: number) => ({ kind: "send", node: N1, message: { type: MessageType.VoteResponse, from: N1, to: nodeId(to), term: term(2), granted: true } }) as const;
  const trace: Observation[] = [
    { kind: "persist", node: N1, hardState: hs(2, 2, 0) },
    grant(2),
    { kind: "diskLost", node: N1 },
    { kind: "restart", node: N1 },
    { kind: "persist", node: N1, hardState: hs(2, 3, 0) },
    grant(3),
  ];
  assert.deepEqual(kinds(trace), ["DOUBLE_VOTE"]);
  // The same grant again (a duplicate answer) is fine.
  assert.deepEqual(kinds([trace[0]!, trace[1]!, trace[1]!]), []);
});

test("a learner must never campaign, lead or vote (LEARNER_CAMPAIGNED, LEARNER_VOTED)", () => {
  const N4 = nodeId(4);
  const learnerKinds = (trace: Observation[]): ViolationKind[] => checkTrace(trace, { learners: [N4] }).map((v) => v.kind);
  const send = (type: MessageType, granted?: boolean): Observation =>
    ({ kind: "send", node: N4, message: granted === undefined ? { type, from: N4, to: N1, term: term(2), lastIndex: index(0), lastTerm: term(0), transfer: false } : { type, from: N4, to: N1, term: term(2), granted } }) as Observation;
  assert.deepEqual(learnerKinds([send(MessageType.PreVote)]), ["LEARNER_CAMPAIGNED"]);
  assert.deepEqual(learnerKinds([send(MessageType.Vote)]), ["LEARNER_CAMPAIGNED"]);
  assert.deepEqual(learnerKinds([{ kind: "leader", node: N4, term: term(2) }]), ["LEARNER_CAMPAIGNED"]);
  assert.deepEqual(learnerKinds([send(MessageType.VoteResponse, true)]), ["LEARNER_VOTED"]);
  assert.deepEqual(learnerKinds([send(MessageType.PreVoteResponse, true)]), ["LEARNER_VOTED"]);
  // Recording a vote is allowed (a learner rejoining after a lost disk records one so it never votes twice).
  assert.deepEqual(learnerKinds([{ kind: "persist", node: N4, hardState: hs(2, 1, 0) }]), []);
  // Refusals, a vote-less hard state, and the same acts by a voter are fine.
  assert.deepEqual(learnerKinds([send(MessageType.VoteResponse, false), send(MessageType.PreVoteResponse, false), { kind: "persist", node: N4, hardState: hs(2, 0, 0) }]), []);
  assert.deepEqual(checkTrace([send(MessageType.PreVote)]).map((v) => v.kind), []);
});

test("membership: members agree on the configuration in effect at an index (CONFIG_MISMATCH)", () => {
  const withConfig = (node: number, voters: number[], at: number, outgoing?: number[]): Observation => ({
    kind: "persist",
    node: nodeId(node),
    hardState: { ...hs(1, 0, 0), membership: { voters: voters.map(nodeId), ...(outgoing ? { votersOutgoing: outgoing.map(nodeId) } : {}) }, membershipIndex: index(at) },
  });
  const kinds = (trace: Observation[]): ViolationKind[] => checkTrace(trace).map((v) => v.kind);
  assert.deepEqual(kinds([withConfig(1, [1, 2, 4], 5, [1, 2, 3]), withConfig(2, [4, 2, 1], 5, [3, 2, 1]), withConfig(1, [1, 2, 4], 6)]), [], "same sets in any order; a later index may differ");
  assert.deepEqual(kinds([withConfig(1, [1, 2, 4], 5, [1, 2, 3]), withConfig(2, [1, 2, 4], 5)]), ["CONFIG_MISMATCH"], "a jump where another member has a joint configuration");
});

test("membership: a member that is not a voter of its configuration in effect never campaigns or leads (NON_VOTER_CAMPAIGNED)", () => {
  const N4 = nodeId(4);
  const base = { voters: [N1, N2, N3] };
  const kinds = (trace: Observation[]): ViolationKind[] => checkTrace(trace, { membership: base }).map((v) => v.kind);
  const preVote = (from: number): Observation => ({ kind: "send", node: nodeId(from), message: { type: MessageType.PreVote, from: nodeId(from), to: N1, term: term(2), lastIndex: index(0), lastTerm: term(0) } });
  assert.deepEqual(kinds([preVote(4)]), ["NON_VOTER_CAMPAIGNED"], "a non-member of the base configuration");
  assert.deepEqual(kinds([{ kind: "leader", node: N4, term: term(2) }]), ["NON_VOTER_CAMPAIGNED"]);
  assert.deepEqual(kinds([preVote(3)]), [], "a base voter");
  // Member 4 put {1,2,4} in effect: it may campaign now; member 3, removed, may not.
  const joined: Observation[] = [3, 4].map((n) => ({ kind: "persist", node: nodeId(n), hardState: { ...hs(1, 0, 0), membership: { voters: [N1, N2, N4] }, membershipIndex: index(3) } }));
  assert.deepEqual(kinds([...joined, preVote(4)]), []);
  assert.deepEqual(kinds([...joined, preVote(3)]), ["NON_VOTER_CAMPAIGNED"]);
  // An outgoing voter of a joint configuration still votes.
  const joint: Observation = { kind: "persist", node: N3, hardState: { ...hs(1, 0, 0), membership: { voters: [N1, N2, N4], votersOutgoing: [N1, N2, N3] }, membershipIndex: index(3) } };
  assert.deepEqual(kinds([joint, preVote(3)]), []);
  // Without a base membership the rule is off.
  assert.deepEqual(checkTrace([preVote(4)]).map((v) => v.kind), []);
});

test("an UNSAFE membership change (a direct jump to the new voters, no joint phase) is caught: a leader lacking a committed entry", () => {
  // directJump makes every member see { voters: new } where the core wrote the joint configuration:
  // members that put it in effect elect with the new voters alone, the others with the old ones.
  const caught: string[] = [];
  for (let seed = 1; seed <= 150 && caught.length === 0; seed++) {
    const r = runSeed({ ...runOptions(seed, 3, 300), membershipChanges: true, readyFilter: directJump });
    if (r.violation?.kind === "COMMITTED_ENTRY_LOST" || r.violation?.kind === "TWO_LEADERS") {
      caught.push(`seed ${seed}: ${r.violation.kind}: ${r.violation.message}`);
      // The same seed with joint consensus is clean.
      const safe = runSeed({ ...runOptions(seed, 3, 300), membershipChanges: true });
      assert.ok(safe.ok, `seed ${seed} without the planted jump: ${safe.violation?.kind}: ${safe.violation?.message}`);
    }
  }
  assert.ok(caught.length > 0, "no seed of 150 showed the unsafe jump losing a committed entry or electing two leaders");
});
