/**
 * Group membership values: checks, comparisons, joint-quorum maths and the
 * codec of a configuration entry (EntryKind.Config). Pure: no I/O.
 *
 * A configuration is joint while `votersOutgoing` is non-empty (etcd's
 * ConfChangeV2, Raft thesis §4.3): every decision (commit, election, check
 * quorum) then needs a majority of `voters` AND a majority of
 * `votersOutgoing`. See RaftNode, "Membership changes".
 *
 * A leaf (it imports only types.ts and quorum.ts): broker/protocol's peer
 * message check uses it, and the protocol must not pull in the core.
 */
import { committedIndex, tally, type VoteOutcome } from "./quorum.js";
import { index, nodeId, type Index, type Membership, type NodeId } from "./types.js";

/**
 * Members of one group (voters, outgoing voters and learners together) a
 * configuration may name; a configuration entry or snapshot naming more is
 * refused (change requests with INVALID, peer messages as malformed).
 */
export const GROUP_MEMBERS_MAX = 64;

/** Largest member id a configuration may name (a broker id fits). */
const MEMBER_ID_MAX = 0x7fff_ffff;

/** Whether the configuration is joint (a voter change in progress). */
export function isJoint(m: Membership): boolean {
  return (m.votersOutgoing?.length ?? 0) > 0;
}

/** Whether `id` votes in `m` (in either half of a joint configuration). */
export function isVoter(m: Membership, id: NodeId): boolean {
  return m.voters.includes(id) || (m.votersOutgoing?.includes(id) ?? false);
}

/** Every member `m` names (voters of both halves, then learners), each once. */
export function membersOf(m: Membership): NodeId[] {
  return [...new Set([...m.voters, ...(m.votersOutgoing ?? []), ...(m.learners ?? [])])];
}

/** Voters of both halves, each once. */
export function votersOf(m: Membership): NodeId[] {
  return [...new Set([...m.voters, ...(m.votersOutgoing ?? [])])];
}

/** The largest index matched by a majority of each half (the min of the halves). */
export function jointCommittedIndex(m: Membership, matchOf: (id: NodeId) => Index): Index {
  const incoming = committedIndex(m.voters, matchOf);
  if (!isJoint(m)) return incoming;
  return index(Math.min(incoming, committedIndex(m.votersOutgoing!, matchOf)));
}

/** Won when both halves are won, lost when either is lost. */
export function jointTally(m: Membership, votes: ReadonlyMap<NodeId, boolean>): VoteOutcome {
  const a = tally(m.voters, votes);
  if (!isJoint(m)) return a;
  const b = tally(m.votersOutgoing!, votes);
  if (a === "lost" || b === "lost") return "lost";
  return a === "won" && b === "won" ? "won" : "pending";
}

/** Same sets of voters (order ignored). */
export function sameIds(a: readonly NodeId[] | undefined, b: readonly NodeId[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((id) => y.includes(id));
}

/** Same configuration (each list compared as a set). */
export function sameMembership(a: Membership, b: Membership): boolean {
  return sameIds(a.voters, b.voters) && sameIds(a.votersOutgoing, b.votersOutgoing) && sameIds(a.learners, b.learners);
}

/**
 * Why `target` is not a valid configuration to change to, or undefined when it
 * is: at least one voter, ids positive integers, no duplicates, no member
 * both voter and learner, at most GROUP_MEMBERS_MAX members.
 */
export function targetProblem(target: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] }): string | undefined {
  const voters = target.voters;
  const learners = target.learners ?? [];
  if (!Array.isArray(voters) || voters.length === 0) return "a configuration needs at least one voter";
  for (const id of [...voters, ...learners]) {
    if (!Number.isInteger(id) || id < 1 || id > MEMBER_ID_MAX) return `member id ${String(id)} is not a positive integer`;
  }
  if (new Set(voters).size !== voters.length) return "duplicate voters";
  if (new Set(learners).size !== learners.length) return "duplicate learners";
  const both = learners.find((l) => voters.includes(l));
  if (both !== undefined) return `member ${both} is both a voter and a learner`;
  if (voters.length + learners.length > GROUP_MEMBERS_MAX) return `more than ${GROUP_MEMBERS_MAX} members (GROUP_MEMBERS_MAX)`;
  return undefined;
}

/**
 * Why `m` (from a log entry, a snapshot or a hard state) is malformed, or
 * undefined when it is well formed. Outgoing voters may also be learners (a
 * voter being demoted to a learner stays a voter until the joint phase ends).
 */
export function membershipProblem(m: Membership): string | undefined {
  const p = targetProblem(m);
  if (p !== undefined) return p;
  const out = m.votersOutgoing ?? [];
  for (const id of out) if (!Number.isInteger(id) || id < 1 || id > MEMBER_ID_MAX) return `member id ${String(id)} is not a positive integer`;
  if (new Set(out).size !== out.length) return "duplicate outgoing voters";
  if (membersOf(m).length > GROUP_MEMBERS_MAX) return `more than ${GROUP_MEMBERS_MAX} members (GROUP_MEMBERS_MAX)`;
  return undefined;
}

/** A configuration in its canonical shape: empty optional lists left out. */
export function normalMembership(voters: readonly NodeId[], learners: readonly NodeId[] | undefined, outgoing: readonly NodeId[] | undefined): Membership {
  return {
    voters: [...voters],
    ...(learners !== undefined && learners.length > 0 ? { learners: [...learners] } : {}),
    ...(outgoing !== undefined && outgoing.length > 0 ? { votersOutgoing: [...outgoing] } : {}),
  };
}

/**
 * The data of a Config entry: a JSON object { v: voters, o: outgoing voters,
 * l: learners } (the lists are short: at most GROUP_MEMBERS_MAX ids).
 */
export function encodeMembership(m: Membership): Uint8Array {
  return new TextEncoder().encode(JSON.stringify({ v: m.voters, o: m.votersOutgoing ?? [], l: m.learners ?? [] }));
}

/**
 * Decode a Config entry's data; undefined when malformed (a correct leader
 * never writes one; the core then ignores the entry rather than crash).
 */
export function decodeMembership(data: Uint8Array): Membership | undefined {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const ids = (x: unknown): NodeId[] | undefined => (Array.isArray(x) && x.length <= GROUP_MEMBERS_MAX && x.every((n) => Number.isInteger(n)) ? x.map((n: number) => nodeId(n)) : undefined);
  const voters = ids(o.v);
  const outgoing = ids(o.o);
  const learners = ids(o.l);
  if (voters === undefined || outgoing === undefined || learners === undefined) return undefined;
  const m = normalMembership(voters, learners, outgoing);
  return membershipProblem(m) === undefined ? m : undefined;
}
