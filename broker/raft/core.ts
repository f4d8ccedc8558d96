/**
 * The Raft core: a pure, deterministic state machine (see ready.ts for the
 * runner loop). No timers, sockets, disk, clocks or Math.random in here.
 *
 * Follows the Raft paper (Ongaro & Ousterhout 2014) and thesis (Ongaro 2014)
 * with etcd's refinements, plus DLedger-style leader preference:
 * - pre-vote (thesis §9.6): a member raises its term only after a quorum says
 *   it would vote for it, so a member cut off in a minority never inflates terms;
 * - check quorum and leader lease (thesis §6.2, §4.2.3): a leader steps down
 *   when it has not heard from a quorum within an election timeout, and a member
 *   that heard from a leader within an election timeout ignores (pre-)votes
 *   unless they come from a leadership transfer;
 * - a no-op entry at the start of every term (thesis §6.4); only entries of the
 *   current term are committed by counting (paper §5.4.2);
 * - leadership transfer (thesis §3.10) and leader preference by priority rank;
 * - pipelined, flow-controlled replication with fast back-off (thesis §5.3 hint).
 *
 * Recovering after a lost disk (RaftConfig.recovering; the argument is in
 * docs/STORAGE.md, "A lost disk"). Raft's safety rests on durable terms, votes
 * and acknowledged entries; a member whose storage is new may have forgotten
 * all three. Invariant: while `recovering` is non-zero the member grants no
 * vote or pre-vote, never campaigns or takes a transfer, never takes a commit
 * index from a heartbeat, and tags its append and heartbeat answers with its
 * incarnation; a leader counts no tagged member toward commits or check
 * quorum. On the first tagged answer of an incarnation, the leader resets
 * that member's progress and appends a no-op marker; once the marker is
 * committed (without the recovering member) and the member holds it, the
 * leader sends Rejoin. The member leaves recovering only on a Rejoin of its
 * current leader and term for its own incarnation whose entry it holds, and
 * then records a vote for that leader, so it never votes again in that term.
 * Every quorum that committed the marker answered in that term after the
 * member's new storage existed, which rules out any election that could still
 * count a forgotten vote, and the marker's log holds every entry the member's
 * earlier incarnation acknowledged.
 *
 * Repaired after a damaged entry (HardState.promise; the argument is in
 * docs/STORAGE.md, "A damaged entry"). Storage cut a damaged suffix off the
 * log (LogStorage.repair), so the log may lack entries this member
 * acknowledged, but its term and vote are intact. The hard state carries the
 * position the log held before the cut, the promise. Invariant: while the
 * log is behind its promise the member grants a vote or pre-vote only to a
 * candidate at least as up to date as the promise (as well as its log),
 * never campaigns or takes a transfer, and tags its append and heartbeat
 * answers with a repair tag (random, fixed for this core's lifetime), on
 * whose change the leader resets that member's progress (its match may count
 * entries that were cut). Its acks count: they are true of its storage, and
 * its term never went back. Once the log is at least as up to date as the
 * promise, the promise is dropped (with the write that got it there).
 *
 * Learners (Membership.learners; thesis §4.2.1, etcd's learners): members
 * that receive the log and catch up but take no part in deciding anything.
 * A leader tracks a learner's progress and replicates to it exactly as to a
 * follower (appends, snapshots, heartbeats, flow control), and does not
 * quiesce while a learner is down, silent or behind. A learner whose
 * election timeout passes answers its leader instead of campaigning, so a
 * quiesced leader repeats the quiesce heartbeat the learner missed. Invariant: a learner
 * never campaigns (no pre-vote, no election on timeout, none on TimeoutNow),
 * never leads, and is never a transfer or preference target.
 * Why learners cannot affect elections or commitment: every quorum in this
 * file (commit, tally, check quorum) is taken over voters alone, so a
 * learner's ack, vote or liveness is never counted; a learner sends no vote
 * request; and since only voters lead, Leader Completeness (§5.4) needs
 * only the voters' logs. Like etcd, a learner (or non-member) grants a
 * (pre-)vote by the usual term, log and lease rules, since a promoted
 * learner may not know yet that it was promoted: the candidate counts the
 * vote only when the granter is a voter of the candidate's configuration. A
 * learner's messages can still raise a leader's term (a higher-term answer
 * makes it step down), as any member's can: that costs liveness, never safety.
 *
 * Membership changes (joint consensus: Raft thesis §4.3, etcd ConfChangeV2;
 * helpers in membership.ts). A configuration is joint while votersOutgoing is
 * non-empty; every decision then needs a majority of `voters` AND of
 * `votersOutgoing` (commit index: the min of the two halves; a vote tally is
 * won when both halves win, lost when either loses; check quorum: both halves
 * active; a leader counts itself only in the halves it votes in). Changes are
 * EntryKind.Config entries; a configuration takes effect on a member when its
 * entry COMMITS there (etcd), not when it is appended: `pendingConfigs` holds
 * the Config entries past the commit index (dropped when a leader's entries
 * replace them), and when the commit index passes one it becomes `config`,
 * written at once (mustSync) with the commit index in the hard state. The
 * leader proposes a change only when no Config entry is uncommitted, the
 * configuration is not joint, and an entry of its own term has committed
 * (pendingConfIndex starts at its first entry); a voter change enters the
 * joint configuration C_{old,new} and whichever leader finds it committed
 * proposes the leave C_new.
 * Invariant I1: a member whose log holds a Config entry C_{k+1} has C_k (or a
 * later one) in effect. The leader appends C_{k+1} only once C_k is committed,
 * so every Append carrying C_{k+1} carries a commit index at or past C_k, and
 * the follower writes that commit index (and C_k) with the entries in one
 * write; a snapshot past C_{k+1} brings a committed configuration at least as
 * new. Why this is safe: by I1, the members that can still win an election
 * or count a commit use at most two consecutive configurations of the
 * sequence C_old, C_{old,new}, C_new (older ones are out-voted, see (b)), and
 * every quorum of C_{old,new} contains a quorum of C_old and one of C_new. So
 * (a) Election Safety: two leaders of one term would need two quorums of
 * consecutive configurations that share no voter, and consecutive
 * configurations' quorums always intersect; (b) Leader Completeness: an entry
 * committed by a quorum of C_i is held by a quorum that intersects every
 * quorum a later leader could be elected by, as long as that leader uses C_i
 * or an adjacent configuration; a member still using C_old once C_new is
 * committed cannot win, since C_new's leave entry was committed by a quorum of
 * C_old (as half of C_{old,new}) that holds it, and a candidate without it is
 * not up to date for them (with it, I1 says it uses C_{old,new} at least).
 * Entries committed by a leader using C_old while C_{old,new} sits pending in
 * its log were committed by a C_old quorum, which every C_{old,new} quorum
 * intersects. A member that is not a voter of its configuration (a learner, a
 * non-member: RaftConfig.id need not be in the base membership) never
 * campaigns; a leader removed by the leave steps down once it commits it,
 * after broadcasting the commit index. Messages: leader messages and vote
 * requests are taken from any member id, since a new voter may lead before
 * this member has its configuration; only voters of the candidate's
 * configuration are asked and counted. A snapshot sent to a follower carries
 * the leader's committed configuration and its index (adopted when newer).
 * Liveness across a change (found by the simulator): a member learns the
 * commit index only from a leader, so one that missed the commit of a
 * change may keep using the older configuration while the members that
 * could help it never act: a candidate still needing the outgoing half,
 * whose removed members hold the newest log (refusing it) and, knowing they
 * are out, never campaign; or a promoted learner holding the newest log that
 * does not know it was promoted, so never campaigns. (Pre-)vote requests and
 * answers therefore carry their sender's commit position (index and term);
 * a receiver whose log holds that entry commits up to it (Log Matching: its
 * prefix is the sender's committed one; it is how a follower takes a
 * leader's commit index), whatever the message's term. A configuration
 * taking effect that makes a (pre-)candidate a non-voter ends its campaign
 * and drops its queued vote requests (configChanged). A non-voter's election
 * clock runs on past its nudges, so a dead leader's lease ends for it and it
 * grants (pre-)votes again.
 * Quiescence never hides a change in flight: a leader with a pending or
 * joint configuration stays awake. Lost disk and damaged log: whether a
 * member starts recovering (or keeps its promise) is decided by the largest
 * half of the configuration it starts with (stored, else the base); a leader
 * ignores recovering acks only in a half of more than two voters (with two,
 * both are needed for every decision, as for static groups), so shrinking a
 * group cannot leave it stalled behind a recovering member. The learner
 * throttle (RaftConfig.learnerAppendBytesPerTick) is a budget refilled on each
 * leader tick and shared by the members that are not voters of the committed
 * configuration; a positive budget always lets at least one entry out, and
 * an overdraft is paid back by later ticks (the average rate holds).
 */
import { RAFT_DEFAULTS } from "../protocol/defaults.js";
import { assert } from "./assert.js";
import type { RaftConfig } from "./config.js";
import type { LogReader } from "./log-storage.js";
import {
  MessageType,
  type AppendMsg,
  type AppendResponseMsg,
  type HeartbeatMsg,
  type Message,
  type PreVoteMsg,
  type RejoinMsg,
  type SnapshotMsg,
  type VoteMsg,
  type VoteResponseMsg,
} from "./messages.js";
import { Progress, ProgressState } from "./progress.js";
import { committedIndex, quorumSize } from "./quorum.js";
import {
  decodeMembership,
  encodeMembership,
  isJoint,
  isVoter,
  jointTally,
  membersOf,
  normalMembership,
  sameIds,
  targetProblem,
  votersOf,
} from "./membership.js";
import { RaftLog } from "./raft-log.js";
import type { RandomSource } from "./random.js";
import { Role, type MembershipChangeResult, type MembershipStatus, type ProposeResult, type Proposal, type Ready, type SoftState, type Status } from "./ready.js";
import {
  EntryKind,
  NO_NODE,
  entryBytes,
  index,
  offset,
  term as toTerm,
  type Entry,
  type HardState,
  type Index,
  type LogPosition,
  type Membership,
  type NodeId,
  type Offset,
  type Term,
} from "./types.js";

