/**
 * The Raft safety checker. It consumes a trace of observations (from a live
 * simulation or built by hand in a test) and reports every broken invariant
 * as a typed Violation, as soon as the observation that breaks it arrives:
 *
 * - Election Safety: at most one leader per term (TWO_LEADERS), from
 *   leadership observations and from messages only a leader sends.
 * - Log Matching: logs agree up to every member's commit index, and two
 *   entries with the same index and term are identical (LOG_MISMATCH);
 *   a member never commits past its durable log (COMMIT_BEYOND_LOG).
 * - Leader Completeness / State Machine Safety: a global map index ->
 *   committed entry; a member never loses or changes an entry at or below its
 *   commit (COMMITTED_ENTRY_LOST), a new leader holds every entry committed in
 *   an earlier term (COMMITTED_ENTRY_LOST), and every applied entry is the
 *   committed one, in order, at or below the commit index (APPLIED_MISMATCH).
 * - Durable state only moves forward: the persisted commit (COMMIT_WENT_BACK,
 *   across restarts too), term (TERM_WENT_BACK), one vote per term
 *   (DOUBLE_VOTE); and, across lost disks too, a member grants its vote of a
 *   term to one candidate only (DOUBLE_VOTE, from the VoteResponses it sends). A commit index known but not written ("commit"
 *   observations: a commit-only change rides along with the next write)
 *   never goes back within one incarnation; a restart falls back to the
 *   persisted one, but entries this member once knew committed must still
 *   never be lost (COMMITTED_ENTRY_LOST).
 * - Replies that promise durability are backed by durable state (NOT_DURABLE):
 *   no message's term is ahead of the persisted term, and in the persisted
 *   term a granted vote matches the persisted vote and an append ack the
 *   persisted log (replies of older terms are exempt: see onSend).
 * - Client acknowledgements: every acknowledged proposal is in the final
 *   committed log exactly once, at the reported index, term and offset
 *   (ACK_MISSING, ACK_DUPLICATED); proposals are never duplicated in the
 *   committed log (DUPLICATE_ENTRY, when proposals are known to be unique).
 * - After healing, the members converge (NOT_CONVERGED).
 * - Membership changes (RaftNode, "Membership changes"): every member that
 *   put a configuration in effect at index i (HardState.membership,
 *   membershipIndex) agrees on it (CONFIG_MISMATCH); with a base membership
 *   given (CheckerOptions.membership), a member that is not a voter of the
 *   configuration it has in effect (its persisted one, else the base) never
 *   sends a (pre-)vote request and never leads (NON_VOTER_CAMPAIGNED).
 *
 * The checker trusts nothing but the trace: it keeps its own mirror of each
 * member's durable log, rebuilt from "persist", "log" and "compact" events.
 * Work per observation is proportional to what changed, so a simulation can
 * check after every step.
 */
import { MessageType, type Message } from "../../../broker/raft/messages.js";
import type { Entry, HardState, Index, Membership, NodeId, SnapshotMeta, Term } from "../../../broker/raft/types.js";
import { isVoter } from "../../../broker/raft/membership.js";
import { proposalIdOf as defaultProposalIdOf } from "./payload.js";

/** What kind of invariant a violation broke. Stable strings, used in reports and regression notes. */
export type ViolationKind =
  | "TWO_LEADERS"
  | "LOG_MISMATCH"
  | "COMMIT_BEYOND_LOG"
  | "COMMITTED_ENTRY_LOST"
  | "APPLIED_MISMATCH"
  | "COMMIT_WENT_BACK"
  | "TERM_WENT_BACK"
  | "DOUBLE_VOTE"
  | "NOT_DURABLE"
  | "ACK_MISSING"
  | "ACK_DUPLICATED"
  | "DUPLICATE_ENTRY"
  | "NOT_CONVERGED"
  /** Raised by the simulator, not the checker: no leader within the liveness bound after healing. */
  | "NO_LEADER"
  /** Raised by the simulator: the core threw (a failed internal assert) or handed storage an illegal update. */
  | "CORE_ERROR"
  /** A learner (CheckerOptions.learners) sent a (pre-)vote request or led. */
  | "LEARNER_CAMPAIGNED"
  /**
   * A static learner granted a vote or pre-vote. Learners may grant votes by
   * the usual rules (a promoted learner may not know it yet, etcd), but with
   * static membership no candidate ever asks one; a learner may record a vote
   * (on Rejoin after a lost disk, so it never votes twice in that term).
   */
  | "LEARNER_VOTED"
  /** Two members put different configurations in effect at one index (HardState.membershipIndex). */
  | "CONFIG_MISMATCH"
  /** A member that is not a voter of its configuration in effect sent a (pre-)vote request or led. */
  | "NON_VOTER_CAMPAIGNED";

/** One broken invariant. */
export interface Violation {
  readonly kind: ViolationKind;
  readonly message: string;
  /** The member it was observed on, when it is about one member. */
  readonly node?: NodeId;
  /** The log index concerned, when there is one. */
  readonly index?: number;
}

