/**
 * Configuration of one Raft group member. Times are in ticks: the group
 * runner turns wall time into ticks (broker setting `raftTickMs`).
 */
import type { Membership, NodeId } from "./types.js";
import { RAFT_DEFAULTS } from "../protocol/defaults.js";

/** Group membership (defined with the other value types in types.ts). */
export type { Membership } from "./types.js";

export interface RaftConfig {
  /**
   * This member. Need not be a member of its configuration: a non-member (a
   * replica just opened on a broker being added) is passive: it never
   * campaigns, takes the leader's appends and snapshots, answers them, and
   * adopts the configuration it learns from the log (RaftNode, "Membership
   * changes").
   */
  readonly id: NodeId;
  /**
   * The BASE membership: used only when storage holds none
   * (HardState.membership absent). Once a configuration entry commits, the
   * stored one is in effect.
   */
  readonly membership: Membership;
  /**
   * Leader preference, most preferred first (the partition's replica list).
   * Every voter appears once; a learner listed here is ignored (it never
   * leads). Higher priority waits a shorter election
   * timeout, and the leader hands leadership to the most preferred
   * caught-up member.
   */
  readonly priority: readonly NodeId[];
  /** Base election timeout; each member draws from a window starting here, shifted by its rank. */
  readonly electionTimeoutTicks: number;
  /** Leader heartbeat interval. Must be well under electionTimeoutTicks. */
  readonly heartbeatIntervalTicks: number;
  /** How often a leader checks whether a more preferred member is caught up; 0 turns leader preference off. */
  readonly preferredLeaderCheckTicks: number;
  /** Append messages in flight to one follower before waiting for responses. */
  readonly inflightAppendsMax: number;
  /** Bytes of entries in flight to one follower before waiting for responses. */
  readonly inflightBytesMax: number;
  /** Bytes of entries in one Append message (at least one entry is always sent). */
  readonly appendBytesMax: number;
  /** Proposals waiting in the leader's unstable log before new ones are refused (back-pressure). */
  readonly uncommittedEntriesMax: number;
  /**
   * Bytes (entryBytes) of this leader's uncommitted proposals before new ones
   * are refused with BUSY; one proposal always goes through when nothing is
   * uncommitted. Absent: RAFT_DEFAULTS.uncommittedBytesMax.
   */
  readonly uncommittedBytesMax?: number;
  /**
   * Bytes of just-persisted entries kept in memory, so appends to followers and
   * apply do not read back what was just written; 0 turns the cache off.
   */
  readonly recentEntriesBytesMax: number;
  /**
   * Quiesce when idle (see RaftNode, "Quiescence"): only with a liveness
   * source that calls peerDown / peerUp (the broker's peer heartbeat, the
   * simulator's oracle). Absent or false: heartbeat for ever, as plain Raft.
   */
  readonly quiesce?: boolean;
  /**
   * Start recovering: this member's storage is new (its disk was lost or
   * wiped) while the group may know it as a voter, so it may have forgotten a
   * vote, a term and acknowledged entries. Until a leader says it has caught
   * up (see RaftNode, "Recovering after a lost disk"), it never grants a
   * (pre-)vote, never campaigns, and its acks do not count toward commits.
   * `incarnation` names this incarnation of the storage (random, non-zero;
   * the broker keeps it in its data-directory identity); a leader that sees
   * a new one starts the catch-up afresh. Ignored in groups of at most two
   * voters (see docs/STORAGE.md, "A lost disk").
   */
  readonly recovering?: { readonly incarnation: number };
  /**
   * Bytes of entries per tick the leader sends to learners all together (the
   * partition reassignment throttle: the broker derives it from
   * reassignment.throttleBytesPerSec and raftTickMs). Absent or 0: unlimited.
   * A positive budget always lets at least one entry out, so a learner's
   * catch-up never stops; an entry larger than what was left overdraws the
   * budget and later ticks pay it back, so the average rate holds whatever
   * the entry sizes. Voters are never throttled.
   */
  readonly learnerAppendBytesPerTick?: number;
}

/**
 * Defaults tuned for a 10 ms tick: 500 ms base election timeout, 50 ms
 * heartbeats. The values live in broker/protocol/defaults.ts, a leaf of plain
 * numbers that the core may import (it does no I/O).
 */
export const DEFAULT_RAFT_TIMING = RAFT_DEFAULTS;
