/**
 * What the core hands to its runner, and what it accepts from it.
 *
 * The runner loop (broker/group/, and the simulator) is:
 *   1. feed inputs: step(msg), tick(), propose(...), transferLeadership(...)
 *   2. if hasReady(): rd = ready()
 *   3. persist rd.snapshot, rd.entries and rd.hardState as ONE atomic update
 *      (LogStorage.persist), and wait until it is durable
 *   4. send rd.messages (only now: votes and append acks promise durability)
 *   5. apply rd.committed in order
 *   6. advance(rd)
 *
 * Several inputs batch into one Ready, so a Ready may carry a reply of an
 * older term (an append ack, a granted vote) next to the hard state of a
 * newer term. That is safe: the member has durably left that term, and
 * receivers ignore replies of older terms.
 */
import type { Message } from "./messages.js";
import type { Entry, HardState, Index, NodeId, Offset, Snapshot, Term } from "./types.js";

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
}

export interface Ready {
  /** Present when it changed since the last Ready. */
  readonly softState?: SoftState;
  /** Present when term, vote or commit changed: persist before sending messages. */
  readonly hardState?: HardState;
  /** A snapshot received from the leader: install before `entries`. */
  readonly snapshot?: Snapshot;
  /** Entries to persist, truncating any conflicting suffix first. */
  readonly entries: readonly Entry[];
  /** Messages to send once the above is durable. */
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
}

export interface Status extends SoftState {
  readonly id: NodeId;
  readonly commit: Index;
  readonly applied: Index;
  readonly lastIndex: Index;
  /** Only on the leader. */
  readonly progress: readonly ProgressStatus[];
}