/** A member's durable log and hard state at the end of a run (for hand-built traces). */
export interface FinalNodeState {
  readonly node: NodeId;
  readonly commit: Index;
  /** Entries after `snapshot.index` (or from index 1), in order. */
  readonly entries: readonly Entry[];
  readonly snapshot?: SnapshotMeta;
}

/**
 * One observation. All durable-state events ("persist", "log", "compact")
 * describe writes that are durable: a write lost in a crash is never observed.
 */
export type Observation =
  /** `node` acted as leader of `term` (from Ready.softState or status()). */
  | { readonly kind: "leader"; readonly node: NodeId; readonly term: Term }
  /** One atomic durable write (LogUpdate): snapshot, then entries (truncating first), then hard state. */
  | {
      readonly kind: "persist";
      readonly node: NodeId;
      readonly snapshot?: SnapshotMeta;
      readonly entries?: readonly Entry[];
      readonly hardState?: HardState;
    }
  /** The member's whole durable log, replacing what the checker knew (hand-built traces). */
  | { readonly kind: "log"; readonly node: NodeId; readonly entries: readonly Entry[]; readonly snapshot?: SnapshotMeta }
  /** The log's prefix up to `snapshot.index` was dropped (retention / compaction). */
  | { readonly kind: "compact"; readonly node: NodeId; readonly snapshot: SnapshotMeta }
  /** The member's commit index is `index` (its term then, when known, bounds the term the entries were committed in). */
  | { readonly kind: "commit"; readonly node: NodeId; readonly index: Index; readonly term?: Term }
  /** The member's state machine applied `entry`. */
  | { readonly kind: "applied"; readonly node: NodeId; readonly entry: Entry }
  /** The member's state machine was restored from a snapshot (applied index jumps to snapshot.index). */
  | { readonly kind: "restore"; readonly node: NodeId; readonly snapshot: SnapshotMeta }
  /**
   * The member lost its disk while down: its durable state is empty from now
   * on (a "restart" follows). What it once committed, voted or acknowledged is
   * still held against the rest of the group: committed entries stay
   * committed, and its new incarnation must not grant a vote of a term to
   * another candidate than its old one did.
   */
  | { readonly kind: "diskLost"; readonly node: NodeId }
  /**
   * While down, a damaged entry at `from` was found and storage cut the log
   * from there (LogStorage.repair), lowering its commit below `from`. What it
   * committed, voted or acknowledged is still held against the group.
   */
  | { readonly kind: "damaged"; readonly node: NodeId; readonly from: Index }
  /**
   * The member crashed and restarted from its durable state: volatile state
   * is gone; its state machine resumes after `applied` (default: its snapshot index).
   */
  | { readonly kind: "restart"; readonly node: NodeId; readonly applied?: Index }
  /** The member sent `message` (checked against its durable state). */
  | { readonly kind: "send"; readonly node: NodeId; readonly message: Message }
  /** A client's proposal was acknowledged at this position. */
  | {
      readonly kind: "ack";
      readonly proposalId: number;
      readonly node: NodeId;
      readonly index: Index;
      readonly term: Term;
      readonly offset: number;
    }
  /** End of the run. With `nodes`, their logs and commits replace what the checker knew first. */
  | {
      readonly kind: "final";
      readonly nodes?: readonly FinalNodeState[];
      readonly converged?: boolean;
      /** The members whose commit indexes must agree (default: every member seen); members removed by a membership change are left out. */
      readonly members?: readonly NodeId[];
    };

export interface CheckerOptions {
  /** The proposal id carried by an entry (default: the simulator's payload codec). */
  readonly proposalIdOf?: (e: Entry) => number | undefined;
  /** Every proposal id was proposed once only, so any duplicate in the committed log is a bug. */
  readonly uniqueProposals?: boolean;
  /** Learners (Membership.learners): they must never campaign, lead or vote. Default none. */
  readonly learners?: readonly NodeId[];
  /**
   * The base membership every member starts with (RaftConfig.membership):
   * turns on NON_VOTER_CAMPAIGNED against each member's configuration in
   * effect (its last persisted HardState.membership, else this one).
   */
  readonly membership?: Membership;
}

/** The checker's mirror of one member. */
interface NodeView {
  readonly id: NodeId;
  /** Compaction point of the durable log. */
  snapIndex: number;
  snapTerm: number;
  /** Durable entries after snapIndex: log[k] has index snapIndex + 1 + k. */
  log: Entry[];
  /** The member's commit index: the persisted one, or a higher one it learned since its last restart. */
  commit: number;
  /** Highest persisted commit index. Never decreases. */
  durableCommit: number;
  /** Entries up to here were checked against the committed map. */
  checkedCommit: number;
  /** Persisted term and vote. */
  term: number;
  vote: number;
  /** Highest index applied by the current incarnation's state machine. */
  applied: number;
  /** Last term this member was seen leading (0: none since its last restart). */
  leaderTerm: number;
  /** The configuration in effect as last persisted (HardState.membership); undefined: the base one. */
  config: Membership | undefined;
  /**
   * A hard state was observed for this member: from then on its messages and
   * leadership are checked against its persisted term and vote. (A live
   * simulation reports each member's initial hard state; hand-built traces
   * may leave it out and skip these checks.)
   */
  durable: boolean;
}

