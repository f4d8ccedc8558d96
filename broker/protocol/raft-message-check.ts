/**
 * Structural check of a Raft message decoded from a peer frame. Peers are
 * authenticated, so this guards against version skew, bugs and a peer
 * whose secret leaked, and it is strict: a message that reaches the Raft
 * core has every field of its type with the right type and range, and
 * holds the invariants any correct sender's message holds, whatever the
 * receiver's state (docs/SECURITY.md, "Hostile peer frames"):
 * - an Append's entries are consecutive from prevIndex + 1, their terms are
 *   non-decreasing, at least prevTerm and at most the message's term, and
 *   their offsets chain (each starts where the one before ends);
 * - prevTerm, a vote's lastTerm and a snapshot's term are at most the
 *   message's term (a log never holds a term newer than its sender's);
 * - a leader's or (pre-)candidate's message has a term of at least 1 (a
 *   member raises its term before it campaigns, so before it leads), and so
 *   does every entry and every log position past index 0 (prevTerm, lastTerm,
 *   a snapshot's term, a commit position's term): entries are made by leaders.
 *   Term 0 is what a member that never heard of an election has; taken in at
 *   term 0, such a message would be believed by a fresh member (one whose
 *   group has not elected yet) from any sender;
 * - every index, offset and term leaves room to count on within the safe
 *   integers (FIXED_LIMITS.integerMax);
 * - a configuration entry's data and a snapshot's membership are well-formed
 *   configurations of at most GROUP_MEMBERS_MAX members (broker/raft/membership.ts).
 * Checks against the receiver's state (terms far ahead of its own, offsets
 * that do not continue its log) are the broker's and the runner's.
 * Messages are checked in place, not copied: entry data stays a view into the frame.
 */
import { EntryKind, nodeId, type Entry, type Membership, type NodeId } from "../raft/types.js";
import { GROUP_MEMBERS_MAX, decodeMembership, membershipProblem } from "../raft/membership.js";
import { MessageType, type Message } from "../raft/messages.js";
import { RlogError } from "./errors.js";
import { BROKER_ID, FieldReader, NON_NEGATIVE, checkArray, checkInt, type IntRange } from "./field-reader.js";
import { FIXED_LIMITS } from "./limits.js";

const MESSAGE_TYPES: readonly number[] = Object.values(MessageType);
const ENTRY_KINDS: readonly number[] = Object.values(EntryKind);
const NODE: IntRange = BROKER_ID;
/** The term of an entry, or of a leader's or candidate's message. */
const ELECTED_TERM: IntRange = { min: 1, max: FIXED_LIMITS.integerMax };
/** Types only a leader or a (pre-)candidate sends (answers may come from a member still at term 0). */
const FROM_LEADER_OR_CANDIDATE: readonly number[] = [
  MessageType.PreVote,
  MessageType.Vote,
  MessageType.Append,
  MessageType.Heartbeat,
  MessageType.Snapshot,
  MessageType.TimeoutNow,
  MessageType.Rejoin,
];
/** Entries in one Append: bounded by the frame size; this only rejects absurd counts early. */
const ENTRIES_MAX = 1_000_000;
/** A storage incarnation (RaftConfig.recovering): 0 means none. */
const INCARNATION: IntRange = { min: 0, max: 0xffff_ffff };

function checkEntry(v: unknown, path: string): Entry {
  const r = FieldReader.of(v, path);
  r.int("index", { min: 1, max: FIXED_LIMITS.integerMax });
  r.int("term", ELECTED_TERM);
  r.oneOf("kind", ENTRY_KINDS);
  r.int("offset", NON_NEGATIVE);
  r.int("count", { min: 0, max: 0xffff_ffff });
  r.int("timestampMs", { min: 0, max: FIXED_LIMITS.timestampMsMax });
  const data = r.bytes("data");
  const e = v as Entry;
  if (e.kind === EntryKind.Config) {
    if (e.count !== 0) throw new RlogError("INVALID_REQUEST", `${r.at("count")}: a configuration entry consumes no offsets`);
    if (decodeMembership(data) === undefined) throw new RlogError("INVALID_REQUEST", `${r.at("data")}: not a well-formed configuration (at most ${GROUP_MEMBERS_MAX} members)`);
  }
  return e;
}

function checkSnapshot(r: FieldReader, msgTerm: number): void {
  position(r, "index", "term", msgTerm);
  r.int("offset", NON_NEGATIVE);
  r.bytes("data");
  if (r.has("membership") || r.has("membershipIndex")) {
    r.int("membershipIndex", NON_NEGATIVE);
    checkMembership(r.child("membership"));
  }
}

/** A snapshot's membership: lists of member ids, at most GROUP_MEMBERS_MAX in all, well formed. */
function checkMembership(r: FieldReader): void {
  const list = (name: string, optional: boolean): NodeId[] => {
    if (optional && r.raw(name) == null) return [];
    return checkArray(r.raw(name), r.at(name), GROUP_MEMBERS_MAX, (v, path) => nodeId(checkInt(v, path, NODE)));
  };
  const m: Membership = { voters: list("voters", false), votersOutgoing: list("votersOutgoing", true), learners: list("learners", true) };
  const problem = membershipProblem(m);
  if (problem !== undefined) throw new RlogError("INVALID_REQUEST", `${r.at("voters")}: ${problem}`);
}

