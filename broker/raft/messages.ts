/**
 * Messages between members of one Raft group. Sent over the peer transport
 * (msgpack), so `MessageType` is numeric and append-only: never renumber.
 */
import type { Entry, Index, LogPosition, NodeId, Snapshot, Term } from "./types.js";

export const MessageType = {
  /** Would you vote for me at `term`? Does not change anyone's term (thesis §9.6). */
  PreVote: 1,
  PreVoteResponse: 2,
  /** RequestVote (paper §5.2). */
  Vote: 3,
  VoteResponse: 4,
  /** AppendEntries (paper §5.3). */
  Append: 5,
  AppendResponse: 6,
  /** Leader liveness and commit propagation without entries. */
  Heartbeat: 7,
  HeartbeatResponse: 8,
  /** InstallSnapshot (paper §7), for a follower behind the leader's log start. */
  Snapshot: 9,
  /** Start an election now, skipping pre-vote (thesis §3.10, leadership transfer). */
  TimeoutNow: 10,
  /**
   * Leader to a recovering member (one that lost its disk): you hold the
   * committed entry at `index` of my term, appended after I learned of your
   * `incarnation`; vote again. See RaftNode, "Recovering after a lost disk".
   */
  Rejoin: 11,
} as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

interface Base {
  readonly from: NodeId;
  readonly to: NodeId;
  /** Sender's term; for PreVote, the term the sender would campaign at. */
  readonly term: Term;
}

export interface PreVoteMsg extends Base {
  readonly type: typeof MessageType.PreVote;
  readonly lastIndex: Index;
  readonly lastTerm: Term;
  /** The candidate's commit position (see VoteResponseMsg.committed). */
  readonly committed?: LogPosition;
}
export interface VoteMsg extends Base {
  readonly type: typeof MessageType.Vote;
  readonly lastIndex: Index;
  readonly lastTerm: Term;
  /** Campaign started by TimeoutNow: voters ignore their leader lease for it. */
  readonly transfer: boolean;
  /** The candidate's commit position (see VoteResponseMsg.committed). */
  readonly committed?: LogPosition;
}
export interface VoteResponseMsg extends Base {
  readonly type: typeof MessageType.VoteResponse | typeof MessageType.PreVoteResponse;
  readonly granted: boolean;
  /**
   * The responder's commit index and the term of its entry there (absent
   * when 0 or compacted away): a committed position. A member whose log
   * holds it takes it as committed (Log Matching), and so learns of a
   * membership change that completed while it was away (RaftNode,
   * "Membership changes"). (Pre-)vote requests carry the candidate's.
   */
  readonly committed?: LogPosition;
}
export interface AppendMsg extends Base {
  readonly type: typeof MessageType.Append;
  readonly prevIndex: Index;
  readonly prevTerm: Term;
  readonly entries: readonly Entry[];
  /** Leader's commit index. */
  readonly commit: Index;
}
export interface AppendResponseMsg extends Base {
  readonly type: typeof MessageType.AppendResponse;
  readonly success: boolean;
  /**
   * On success, the follower's match index (last index it now holds that
   * agrees with the leader). On failure, the `prevIndex` that was rejected.
   */
  readonly index: Index;
  /**
   * On failure, a hint for fast back-off: the follower's last index that may
   * match (`hintIndex`) and its term (`hintTerm`); the leader skips past
   * every entry of a term the follower does not have.
   */
  readonly hintIndex: Index;
  readonly hintTerm: Term;
  /** The sender's storage incarnation while it is recovering from a lost disk; absent (or 0) otherwise. */
  readonly recovering?: number;
  /** The sender's repair tag while its log is behind the promise a repair recorded (HardState.promise); absent (or 0) otherwise. */
  readonly repairing?: number;
}
export interface HeartbeatMsg extends Base {
  readonly type: typeof MessageType.Heartbeat;
  /** min(leader commit, follower's match): never ahead of what the follower holds. */
  readonly commit: Index;
  /**
   * The leader's last heartbeat before it quiesces (every voter matched at
   * `commit`, the leader's last index): a follower whose log ends there
   * quiesces too. Absent otherwise (and from older brokers).
   */
  readonly quiesce?: boolean;
}
export interface HeartbeatResponseMsg extends Base {
  readonly type: typeof MessageType.HeartbeatResponse;
  /** False while the member drains (controlled shutdown): the leader must not hand it leadership. */
  readonly promotable: boolean;
  /** The sender's storage incarnation while it is recovering from a lost disk; absent (or 0) otherwise. */
  readonly recovering?: number;
  /** The sender's repair tag while its log is behind the promise a repair recorded (HardState.promise); absent (or 0) otherwise. */
  readonly repairing?: number;
  /**
   * Sent unasked by a learner whose election timeout passed without word
   * from its leader (it may have missed the quiesce heartbeat): a quiesced
   * leader repeats that heartbeat to it. Absent otherwise (and from older brokers).
   */
  readonly unasked?: boolean;
}
export interface SnapshotMsg extends Base {
  readonly type: typeof MessageType.Snapshot;
  readonly snapshot: Snapshot;
}
export interface TimeoutNowMsg extends Base {
  readonly type: typeof MessageType.TimeoutNow;
}

export interface RejoinMsg extends Base {
  readonly type: typeof MessageType.Rejoin;
  /** A committed entry of the leader's term (`term`), appended after the leader learned of `incarnation`. */
  readonly index: Index;
  /** The recovering incarnation this answers. */
  readonly incarnation: number;
}

export type Message =
  | PreVoteMsg
  | VoteMsg
  | VoteResponseMsg
  | AppendMsg
  | AppendResponseMsg
  | HeartbeatMsg
  | HeartbeatResponseMsg
  | SnapshotMsg
  | TimeoutNowMsg
  | RejoinMsg;