/** Two entries are the same entry: same position, term, kind, offsets and bytes. */
export function sameEntry(a: Entry, b: Entry): boolean {
  if (a === b) return true;
  if (a.index !== b.index || a.term !== b.term || a.kind !== b.kind || a.offset !== b.offset || a.count !== b.count) return false;
  if (a.timestampMs !== b.timestampMs || a.data.byteLength !== b.data.byteLength) return false;
  for (let k = 0; k < a.data.byteLength; k++) if (a.data[k] !== b.data[k]) return false;
  return true;
}

/** A short human-readable form of an entry, for messages and traces. */
export function describeEntry(e: Entry | undefined, proposalIdOf: (e: Entry) => number | undefined = defaultProposalIdOf): string {
  if (!e) return "(none)";
  const pid = proposalIdOf(e);
  const what = e.kind === 0 ? "noop" : e.kind === 1 ? `rec${pid === undefined ? "" : ` p${pid}`}` : e.kind === 3 ? "conf" : "cmd";
  return `[${e.index} t${e.term} ${what} @${e.offset}+${e.count}]`;
}

/**
 * The invariant checker. Feed it observations with observe(); it returns the
 * violations each one revealed (and keeps all of them in `violations`).
 */
export class Checker {
  /** Every violation found so far, in order. */
  readonly violations: Violation[] = [];
  private readonly views = new Map<NodeId, NodeView>();
  /** Leader of each term. */
  private readonly leaders = new Map<number, NodeId>();
  /** committed[i]: the entry committed at index i (once known). */
  private readonly committed: (Entry | undefined)[] = [];
  /** commitTerm[i]: an upper bound on the term in which entry i was committed. */
  private readonly commitTerm: number[] = [];
  /** Highest index known committed anywhere. */
  private committedMax = 0;
  /** byIndexTerm[i]: every entry ever persisted at index i, by term (one per term). */
  private readonly byIndexTerm: (Map<number, Entry> | undefined)[] = [];
  /** Proposal id -> index of the committed entry that carries it. */
  private readonly committedPid = new Map<number, number>();
  private readonly acks = new Map<number, { index: number; term: number; offset: number; node: NodeId }>();
  /** "node/term" -> the candidate the member granted its vote of that term to (kept across lost disks). */
  private readonly grants = new Map<string, NodeId>();
  private readonly proposalIdOf: (e: Entry) => number | undefined;
  private readonly uniqueProposals: boolean;
  private readonly learners: ReadonlySet<NodeId>;
  private readonly baseMembership: Membership | undefined;
  /** Configuration put in effect at each index (canonical form), by the first member seen doing so. */
  private readonly configs = new Map<number, { readonly key: string; readonly node: NodeId }>();
  private out: Violation[] = [];

  constructor(opts: CheckerOptions = {}) {
    this.proposalIdOf = opts.proposalIdOf ?? defaultProposalIdOf;
    this.uniqueProposals = opts.uniqueProposals ?? false;
    this.learners = new Set(opts.learners ?? []);
    this.baseMembership = opts.membership;
  }

  /** Check one observation; returns the violations it revealed (empty when all is well). */
  observe(o: Observation): Violation[] {
    this.out = [];
    switch (o.kind) {
      case "leader":
        this.onLeader(o.node, o.term);
        break;
      case "persist":
        this.onPersist(o.node, o.snapshot, o.entries, o.hardState);
        break;
      case "log":
        this.onLog(o.node, o.entries, o.snapshot);
        break;
      case "compact":
        this.onCompact(o.node, o.snapshot);
        break;
      case "commit": {
        const v = this.view(o.node);
        this.onCommit(v, o.index, o.term ?? (v.term > 0 ? v.term : undefined));
        break;
      }
      case "applied":
        this.onApplied(o.node, o.entry);
        break;
      case "restore": {
        const v = this.view(o.node);
        v.applied = o.snapshot.index;
        if (o.snapshot.index > 0) this.checkSnapshotPoint(v, o.snapshot.index, o.snapshot.term);
        break;
      }
      case "restart": {
        const v = this.view(o.node);
        if (o.applied !== undefined && (o.applied < v.snapIndex || o.applied > v.commit)) {
          this.report("APPLIED_MISMATCH", `node ${o.node} restarted with applied ${o.applied} outside [${v.snapIndex}, ${v.commit}]`, o.node, o.applied);
        }
        v.applied = o.applied ?? v.snapIndex;
        v.leaderTerm = 0;
        // Volatile knowledge is gone; checkedCommit stays (committed entries must survive).
        v.commit = v.durableCommit;
        break;
      }
      case "send":
        this.onSend(o.node, o.message);
        break;
      case "diskLost":
        // A fresh mirror: the durable state is gone. The global maps stay.
        this.views.delete(o.node);
        this.view(o.node).durable = true;
        break;
      case "damaged": {
        // The repair is allowed to drop committed entries of this member's log; the global maps stay.
        const v = this.view(o.node);
        const keep = Math.max(0, o.from - v.snapIndex - 1);
        if (v.log.length > keep) v.log.length = keep;
        v.durableCommit = Math.min(v.durableCommit, o.from - 1);
        v.commit = Math.min(v.commit, o.from - 1);
        v.checkedCommit = Math.min(v.checkedCommit, o.from - 1);
        break;
      }
      case "ack":
        this.onAck(o.proposalId, o.node, o.index, o.term, o.offset);
        break;
      case "final":
        this.onFinal(o.nodes, o.converged ?? true, o.members);
        break;
    }
    return this.out;
  }