/** Result of a transfer request. */
export type TransferResult =
  | { readonly ok: true; readonly target: NodeId }
  | Extract<ProposeResult, { ok: false }>;

/** Bytes of committed entries handed out in one Ready. */
const COMMITTED_BYTES_MAX_PER_READY = 8 * 1024 * 1024;

export class RaftNode {
  readonly id: NodeId;
  private readonly cfg: RaftConfig;
  /** The committed configuration in effect (see the file comment, "Membership changes"). */
  private config: Membership;
  /** Index of `config`'s Config entry (or of the snapshot that carried it); 0 for the base configuration. */
  private configIndex: Index;
  /** Config entries in the log past the commit index that are not in effect yet, oldest first. */
  private pendingConfigs: { readonly index: Index; readonly membership: Membership }[] = [];
  /** Members of `config` and of every pending configuration: as leader, whom we replicate to. */
  private members: readonly NodeId[] = [];
  /** Leader only: no membership change may be proposed before this index commits (our term's first entry, or the last change). */
  private pendingConfIndex: Index = index(0);
  /** Leader only: bytes of entries learners may still get this tick (RaftConfig.learnerAppendBytesPerTick). */
  private learnerBudget = 0;
  /** Leader preference, most preferred first (RaftConfig.priority; setPriority replaces it). */
  private priority: readonly NodeId[];
  private readonly random: RandomSource;
  private readonly log: RaftLog;

  private term: Term;
  /** Who we voted for in `term` (NO_NODE for nobody). Reset whenever the term advances. */
  private vote: NodeId;
  private role: Role = Role.Follower;
  private leader: NodeId = NO_NODE;

  /** Ticks since the last election-timeout reset (heard from leader, started campaign, ...). */
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private preferredElapsed = 0;
  /** This member's randomized election timeout; depends on its priority rank. */
  private randomizedElectionTimeout = 0;
  /** Position in `priority` (0 = most preferred). */
  private rank: number;

  /** Votes received in the current (pre-)campaign. */
  private votes = new Map<NodeId, boolean>();
  /** Leader only: replication progress of every member (voters, itself included, and learners). */
  private progress = new Map<NodeId, Progress>();
  /** Leader only: leadership transfer target (NO_NODE when none). */
  private transferee: NodeId = NO_NODE;
  private transferElapsed = 0;
  /** Leader only: appends should go out at the next ready(). */
  private broadcastPending = false;

  private outbox: Message[] = [];
  private prevSoft: SoftState;
  private prevHard: HardState;
  /** Ready handed out and not yet advanced. */
  private readyInFlight = false;
  /** False while draining (controlled shutdown): the member votes but never campaigns or takes a transfer. */
  private promotable = true;
  /**
   * Non-zero while recovering from a lost disk: this storage's incarnation
   * (see the file comment). Never set again once cleared.
   */
  private recovering: number;
  /** The position the log held before a repair cut it (HardState.promise); undefined once the log is at least as up to date. */
  private promise: LogPosition | undefined;
  /** Non-zero while the promise is kept: tags append and heartbeat answers so the leader resets our progress (see the file comment). */
  private repairTag: number;
  /** Highest leader commit index heard in this term (Status.leaderCommit); reset with the term state. */
  private leaderCommitHeard: Index = index(0);
  /** Leader: bytes (entryBytes) of its proposals not yet handed out committed; bounded by uncommittedBytesMax. */
  private uncommittedBytes = 0;
  /** Quiesced (see the file comment): ticks are ignored and a leader sends no heartbeats. */
  private quiet = false;
  /** Voters the broker's liveness tracker reports down (peerDown), until they are heard of again (peerUp). */
  private readonly downPeers = new Set<NodeId>();

  /**
   * Restore a member from its storage (hard state and snapshot). Committed
   * entries after `applied` (default: the snapshot index) are handed out
   * again in Ready.committed so the runner can rebuild its state machine.
   */
  constructor(config: RaftConfig, storage: LogReader, random: RandomSource, applied?: Index) {
    validateConfig(config);
    this.cfg = config;
    this.id = config.id;
    this.random = random;
    this.log = new RaftLog(storage, applied, config.recentEntriesBytesMax);
    const hs = storage.hardState();
    // The stored committed configuration, else the base one (see the file comment, "Membership changes").
    this.config = hs.membership ?? config.membership;
    this.configIndex = hs.membership !== undefined ? (hs.membershipIndex ?? index(0)) : index(0);
    // Config entries past the stored commit index are not in effect yet (one at or below it
    // was adopted, and written with it: a change of configuration is always written at once).
    const from = Math.max(this.log.committed, this.log.firstIndex() - 1) + 1;
    if (from <= this.log.lastIndex()) this.noteConfigEntries(this.log.entries(index(from), index(this.log.lastIndex() + 1), Infinity) ?? []);
    this.refreshMembers();
    // With at most two voters (in each half) every election and every commit needs both, so the
    // other member vets the returning one's log and term itself (docs/STORAGE.md). Decided by
    // the configuration this member starts with; see the file comment, "Membership changes".
    const largestHalf = Math.max(this.config.voters.length, this.config.votersOutgoing?.length ?? 0);
    this.recovering = config.recovering !== undefined && largestHalf > 2 ? config.recovering.incarnation : 0;
    this.term = hs.term;
    this.vote = hs.vote;
    // With at most two voters every commit needs this member's peer too, so the peer holds every
    // committed entry and no promise is needed (with one, nobody could ever keep it: docs/STORAGE.md).
    this.promise = largestHalf > 2 ? hs.promise : undefined;
    this.repairTag = this.promise !== undefined ? 1 + random.int(0x7fff_fffe) : 0;
    this.maybeDropPromise();
    this.priority = config.priority;
    this.rank = this.rankOf(config.priority);
    // The stored hard state, so that a promise dropped above is written with the next write.
    this.prevHard = {
      term: hs.term,
      vote: hs.vote,
      commit: this.log.committed,
      ...(hs.promise !== undefined ? { promise: hs.promise } : {}),
      ...(this.configIndex > 0 ? { membership: this.config, membershipIndex: this.configIndex } : {}),
    };
    this.becomeFollower(this.term, NO_NODE);
    this.prevSoft = this.softState();
  }

  // ---------------------------------------------------------------- inputs

  /** Advance the logical clock by one tick (ignored while quiesced). */
  tick(): void {
    if (this.quiet) return;
    if (this.role === Role.Leader) this.tickLeader();
    else this.tickElection();
  }