/** The optional commit position of a (pre-)vote request or answer: an index and a term not newer than the message's. */
function checkCommitted(r: FieldReader, msgTerm: number): void {
  if (!r.has("committed")) return;
  position(r.child("committed"), "index", "term", msgTerm);
}

/** A log position (an index and the term of its entry): the term not newer than the message's, and at least 1 past index 0. */
function position(r: FieldReader, indexName: string, termName: string, msgTerm: number): { index: number; term: number } {
  const index = r.int(indexName, NON_NEGATIVE);
  const term = notAfter(r, termName, msgTerm);
  if (index > 0 && term === 0) throw new RlogError("INVALID_REQUEST", `${r.at(termName)}: 0 at ${indexName} ${index} (an entry's term is at least 1)`);
  return { index, term };
}

/** A term field that must not be newer than the message's own term. */
function notAfter(r: FieldReader, name: string, msgTerm: number): number {
  const t = r.int(name, NON_NEGATIVE);
  if (t > msgTerm) throw new RlogError("INVALID_REQUEST", `${r.at(name)}: ${t} is newer than the message's term ${msgTerm}`);
  return t;
}

/** An Append's entries hold a correct leader's invariants (see the file comment). */
function checkAppendEntries(r: FieldReader, msgTerm: number): void {
  const { index: prevIndex, term: prevTerm } = position(r, "prevIndex", "prevTerm", msgTerm);
  r.int("commit", NON_NEGATIVE);
  const entries = checkArray(r.raw("entries"), r.at("entries"), ENTRIES_MAX, checkEntry);
  if (prevIndex + entries.length > FIXED_LIMITS.integerMax) throw new RlogError("INVALID_REQUEST", `${r.at("entries")}: indexes past ${FIXED_LIMITS.integerMax}`);
  let lastTerm = prevTerm;
  let endOffset: number | undefined;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const at = `${r.at("entries")}[${i}]`;
    if (e.index !== prevIndex + 1 + i) throw new RlogError("INVALID_REQUEST", `${at}.index: ${e.index} does not follow ${prevIndex + i} (entries must be consecutive from prevIndex + 1)`);
    if (e.term < lastTerm) throw new RlogError("INVALID_REQUEST", `${at}.term: ${e.term} is older than ${lastTerm} before it`);
    if (e.term > msgTerm) throw new RlogError("INVALID_REQUEST", `${at}.term: ${e.term} is newer than the message's term ${msgTerm}`);
    if (endOffset !== undefined && e.offset !== endOffset) throw new RlogError("INVALID_REQUEST", `${at}.offset: ${e.offset} does not continue at ${endOffset}`);
    endOffset = e.offset + e.count;
    if (endOffset > FIXED_LIMITS.integerMax) throw new RlogError("INVALID_REQUEST", `${at}: offset + count past ${FIXED_LIMITS.integerMax}`);
    lastTerm = e.term;
  }
}

/**
 * Check one Raft message.
 * @throws RlogError INVALID_REQUEST naming the bad field
 */
export function checkRaftMessage(v: unknown, path: string): Message {
  const r = FieldReader.of(v, path);
  const type = r.oneOf("type", MESSAGE_TYPES);
  r.int("from", NODE);
  r.int("to", NODE);
  const term = r.int("term", FROM_LEADER_OR_CANDIDATE.includes(type) ? ELECTED_TERM : NON_NEGATIVE);
  switch (type) {
    case MessageType.PreVote:
      position(r, "lastIndex", "lastTerm", term);
      checkCommitted(r, term);
      break;
    case MessageType.Vote:
      position(r, "lastIndex", "lastTerm", term);
      r.bool("transfer");
      checkCommitted(r, term);
      break;
    case MessageType.PreVoteResponse:
    case MessageType.VoteResponse:
      r.bool("granted");
      checkCommitted(r, term);
      break;
    case MessageType.Append:
      checkAppendEntries(r, term);
      break;
    case MessageType.AppendResponse:
      r.bool("success");
      r.int("index", NON_NEGATIVE);
      r.int("hintIndex", NON_NEGATIVE);
      r.int("hintTerm", NON_NEGATIVE);
      if (r.has("recovering")) r.int("recovering", INCARNATION);
      if (r.has("repairing")) r.int("repairing", INCARNATION);
      break;
    case MessageType.Heartbeat:
      r.int("commit", NON_NEGATIVE);
      if (r.has("quiesce")) r.bool("quiesce");
      break;
    case MessageType.HeartbeatResponse:
      r.bool("promotable");
      if (r.has("recovering")) r.int("recovering", INCARNATION);
      if (r.has("repairing")) r.int("repairing", INCARNATION);
      if (r.has("unasked")) r.bool("unasked");
      break;
    case MessageType.TimeoutNow:
      break;
    case MessageType.Rejoin:
      r.int("index", NON_NEGATIVE);
      r.int("incarnation", INCARNATION);
      break;
    case MessageType.Snapshot:
      checkSnapshot(r.child("snapshot"), term);
      break;
    default:
      throw new RlogError("INVALID_REQUEST", `${r.at("type")}: unhandled message type ${type}`); // unreachable: oneOf
  }
  return v as Message;
}