  /** The committed entry at `i`, if known. */
  committedEntry(i: number): Entry | undefined {
    return this.committed[i];
  }
  /** Highest index known committed on any member. */
  committedIndexMax(): number {
    return this.committedMax;
  }
  /** Leader of `term`, if one was observed. */
  leaderOf(term: number): NodeId | undefined {
    return this.leaders.get(term);
  }

  // ---------------------------------------------------------------------------

  private report(kind: ViolationKind, message: string, node?: NodeId, index?: number): void {
    const v: Violation = { kind, message, ...(node !== undefined ? { node } : {}), ...(index !== undefined ? { index } : {}) };
    this.violations.push(v);
    this.out.push(v);
  }

  private view(id: NodeId): NodeView {
    let v = this.views.get(id);
    if (!v) {
      v = { id, snapIndex: 0, snapTerm: 0, log: [], commit: 0, durableCommit: 0, checkedCommit: 0, term: 0, vote: 0, applied: 0, leaderTerm: 0, config: undefined, durable: false };
      this.views.set(id, v);
    }
    return v;
  }

  private entryAt(v: NodeView, i: number): Entry | undefined {
    return i > v.snapIndex ? v.log[i - v.snapIndex - 1] : undefined;
  }
  private lastIndex(v: NodeView): number {
    return v.snapIndex + v.log.length;
  }

  /** Two entries with one index and term must be the same entry (one leader per term, leaders append only). */
  private noteEntry(node: NodeId, e: Entry): void {
    let m = this.byIndexTerm[e.index];
    if (!m) {
      m = new Map();
      this.byIndexTerm[e.index] = m;
    }
    const prev = m.get(e.term);
    if (!prev) m.set(e.term, e);
    else if (!sameEntry(prev, e)) {
      this.report(
        "LOG_MISMATCH",
        `node ${node} holds ${this.desc(e)} but another log held ${this.desc(prev)} at the same index and term`,
        node,
        e.index,
      );
    }
  }

  private desc(e: Entry | undefined): string {
    return describeEntry(e, this.proposalIdOf);
  }

  /** Record `e` as committed (first sighting) or compare it with the committed entry. */
  private recordCommitted(node: NodeId, e: Entry, termBound: number | undefined, kind: ViolationKind): boolean {
    const i = e.index;
    const c = this.committed[i];
    if (c) {
      if (!sameEntry(c, e)) {
        this.report(kind, `node ${node} has ${this.desc(e)} at committed index ${i}, but ${this.desc(c)} was committed there`, node, i);
        return false;
      }
      if (termBound !== undefined && termBound < (this.commitTerm[i] ?? Infinity)) this.commitTerm[i] = termBound;
      return true;
    }
    this.committed[i] = e;
    this.commitTerm[i] = termBound ?? Infinity;
    if (i > this.committedMax) this.committedMax = i;
    const pid = this.proposalIdOf(e);
    if (pid !== undefined) {
      const at = this.committedPid.get(pid);
      if (at === undefined) this.committedPid.set(pid, i);
      else if (at !== i) {
        if (this.acks.has(pid)) {
          this.report("ACK_DUPLICATED", `acknowledged proposal p${pid} is committed twice: at ${at} and at ${i}`, node, i);
        } else if (this.uniqueProposals) {
          this.report("DUPLICATE_ENTRY", `proposal p${pid} is committed twice: at ${at} and at ${i}`, node, i);
        }
      }
    }
    const ack = pid !== undefined ? this.acks.get(pid) : undefined;
    if (pid !== undefined && ack && ack.index === i) this.checkAckAgainst(pid, ack, e);
    return true;
  }

  /** The snapshot point (index, term) of a member must agree with the committed entry there. */
  private checkSnapshotPoint(v: NodeView, i: number, t: number): void {
    const c = this.committed[i];
    if (c && c.term !== t) {
      this.report("LOG_MISMATCH", `node ${v.id} has a snapshot at ${i} term ${t}, but ${this.desc(c)} was committed there`, v.id, i);
    }
  }

