/**
 * Value types shared by the Raft core, the log storage and the broker.
 *
 * Branded numbers keep distinct quantities apart: an `Index` is a Raft log
 * position, an `Offset` a record's position in a partition, a `Term` a Raft
 * term and a `NodeId` a broker id. Convert with the helper functions below;
 * arithmetic on branded values needs an explicit cast back.
 */

/** A Raft log position. The first entry has index 1; 0 means "before the log". */
export type Index = number & { readonly __brand: "Index" };
/** A Raft term. 0 is the term before any election. */
export type Term = number & { readonly __brand: "Term" };
/** A record's position in its partition: dense and strictly increasing. */
export type Offset = number & { readonly __brand: "Offset" };
/** A member of a Raft group (a broker id). 0 means "none". */
export type NodeId = number & { readonly __brand: "NodeId" };

export const index = (n: number): Index => n as Index;
export const term = (n: number): Term => n as Term;
export const offset = (n: number): Offset => n as Offset;
export const nodeId = (n: number): NodeId => n as NodeId;

/** The "no node" value, used for an empty vote or an unknown leader. */
export const NO_NODE = 0 as NodeId;

/**
 * What an entry holds. Stored on disk and sent between brokers:
 * numeric and append-only. Never renumber; add new kinds at the end.
 */
export const EntryKind = {
  /** Appended by every new leader at the start of its term (Raft thesis §6.4). */
  Noop: 0,
  /** A batch of records of a data partition. `count` is the number of records. */
  Records: 1,
  /** A command for a state-machine group (controller, group coordinator). */
  Command: 2,
  /**
   * A configuration change: `data` is encodeMembership(m) (membership.ts),
   * `count` 0 (it consumes no offsets). Takes effect on each member when it
   * commits (RaftNode, "Membership changes"). State machines and fetch ignore
   * it as they ignore Noop.
   */
  Config: 3,
} as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/**
 * One Raft log entry.
 *
 * Invariants: entries are dense by `index`; within one log,
 * `next.offset === prev.offset + prev.count` (offsets are assigned by the
 * leader when it appends, so logs that agree on an index agree on offsets).
 */
export interface Entry {
  readonly index: Index;
  readonly term: Term;
  readonly kind: EntryKind;
  /** Offset of the first record in the entry; for `count === 0`, the next offset. */
  readonly offset: Offset;
  /** Number of records (offsets) this entry consumes. 0 for Noop and Command. */
  readonly count: number;
  /** Largest record timestamp in the entry (ms since epoch), 0 when it has none. */
  readonly timestampMs: number;
  /** Opaque payload: an encoded record batch or command. */
  readonly data: Uint8Array;
}

/**
 * Group membership. A configuration is joint while `votersOutgoing` is
 * non-empty (etcd ConfChangeV2 style): a decision then needs a majority of
 * `voters` AND a majority of `votersOutgoing` (RaftNode, "Membership changes").
 */
export interface Membership {
  /** Voting members (the incoming half while joint). A quorum is a strict majority of them. */
  readonly voters: readonly NodeId[];
  /**
   * Learners: non-voting members that receive the log (appends, snapshots)
   * from the leader and catch up, but never campaign, never lead and never
   * count toward a commit or check quorum (see RaftNode, "Learners").
   * Disjoint from voters (they may overlap votersOutgoing: a voter being
   * demoted stays a voter until the joint phase ends); absent means none.
   */
  readonly learners?: readonly NodeId[];
  /** The outgoing voters of a joint configuration; absent or empty when not joint. */
  readonly votersOutgoing?: readonly NodeId[];
}

/** Raft's persistent state (Raft paper, Figure 2), plus the commit index. */
export interface HardState {
  readonly term: Term;
  /** Who this node voted for in `term`; NO_NODE when it has not voted. */
  readonly vote: NodeId;
  /** Highest index known committed. Never decreases (except when a repair truncates a damaged log, see `promise`). */
  readonly commit: Index;
  /**
   * Present only after a repair (LogStorage.repair) cut a damaged suffix off
   * the log: the position (last term and index) the log held before, that is
   * everything this member may have acknowledged. Until the log again holds a
   * position at least as up to date, the member votes only for candidates at
   * least as up to date as this position and never campaigns (docs/STORAGE.md,
   * "A damaged entry"). The Raft core clears it.
   */
  readonly promise?: LogPosition;
  /**
   * The committed configuration in effect and the index of its Config entry
   * (or of the snapshot that carried it). Absent: RaftConfig.membership.
   */
  readonly membership?: Membership;
  readonly membershipIndex?: Index;
}

/** A log position: the term and index of a last entry. Compared by term, then index. */
export interface LogPosition {
  readonly term: Term;
  readonly index: Index;
}

export const EMPTY_HARD_STATE: HardState = { term: term(0), vote: NO_NODE, commit: index(0) };

/**
 * The point before the first entry a log holds: everything up to and
 * including `index` has been compacted away (by retention or by a snapshot).
 * For a data partition `offset` is the log start offset when the log holds
 * no entries; state-machine groups carry their state in `data`.
 */
export interface SnapshotMeta {
  /** Index of the last entry covered by the snapshot (0 for a new log). */
  readonly index: Index;
  /** Term of that entry (0 for a new log). */
  readonly term: Term;
  /** First offset after the snapshot. */
  readonly offset: Offset;
  /**
   * The sending leader's committed configuration and its index (set on
   * snapshots sent to followers; the receiver adopts it when newer than its
   * own). Absent on stored snapshot points.
   */
  readonly membership?: Membership;
  readonly membershipIndex?: Index;
}

export interface Snapshot extends SnapshotMeta {
  /** State-machine state at `index`; empty for data partitions. */
  readonly data: Uint8Array;
}

export const EMPTY_SNAPSHOT: Snapshot = { index: index(0), term: term(0), offset: offset(0), data: new Uint8Array(0) };

/** What entryBytes adds to an entry's payload for its fields. */
const ENTRY_OVERHEAD_BYTES = 40;

/** Approximate size of an entry (or of a proposal, which becomes one) on the wire and on disk, for byte limits. */
export function entryBytes<E extends { readonly data: Uint8Array }>(e: E): number {
  return e.data.byteLength + ENTRY_OVERHEAD_BYTES;
}