  /**
   * Feed one message from a peer. Messages for another member or malformed
   * ones are ignored. Leader messages and (pre-)vote requests are taken from
   * any member id, known to our configuration or not: a new voter may lead
   * before we have its configuration (see the file comment, "Membership
   * changes"); the transport delivers only authenticated peers of the group.
   */
  step(m: Message): void {
    if (m.to !== this.id || m.from === this.id || !Number.isInteger(m.from) || m.from <= 0) return;
    if (!Number.isInteger(m.term) || m.term < 0) return;
    if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
      // A (pre-)candidate has no leader: as leader, do not quiesce again before it answers us.
      if (this.role === Role.Leader) {
        if (this.cfg.quiesce === true) this.forgetHeard(m.from);
      }
      // A (pre-)vote from our own leader: it restarted (a leader never campaigns), so its lease is over.
      else if (this.quiet && m.from === this.leader) this.downPeers.add(m.from);
    }
    if (this.quiet && (m.term > this.term || m.type === MessageType.PreVote || m.type === MessageType.Vote)) this.wake();
    this.stepUnquiesced(m);
    if (this.quiet && !this.staysQuiet()) this.wake();
  }

  private stepUnquiesced(m: Message): void {
    // A (pre-)vote request's or answer's commit position is a fact whatever its term (see takeCommitHint).
    if (m.type === MessageType.VoteResponse || m.type === MessageType.PreVoteResponse || m.type === MessageType.PreVote || m.type === MessageType.Vote) {
      const wasVoter = isVoter(this.config, this.id);
      this.takeCommitHint(m);
      // The hint put in effect a configuration we do not vote in: an answer is moot (configChanged ended the campaign).
      if (wasVoter && !isVoter(this.config, this.id) && (m.type === MessageType.VoteResponse || m.type === MessageType.PreVoteResponse)) return;
    }
    // Term handling (paper §5.1, thesis §9.6 for pre-vote, §4.2.3 for the lease).
    if (m.term > this.term) {
      if (m.type === MessageType.PreVote) {
        // A pre-vote carries a future term and never changes ours.
      } else if (m.type === MessageType.PreVoteResponse && (m as VoteResponseMsg).granted) {
        // Granted pre-votes carry the term we would campaign at.
      } else if (m.type === MessageType.Vote) {
        if (this.inLease() && !(m as VoteMsg).transfer) return; // leader is alive: ignore a disruptive candidate
        this.becomeFollower(m.term, NO_NODE);
      } else if (
        m.type === MessageType.Append ||
        m.type === MessageType.Heartbeat ||
        m.type === MessageType.Snapshot ||
        m.type === MessageType.TimeoutNow ||
        m.type === MessageType.Rejoin
      ) {
        this.becomeFollower(m.term, m.from);
      } else {
        this.becomeFollower(m.term, NO_NODE);
      }
    } else if (m.term === this.term && this.leader !== NO_NODE && m.from !== this.leader && isFromLeader(m)) {
      // A second leader in one term: impossible from correct peers (Election Safety, paper §5.2).
      // Taken in, it would switch our leader and could make us commit what the real leader never did: drop it.
      return;
    } else if (m.term < this.term) {
      if (m.type === MessageType.Append || m.type === MessageType.Heartbeat) {
        // Tell a stale leader about the newer term so it steps down.
        this.send({ type: MessageType.AppendResponse, to: m.from, success: false, index: index(0), hintIndex: index(0), hintTerm: toTerm(0) });
      } else if (m.type === MessageType.PreVote) {
        this.send({ type: MessageType.PreVoteResponse, to: m.from, granted: false });
      }
      return;
    }

    switch (m.type) {
      case MessageType.PreVote:
      case MessageType.Vote:
        this.onVote(m);
        return;
      case MessageType.PreVoteResponse:
      case MessageType.VoteResponse:
        this.onVoteResponse(m);
        return;
      case MessageType.Append:
        this.onAppend(m);
        return;
      case MessageType.Heartbeat:
        this.onHeartbeat(m);
        return;
      case MessageType.Snapshot:
        this.onSnapshot(m);
        return;
      case MessageType.AppendResponse:
        this.onAppendResponse(m);
        return;
      case MessageType.HeartbeatResponse:
        this.onHeartbeatResponse(m.from, m.promotable, m.recovering ?? 0, m.repairing ?? 0, m.unasked === true);
        return;
      case MessageType.TimeoutNow:
        this.onTimeoutNow(m.from);
        return;
      case MessageType.Rejoin:
        this.onRejoin(m);
        return;
    }
  }

  /** Propose entries (leader only). The result says where they will land if committed. */
  propose(proposals: readonly Proposal[]): ProposeResult {
    if (this.role !== Role.Leader) {
      return { ok: false, code: "NOT_LEADER", leader: this.leader, message: `member ${this.id} is not the leader` };
    }
    if (this.transferee !== NO_NODE) {
      return {
        ok: false,
        code: "LEADER_TRANSFER_IN_PROGRESS",
        leader: this.transferee,
        message: `leadership is moving to member ${this.transferee}`,
      };
    }
    if (proposals.length === 0) return { ok: false, code: "INVALID", leader: this.id, message: "no entries to propose" };
    for (const p of proposals) {
      if (p.kind === EntryKind.Config) return { ok: false, code: "INVALID", leader: this.id, message: "configuration entries are proposed with changeMembership" };
      if (!Number.isInteger(p.count) || p.count < 0 || (p.kind === EntryKind.Records) !== p.count > 0) {
        return { ok: false, code: "INVALID", leader: this.id, message: `invalid record count ${p.count} for entry kind ${p.kind}` };
      }
    }
    if (this.log.lastIndex() - this.log.committed + proposals.length > this.cfg.uncommittedEntriesMax) {
      return { ok: false, code: "BUSY", leader: this.id, message: "too many uncommitted entries; retry later" };
    }
    let bytes = 0;
    for (const p of proposals) bytes += entryBytes(p);
    const bytesMax = this.cfg.uncommittedBytesMax ?? RAFT_DEFAULTS.uncommittedBytesMax;
    if (this.uncommittedBytes > 0 && this.uncommittedBytes + bytes > bytesMax) {
      return { ok: false, code: "BUSY", leader: this.id, message: `too many uncommitted bytes (${this.uncommittedBytes} of ${bytesMax}); retry later` };
    }
    this.wake();
    const firstIndex = index(this.log.lastIndex() + 1);
    const firstOffset = this.appendEntries(proposals);
    this.uncommittedBytes += bytes;
    return { ok: true, firstIndex, firstOffset, term: this.term };
  }

  /**
   * Hand leadership to `target`, or to the most preferred other member when
   * omitted (thesis §3.10). One transfer at a time; proposals are refused
   * until it completes or an election timeout passes.
   */
  transferLeadership(target?: NodeId): TransferResult {
    if (this.role !== Role.Leader) {
      return { ok: false, code: "NOT_LEADER", leader: this.leader, message: `member ${this.id} is not the leader` };
    }
    const to = target ?? this.defaultTransferTarget();
    // Only to a voter of the incoming configuration: an outgoing one would be removed by the leave.
    if (to === undefined || !this.config.voters.includes(to)) {
      return {
        ok: false,
        code: "INVALID",
        leader: this.id,
        message:
          to === undefined
            ? "no other member is reachable and able to lead"
            : (this.config.learners ?? []).includes(to)
              ? `member ${to} is a learner of this group and cannot lead`
              : `member ${to} is not a voter of this group's (incoming) configuration`,
      };
    }
    if (to !== this.id && this.progress.get(to) === undefined) {
      return { ok: false, code: "INVALID", leader: this.id, message: `member ${to} is not replicated to yet` };
    }
    if (to !== this.id && this.progress.get(to)?.promotable === false) {
      return { ok: false, code: "INVALID", leader: this.id, message: `member ${to} is shutting down and cannot take leadership` };
    }
    if (to !== this.id && this.progress.get(to)!.recovering !== 0) {
      return { ok: false, code: "INVALID", leader: this.id, message: `member ${to} is recovering from a lost disk and cannot take leadership yet` };
    }
    if (to !== this.id && this.progress.get(to)!.repairing !== 0) {
      return { ok: false, code: "INVALID", leader: this.id, message: `member ${to} is repairing a damaged log and cannot take leadership yet` };
    }
    if (to === this.id) return { ok: true, target: to };
    this.wake();
    if (this.transferee !== NO_NODE) {
      if (this.transferee === to) return { ok: true, target: to };
      return {
        ok: false,
        code: "LEADER_TRANSFER_IN_PROGRESS",
        leader: this.transferee,
        message: `a transfer to member ${this.transferee} is already in progress`,
      };
    }
    this.transferee = to;
    this.transferElapsed = 0;
    const pr = this.progress.get(to)!;
    if (pr.match === this.log.lastIndex()) this.sendTimeoutNow(to);
    else this.sendAppends(to, true);
    return { ok: true, target: to };
  }

  /**
   * Stop (or resume) seeking leadership: a draining member keeps voting and
   * replicating but never campaigns and ignores TimeoutNow, so leadership
   * handed away during a controlled shutdown cannot come back to it.
   */
  setPromotable(promotable: boolean): void {
    if (promotable !== this.promotable) this.wake(); // a leader may owe (or no longer owe) a preferred-leader transfer
    this.promotable = promotable;
  }

  /**
   * Change the group's membership (leader only; see the file comment,
   * "Membership changes"). Voters unchanged: one entry (learners change).
   * Voters changed: the joint configuration { voters: target.voters,
   * votersOutgoing: current voters, learners: target.learners } now, and the
   * leave { voters: target.voters, learners: target.learners } proposed by
   * whichever leader finds the joint one committed. `index` is the entry's
   * (the current configuration's index when nothing changes). Refused with
   * INVALID for a malformed target, BUSY while a change is in flight or
   * before an entry of this leader's term has committed.
   */
  changeMembership(target: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] }): MembershipChangeResult {
    if (this.role !== Role.Leader) return { ok: false, code: "NOT_LEADER", reason: `member ${this.id} is not the leader` };
    const problem = targetProblem(target);
    if (problem !== undefined) return { ok: false, code: "INVALID", reason: problem };
    if (this.pendingConfigs.length > 0 || isJoint(this.config)) {
      return { ok: false, code: "BUSY", reason: "a membership change is in progress; retry once it completes" };
    }
    if (this.log.committed < this.pendingConfIndex) {
      return { ok: false, code: "BUSY", reason: "the leader has not committed an entry of its term yet; retry shortly" };
    }
    const votersSame = sameIds(target.voters, this.config.voters);
    if (votersSame && sameIds(target.learners, this.config.learners)) return { ok: true, index: this.configIndex };
    const next = votersSame ? normalMembership(target.voters, target.learners, undefined) : normalMembership(target.voters, target.learners, this.config.voters);
    this.wake();
    const at = this.proposeConfig(next);
    return { ok: true, index: at };
  }

  /** The committed configuration in effect, its index, and whether a change is in flight (joint included). */
  membership(): MembershipStatus {
    return { config: this.config, index: this.configIndex, pending: this.pendingConfigs.length > 0 || isJoint(this.config) };
  }

  /** Replace the leader-preference order (RaftConfig.priority), most preferred first. */
  setPriority(priority: readonly NodeId[]): void {
    this.priority = [...priority];
    this.rank = this.rankOf(this.priority);
    this.wake(); // a leader may owe a preferred-leader transfer now
  }

  private rankOf(priority: readonly NodeId[]): number {
    const r = priority.indexOf(this.id);
    return r < 0 ? priority.length : r;
  }

  /** Append a Config entry (leader); returns its index. */
  private proposeConfig(m: Membership): Index {
    const at = index(this.log.lastIndex() + 1);
    this.appendEntries([{ kind: EntryKind.Config, count: 0, timestampMs: 0, data: encodeMembership(m) }]);
    this.pendingConfIndex = at;
    return at;
  }

  /** Config entries now in the log (appended by us or taken from a leader): pending until they commit. */
  private noteConfigEntries(entries: readonly Entry[]): void {
    let added = false;
    for (const e of entries) {
      if (e.kind !== EntryKind.Config) continue;
      const m = decodeMembership(e.data);
      if (m === undefined) continue; // a correct leader never writes one (the wire check refuses it)
      this.pendingConfigs.push({ index: e.index, membership: m });
      added = true;
    }
    if (added) {
      this.pendingConfigs.sort((a, b) => a.index - b.index);
      this.refreshMembers();
    }
  }

  /**
   * A leader's entries now hold [entries[0].index, lastNew], and a conflicting
   * suffix after lastNew may be gone: forget pending configurations there.
   */
  private noteAppended(entries: readonly Entry[], lastNew: Index): void {
    const first = entries[0]?.index;
    const before = this.pendingConfigs.length;
    const last = this.log.lastIndex();
    this.pendingConfigs = this.pendingConfigs.filter((p) => p.index <= last && (first === undefined || p.index < first || p.index > lastNew));
    const changed = before !== this.pendingConfigs.length;
    if (first !== undefined) this.noteConfigEntries(entries);
    if (changed) this.refreshMembers();
  }

  /**
   * The commit index may have moved: put in effect the newest committed
   * configuration; as leader, step down when no longer a voter, or propose
   * the leave of a committed joint configuration.
   */
  private afterCommit(): void {
    let adopted: { readonly index: Index; readonly membership: Membership } | undefined;
    while (this.pendingConfigs.length > 0 && this.pendingConfigs[0]!.index <= this.log.committed) {
      const p = this.pendingConfigs.shift()!;
      if (p.index > this.configIndex) adopted = p;
    }
    if (adopted !== undefined) {
      this.config = adopted.membership;
      this.configIndex = adopted.index;
      this.configChanged();
    }
    if (this.role !== Role.Leader) return;
    if (!isVoter(this.config, this.id)) {
      // Removed by the leave: tell everyone the commit index, then step down (and never campaign).
      this.broadcastAppends();
      this.becomeFollower(this.term, NO_NODE);
      return;
    }
    if (isJoint(this.config) && this.pendingConfigs.length === 0 && this.log.committed >= this.pendingConfIndex) {
      this.proposeConfig(normalMembership(this.config.voters, this.config.learners, undefined));
    }
  }

  /** A snapshot from the leader carries its committed configuration: adopt it when newer than ours. */
  private adoptSnapshotMembership(s: { readonly membership?: Membership; readonly membershipIndex?: Index }): void {
    if (s.membership === undefined || s.membershipIndex === undefined || s.membershipIndex <= this.configIndex) return;
    this.config = s.membership;
    this.configIndex = s.membershipIndex;
    this.pendingConfigs = this.pendingConfigs.filter((p) => p.index > this.configIndex);
    this.configChanged();
  }

  /**
   * A configuration took effect. Not a voter of it: a campaign of ours ends,
   * and (pre-)vote requests still in the outbox are dropped, so that no
   * request leaves after the write that records the configuration (a
   * non-voter never campaigns). A leader is handled by afterCommit.
   */
  private configChanged(): void {
    this.refreshMembers();
    if (isVoter(this.config, this.id)) return;
    this.outbox = this.outbox.filter((m) => m.type !== MessageType.PreVote && m.type !== MessageType.Vote);
    if (this.role === Role.PreCandidate || this.role === Role.Candidate) this.becomeFollower(this.term, NO_NODE);
  }

  /** Recompute `members`; as leader, track progress for new members and drop it for gone ones. */
  private refreshMembers(): void {
    const all = new Set<NodeId>(membersOf(this.config));
    for (const p of this.pendingConfigs) for (const id of membersOf(p.membership)) all.add(id);
    this.members = [...all];
    if (this.role !== Role.Leader) return;
    for (const id of this.members) {
      if (this.progress.has(id)) continue;
      this.progress.set(id, new Progress(id, index(this.log.lastIndex() + 1), this.cfg.inflightAppendsMax, this.cfg.inflightBytesMax));
    }
    for (const id of [...this.progress.keys()]) {
      if (id === this.id || all.has(id)) continue;
      this.progress.delete(id);
      if (this.transferee === id) this.transferee = NO_NODE;
    }
  }

  /** Leader, each tick: refill the learners' byte budget and let lagging learners have it. */
  private refillLearnerBudget(): void {
    const perTick = this.cfg.learnerAppendBytesPerTick ?? 0;
    if (perTick === 0) return;
    // An entry larger than what was left overdraws the budget; later ticks pay it back first, so the
    // average rate stays at perTick whatever the entry sizes.
    this.learnerBudget = Math.min(perTick, this.learnerBudget + perTick);
    for (const id of this.members) {
      if (id === this.id || isVoter(this.config, id)) continue;
      const pr = this.progress.get(id);
      if (pr !== undefined && pr.next <= this.log.lastIndex()) this.sendAppends(id, false);
    }
  }

  /** Whether this member is quiesced (see the file comment): its clock stands still, ticks do nothing. */
  quiesced(): boolean {
    return this.quiet;
  }

  /**
   * Wake a quiesced member: its clock runs again from zero; a leader
   * heartbeats at once. Nothing when not quiesced. The group quiesces again
   * once its rules hold (see the file comment).
   */
  wake(): void {
    if (!this.quiet) return;
    this.quiet = false;
    this.electionElapsed = 0;
    if (this.role === Role.Leader) {
      this.heartbeatElapsed = 0;
      this.broadcastHeartbeats(false);
    }
  }

  /**
   * The broker's liveness tracker reports member `id` down (no heartbeat of
   * its broker within an election timeout, or its connection closed). A
   * leader wakes (its check quorum runs; it does not quiesce while a voter is
   * down). A follower whose leader it is drops the leader's lease and
   * campaigns after a short delay by rank among the members still live, so
   * the most preferred live member usually wins (DLedger preference), without
   * waiting a whole election timeout more. Pre-vote still decides: a member
   * that still hears from the leader refuses.
   */
  peerDown(id: NodeId): void {
    if (id === this.id || !this.members.includes(id) || this.downPeers.has(id)) return;
    this.downPeers.add(id);
    if (this.role === Role.Leader) {
      this.forgetHeard(id);
      this.wake();
      return;
    }
    if (this.leader !== id) return;
    this.wake();
    if (this.role !== Role.Follower) return;
    const spread = this.preferenceSpreadTicks();
    let liveRank = 0;
    for (const v of this.priority) {
      if (v === this.id) break;
      if (isVoter(this.config, v) && !this.downPeers.has(v)) liveRank++;
    }
    const waitTicks = liveRank * spread + this.random.int(spread);
    this.electionElapsed = Math.max(this.electionElapsed, this.randomizedElectionTimeout - waitTicks);
  }

  /**
   * Member `id`'s broker is live again, or (re)connected: it may have
   * restarted knowing nothing. A leader with it as a voter wakes and
   * heartbeats at once; a quiesced follower whose leader it is wakes (the
   * leader may be a new incarnation that leads nothing).
   */
  peerUp(id: NodeId): void {
    if (id === this.id || !this.members.includes(id)) return;
    this.downPeers.delete(id);
    if (this.role === Role.Leader) this.forgetHeard(id);
    if (this.role === Role.Leader || this.leader === id) this.wake();
  }

  /**
   * Leader: count member `id` as not heard from lately, so the group does not
   * quiesce again before it answers (it may have restarted, or lost us).
   */
  private forgetHeard(id: NodeId): void {
    const pr = this.progress.get(id);
    if (pr !== undefined) pr.ticksSinceHeard = Math.max(pr.ticksSinceHeard, this.cfg.electionTimeoutTicks);
  }

  // ---------------------------------------------------------------- ready / advance

  hasReady(): boolean {
    if (this.readyInFlight) return false;
    if (this.broadcastPending) return true;
    if (this.outbox.length > 0) return true;
    if (this.log.unstable().length > 0 || this.log.pendingSnapshot()) return true;
    if (this.committedPending()) return true;
    if (!sameHard(this.hardState(), this.prevHard)) return true;
    return !sameSoft(this.softState(), this.prevSoft);
  }

  ready(): Ready {
    assert(!this.readyInFlight, "ready() called again before advance()");
    if (this.broadcastPending) {
      this.broadcastPending = false;
      this.broadcastAppends();
    }
    const soft = this.softState();
    const hard = this.hardState();
    const snapshot = this.log.pendingSnapshot();
    const entries = this.log.unstable().slice();
    // A new configuration is written at once, with the commit index that put it in effect (see the file comment).
    const termOrVoteChanged = hard.term !== this.prevHard.term || hard.vote !== this.prevHard.vote || hard.membershipIndex !== this.prevHard.membershipIndex || hard.membership !== this.prevHard.membership;
    // prevHard's term is durable: every term or vote change is written before the next ready().
    const { early, late } = splitEarly(this.outbox, this.prevHard.term);
    const rd: Ready = {
      ...(sameSoft(soft, this.prevSoft) ? {} : { softState: soft }),
      ...(sameHard(hard, this.prevHard) ? {} : { hardState: hard }),
      ...(snapshot ? { snapshot } : {}),
      mustSync: entries.length > 0 || snapshot !== undefined || termOrVoteChanged,
      entries,
      earlyMessages: early,
      messages: late,
      committed: this.committedPending() ? this.log.nextCommitted(COMMITTED_BYTES_MAX_PER_READY) : [],
    };
    this.outbox = [];
    this.prevSoft = soft;
    this.prevHard = hard;
    this.readyInFlight = true;
    return rd;
  }

  advance(rd: Ready): void {
    assert(this.readyInFlight, "advance() without ready()");
    this.readyInFlight = false;
    if (rd.snapshot) {
      this.log.stableSnapTo(rd.snapshot.index);
      if (this.log.applied < rd.snapshot.index) this.log.applied = rd.snapshot.index;
    }
    // The written entries still in the unstable log are durable now. A newer
    // leader's entries may have replaced a suffix of them while the write was in
    // flight: then only the prefix that still agrees is (by Log Matching, the
    // newest written entry whose term still matches), and the replacement is
    // written next. Marking nothing stable would rewrite that prefix, below a
    // commit index the write may already carry.
    for (let k = rd.entries.length - 1; k >= 0; k--) {
      const e = rd.entries[k]!;
      if (this.log.term(e.index) === e.term) {
        this.log.stableTo(e.index, e.term);
        break;
      }
    }
    const lastCommitted = rd.committed[rd.committed.length - 1];
    if (lastCommitted && lastCommitted.index > this.log.applied) this.log.appliedTo(lastCommitted.index);
    if (this.role === Role.Leader && this.uncommittedBytes > 0) {
      // Entries of earlier leaders were never counted: the count floors at 0 (as etcd's).
      for (const e of rd.committed) this.uncommittedBytes -= entryBytes(e);
      if (this.uncommittedBytes < 0) this.uncommittedBytes = 0;
    }
    if (this.role === Role.Leader) {
      // The leader counts itself only for what it has made durable.
      const self = this.progress.get(this.id)!;
      self.maybeUpdate(this.log.lastStableIndex());
      if (this.maybeCommit()) this.broadcastPending = true;
    }
  }

  /** The offset the next proposal gets: after every entry of the log, durable or not (what propose() assigns). */
  nextOffset(): Offset {
    return this.log.nextOffset();
  }

  status(): Status {
    return {
      ...this.softState(),
      id: this.id,
      commit: this.log.committed,
      leaderCommit: this.role === Role.Leader ? this.log.committed : this.leaderCommitHeard,
      applied: this.log.applied,
      lastIndex: this.log.lastIndex(),
      membership: this.membership(),
      progress:
        this.role === Role.Leader
          ? [...this.progress.values()].map((p) => ({ id: p.id, match: p.match, next: p.next, active: p.id === this.id || p.active(this.cfg.electionTimeoutTicks), recovering: p.recovering !== 0, repairing: p.repairing !== 0 }))
          : [],
    };
  }

  // ---------------------------------------------------------------- roles

  private becomeFollower(t: Term, leader: NodeId): void {
    if (t > this.term) {
      this.term = t;
      this.vote = NO_NODE; // votedFor resets whenever the term advances
    }
    this.role = Role.Follower;
    this.leader = leader;
    this.reset();
  }

  private becomePreCandidate(): void {
    assert(this.role !== Role.Leader, "a leader cannot become pre-candidate");
    this.role = Role.PreCandidate;
    this.leader = NO_NODE;
    this.votes = new Map();
    this.electionElapsed = 0;
    this.resetRandomizedElectionTimeout();
  }

  private becomeCandidate(): void {
    assert(this.role !== Role.Leader, "a leader cannot become candidate");
    this.term = toTerm(this.term + 1);
    this.vote = this.id;
    this.role = Role.Candidate;
    this.leader = NO_NODE;
    this.reset();
  }

  private becomeLeader(): void {
    assert(this.role === Role.Candidate, "only a candidate can become leader");
    assert(this.recovering === 0, "a recovering member never campaigns, so it never leads");
    assert(this.promise === undefined, "a member behind its promise never campaigns, so it never leads");
    assert(isVoter(this.config, this.id), "a non-voter never campaigns, so it never leads");
    this.role = Role.Leader;
    this.leader = this.id;
    this.reset();
    const next = index(this.log.lastIndex() + 1);
    for (const v of this.members) {
      const pr = new Progress(v, next, this.cfg.inflightAppendsMax, this.cfg.inflightBytesMax);
      this.progress.set(v, pr);
    }
    const self = this.progress.get(this.id)!;
    self.maybeUpdate(this.log.lastStableIndex());
    self.becomeReplicate();
    // No membership change before an entry of our own term commits (see the file comment).
    this.pendingConfIndex = next;
    this.learnerBudget = this.cfg.learnerAppendBytesPerTick ?? 0;
    // A no-op of the new term lets earlier entries commit (thesis §6.4).
    this.appendEntries([{ kind: EntryKind.Noop, count: 0, timestampMs: 0, data: new Uint8Array(0) }]);
  }

  private reset(): void {
    this.uncommittedBytes = 0;
    this.leaderCommitHeard = index(0);
    this.quiet = false;
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.preferredElapsed = 0;
    this.votes = new Map();
    this.progress = new Map();
    this.transferee = NO_NODE;
    this.transferElapsed = 0;
    this.broadcastPending = false;
    this.resetRandomizedElectionTimeout();
  }

  /**
   * Leader preference (DLedger): the window of election timeouts is split by
   * priority rank, so a more preferred member times out first and usually wins.
   */
  private resetRandomizedElectionTimeout(): void {
    const base = this.cfg.electionTimeoutTicks;
    const spread = this.preferenceSpreadTicks();
    this.randomizedElectionTimeout = base + this.rank * spread + this.random.int(spread);
  }

  /** Width of one priority rank's slice of the election-timeout window. */
  private preferenceSpreadTicks(): number {
    return Math.max(1, Math.ceil(this.cfg.electionTimeoutTicks / Math.max(1, votersOf(this.config).length)));
  }

  /**
   * Heard from a leader within an election timeout (thesis §4.2.3), or
   * quiesced under it; never once the leader is reported down.
   */
  private inLease(): boolean {
    return this.leader !== NO_NODE && !this.downPeers.has(this.leader) && (this.quiet || this.electionElapsed < this.cfg.electionTimeoutTicks);
  }

  /**
   * The leader's quiesce rule (see the file comment): nothing to replicate,
   * every member (learners too) live and caught up, no transfer, no
   * preferred-leader duty. A down or lagging learner keeps the leader awake,
   * so that it catches up; one that comes back wakes the leader (peerUp).
   */
  private canQuiesce(): boolean {
    if (this.cfg.quiesce !== true) return false;
    if (this.role !== Role.Leader || this.transferee !== NO_NODE || this.broadcastPending) return false;
    // A membership change in flight (joint included) keeps the group awake until it completes.
    if (isJoint(this.config) || this.pendingConfigs.length > 0) return false;
    const last = this.log.lastIndex();
    if (this.log.committed !== last || this.log.lastStableIndex() !== last) return false;
    for (const v of this.members) {
      if (v === this.id) continue;
      const pr = this.progress.get(v)!;
      if (this.downPeers.has(v) || !pr.active(this.cfg.electionTimeoutTicks)) return false;
      if (pr.match !== last || pr.state !== ProgressState.Replicate || pr.inflight.count() > 0) return false;
      if (pr.recovering !== 0 || pr.repairing !== 0 || pr.rejoinIndex > pr.match) return false;
    }
    return this.cfg.preferredLeaderCheckTicks === 0 || this.preferredTarget() === undefined;
  }

  /** Whether a quiesced member may stay so after an input (see the file comment). */
  private staysQuiet(): boolean {
    if (this.role === Role.Leader) return this.canQuiesce();
    return this.role === Role.Follower && this.leader !== NO_NODE && !this.downPeers.has(this.leader);
  }

  // ---------------------------------------------------------------- ticks

  private tickElection(): void {
    this.electionElapsed++;
    if (!isVoter(this.config, this.id)) {
      // A non-voter never campaigns: it nudges its leader once per election timeout. Its clock
      // keeps running (it is not reset by the nudge), so the leader's lease ends for it as for
      // a voter, and it grants (pre-)votes once the leader has been silent an election timeout.
      if (this.electionElapsed % this.randomizedElectionTimeout === 0) this.nudgeLeader();
      if (this.electionElapsed >= 1_000_000 * this.randomizedElectionTimeout) this.electionElapsed = this.randomizedElectionTimeout;
      return;
    }
    if (this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(false);
    }
  }

  /**
   * A learner's election timeout passed without a word from its leader: it
   * never campaigns, so nothing else would reach a leader that quiesced
   * while this learner missed the quiesce heartbeat (a voter's pre-vote does
   * that). Answer the leader as to a heartbeat; a quiesced leader repeats its
   * quiesce heartbeat to us (onHeartbeatResponse). One message per election
   * timeout, and only while the leader is silent.
   */
  private nudgeLeader(): void {
    if (this.role !== Role.Follower || this.leader === NO_NODE) return;
    this.send({ type: MessageType.HeartbeatResponse, to: this.leader, promotable: this.promotable && this.recovering === 0 && this.promise === undefined, unasked: true });
  }

  private tickLeader(): void {
    this.refillLearnerBudget();
    this.heartbeatElapsed++;
    this.electionElapsed++;
    for (const pr of this.progress.values()) if (pr.id !== this.id) pr.ticksSinceHeard++;
    if (this.electionElapsed >= this.cfg.electionTimeoutTicks) {
      this.electionElapsed = 0;
      if (!this.checkQuorum()) {
        this.becomeFollower(this.term, NO_NODE);
        return;
      }
    }
    if (this.transferee !== NO_NODE) {
      this.transferElapsed++;
      if (this.transferElapsed >= this.cfg.electionTimeoutTicks) {
        // The target did not win in time: take proposals again.
        this.transferee = NO_NODE;
        this.transferElapsed = 0;
      }
    }
    for (const pr of this.progress.values()) {
      if (pr.state === ProgressState.Snapshot && ++pr.snapshotElapsedTicks >= this.cfg.electionTimeoutTicks) {
        pr.becomeProbe(); // the snapshot or its answer was lost: try again
      }
    }
    if (this.heartbeatElapsed >= this.cfg.heartbeatIntervalTicks) {
      this.heartbeatElapsed = 0;
      if (this.canQuiesce()) {
        // The last heartbeat: followers whose log and commit match quiesce with us.
        this.broadcastHeartbeats(true);
        this.quiet = true;
        return;
      }
      this.broadcastHeartbeats(false);
    }
    if (this.cfg.preferredLeaderCheckTicks > 0 && ++this.preferredElapsed >= this.cfg.preferredLeaderCheckTicks) {
      this.preferredElapsed = 0;
      this.maybeTransferToPreferred();
    }
  }

  /**
   * A leader that has not heard from a quorum of voters within an election
   * timeout steps down (learners do not count); while joint, a quorum of each half.
   */
  private checkQuorum(): boolean {
    const halfActive = (half: readonly NodeId[]): boolean => {
      let active = 0;
      for (const v of half) {
        // A recovering member cannot vote, so it does not keep a leader in office either (in a half of more than two).
        const pr = this.progress.get(v);
        if (v === this.id || (pr !== undefined && (pr.recovering === 0 || half.length <= 2) && pr.active(this.cfg.electionTimeoutTicks))) active++;
      }
      return active >= quorumSize(half.length);
    };
    return halfActive(this.config.voters) && (!isJoint(this.config) || halfActive(this.config.votersOutgoing!));
  }

  /**
   * The member a transfer without a named target goes to: the most preferred
   * one that can lead (promotable), was heard from within an election
   * timeout, and has everything committed; else the most preferred live one.
   */
  private defaultTransferTarget(): NodeId | undefined {
    const live = this.priority.filter((id) => {
      const pr = this.progress.get(id);
      return id !== this.id && this.config.voters.includes(id) && pr !== undefined && pr.promotable && pr.recovering === 0 && pr.repairing === 0 && pr.active(this.cfg.electionTimeoutTicks);
    });
    return live.find((id) => this.progress.get(id)!.match >= this.log.committed) ?? live[0];
  }

  /** Hand leadership to the most preferred caught-up member that outranks us. */
  private maybeTransferToPreferred(): void {
    if (this.transferee !== NO_NODE) return;
    const id = this.preferredTarget();
    if (id !== undefined) this.transferLeadership(id);
  }

  /** The most preferred caught-up, live member that outranks us, if any. */
  private preferredTarget(): NodeId | undefined {
    for (const id of this.priority) {
      if (id === this.id) return undefined; // nobody more preferred is ready
      if (!this.config.voters.includes(id)) continue; // only a voter of the incoming configuration may lead
      const pr = this.progress.get(id);
      if (!pr || !pr.promotable || pr.recovering !== 0 || pr.repairing !== 0 || !pr.active(this.cfg.electionTimeoutTicks) || pr.match < this.log.committed) continue;
      return id;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- elections

  /** Start a (pre-)campaign; never for a non-voter (learner or non-member), a draining, recovering or repairing member. */
  private campaign(transfer: boolean): void {
    if (!isVoter(this.config, this.id) || !this.promotable || this.recovering !== 0 || this.promise !== undefined) return;
    if (!transfer) {
      this.becomePreCandidate();
      this.votes.set(this.id, true);
      if (jointTally(this.config, this.votes) === "won") {
        this.startElection(false);
        return;
      }
      const t = toTerm(this.term + 1);
      for (const v of votersOf(this.config)) {
        if (v === this.id) continue;
        this.send({ type: MessageType.PreVote, to: v, term: t, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm(), ...this.commitHint() });
      }
      return;
    }
    this.startElection(true);
  }

  private startElection(transfer: boolean): void {
    this.becomeCandidate();
    this.votes.set(this.id, true);
    if (jointTally(this.config, this.votes) === "won") {
      this.becomeLeader();
      return;
    }
    for (const v of votersOf(this.config)) {
      if (v === this.id) continue;
      this.send({ type: MessageType.Vote, to: v, lastIndex: this.log.lastIndex(), lastTerm: this.log.lastTerm(), transfer, ...this.commitHint() });
    }
  }

  private onVote(m: PreVoteMsg | VoteMsg): void {
    const isPre = m.type === MessageType.PreVote;
    // Whatever our own role in our configuration (a learner or non-member may not know yet that it
    // was promoted, etcd): the candidate counts our vote only if we vote in its configuration.
    if (this.recovering !== 0) {
      // It may have voted in this term before its disk was lost: refuse (see the file comment).
      this.send({ type: isPre ? MessageType.PreVoteResponse : MessageType.VoteResponse, to: m.from, granted: false });
      return;
    }
    if (isPre && this.inLease()) {
      this.send({ type: MessageType.PreVoteResponse, to: m.from, granted: false });
      return;
    }
    // For a real vote m.term === this.term here (higher terms were adopted above).
    const canVote = isPre ? m.term > this.term || this.vote === m.from || (this.vote === NO_NODE && this.leader === NO_NODE) : this.vote === m.from || (this.vote === NO_NODE && this.leader === NO_NODE);
    const granted = canVote && this.log.isUpToDate(m.lastIndex, m.lastTerm) && this.keepsPromise(m.lastIndex, m.lastTerm);
    if (isPre) {
      // Granted pre-votes answer with the asked term so the pre-candidate counts them.
      this.outbox.push({ type: MessageType.PreVoteResponse, from: this.id, to: m.from, term: granted ? m.term : this.term, granted, ...this.commitHint() });
      return;
    }
    if (granted) {
      assert(this.recovering === 0, "a recovering member granted a vote");
      this.vote = m.from;
      this.electionElapsed = 0; // granting a vote delays our own campaign
    }
    this.send({ type: MessageType.VoteResponse, to: m.from, granted, ...this.commitHint() });
  }

  private onVoteResponse(m: VoteResponseMsg): void {
    const isPre = m.type === MessageType.PreVoteResponse;
    if (isPre && this.role !== Role.PreCandidate) return;
    if (!isPre && this.role !== Role.Candidate) return;
    if (isPre && m.term !== this.term + 1 && m.granted) return; // stale
    if (!this.votes.has(m.from)) this.votes.set(m.from, m.granted);
    const outcome = jointTally(this.config, this.votes);
    if (outcome === "won") {
      if (isPre) this.startElection(false);
      else this.becomeLeader();
    } else if (outcome === "lost") {
      this.becomeFollower(this.term, NO_NODE);
    }
  }

  private onTimeoutNow(from: NodeId): void {
    if (this.role === Role.Leader) return;
    if (from !== this.leader) return;
    this.campaign(true);
  }

  /** Our commit position, for vote answers (VoteResponseMsg.committed); none when 0 or compacted away. */
  private commitHint(): { committed?: LogPosition } {
    const c = this.log.committed;
    const t = c > 0 ? this.log.term(c) : undefined;
    return t === undefined ? {} : { committed: { index: c, term: t } };
  }

  /**
   * A (pre-)vote request or answer carried its sender's commit position: when
   * our log holds that entry, everything up to it is the sender's committed
   * prefix (Log Matching), so commit it. A member that missed the end of a
   * membership change learns so here: a candidate that would otherwise need
   * a half of voters that left, whose newest logs refuse it and who never
   * campaign; a promoted learner holding the newest log, that would
   * otherwise never campaign (see the file comment, "Membership changes"). Taken from answers of any term (a
   * removed member may never learn a newer one). Not while recovering (as
   * for heartbeats).
   */
  private takeCommitHint(m: { readonly committed?: LogPosition }): void {
    const h = m.committed;
    if (h === undefined || this.role === Role.Leader || this.recovering !== 0 || h.index <= this.log.committed) return;
    if (this.log.term(h.index) !== h.term) return;
    this.log.commitTo(h.index);
    this.afterCommit();
  }

  /** The leader says we have caught up after a lost disk (see the file comment). */
  private onRejoin(m: RejoinMsg): void {
    if (this.recovering === 0 || m.incarnation !== this.recovering || this.role === Role.Leader) return;
    this.heardFromLeader(m.from);
    // We must hold the marker: it is committed, so our log then matches the leader's up to it.
    // A snapshot past it (installed by this incarnation) holds it too: committed prefixes agree.
    const held = this.log.term(m.index) === m.term || (m.index < this.log.firstIndex() && m.index <= this.log.committed);
    if (!held) return;
    if (m.index > this.log.committed) this.log.commitTo(m.index);
    this.recovering = 0;
    // Never vote again in this term: the lost storage may have voted in it for someone else.
    if (this.vote === NO_NODE) this.vote = m.from;
    this.afterCommit();
  }

  // ---------------------------------------------------------------- follower side of replication

  private heardFromLeader(from: NodeId): void {
    if (this.role !== Role.Follower) this.becomeFollower(this.term, from);
    this.leader = from;
    this.electionElapsed = 0;
    this.quiet = false; // any leader message wakes; only a quiesce heartbeat puts us back to sleep
    this.downPeers.delete(from);
  }

  private onAppend(m: AppendMsg): void {
    if (this.role === Role.Leader) return; // impossible in a correct cluster: two leaders in one term
    this.heardFromLeader(m.from);
    if (m.commit > this.leaderCommitHeard) this.leaderCommitHeard = m.commit;
    if (!validEntries(m)) return;
    if (m.prevIndex < this.log.committed) {
      // Everything up to our commit index already agrees (Log Matching).
      this.send({ type: MessageType.AppendResponse, to: m.from, success: true, index: this.log.committed, hintIndex: index(0), hintTerm: toTerm(0) });
      return;
    }
    const lastNew = this.log.maybeAppend(m.prevIndex, m.prevTerm, m.commit, m.entries);
    if (lastNew !== undefined) {
      this.noteAppended(m.entries, lastNew);
      this.afterCommit();
      this.maybeDropPromise();
      this.send({ type: MessageType.AppendResponse, to: m.from, success: true, index: lastNew, hintIndex: index(0), hintTerm: toTerm(0) });
      return;
    }
    // Fast back-off: the largest index <= prevIndex whose term <= prevTerm.
    const hint = this.log.findConflictByTerm(index(Math.min(m.prevIndex, this.log.lastIndex())), m.prevTerm);
    this.send({ type: MessageType.AppendResponse, to: m.from, success: false, index: m.prevIndex, hintIndex: hint.index, hintTerm: hint.term });
  }

  private onHeartbeat(m: HeartbeatMsg): void {
    if (this.role === Role.Leader) return;
    this.heardFromLeader(m.from);
    if (m.commit > this.leaderCommitHeard) this.leaderCommitHeard = m.commit;
    // The leader sends min(commit, our match), so entries up to it agree with the leader's.
    // Not while recovering: the leader's match may still describe our lost storage.
    if (this.recovering === 0) {
      this.log.commitTo(index(Math.min(m.commit, this.log.lastIndex())));
      this.afterCommit();
    }
    this.send({ type: MessageType.HeartbeatResponse, to: m.from, promotable: this.promotable && this.recovering === 0 && this.promise === undefined });
    // Quiesce with the leader only when our log ends where its committed log does (see the file comment).
    if (m.quiesce === true && this.recovering === 0 && this.promise === undefined && this.log.lastIndex() === m.commit && this.log.lastTerm() === m.term && this.log.committed === m.commit) {
      this.quiet = true;
    }
  }

  private onSnapshot(m: SnapshotMsg): void {
    if (this.role === Role.Leader) return;
    this.heardFromLeader(m.from);
    const s = m.snapshot;
    this.adoptSnapshotMembership(s);
    if (s.index <= this.log.committed) {
      this.send({ type: MessageType.AppendResponse, to: m.from, success: true, index: this.log.committed, hintIndex: index(0), hintTerm: toTerm(0) });
      return;
    }
    if (this.log.matchTerm(s.index, s.term)) {
      // We hold the entry: just fast-forward the commit index.
      this.log.commitTo(s.index);
      this.afterCommit();
      this.send({ type: MessageType.AppendResponse, to: m.from, success: true, index: s.index, hintIndex: index(0), hintTerm: toTerm(0) });
      return;
    }
    this.log.restore(s);
    this.pendingConfigs = []; // the log they were in is gone
    this.refreshMembers();
    this.maybeDropPromise();
    this.send({ type: MessageType.AppendResponse, to: m.from, success: true, index: s.index, hintIndex: index(0), hintTerm: toTerm(0) });
  }

  // ---------------------------------------------------------------- leader side of replication

  /** Append proposals at the end of the log; returns the first one's offset. */
  private appendEntries(proposals: readonly Proposal[]): Offset {
    let i = this.log.lastIndex();
    let off = this.log.nextOffset();
    const firstOffset = off;
    const entries: Entry[] = [];
    for (const p of proposals) {
      i = index(i + 1);
      entries.push({ index: i, term: this.term, kind: p.kind, offset: off, count: p.count, timestampMs: p.timestampMs, data: p.data });
      off = offset(off + p.count);
    }
    this.log.append(entries);
    if (entries.some((e) => e.kind === EntryKind.Config)) this.noteConfigEntries(entries);
    this.broadcastPending = true; // proposals arriving together go out in one Append
    return firstOffset;
  }

  private broadcastAppends(): void {
    for (const v of this.members) if (v !== this.id) this.sendAppends(v, false);
  }

  /** Heartbeat every other member (learners too); with `quiesce`, the last one before the group goes quiet. */
  private broadcastHeartbeats(quiesce: boolean): void {
    for (const v of this.members) {
      if (v === this.id) continue;
      const pr = this.progress.get(v)!;
      const commit = index(Math.min(pr.match, this.log.committed));
      this.send(quiesce ? { type: MessageType.Heartbeat, to: v, commit, quiesce: true } : { type: MessageType.Heartbeat, to: v, commit });
    }
  }

  /**
   * Send as many Appends as the follower's window allows (pipelining). With
   * `sendIfEmpty`, send one even without new entries (to probe or to carry the commit index).
   */
  private sendAppends(to: NodeId, sendIfEmpty: boolean): void {
    const pr = this.progress.get(to);
    if (pr === undefined) return; // no longer a member (a configuration just took effect)
    for (let sent = 0; !pr.paused(); sent++) {
      if (!this.sendAppend(to, pr, sendIfEmpty && sent === 0)) return;
      if (pr.state !== ProgressState.Replicate) return;
    }
  }

  /** One Append (or a Snapshot). Returns false when nothing was sent. */
  private sendAppend(to: NodeId, pr: Progress, sendIfEmpty: boolean): boolean {
    const prevIndex = index(pr.next - 1);
    const prevTerm = this.log.term(prevIndex);
    // Learners share a per-tick byte budget (RaftConfig.learnerAppendBytesPerTick); voters never wait.
    const throttled = (this.cfg.learnerAppendBytesPerTick ?? 0) > 0 && !isVoter(this.config, to);
    const bytesMax = throttled ? Math.min(this.cfg.appendBytesMax, Math.max(0, this.learnerBudget)) : this.cfg.appendBytesMax;
    const entries =
      prevTerm === undefined ? undefined : throttled && bytesMax === 0 ? [] : this.log.entries(pr.next, index(this.log.lastIndex() + 1), bytesMax);
    if (prevTerm === undefined || entries === undefined) {
      this.sendSnapshot(to, pr);
      return true;
    }
    if (entries.length === 0 && !sendIfEmpty) return false;
    if (throttled) this.learnerBudget -= entries.reduce((n, e) => n + entryBytes(e), 0);
    this.send({ type: MessageType.Append, to, prevIndex, prevTerm, entries, commit: this.log.committed });
    const last = entries[entries.length - 1];
    if (pr.state === ProgressState.Replicate) {
      if (last) {
        pr.next = index(last.index + 1);
        pr.inflight.add(last.index, entries.reduce((n, e) => n + entryBytes(e), 0));
      }
    } else if (pr.state === ProgressState.Probe) {
      pr.probeSent = true;
    }
    return true;
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    // It carries our committed configuration: the receiver may hold none of the entries that made it.
    const snapshot = { ...this.log.snapshot(), membership: this.config, membershipIndex: this.configIndex };
    this.send({ type: MessageType.Snapshot, to, snapshot });
    pr.becomeSnapshot(snapshot.index);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send({ type: MessageType.TimeoutNow, to });
  }

  private onAppendResponse(m: AppendResponseMsg): void {
    if (this.role !== Role.Leader) return;
    // A success past our last index claims entries we never sent: impossible from a correct
    // follower (a bug or a hostile peer). Taken in, it would drive the commit index past
    // the log (an assertion in RaftLog.commitTo): drop it.
    if (m.success && m.index > this.log.lastIndex()) return;
    const pr = this.progress.get(m.from);
    if (pr === undefined) return; // not a member we replicate to (any more)
    pr.ticksSinceHeard = 0;
    this.noteRecovering(pr, m.recovering ?? 0);
    this.noteRepair(pr, m.repairing ?? 0);
    if (!m.success) {
      // Fast back-off (thesis §5.3 end): skip every entry of a term the follower lacks.
      let hintNext = index(m.hintIndex + 1);
      if (m.hintTerm > 0) hintNext = index(this.log.findConflictByTerm(m.hintIndex, m.hintTerm).index + 1);
      if (pr.maybeDecrTo(m.index, hintNext)) {
        if (pr.state === ProgressState.Replicate) pr.becomeProbe();
        this.sendAppends(m.from, true);
      }
      return;
    }
    const oldPaused = pr.paused();
    const oldMatch = pr.match;
    const probeConfirmed = pr.state === ProgressState.Probe && pr.match === m.index;
    if (!pr.maybeUpdate(m.index) && !probeConfirmed) {
      if (pr.state === ProgressState.Snapshot && pr.match >= pr.pendingSnapshot) pr.becomeProbe();
      if (oldPaused && !pr.paused()) this.sendAppends(m.from, false);
      return;
    }
    switch (pr.state) {
      case ProgressState.Probe:
        pr.becomeReplicate();
        break;
      case ProgressState.Snapshot:
        if (pr.match >= pr.pendingSnapshot) {
          pr.becomeProbe();
          pr.becomeReplicate();
        }
        break;
      case ProgressState.Replicate:
        pr.inflight.freeLE(m.index);
        break;
    }
    if (this.maybeCommit()) this.broadcastAppends();
    else if (this.role !== Role.Leader) return; // the commit removed us (see "Membership changes")
    else this.sendAppends(m.from, false);
    if (m.from === this.transferee && pr.match === this.log.lastIndex()) this.sendTimeoutNow(m.from);
    // At once when the member first holds the marker; otherwise heartbeats repeat it.
    if (oldMatch < pr.rejoinIndex) this.maybeSendRejoin(pr);
  }

  private onHeartbeatResponse(from: NodeId, promotable: boolean, recovering: number, repairing: number, unasked: boolean): void {
    if (this.role !== Role.Leader) return;
    const pr = this.progress.get(from);
    if (pr === undefined) return; // not a member we replicate to (any more)
    pr.promotable = promotable;
    pr.ticksSinceHeard = 0;
    this.noteRecovering(pr, recovering);
    this.noteRepair(pr, repairing);
    this.maybeSendRejoin(pr);
    pr.probeSent = false;
    if (pr.state === ProgressState.Replicate && pr.inflight.full()) pr.inflight.freeFirst();
    if (pr.match < this.log.lastIndex()) this.sendAppends(from, true);
    else if (from === this.transferee) this.sendTimeoutNow(from); // the first TimeoutNow may have been lost
    // Quiesced, and the group may stay so: a learner that missed our quiesce heartbeat asks again
    // (nudgeLeader): repeat it to that member alone. Only when asked: answers to the quiesce
    // heartbeat itself must not draw another one.
    if (unasked && this.quiet && this.canQuiesce()) {
      this.send({ type: MessageType.Heartbeat, to: from, commit: index(Math.min(pr.match, this.log.committed)), quiesce: true });
    }
  }

  /**
   * A follower's answer said whether it is recovering from a lost disk, and
   * as which incarnation. Any change resets its progress: its match may
   * describe storage that is gone (or, for an old incarnation's late answer,
   * storage that is not this one). A new recovering incarnation gets a fresh
   * no-op marker, appended only now, after its storage exists.
   */
  private noteRecovering(pr: Progress, incarnation: number): void {
    if (pr.recovering === incarnation) return;
    pr.recovering = incarnation;
    pr.resetTo(index(this.log.lastIndex() + 1));
    if (incarnation === 0 || pr.rejoinIncarnation === incarnation) return;
    pr.rejoinIncarnation = incarnation;
    pr.rejoinIndex = index(this.log.lastIndex() + 1);
    this.appendEntries([{ kind: EntryKind.Noop, count: 0, timestampMs: 0, data: new Uint8Array(0) }]);
  }

  /**
   * A follower's answer carried its repair tag. A change means its log may
   * have been cut below the match we hold (or, for a late answer of before
   * the cut, that the match is of a log that is gone): reset its progress,
   * so that replication probes for where its log really ends.
   */
  private noteRepair(pr: Progress, tag: number): void {
    if (pr.repairing === tag) return;
    pr.repairing = tag;
    pr.resetTo(index(this.log.lastIndex() + 1));
  }

  /** Tell a recovering member it has caught up: it holds our committed marker. */
  private maybeSendRejoin(pr: Progress): void {
    if (pr.recovering === 0 || pr.rejoinIncarnation !== pr.recovering) return;
    if (pr.match < pr.rejoinIndex || this.log.committed < pr.rejoinIndex) return;
    this.send({ type: MessageType.Rejoin, to: pr.id, index: pr.rejoinIndex, incarnation: pr.recovering });
  }

  /**
   * Commit by counting, only entries of the current term (paper §5.4.2);
   * while joint, what a majority of each half holds. Recovering members do
   * not count (in a half of more than two voters): their storage may have
   * left this term before it was lost (see the file comment). False also
   * when the commit removed us from the voters and we stepped down.
   */
  private maybeCommit(): boolean {
    const halfCommitted = (half: readonly NodeId[]): Index =>
      committedIndex(half, (id) => {
        const pr = this.progress.get(id);
        return pr !== undefined && (pr.recovering === 0 || half.length <= 2) ? pr.match : index(0);
      });
    let n = halfCommitted(this.config.voters);
    if (isJoint(this.config)) n = index(Math.min(n, halfCommitted(this.config.votersOutgoing!)));
    if (n <= this.log.committed || this.log.term(n) !== this.term) return false;
    this.log.commitTo(n);
    this.afterCommit();
    return this.role === Role.Leader;
  }

  // ---------------------------------------------------------------- helpers

  private send(m: DistributiveOmit<Message, "from" | "term"> & { term?: Term }): void {
    const answer = m.type === MessageType.AppendResponse || m.type === MessageType.HeartbeatResponse;
    const tagged = answer && this.recovering !== 0 ? { recovering: this.recovering } : {};
    const repairTagged = answer && this.repairTag !== 0 ? { repairing: this.repairTag } : {};
    this.outbox.push({ ...m, ...tagged, ...repairTagged, from: this.id, term: m.term ?? this.term } as Message);
  }

  /** Whether a vote for a candidate whose log ends at (lastIndex, lastTerm) keeps the promise (see the file comment). */
  private keepsPromise(lastIndex: Index, lastTerm: Term): boolean {
    const p = this.promise;
    return p === undefined || lastTerm > p.term || (lastTerm === p.term && lastIndex >= p.index);
  }

  /** Drop the promise once the log is at least as up to date as it (persisted with the write that got it there). */
  private maybeDropPromise(): void {
    const p = this.promise;
    if (p === undefined) return;
    const t = this.log.lastTerm();
    if (t > p.term || (t === p.term && this.log.lastIndex() >= p.index)) {
      this.promise = undefined;
      this.repairTag = 0;
    }
  }

  private committedPending(): boolean {
    return this.log.hasNextCommitted() && !this.log.pendingSnapshot() && this.log.applied + 1 >= this.log.firstIndex();
  }

  /** Role, leader, term and transfer target: cheap (status() also copies every follower's progress). */
  softState(): SoftState {
    return { role: this.role, leader: this.leader, term: this.term, transferee: this.transferee, recovering: this.recovering !== 0, repairing: this.promise !== undefined };
  }
  private hardState(): HardState {
    return {
      term: this.term,
      vote: this.vote,
      commit: this.log.committed,
      ...(this.promise !== undefined ? { promise: this.promise } : {}),
      ...(this.configIndex > 0 ? { membership: this.config, membershipIndex: this.configIndex } : {}),
    };
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

function sameSoft(a: SoftState, b: SoftState): boolean {
  return a.role === b.role && a.leader === b.leader && a.term === b.term && a.transferee === b.transferee && a.recovering === b.recovering && a.repairing === b.repairing;
}
function sameHard(a: HardState, b: HardState): boolean {
  return (
    a.term === b.term &&
    a.vote === b.vote &&
    a.commit === b.commit &&
    a.promise?.term === b.promise?.term &&
    a.promise?.index === b.promise?.index &&
    a.membershipIndex === b.membershipIndex &&
    a.membership === b.membership
  );
}

/**
 * Split the outbox into messages that may leave before the Ready's write is
 * durable and those that must wait for it. Early: what only a leader sends
 * (Append, Heartbeat, Snapshot, TimeoutNow) in a term at or below the durable
 * one; these carry the leader's log and commit index, never a promise about
 * the write in flight (Raft thesis §10.2.1). Everything else (votes, vote and
 * append responses) waits. Order within each part is kept.
 */
function splitEarly(outbox: readonly Message[], durableTerm: Term): { early: Message[]; late: Message[] } {
  const early: Message[] = [];
  const late: Message[] = [];
  for (const m of outbox) {
    const leaderOnly =
      m.type === MessageType.Append ||
      m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snapshot ||
      m.type === MessageType.TimeoutNow ||
      m.type === MessageType.Rejoin;
    if (leaderOnly && m.term <= durableTerm) early.push(m);
    else late.push(m);
  }
  return { early, late };
}

/** Entries of an Append must follow prevIndex densely. */
/** Messages only a leader sends. */
function isFromLeader(m: Message): boolean {
  return m.type === MessageType.Append || m.type === MessageType.Heartbeat || m.type === MessageType.Snapshot || m.type === MessageType.TimeoutNow || m.type === MessageType.Rejoin;
}

function validEntries(m: AppendMsg): boolean {
  let expect = m.prevIndex + 1;
  for (const e of m.entries) {
    if (e.index !== expect || e.term > m.term) return false;
    expect++;
  }
  return true;
}

function validateConfig(c: RaftConfig): void {
  const learners = c.membership.learners ?? [];
  assert(c.membership.voters.length > 0, "a group needs at least one voter");
  assert(new Set(c.membership.voters).size === c.membership.voters.length, "duplicate voters");
  assert(new Set(learners).size === learners.length, "duplicate learners");
  assert(!learners.some((l) => c.membership.voters.includes(l)), "a member is both a voter and a learner");
  assert(c.electionTimeoutTicks >= 2, "electionTimeoutTicks must be at least 2");
  assert(
    c.heartbeatIntervalTicks >= 1 && c.heartbeatIntervalTicks < c.electionTimeoutTicks,
    "heartbeatIntervalTicks must be at least 1 and below electionTimeoutTicks",
  );
  assert(c.inflightAppendsMax >= 1, "inflightAppendsMax must be at least 1");
  assert(c.uncommittedEntriesMax >= 1, "uncommittedEntriesMax must be at least 1");
  assert(c.uncommittedBytesMax === undefined || c.uncommittedBytesMax >= 1, "uncommittedBytesMax must be at least 1");
  assert(Number.isSafeInteger(c.recentEntriesBytesMax) && c.recentEntriesBytesMax >= 0, "recentEntriesBytesMax must be a non-negative integer");
  const t = c.learnerAppendBytesPerTick ?? 0;
  assert(Number.isSafeInteger(t) && t >= 0, "learnerAppendBytesPerTick must be a non-negative integer");
}