  /** Validate entries (checkedCommit, commit] of `v` against the committed map. */
  private validateCommitted(v: NodeView, termBound: number | undefined): void {
    while (v.checkedCommit < v.commit) {
      const i = v.checkedCommit + 1;
      if (i <= v.snapIndex) {
        if (i === v.snapIndex) this.checkSnapshotPoint(v, i, v.snapTerm);
        v.checkedCommit = i;
        continue;
      }
      const e = this.entryAt(v, i);
      if (!e) {
        this.report("COMMIT_BEYOND_LOG", `node ${v.id} has commit ${v.commit} but its durable log ends at ${this.lastIndex(v)}`, v.id, i);
        return;
      }
      if (!this.recordCommitted(v.id, e, termBound, "LOG_MISMATCH")) return;
      v.checkedCommit = i;
    }
  }

  private onCommit(v: NodeView, commit: number, termBound: number | undefined): void {
    if (commit < v.commit) {
      this.report("COMMIT_WENT_BACK", `node ${v.id} commit went back from ${v.commit} to ${commit}`, v.id, commit);
      return;
    }
    v.commit = commit;
    this.validateCommitted(v, termBound);
  }

  /** A persisted configuration: every member agrees on the one in effect at an index. */
  private onMembership(v: NodeView, m: Membership, at: number): void {
    const key = membershipKey(m);
    const seen = this.configs.get(at);
    if (seen === undefined) this.configs.set(at, { key, node: v.id });
    else if (seen.key !== key) {
      this.report("CONFIG_MISMATCH", `node ${v.id} put ${key} in effect at index ${at}, node ${seen.node} put ${seen.key} there`, v.id, at);
    }
    v.config = m;
  }

  /** Whether `node` votes in the configuration it has in effect (always, without a base membership). */
  private votesNow(node: NodeId): boolean {
    if (this.baseMembership === undefined) return true;
    return isVoter(this.view(node).config ?? this.baseMembership, node);
  }

  private onHardState(v: NodeView, hs: HardState): void {
    if (hs.membership !== undefined) this.onMembership(v, hs.membership, hs.membershipIndex ?? 0);
    if (hs.term < v.term) {
      this.report("TERM_WENT_BACK", `node ${v.id} persisted term ${hs.term} after term ${v.term}`, v.id);
    } else if (hs.term === v.term && v.vote !== 0 && hs.vote !== v.vote) {
      this.report("DOUBLE_VOTE", `node ${v.id} voted for ${v.vote} and then for ${hs.vote || "nobody"} in term ${hs.term}`, v.id);
    }
    v.durable = true;
    v.term = Math.max(v.term, hs.term);
    if (hs.term >= v.term) v.vote = hs.vote;
    if (hs.commit < v.durableCommit) {
      this.report("COMMIT_WENT_BACK", `node ${v.id} persisted commit ${hs.commit} after commit ${v.durableCommit}`, v.id, hs.commit);
      return;
    }
    v.durableCommit = hs.commit;
    // A write may carry an older commit than one the member learned since (never lower than the persisted one).
    this.onCommit(v, Math.max(hs.commit, v.commit), hs.term);
  }

  /**
   * The durable log of `v` changed at `from` and after. Entries at or below
   * what this member had validated as committed must be unchanged.
   */
  private checkNothingCommittedLost(v: NodeView, from: number, oldLast: number): void {
    const upTo = Math.min(v.checkedCommit, oldLast);
    for (let i = Math.max(from, 1); i <= upTo; i++) {
      const c = this.committed[i];
      if (i <= v.snapIndex) {
        if (i === v.snapIndex && c && c.term !== v.snapTerm) {
          this.report("COMMITTED_ENTRY_LOST", `node ${v.id} replaced committed ${this.desc(c)} by a snapshot of term ${v.snapTerm}`, v.id, i);
          return;
        }
        continue;
      }
      const e = this.entryAt(v, i);
      if (!e) {
        this.report(
          "COMMITTED_ENTRY_LOST",
          `node ${v.id} truncated its log to ${this.lastIndex(v)}, losing committed ${this.desc(c)} (its commit is ${v.commit})`,
          v.id,
          i,
        );
        return;
      }
      if (c && !sameEntry(c, e)) {
        this.report("COMMITTED_ENTRY_LOST", `node ${v.id} overwrote committed ${this.desc(c)} with ${this.desc(e)}`, v.id, i);
        return;
      }
    }
  }

