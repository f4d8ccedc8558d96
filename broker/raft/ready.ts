/**
 * What the core hands to its runner, and what it accepts from it.
 *
 * The runner loop (broker/group/, and the simulator) is:
 *   1. feed inputs: step(msg), tick(), propose(...), transferLeadership(...)
 *   2. if hasReady(): rd = ready()
 *   3. send rd.earlyMessages (the leader's replication: it writes its log in
 *      parallel with its followers, Raft thesis §10.2.1)
 *   4. if rd.mustSync: persist rd.snapshot, rd.entries and rd.hardState as ONE
 *      atomic update (LogUpdate, see writeOf()), and wait until it is durable
 *   5. send rd.messages (only now: votes and append acks promise durability)
 *   6. apply rd.committed in order
 *   7. advance(rd): only now does a leader count its own new entries toward
 *      the commit quorum (its match index is its durable last index)
 *
 * A Ready whose only change is the commit index needs no write (etcd's
 * MustSync): the commit index rides along with the next write, and after a
 * crash the member restarts with the lower commit index it last wrote, which
 * is safe because the entries up to the higher one are committed on a quorum
 * and come back through the leader.
 *
 * Several inputs batch into one Ready, so a Ready may carry a reply of an
 * older term (an append ack, a granted vote) next to the hard state of a
 * newer term. That is safe: the member has durably left that term, and
 * receivers ignore replies of older terms.
 */
import type { LogUpdate } from "./log-storage.js";
import type { Message } from "./messages.js";
import type { Entry, HardState, Index, Membership, NodeId, Offset, Snapshot, Term } from "./types.js";

/** Numeric and logged: append-only. */
export const Role = {
  Follower: 0,
  PreCandidate: 1,
  Candidate: 2,
  Leader: 3,
} as const;
export type Role = (typeof Role)[keyof typeof Role];
export const ROLE_NAMES = ["follower", "pre-candidate", "candidate", "leader"] as const;

/** Volatile state worth telling the runner about when it changes. */
export interface SoftState {
  readonly role: Role;
  /** Current leader as far as this member knows; NO_NODE when unknown. */
  readonly leader: NodeId;
  readonly term: Term;
  /** Target of the leadership transfer in progress; NO_NODE when none. */
  readonly transferee: NodeId;
  /**
   * Recovering from a lost disk: no votes, no campaigns, acks not counted
   * until a leader sends Rejoin (see RaftNode). Goes from true to false once.
   */
  readonly recovering: boolean;
  /**
   * Repairing after a damaged entry: the log is behind the promise its
   * repair recorded (HardState.promise), so the member neither campaigns nor
   * takes a transfer, and votes only for candidates that keep the promise.
   */
  readonly repairing: boolean;
}

export interface Ready {
  /** Present when it changed since the last Ready. */
  readonly softState?: SoftState;
  /** Present when term, vote or commit changed. */
  readonly hardState?: HardState;
  /**
   * The Ready holds entries, a snapshot, or a new term or vote: write it (with
   * any carried commit index) and wait until it is durable before sending
   * `messages`. False when only the commit index changed.
   */
  readonly mustSync: boolean;
  /** A snapshot received from the leader: install before `entries`. */
  readonly snapshot?: Snapshot;
  /** Entries to persist, truncating any conflicting suffix first. */
  readonly entries: readonly Entry[];
  /**
   * Messages that may leave before this Ready's write is durable: a leader's
   * Append, Heartbeat, Snapshot and TimeoutNow of a term already durable.
   * They promise nothing about the write (thesis §10.2.1): the leader counts
   * itself toward a commit only once its entries are durable (advance()).
   */
  readonly earlyMessages: readonly Message[];
  /** Messages to send once the write is durable (votes and append acks promise durability). */
  readonly messages: readonly Message[];
  /** Newly committed entries to apply, in order (all of them already persisted earlier). */
  readonly committed: readonly Entry[];
}

/** Why a proposal or transfer request was refused. Mapped to protocol error codes by the broker. */
export type RefusalCode = "NOT_LEADER" | "LEADER_TRANSFER_IN_PROGRESS" | "BUSY" | "INVALID";

export type ProposeResult =
  | {
      readonly ok: true;
      /** Index of the first proposed entry; the rest follow densely. */
      readonly firstIndex: Index;
      /** Offset of the first record of the first proposed entry. */
      readonly firstOffset: Offset;
      /** Leader's term: the entries are committed iff they commit with this term. */
      readonly term: Term;
    }
  | { readonly ok: false; readonly code: RefusalCode; readonly leader: NodeId; readonly message: string };

/** One entry to propose. The core assigns index, term and offset. */
export interface Proposal {
  readonly kind: Entry["kind"];
  readonly count: number;
  readonly timestampMs: number;
  readonly data: Uint8Array;
}

/** Replication state of one follower, as seen by the leader. */
export interface ProgressStatus {
  readonly id: NodeId;
  /** Highest index known to be replicated on the member. */
  readonly match: Index;
  /** Next index to send. */
  readonly next: Index;
  /** Heard from within the last election timeout. */
  readonly active: boolean;
  /** Said it is recovering from a lost disk: it cannot take leadership until it rejoins. */
  readonly recovering: boolean;
  /** Its answers carry a repair tag: its log is behind the promise a repair recorded (HardState.promise). */
  readonly repairing: boolean;
}

/** Result of RaftNode.changeMembership: the Config entry's index, or why not. */
export type MembershipChangeResult =
  | { readonly ok: true; readonly index: Index }
  | { readonly ok: false; readonly code: RefusalCode; readonly reason: string };

/** RaftNode.membership(): the committed configuration in effect. */
export interface MembershipStatus {
  readonly config: Membership;
  /** Index of its Config entry (0: the base configuration, RaftConfig.membership). */
  readonly index: Index;
  /** A change is in flight: a Config entry not committed yet, or a joint configuration not left yet. */
  readonly pending: boolean;
}

export interface Status extends SoftState {
  readonly id: NodeId;
  readonly membership: MembershipStatus;
  readonly commit: Index;
  /**
   * The leader's commit index as this member last heard it in this term (the
   * highest `commit` of the leader's Append and Heartbeat messages; heartbeats
   * carry min(commit, our match), so it may trail); the own commit index on
   * the leader; 0 before anything is heard in the term. Observability only
   * (readiness, broker/admin/readiness.ts): nothing in the core decides by it.
   */
  readonly leaderCommit: Index;
  readonly applied: Index;
  readonly lastIndex: Index;
  /** Only on the leader. */
  readonly progress: readonly ProgressStatus[];
}

/**
 * The durable write a Ready needs, or undefined when it needs none.
 * `carried` is the newest hard state of an earlier Ready that was not written
 * because only its commit index changed: it rides along with this write
 * (rd.hardState, when present, supersedes it). The runner and the simulator
 * both use this, so the simulator checks what the broker does.
 */
export function writeOf(rd: Ready, carried: HardState | undefined): LogUpdate | undefined {
  if (!rd.mustSync) return undefined;
  const hardState = rd.hardState ?? carried;
  return {
    ...(rd.snapshot ? { snapshot: rd.snapshot } : {}),
    ...(rd.entries.length > 0 ? { entries: rd.entries } : {}),
    ...(hardState ? { hardState } : {}),
  };
}