  private onPersist(
    node: NodeId,
    snapshot: SnapshotMeta | undefined,
    entries: readonly Entry[] | undefined,
    hs: HardState | undefined,
  ): void {
    const v = this.view(node);
    const oldLast = this.lastIndex(v);
    let from = Infinity;
    if (snapshot) {
      v.snapIndex = snapshot.index;
      v.snapTerm = snapshot.term;
      v.log = [];
      from = 1;
    }
    if (entries && entries.length > 0) {
      const first = entries[0]!;
      if (first.index <= v.snapIndex || first.index > this.lastIndex(v) + 1) {
        this.report("LOG_MISMATCH", `node ${node} persisted entries from ${first.index} onto a log holding (${v.snapIndex}, ${this.lastIndex(v)}]`, node, first.index);
        return;
      }
      v.log.length = first.index - v.snapIndex - 1;
      for (const e of entries) {
        if (e.index !== v.snapIndex + v.log.length + 1) {
          this.report("LOG_MISMATCH", `node ${node} persisted a non-contiguous entry ${this.desc(e)}`, node, e.index);
          return;
        }
        v.log.push(e);
        this.noteEntry(node, e);
      }
      from = Math.min(from, first.index);
    }
    if (from !== Infinity) this.checkNothingCommittedLost(v, from, oldLast);
    if (snapshot && snapshot.index > 0) this.checkSnapshotPoint(v, snapshot.index, snapshot.term);
    if (hs) this.onHardState(v, hs);
    else if (from !== Infinity) this.validateCommitted(v, v.term > 0 ? v.term : undefined);
  }

  private onLog(node: NodeId, entries: readonly Entry[], snapshot: SnapshotMeta | undefined): void {
    const v = this.view(node);
    const old: NodeView = { ...v };
    const oldLast = this.lastIndex(v);
    v.snapIndex = snapshot?.index ?? 0;
    v.snapTerm = snapshot?.term ?? 0;
    v.log = [];
    for (const e of entries) {
      if (e.index !== v.snapIndex + v.log.length + 1) {
        this.report("LOG_MISMATCH", `node ${node}'s log is not contiguous at ${this.desc(e)}`, node, e.index);
        return;
      }
      v.log.push(e);
      this.noteEntry(node, e);
    }
    // The first index whose entry changed (compacted positions count as unchanged).
    const last = Math.max(oldLast, this.lastIndex(v));
    let from = Infinity;
    for (let i = 1; i <= last; i++) {
      if (i <= old.snapIndex || i <= v.snapIndex) continue;
      const a = this.entryAt(old, i);
      const b = this.entryAt(v, i);
      if (!a || !b || !sameEntry(a, b)) {
        from = i;
        break;
      }
    }
    if (v.snapIndex !== old.snapIndex || v.snapTerm !== old.snapTerm) from = Math.min(from, Math.max(1, Math.min(old.snapIndex, v.snapIndex)));
    if (from !== Infinity) this.checkNothingCommittedLost(v, from, oldLast);
    if (v.snapIndex > 0) this.checkSnapshotPoint(v, v.snapIndex, v.snapTerm);
    this.validateCommitted(v, v.term > 0 ? v.term : undefined);
  }

  private onCompact(node: NodeId, snapshot: SnapshotMeta): void {
    const v = this.view(node);
    if (snapshot.index <= v.snapIndex) return;
    if (snapshot.index > v.commit) {
      this.report("COMMITTED_ENTRY_LOST", `node ${node} compacted through ${snapshot.index}, past its commit ${v.commit}`, node, snapshot.index);
    }
    const drop = Math.min(snapshot.index - v.snapIndex, v.log.length);
    v.log = v.log.slice(drop);
    v.snapIndex = snapshot.index;
    v.snapTerm = snapshot.term;
    this.checkSnapshotPoint(v, snapshot.index, snapshot.term);
  }

  private onLeader(node: NodeId, t: number): void {
    if (this.learners.has(node)) {
      this.report("LEARNER_CAMPAIGNED", `learner ${node} leads term ${t}`, node);
      return;
    }
    if (!this.votesNow(node)) {
      this.report("NON_VOTER_CAMPAIGNED", `node ${node}, not a voter of ${membershipKey(this.view(node).config ?? this.baseMembership!)}, leads term ${t}`, node);
      return;
    }
    const prev = this.leaders.get(t);
    if (prev !== undefined && prev !== node) {
      this.report("TWO_LEADERS", `nodes ${prev} and ${node} both led term ${t}`, node);
      return;
    }
    this.leaders.set(t, node);
    const v = this.view(node);
    if (v.leaderTerm === t) return;
    v.leaderTerm = t;
    if (v.durable && v.term !== t) {
      this.report("NOT_DURABLE", `node ${node} leads term ${t} but its persisted term is ${v.term}`, node);
      return;
    }
    // Leader Completeness (Raft paper §5.4): every entry committed in an
    // earlier term is in the new leader's log.
    for (let i = 1; i <= this.committedMax; i++) {
      const c = this.committed[i];
      if (!c || (this.commitTerm[i] ?? Infinity) >= t) continue;
      if (i < v.snapIndex) continue;
      if (i === v.snapIndex) {
        if (c.term !== v.snapTerm) {
          this.report("COMMITTED_ENTRY_LOST", `leader ${node} of term ${t} has a snapshot of term ${v.snapTerm} at committed ${this.desc(c)}`, node, i);
          return;
        }
        continue;
      }
      const e = this.entryAt(v, i);
      if (!e || !sameEntry(e, c)) {
        this.report(
          "COMMITTED_ENTRY_LOST",
          `leader ${node} of term ${t} lacks committed ${this.desc(c)} (it has ${this.desc(e)}, log ends at ${this.lastIndex(v)})`,
          node,
          i,
        );
        return;
      }
    }
  }

  private onApplied(node: NodeId, e: Entry): void {
    const v = this.view(node);
    const i = e.index;
    if (i !== v.applied + 1) {
      this.report("APPLIED_MISMATCH", `node ${node} applied ${this.desc(e)} after index ${v.applied}`, node, i);
      v.applied = Math.max(v.applied, i);
      return;
    }
    v.applied = i;
    if (i > v.commit) {
      this.report("APPLIED_MISMATCH", `node ${node} applied ${this.desc(e)} beyond its commit index ${v.commit}`, node, i);
      return;
    }
    if (i > v.snapIndex) {
      const d = this.entryAt(v, i);
      if (!d) {
        this.report("NOT_DURABLE", `node ${node} applied ${this.desc(e)} which is not in its durable log`, node, i);
        return;
      }
    }
    this.recordCommitted(node, e, v.term > 0 ? v.term : undefined, "APPLIED_MISMATCH");
  }

  private onSend(node: NodeId, m: Message): void {
    if ((m.type === MessageType.PreVote || m.type === MessageType.Vote) && !this.votesNow(node)) {
      const what = m.type === MessageType.PreVote ? "pre-vote" : "vote";
      this.report("NON_VOTER_CAMPAIGNED", `node ${node}, not a voter of ${membershipKey(this.view(node).config ?? this.baseMembership!)}, asked ${m.to} for a ${what} in term ${m.term}`, node);
      return;
    }
    if (this.learners.has(node)) {
      if (m.type === MessageType.PreVote || m.type === MessageType.Vote) {
        this.report("LEARNER_CAMPAIGNED", `learner ${node} asked ${m.to} for a ${m.type === MessageType.PreVote ? "pre-vote" : "vote"} in term ${m.term}`, node);
        return;
      }
      if ((m.type === MessageType.PreVoteResponse || m.type === MessageType.VoteResponse) && m.granted) {
        this.report("LEARNER_VOTED", `learner ${node} granted ${m.to} a ${m.type === MessageType.PreVoteResponse ? "pre-vote" : "vote"} in term ${m.term}`, node);
        return;
      }
    }
    if (m.type === MessageType.PreVote || m.type === MessageType.PreVoteResponse) return;
    if (m.type === MessageType.VoteResponse && m.granted) {
      const key = `${node}/${m.term}`;
      const prev = this.grants.get(key);
      if (prev !== undefined && prev !== m.to) {
        this.report("DOUBLE_VOTE", `node ${node} granted its term-${m.term} vote to ${prev} and then to ${m.to}`, node);
        return;
      }
      this.grants.set(key, m.to);
    }
    if (
      m.type === MessageType.Append ||
      m.type === MessageType.Heartbeat ||
      m.type === MessageType.Snapshot ||
      m.type === MessageType.TimeoutNow ||
      m.type === MessageType.Rejoin
    ) {
      // Only a leader sends these: a claim to lead m.term, even if no Ready
      // ever showed the sender as leader (it may have lost leadership within
      // the same batch of inputs).
      const prev = this.leaders.get(m.term);
      if (prev !== undefined && prev !== node) {
        this.report("TWO_LEADERS", `nodes ${prev} and ${node} both led term ${m.term} (${node} sent type ${m.type})`, node);
        return;
      }
      this.leaders.set(m.term, node);
    }
    const v = this.view(node);
    if (!v.durable) return;
    if (m.term > v.term) {
      this.report("NOT_DURABLE", `node ${node} sent type ${m.type} at term ${m.term} with persisted term ${v.term}`, node);
      return;
    }
    // A message of an older term than the persisted one can leave in the same
    // Ready as the hard state that moved past it (inputs batch into one Ready):
    // a vote granted in term 4 and then a move to term 5, or an append ack of
    // entries that a newer leader's entries replaced. Both are safe: the member
    // durably left that term and can never vote or accept entries in it again,
    // and it held the acknowledged entries when it refused (or did not cast)
    // its vote for the newer leader. Only messages of the persisted term are
    // checked against the persisted vote and log.
    if (m.term < v.term) return;
    if (m.type === MessageType.VoteResponse && m.granted && v.vote !== m.to) {
      this.report("NOT_DURABLE", `node ${node} granted its term-${m.term} vote to ${m.to} but its persisted vote is ${v.vote}`, node);
    } else if (m.type === MessageType.Vote && v.vote !== node) {
      this.report("NOT_DURABLE", `node ${node} asked for votes in term ${m.term} with persisted vote ${v.vote}`, node);
    } else if (m.type === MessageType.AppendResponse && m.success && m.index > this.lastIndex(v)) {
      this.report("NOT_DURABLE", `node ${node} acknowledged appends through ${m.index} but its durable log ends at ${this.lastIndex(v)}`, node, m.index);
    }
  }

  private checkAckAgainst(pid: number, ack: { index: number; term: number; offset: number }, c: Entry | undefined): void {
    if (!c) {
      this.report("ACK_MISSING", `acknowledged proposal p${pid} at ${ack.index} (term ${ack.term}) is not committed`, undefined, ack.index);
    } else if (this.proposalIdOf(c) !== pid || c.term !== ack.term || c.offset !== ack.offset) {
      this.report(
        "ACK_MISSING",
        `acknowledged proposal p${pid} at ${ack.index} term ${ack.term} offset ${ack.offset}, but ${this.desc(c)} is committed there`,
        undefined,
        ack.index,
      );
    }
  }

  private onAck(pid: number, node: NodeId, i: number, t: number, off: number): void {
    const prev = this.acks.get(pid);
    if (prev && (prev.index !== i || prev.term !== t)) {
      this.report("ACK_DUPLICATED", `proposal p${pid} acknowledged twice: at ${prev.index} and at ${i}`, node, i);
      return;
    }
    this.acks.set(pid, { index: i, term: t, offset: off, node });
    const c = this.committed[i];
    if (c) this.checkAckAgainst(pid, { index: i, term: t, offset: off }, c);
    const at = this.committedPid.get(pid);
    if (at !== undefined && at !== i) {
      this.report("ACK_DUPLICATED", `acknowledged proposal p${pid} at ${i} is also committed at ${at}`, node, i);
    }
  }

  private onFinal(nodes: readonly FinalNodeState[] | undefined, converged: boolean, members: readonly NodeId[] | undefined): void {
    for (const n of nodes ?? []) {
      this.onLog(n.node, n.entries, n.snapshot);
      const v = this.view(n.node);
      this.onCommit(v, n.commit, v.term > 0 ? v.term : undefined);
    }
    if (converged) {
      const judged = [...this.views.values()].filter((v) => members === undefined || members.includes(v.id));
      const commits = judged.map((v) => `${v.id}:${v.commit}`);
      const distinct = new Set(judged.map((v) => v.commit));
      if (distinct.size > 1) this.report("NOT_CONVERGED", `commit indexes differ after healing: ${commits.join(" ")}`);
    }
    // Log Matching over whole logs: if two logs hold an entry with the same
    // index and term, they are identical up to it (Raft paper §5.3).
    const views = [...this.views.values()];
    for (let a = 0; a < views.length; a++) {
      for (let b = a + 1; b < views.length; b++) this.checkLogMatching(views[a]!, views[b]!);
    }
    // Every acknowledged proposal, exactly once, where it was reported.
    const counts = new Map<number, number[]>();
    for (let i = 1; i <= this.committedMax; i++) {
      const c = this.committed[i];
      const pid = c ? this.proposalIdOf(c) : undefined;
      if (pid === undefined) continue;
      const at = counts.get(pid);
      if (at) at.push(i);
      else counts.set(pid, [i]);
    }
    for (const [pid, ack] of this.acks) {
      this.checkAckAgainst(pid, ack, this.committed[ack.index]);
      const at = counts.get(pid) ?? [];
      if (at.length > 1) this.report("ACK_DUPLICATED", `acknowledged proposal p${pid} is committed ${at.length} times: at ${at.join(", ")}`, undefined, ack.index);
    }
  }

  private checkLogMatching(a: NodeView, b: NodeView): void {
    const lo = Math.max(a.snapIndex, b.snapIndex) + 1;
    const hi = Math.min(this.lastIndex(a), this.lastIndex(b));
    // Highest index where both hold the same term; everything from lo to it must be equal.
    let top = 0;
    for (let i = hi; i >= lo; i--) {
      if (this.entryAt(a, i)!.term === this.entryAt(b, i)!.term) {
        top = i;
        break;
      }
    }
    for (let i = lo; i <= top; i++) {
      const x = this.entryAt(a, i)!;
      const y = this.entryAt(b, i)!;
      if (!sameEntry(x, y)) {
        this.report(
          "LOG_MISMATCH",
          `logs of ${a.id} and ${b.id} agree at ${top} (term ${this.entryAt(a, top)!.term}) but differ at ${i}: ${this.desc(x)} vs ${this.desc(y)}`,
          a.id,
          i,
        );
        return;
      }
    }
  }
}

/** Check a whole trace; returns every violation found, in order. */
export function checkTrace(trace: readonly Observation[], opts: CheckerOptions = {}): Violation[] {
  const c = new Checker(opts);
  for (const o of trace) c.observe(o);
  return c.violations;
}

/** A configuration in canonical form (each list sorted), for comparisons and messages. */
export function membershipKey(m: Membership): string {
  const ids = (xs: readonly NodeId[] | undefined): string => [...(xs ?? [])].sort((a, b) => a - b).join(",");
  return `{voters ${ids(m.voters)}${(m.votersOutgoing?.length ?? 0) > 0 ? ` | outgoing ${ids(m.votersOutgoing)}` : ""}${(m.learners?.length ?? 0) > 0 ? `, learners ${ids(m.learners)}` : ""}}`;
}
