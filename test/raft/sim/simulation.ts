/**
 * A deterministic simulation of one Raft group (3 or 5 members) on a fake
 * clock. Every random choice — faults, client actions, message fates and the
 * cores' own election timeouts — comes from one SeededRandom(seed), so one
 * seed replays a whole run exactly.
 *
 * A step is one tick of the global clock:
 *   1. the fault schedule acts (crash, restart, pause, resume, partition, heal, compact);
 *   2. clients propose to whoever leads, and sometimes ask for a leadership transfer;
 *   3. every running member ticks (unless its clock skips) and drains its Ready loop;
 *   4. due messages are delivered (each receiver sometimes drains at once, so
 *      inputs sometimes batch into one Ready);
 *   5. every member drains its Ready loop.
 * Every observation goes to the Checker as it happens; the run stops at the
 * first violation.
 *
 * A run is a fault phase (random faults from a FaultProfile) and then a
 * healing phase that must converge: all links healed, all members up, no
 * losses; a leader that everyone follows within a bound; a steady window
 * with client load; then, with clients stopped, every member at the same
 * commit index with identical logs.
 */
import type { RaftConfig } from "../../../broker/raft/config.js";
import { SeededRandom } from "../../../broker/raft/random.js";
import { Role, type Proposal, type RefusalCode, type SoftState } from "../../../broker/raft/ready.js";
import { NO_NODE, index, nodeId, type Entry, type Index, type NodeId } from "../../../broker/raft/types.js";
import { Checker, type Observation, type Violation } from "./checker.js";
import { FAULT_PROFILES, NO_FAULTS, type FaultProfile } from "./faults.js";
import { CoreError, SimMember, type CrashPoint, type MemberHooks } from "./member.js";
import { LivenessOracle } from "./liveness.js";
import { NO_NETWORK_FAULTS, SimNetwork, type Reception } from "./network.js";
import { clientProposal } from "./payload.js";
import { TraceRing, describeMessage, formatItem, roleName } from "./trace.js";

/** The Raft settings a run varies (the rest of RaftConfig is per member). */
export type RaftTuning = Omit<RaftConfig, "id" | "membership" | "priority">;

/** Client workload. */
export interface Workload {
  /** Per step: a client proposes a batch of 1..3 entries to a leader. */
  readonly proposeRate: number;
  /** Per step: a client asks a leader to transfer leadership (to a random member, maybe dead, or to the preferred one). */
  readonly transferRate: number;
}

export interface SimOptions {
  readonly seed: number;
  readonly members: 3 | 5;
  /** Length of the fault phase, in steps. 0 for scenario tests that script their own steps. */
  readonly faultSteps: number;
  /** Default: drawn from the seed. */
  readonly profile?: FaultProfile;
  /** Overrides of the Raft settings drawn from the seed. */
  readonly tuning?: Partial<RaftTuning>;
  /** Leader preference order; default: the members shuffled by the seed. */
  readonly priority?: readonly number[];
  /** Default: proposeRate 0.3, transferRate 0.01. */
  readonly workload?: Workload;
  /** After healing, a leader everyone follows must emerge within this many steps. Default 8 election timeouts. */
  readonly leaderBoundSteps?: number;
  /** Steps of client load after the leader emerges (the steady-state window). Default 30. */
  readonly steadySteps?: number;
  /** After the steady window, members must converge within this many steps. Default 200. */
  readonly convergeBoundSteps?: number;
  /** Trace items kept for a failure report. Default 300. */
  readonly traceCapacity?: number;
  /** Print every trace line as it happens. */
  readonly verbose?: (line: string) => void;
  /**
   * How a member that lost its disk restarts: "guarded" (default) recovering
   * as a new incarnation, as a broker does; "unguarded" just empty, which
   * tests of the simulator use to show that the guard is load-bearing.
   */
  readonly diskLoss?: "guarded" | "unguarded";
  /**
   * How a member repairs a damaged log: "guarded" (default) with the promise
   * (HardState.promise), as a broker does; "unguarded" without, which shows
   * the promise is load-bearing; "off" for none. Damage draws from a
   * random stream of its own, so "off" leaves every other fault of a seed
   * as it was before damage existed (the regression seeds rely on that).
   */
  readonly damage?: "guarded" | "unguarded" | "off";
  /** Plant a bug in the runner (tests of the simulator only): see MemberHooks.readyFilter. */
  readonly readyFilter?: MemberHooks["readyFilter"];
  /**
   * Quiescence on (RaftConfig.quiesce) with the liveness oracle
   * (liveness.ts) feeding peerDown / peerUp; off by default, so that
   * every seed recorded before quiescence replays as it did. With it, the
   * healing phase also requires the idle group to quiesce and a proposal
   * made to the quiet group to commit within a bound.
   */
  readonly quiesce?: boolean;
  /**
   * Learners (Membership.learners) beside the `members` voters: ids
   * members+1 .. members+learners, under the same faults (their crashes and
   * pauses do not use up the voters' failure budget). The checker then also
   * holds that a learner never campaigns, leads or votes, and convergence
   * requires every learner's log to match the leader's. Default 0.
   */
  readonly learners?: number;
  /**
   * Membership changes (RaftNode, "Membership changes"): a pool of
   * MEMBERSHIP_POOL_SIZE members, ids 1..5, of which `members` (3) are the
   * base voters and the rest start as non-members. During the fault phase a
   * nemesis asks the leader, now and then, to change to a random target
   * (swap one or two voters, add or drop learners), under the same faults;
   * the learner throttle (RaftConfig.learnerAppendBytesPerTick) is on in
   * half the runs. The checker then also holds CONFIG_MISMATCH and
   * NON_VOTER_CAMPAIGNED; after healing, the change in flight must complete
   * and every member of the final configuration must converge (members
   * removed are not judged, beyond the safety checks). Not with learners
   * or quiescence.
   */
  readonly membershipChanges?: boolean;
}

/** Members in a membership-change run (SimOptions.membershipChanges). */
export const MEMBERSHIP_POOL_SIZE = 5;
/** Per fault-phase step: the nemesis asks the leader for a membership change. */
const MEMBERSHIP_CHANGE_RATE = 0.03;

/** Timings and counts one run measured. */
export interface RunStats {
  /** Steps from a leader's crash to the next leader of a higher term, per crash. */
  readonly failoverSteps: number[];
  /** Steps from an accepted transfer request to the target leading, per completed transfer. */
  readonly transferSteps: number[];
  transfersStarted: number;
  transfersFailed: number;
  /** Steps from heal to a leader everyone follows. */
  healLeaderSteps: number;
  /** Messages sent and entries committed during the steady window. */
  steadyMessages: number;
  steadyCommitted: number;
  proposals: number;
  refused: number;
  acks: number;
  crashes: number;
  restarts: number;
  /** Restarts that came back with an empty disk. */
  disksLost: number;
  /** Restarts that came back with a damaged log suffix cut off. */
  logsDamaged: number;
  /** Membership changes the nemesis asked for, and those the leader accepted. */
  membershipChangesAsked: number;
  membershipChangesStarted: number;
  /** Highest commit index and term at the end. */
  commitIndex: number;
  term: number;
  messages: number;
}

export interface RunResult {
  readonly seed: number;
  readonly members: number;
  readonly profile: string;
  readonly ok: boolean;
  readonly violation?: Violation;
  /** Step of the violation, or steps run. */
  readonly step: number;
  readonly stats: RunStats;
  /** The last trace lines (only filled on failure). */
  readonly trace: readonly string[];
}

/** Raised to unwind a step at the first violation. */
class StopRun extends Error {}

const DEFAULT_WORKLOAD: Workload = { proposeRate: 0.3, transferRate: 0.01 };

/** The Raft settings for a run: small timings, small byte limits (batching and flow control get exercised). */
export function drawTuning(random: SeededRandom): RaftTuning {
  // Mostly 10/2; sometimes tighter or looser, down to a heartbeat every tick.
  const electionTimeoutTicks = random.chance(0.7) ? 10 : random.pick([6, 8, 15]);
  return {
    electionTimeoutTicks,
    heartbeatIntervalTicks: random.chance(0.7) ? 2 : random.pick([1, 3]),
    // Off in a quarter of the runs; otherwise intervals both off and on multiples of the election timeout.
    preferredLeaderCheckTicks: random.chance(0.25) ? 0 : random.pick([13, 20, 25, 37]),
    inflightAppendsMax: 4 + random.int(5),
    inflightBytesMax: 500 + random.int(1500),
    appendBytesMax: 120 + random.int(300),
    uncommittedEntriesMax: 16 + random.int(48),
    // Off, a few entries (constant eviction), or everything.
    recentEntriesBytesMax: random.pick([0, 150, 600, 1 << 20]),
  };
}

export class Simulation {
  readonly seed: number;
  readonly random: SeededRandom;
  /** Every member: the voters, then the learners. */
  readonly ids: readonly NodeId[];
  readonly voterIds: readonly NodeId[];
  readonly learnerIds: readonly NodeId[];
  /** SimOptions.membershipChanges. */
  readonly membershipChanges: boolean;
  readonly priority: readonly NodeId[];
  readonly tuning: RaftTuning;
  readonly profile: FaultProfile;
  readonly members: readonly SimMember[];
  readonly network: SimNetwork;
  readonly checker: Checker;
  readonly stats: RunStats = {
    failoverSteps: [],
    transferSteps: [],
    transfersStarted: 0,
    transfersFailed: 0,
    healLeaderSteps: -1,
    steadyMessages: 0,
    steadyCommitted: 0,
    proposals: 0,
    refused: 0,
    acks: 0,
    crashes: 0,
    restarts: 0,
    disksLost: 0,
    logsDamaged: 0,
    membershipChangesAsked: 0,
    membershipChangesStarted: 0,
    commitIndex: 0,
    term: 0,
    messages: 0,
  };
  /** Current step (the fake clock). */
  now = 0;
  /** Faults from the profile are injected while true. */
  faultsOn = false;
  /** Client workload in effect (proposals and transfers happen only while set). */
  workload: Workload | undefined;
  /** Why the last refused proposal was refused (undefined after an accepted one). */
  lastRefusal: RefusalCode | "NO_LEADER" | "DOWN" | undefined;
  /** First violation; the run stops there. */
  violation: Violation | undefined;
  violationStep = -1;

  private readonly opts: SimOptions;
  private readonly trace: TraceRing;
  private readonly verbose: ((line: string) => void) | undefined;
  private nextProposalId = 1;
  /** Paused members and the step they resume at. */
  private readonly resumeAt = new Map<NodeId, number>();
  /** Leader crashes waiting for a successor: the crashed leader's term and the step. */
  private openFailovers: { term: number; step: number }[] = [];
  /** Transfers waiting to complete. */
  private openTransfers: { target: NodeId; term: number; step: number }[] = [];
  /** Highest term any member led. */
  private leaderTermMax = 0;
  /** Step of each member's last lost disk (bounds unguarded losses, which never report catching up). */
  private readonly diskLostAt = new Map<NodeId, number>();
  private readonly damagedAt = new Map<NodeId, number>();
  /** Draws of the damage fault only (see SimOptions.damage). */
  private readonly damageRandom: SeededRandom;
  /** Peer liveness, when quiescence is on (SimOptions.quiesce). */
  private readonly liveness: LivenessOracle | undefined;

  constructor(opts: SimOptions) {
    this.opts = opts;
    this.seed = opts.seed;
    this.random = new SeededRandom(opts.seed);
    this.damageRandom = new SeededRandom((opts.seed ^ 0x5a5a_5a5a) >>> 0);
    this.membershipChanges = opts.membershipChanges === true;
    if (this.membershipChanges && ((opts.learners ?? 0) > 0 || opts.quiesce === true || opts.members !== 3)) {
      throw new Error("membership changes run with 3 base voters, without learners or quiescence");
    }
    this.voterIds = Array.from({ length: opts.members }, (_, k) => nodeId(k + 1));
    this.learnerIds = Array.from({ length: opts.learners ?? 0 }, (_, k) => nodeId(opts.members + k + 1));
    // With membership changes, the pool beyond the base voters starts as non-members.
    const extra = this.membershipChanges ? Array.from({ length: MEMBERSHIP_POOL_SIZE - opts.members }, (_, k) => nodeId(opts.members + k + 1)) : [];
    this.ids = [...this.voterIds, ...this.learnerIds, ...extra];
    const membership = this.learnerIds.length > 0 ? { voters: this.voterIds, learners: this.learnerIds } : { voters: this.voterIds };
    this.checker = new Checker({ uniqueProposals: true, learners: this.learnerIds, ...(this.membershipChanges ? { membership } : {}) });
    this.profile = opts.profile ?? this.random.pick(FAULT_PROFILES);
    const throttle = this.membershipChanges && this.random.chance(0.5) ? { learnerAppendBytesPerTick: 100 + this.random.int(400) } : {};
    this.tuning = { ...drawTuning(this.random), ...throttle, ...opts.tuning, ...(opts.quiesce === true ? { quiesce: true } : {}) };
    this.priority = opts.priority ? opts.priority.map(nodeId) : shuffle(this.random, this.membershipChanges ? this.ids : this.voterIds);
    this.network = new SimNetwork(this.random, this.ids, 2000);
    this.trace = new TraceRing(opts.traceCapacity ?? 300);
    this.verbose = opts.verbose;
    this.workload = undefined;
    const hooks = this.hooks();
    this.members = this.ids.map(
      (id) => new SimMember(id, { id, membership, priority: this.priority, ...this.tuning }, hooks, this.random),
    );
    this.note(
      () =>
        `seed ${this.seed}: ${opts.members} members${this.learnerIds.length > 0 ? ` and learners [${this.learnerIds.join(",")}]` : ""}, profile ${this.profile.name}, priority [${this.priority.join(",")}], ` +
        `election/heartbeat ${this.tuning.electionTimeoutTicks}/${this.tuning.heartbeatIntervalTicks} ticks, ` +
        `preferredLeaderCheckTicks ${this.tuning.preferredLeaderCheckTicks}, inflight ${this.tuning.inflightAppendsMax}/${this.tuning.inflightBytesMax}B, ` +
        `appendBytesMax ${this.tuning.appendBytesMax}, uncommittedEntriesMax ${this.tuning.uncommittedEntriesMax}` +
        (this.membershipChanges ? `, membership changes over [${this.ids.join(",")}], learner throttle ${this.tuning.learnerAppendBytesPerTick ?? 0}B/tick` : ""),
    );
    this.liveness = opts.quiesce === true ? new LivenessOracle(this.members, this.tuning.electionTimeoutTicks, (a, b) => this.network.linkUp(a, b)) : undefined;
    this.guarded(() => {
      for (const m of this.members) {
        m.start();
        this.liveness?.restarted(m, this.now);
      }
    });
  }

  // ------------------------------------------------------------------ runs

  /** A whole run: fault phase, healing phase, final check. */
  run(): RunResult {
    this.faultsOn = true;
    this.network.faults = this.profile.network;
    this.workload = this.opts.workload ?? DEFAULT_WORKLOAD;
    for (let s = 0; s < this.opts.faultSteps && !this.violation; s++) this.step();
    if (!this.violation) this.healAndConverge();
    return this.result();
  }

  /** The run's outcome so far. */
  result(): RunResult {
    this.stats.messages = this.network.counters.sent;
    this.stats.commitIndex = this.checker.committedIndexMax();
    this.stats.term = this.leaderTermMax;
    return {
      seed: this.seed,
      members: this.ids.length,
      profile: this.profile.name,
      ok: !this.violation,
      ...(this.violation ? { violation: this.violation } : {}),
      step: this.violation ? this.violationStep : this.now,
      stats: this.stats,
      trace: this.violation ? this.trace.lines() : [],
    };
  }

  /** Heal everything, then require a leader, a steady window and convergence. */
  healAndConverge(): void {
    this.healAll();
    const healStep = this.now;
    // Healing may find stale leaders (they step down within an election timeout
    // by check quorum), members that must catch up first, and messages from the
    // fault phase still in flight; 8 timeouts is about twice the worst seen.
    // Members still recovering from a lost disk cannot vote: the rest must all agree, which
    // splits votes as often as with that many members down; each doubles the bound once more.
    const recovering = this.members.filter((m) => m.recovering !== undefined && !this.isLearner(m.id)).length;
    const leaderBound = this.opts.leaderBoundSteps ?? 8 * this.tuning.electionTimeoutTicks * (1 + recovering);
    if (!this.runUntil(() => this.stableLeader() !== undefined, leaderBound)) {
      this.fail("NO_LEADER", `no leader that every member follows within ${leaderBound} steps after healing (${this.describeRoles()})`);
      return;
    }
    this.stats.healLeaderSteps = this.now - healStep;

    // Steady state: client load on a healthy group.
    this.workload = { proposeRate: (this.opts.workload ?? DEFAULT_WORKLOAD).proposeRate, transferRate: 0 };
    const sent0 = this.network.counters.sent;
    const commit0 = this.checker.committedIndexMax();
    for (let s = 0; s < (this.opts.steadySteps ?? 30) && !this.violation; s++) this.step();
    if (this.violation) return;
    this.stats.steadyMessages = this.network.counters.sent - sent0;
    this.stats.steadyCommitted = this.checker.committedIndexMax() - commit0;

    this.workload = undefined;
    const convergeBound = this.opts.convergeBoundSteps ?? 200;
    if (!this.runUntil(() => this.converged(), convergeBound)) {
      this.fail("NOT_CONVERGED", `members did not converge within ${convergeBound} steps after the steady window (${this.describeRoles()})`);
      return;
    }
    if (this.opts.quiesce === true && !this.quietThenAvailable()) return;
    this.guarded(() => this.finalCheck()); // a violation it finds ends the run (StopRun), as in a step
  }

  /**
   * With quiescence: the idle, healed group goes quiet (every member
   * quiesced) within a bound, and then a proposal to it commits on every
   * member within a bound: a group never stays quiesced without a live leader.
   */
  private quietThenAvailable(): boolean {
    const t = this.tuning.electionTimeoutTicks;
    // A leader that owes its preferred member a transfer quiesces only after the next check hands it over.
    const quietBound = 4 * t + this.tuning.preferredLeaderCheckTicks;
    if (!this.runUntil(() => this.members.every((m) => m.raft()?.quiesced() === true), quietBound)) {
      this.fail("NOT_CONVERGED", `the idle group did not quiesce within ${quietBound} steps (${this.describeQuiet()})`);
      return false;
    }
    this.steps(3 * t); // quiet for a while: nothing may be lost
    if (this.violation) return false;
    // A message of the fault phase still in flight (long delays) may wake a member after the group went quiet;
    // its clock then runs and it may even start an election. Whatever happened, a leader must be there (or
    // come) and take a proposal within the bound: a group never stays quiesced without a live leader.
    const target = this.checker.committedIndexMax() + 1;
    const leaderBound = 8 * t;
    if (!this.runUntil(() => this.stableLeader() !== undefined, leaderBound)) {
      this.fail("NO_LEADER", `no leader that every member follows within ${leaderBound} steps after the group went quiet (${this.describeQuiet()})`);
      return false;
    }
    if (this.propose(1).length === 0) {
      this.fail("NO_LEADER", `the leader of the quiet group refused a proposal (${this.lastRefusal ?? "?"}; ${this.describeRoles()})`);
      return false;
    }
    const commitBound = 4 * t;
    if (!this.runUntil(() => this.converged() && this.checker.committedIndexMax() >= target, commitBound)) {
      this.fail("NOT_CONVERGED", `a proposal to the quiet group did not commit everywhere within ${commitBound} steps (${this.describeRoles()})`);
      return false;
    }
    return true;
  }

  private describeQuiet(): string {
    return this.members.map((m) => `${m.id}:${m.raft()?.quiesced() ? "quiet" : "awake"}`).join(" ") + `; ${this.describeRoles()}`;
  }

  /** Report the final durable log and the commit index of every member to the checker. */
  finalCheck(): void {
    const judged = new Set(this.judged().map((m) => m.id));
    const nodes = this.members.map((m) => {
      const s = m.storage;
      // A member removed by a membership change is not waited for: its write may still be in flight, and the
      // commit it knows may run ahead of its durable log until the write ends; it is reported up to that log.
      const known = m.raft()?.status().commit;
      const commit = known === undefined ? s.hardState().commit : judged.has(m.id) ? known : index(Math.min(known, s.lastIndex()));
      return {
        node: m.id,
        commit,
        entries: s.lastIndex() >= s.firstIndex() ? s.entries(s.firstIndex(), index(s.lastIndex() + 1), Infinity) : [],
        snapshot: s.snapshot(),
      };
    });
    const members = this.membershipChanges ? this.judged().map((m) => m.id) : undefined;
    this.observe({ kind: "final", nodes, converged: true, ...(members !== undefined ? { members } : {}) });
  }

  /** Step until `pred` holds (checked before each step) or `stepsMax` steps pass. Returns whether it held. */
  runUntil(pred: () => boolean, stepsMax: number): boolean {
    for (let s = 0; s <= stepsMax; s++) {
      if (this.violation) return false;
      if (pred()) return true;
      if (s < stepsMax) this.step();
    }
    return false;
  }

  /** Run `n` steps (stops early on a violation). */
  steps(n: number): void {
    for (let s = 0; s < n && !this.violation; s++) this.step();
  }

  /** One step of the fake clock. */
  step(): void {
    if (this.violation) return;
    this.now++;
    this.guarded(() => {
      if (this.faultsOn) this.injectFaults();
      for (const [id, at] of this.resumeAt) {
        if (at <= this.now) this.resume(id);
      }
      this.liveness?.step(this.now, (observer, peer, up) => {
        this.note(() => `liveness: node ${observer.id} sees node ${peer} ${up ? "up" : "down"}`);
        observer.liveness(peer, up);
        observer.drain();
      });
      if (this.workload) this.clients(this.workload);
      const skip = this.faultsOn ? this.profile.tickSkipRate : 0;
      for (const m of this.members) {
        if (m.state !== "up") continue;
        if (skip > 0 && this.random.chance(skip)) continue;
        m.tick();
        m.drain();
      }
      const due = this.network.takeDue(this.now, (to) => this.reception(to));
      for (const msg of due) {
        const m = this.member(msg.to);
        if (this.verbose) this.note(() => `deliver ${describeMessage(msg)}`);
        m.step(msg);
        if (this.random.chance(0.5)) m.drain();
      }
      for (const m of this.members) m.drain();
      this.expireTransfers();
    });
  }

  // ------------------------------------------------------------------ scripted control (scenario tests)

  member(id: number): SimMember {
    const m = this.members[id - 1];
    if (!m) throw new Error(`no member ${id}`);
    return m;
  }

  /** The member leading the highest term, if any is up and leading. */
  leader(): SimMember | undefined {
    let best: SimMember | undefined;
    for (const m of this.members) if (m.isLeader() && (!best || m.term > best.term)) best = m;
    return best;
  }

  /**
   * The members liveness is judged on: all of them, or with membership
   * changes those of the leader's configuration in effect (members it
   * removed may never learn so, and are judged only by the safety checks).
   */
  judged(l: SimMember | undefined = this.leader()): SimMember[] {
    if (!this.membershipChanges) return [...this.members];
    const c = l?.raft()?.membership().config;
    if (c === undefined) return [...this.members];
    const ids = new Set([...c.voters, ...(c.votersOutgoing ?? []), ...(c.learners ?? [])]);
    return this.members.filter((m) => ids.has(m.id));
  }

  /** A leader that every running member follows in its term (undefined if none). */
  stableLeader(): SimMember | undefined {
    const l = this.leader();
    if (!l) return undefined;
    for (const m of this.judged(l)) {
      if (m.state !== "up") return undefined;
      if (m.term !== l.term || m.leader !== l.id) return undefined;
    }
    return l;
  }

  /** Every member up, one leader followed by all, every entry committed and applied everywhere. */
  converged(): boolean {
    const l = this.stableLeader();
    const lr = l?.raft();
    if (!l || !lr) return false;
    const ls = lr.status();
    if (ls.commit !== ls.lastIndex) return false;
    // A membership change in flight (joint included) must complete.
    if (this.membershipChanges && lr.membership().pending) return false;
    for (const m of this.judged(l)) {
      const r = m.raft();
      if (!r) return false;
      const s = r.status();
      if (s.commit !== ls.commit || s.lastIndex !== ls.lastIndex || m.appliedIndex !== ls.commit) return false;
      // The durable commit may lag: a commit-only change is not written (ready.ts, writeOf).
      if (m.storage.lastIndex() !== ls.lastIndex) return false;
    }
    return true;
  }

  /** Crash a member now (or inside its next Ready, at `point`). */
  crash(id: number, point?: CrashPoint): void {
    const m = this.member(id);
    if (m.state === "down") return;
    this.stats.crashes++;
    if (point !== undefined) {
      m.crashInNextReady = point;
      this.note(() => `node ${id} will crash inside its next Ready (point ${point})`);
      return;
    }
    this.note(() => `node ${id} crashed${m.isLeader() ? ` (leader of term ${m.term})` : ""}`);
    if (m.isLeader()) this.openFailovers.push({ term: m.term, step: this.now });
    m.crash();
    this.resumeAt.delete(m.id);
  }

  /**
   * Restart a crashed member from its storage. With `appliedKnown`, the state
   * machine is taken to have durably applied a random index between the
   * snapshot and the commit index (a broker's data partition knows it), so the
   * core hands out only what follows; otherwise everything after the snapshot.
   */
  restart(id: number, appliedKnown = false, diskLost = false, damaged = false): void {
    const m = this.member(id);
    if (m.state !== "down") return;
    this.stats.restarts++;
    // With quiescence, as in the broker: no frame of a dead incarnation arrives after its peers
    // heard the next one (a crash closes its connections; a replaced connection's frames are ignored).
    // Otherwise a late quiesce heartbeat of a leader that restarted puts its followers to sleep
    // under a member that no longer leads (seeds 1395 and 1903 with --quiesce).
    if (this.liveness) this.network.dropFrom(m.id);
    if (diskLost && this.mayLoseDisk(m)) {
      this.stats.disksLost++;
      this.diskLostAt.set(m.id, this.now);
      this.guarded(() => m.loseDisk(1 + this.random.int(0x7ffffffe), (this.opts.diskLoss ?? "guarded") === "guarded"));
    } else if (damaged && this.mayDamage(m)) {
      const lo = m.storage.snapshot().index;
      const hi = m.storage.lastIndex();
      this.stats.logsDamaged++;
      this.damagedAt.set(m.id, this.now);
      const from = index(lo + 1 + this.damageRandom.int(hi - lo));
      this.guarded(() => m.damageLog(from, (this.opts.damage ?? "guarded") === "guarded"));
    }
    let applied: Index | undefined;
    if (appliedKnown) {
      const lo = m.storage.snapshot().index;
      const hi = Math.max(lo, m.storage.hardState().commit);
      applied = index(lo + this.random.int(hi - lo + 1));
    }
    this.guarded(() => {
      m.start(applied);
      this.liveness?.restarted(m, this.now);
      m.drain();
    });
  }

  /**
   * A member may lose its disk while fewer than a minority of the others are
   * still recovering from theirs or behind a repair's promise (unguarded:
   * lost one within the last 100 steps).
   */
  private mayLoseDisk(m: SimMember): boolean {
    if (this.isLearner(m.id)) return true; // a learner's log is never part of a quorum
    const tolerated = Math.floor((this.voterIds.length - 1) / 2);
    const unguarded = this.opts.diskLoss === "unguarded";
    const recovering = this.members.filter(
      (o) => o !== m && !this.isLearner(o.id) && (unguarded ? this.now - (this.diskLostAt.get(o.id) ?? -Infinity) < 100 : o.recovering !== undefined || o.storage.hardState().promise !== undefined),
    ).length;
    return recovering < tolerated;
  }

  /**
   * A member's log may be damaged when it holds entries and fewer than a
   * minority of the others are behind a promise or recovering (unguarded:
   * damaged or lost within the last 100 steps): damage to every copy of an
   * entry in a quorum loses it whatever the core does (the broker then stops
   * taking writes, which the simulator does not judge).
   */
  private mayDamage(m: SimMember): boolean {
    if (m.storage.lastIndex() <= m.storage.snapshot().index) return false;
    if (this.isLearner(m.id)) return true; // a learner's log is never part of a quorum
    const tolerated = Math.floor((this.voterIds.length - 1) / 2);
    const unguarded = this.opts.damage === "unguarded";
    const hurt = this.members.filter((o) => {
      if (o === m || this.isLearner(o.id)) return false;
      if (unguarded) return this.now - Math.max(this.damagedAt.get(o.id) ?? -Infinity, this.diskLostAt.get(o.id) ?? -Infinity) < 100;
      return o.recovering !== undefined || o.storage.hardState().promise !== undefined;
    }).length;
    return hurt < tolerated;
  }

  /** Pause a member for `steps` steps (forever when omitted, until resume()). */
  pause(id: number, steps?: number): void {
    const m = this.member(id);
    if (m.state !== "up") return;
    m.pause();
    if (steps !== undefined) this.resumeAt.set(m.id, this.now + steps);
    this.note(() => `node ${id} paused${steps !== undefined ? ` for ${steps} steps` : ""}`);
  }

  resume(id: number): void {
    const m = this.member(id);
    this.resumeAt.delete(m.id);
    if (m.state !== "paused") return;
    m.resume();
    this.note(() => `node ${id} resumed`);
  }

  /** Heal every link, resume paused members, restart crashed ones, stop faults. */
  healAll(): void {
    this.faultsOn = false;
    this.network.faults = NO_NETWORK_FAULTS;
    this.network.heal();
    this.note(() => "heal: all links up, all members up, no message faults");
    for (const m of this.members) {
      if (m.state === "paused") this.resume(m.id);
      m.crashInNextReady = undefined;
      if (m.state === "down") this.restart(m.id, this.random.chance(0.3));
    }
  }

  /**
   * Propose `batch` client entries to `target` (default: the leader).
   * Returns the proposal ids accepted (empty when refused or no leader).
   */
  propose(batch = 1, target?: SimMember): number[] {
    const l = target ?? this.leader();
    if (!l) {
      this.lastRefusal = "NO_LEADER";
      return [];
    }
    const ids: number[] = [];
    const proposals: Proposal[] = [];
    for (let k = 0; k < batch; k++) {
      const pid = this.nextProposalId++;
      ids.push(pid);
      proposals.push(clientProposal(pid, 1 + this.random.int(3), 5 + this.random.int(60), this.now));
    }
    this.stats.proposals++;
    const r = this.guarded(() => l.propose(proposals));
    if (!r || !r.ok) {
      this.stats.refused++;
      this.lastRefusal = r ? r.code : "DOWN";
      return [];
    }
    this.lastRefusal = undefined;
    ids.forEach((pid, k) => {
      const i = r.firstIndex + k;
      l.pending.set(i, { proposalId: pid, index: index(i), term: r.term, proposedStep: this.now });
    });
    this.note(() => `client proposed p${ids[0]}..p${ids[ids.length - 1]} to node ${l.id}: index ${r.firstIndex} term ${r.term}`);
    return ids;
  }

  /** Ask the leader (or `from`) to transfer leadership to `target` (preferred member when undefined). */
  transfer(target: number | undefined, from?: SimMember): boolean {
    const l = from ?? this.leader();
    if (!l) return false;
    const t = target === undefined ? undefined : nodeId(target);
    const r = this.guarded(() => l.transfer(t));
    this.note(() => `client asked node ${l.id} to transfer to ${t ?? "preferred"}: ${r ? (r.ok ? `ok -> ${r.target}` : r.code) : "down"}`);
    if (r?.ok && r.target !== l.id) {
      this.stats.transfersStarted++;
      this.openTransfers.push({ target: r.target, term: l.term, step: this.now });
      return true;
    }
    return false;
  }

  /** A line per member: state, role, term, commit, last index. */
  describeRoles(): string {
    return this.members
      .map((m) => {
        const s = m.raft()?.status();
        return `${m.id}:${m.state}/${roleName(m.role)} t${m.term} leader ${m.leader}${s ? ` commit ${s.commit} last ${s.lastIndex} applied ${m.appliedIndex}` : ""}`;
      })
      .join("; ");
  }

  /** The trace lines kept so far. */
  traceLines(): string[] {
    return this.trace.lines();
  }

  // ------------------------------------------------------------------ internals

  private hooks(): MemberHooks {
    return {
      observe: (o) => this.observe(o),
      send: (m) => this.network.send(m, this.now),
      applied: (member, e) => this.onApplied(member, e),
      softState: (member, soft) => this.onSoftState(member, soft),
      trace: (line) => this.note(line),
      ...(this.opts.readyFilter ? { readyFilter: this.opts.readyFilter } : {}),
    };
  }

  private observe(o: Observation): void {
    this.trace.push(this.now, o);
    if (this.verbose) this.verbose(formatItem(this.now, o));
    const v = this.checker.observe(o);
    if (v.length > 0 && !this.violation) {
      this.violation = v[0];
      this.violationStep = this.now;
      throw new StopRun();
    }
  }

  private note(line: () => string): void {
    this.trace.push(this.now, line);
    if (this.verbose) this.verbose(formatItem(this.now, line));
  }

  private fail(kind: Violation["kind"], message: string, node?: NodeId): void {
    if (this.violation) return;
    this.violation = { kind, message, ...(node !== undefined ? { node } : {}) };
    this.violationStep = this.now;
    this.note(() => `VIOLATION ${kind}: ${message}`);
  }

  /** Run `f`, turning core errors and violations into the run's verdict. */
  private guarded<T>(f: () => T): T | undefined {
    try {
      return f();
    } catch (err) {
      if (err instanceof StopRun) return undefined;
      if (err instanceof CoreError) {
        this.fail("CORE_ERROR", err.message, err.node);
        return undefined;
      }
      throw err;
    }
  }

  private reception(to: NodeId): Reception {
    const s = this.member(to).state;
    return s === "up" ? "deliver" : s === "paused" ? "hold" : "drop";
  }

  /** Whether `id` is a learner (SimOptions.learners). */
  isLearner(id: NodeId): boolean {
    return this.learnerIds.includes(id);
  }

  /** Voters down, paused or about to crash (learners fail without limit: they are in no quorum). */
  private failed(): number {
    return this.members.filter((m) => !this.isLearner(m.id) && (m.state !== "up" || m.crashInNextReady !== undefined)).length;
  }

  private injectFaults(): void {
    const p = this.profile;
    const r = this.random;
    const budget = p.majorityFailures ? this.voterIds.length : Math.floor((this.voterIds.length - 1) / 2);
    // With learners, a learner may fail even when the voters' budget is used up.
    const voterMayFail = this.failed() < budget;
    if (p.crashRate > 0 && r.chance(p.crashRate) && (voterMayFail || this.learnerIds.length > 0)) {
      const up = this.members.filter((m) => m.state === "up" && m.crashInNextReady === undefined && (voterMayFail || this.isLearner(m.id)));
      if (up.length > 0) {
        // Leaders are the interesting victims: pick one half the time.
        const leader = up.find((m) => m.isLeader());
        const victim = leader && r.chance(0.5) ? leader : r.pick(up);
        this.crash(victim.id, r.chance(p.crashInReadyShare) ? (r.int(4) as CrashPoint) : undefined);
      }
    }
    if (p.restartRate > 0) {
      for (const m of this.members) {
        if (m.state === "down" && r.chance(p.restartRate)) {
          const damaged = this.opts.damage !== "off" && p.damageShare > 0 && this.damageRandom.chance(p.damageShare);
          this.restart(m.id, r.chance(0.3), p.diskLossShare > 0 && r.chance(p.diskLossShare), damaged);
        }
      }
    }
    const voterMayPause = this.failed() < budget;
    if (p.pauseRate > 0 && r.chance(p.pauseRate) && (voterMayPause || this.learnerIds.length > 0)) {
      const up = this.members.filter((m) => m.state === "up" && (voterMayPause || this.isLearner(m.id)));
      if (up.length > 0) this.pause(r.pick(up).id, 1 + r.int(p.pauseStepsMax));
    }
    if (p.partitionRate > 0 && !this.network.partitioned() && r.chance(p.partitionRate)) this.partition();
    else if (p.healRate > 0 && this.network.partitioned() && r.chance(p.healRate)) {
      this.network.heal();
      this.note(() => "partition healed");
    }
    if (p.compactRate > 0 && r.chance(p.compactRate)) {
      const m = r.pick(this.members);
      if (m.state === "up") m.compact(m.appliedIndex - r.int(4));
    }
    if (this.membershipChanges && r.chance(MEMBERSHIP_CHANGE_RATE)) this.changeMembershipAtRandom();
  }

  /**
   * The membership nemesis: ask a leader to change to a random target of
   * three voters from the pool (one or two voters swapped for non-voters, or
   * the same voters) and a random set of learners among the rest.
   */
  private changeMembershipAtRandom(): void {
    const r = this.random;
    const leaders = this.members.filter((m) => m.isLeader());
    if (leaders.length === 0) return;
    const l = r.pick(leaders);
    const current = l.raft()!.membership().config;
    const voters = [...current.voters];
    const outside = shuffle(r, this.ids.filter((id) => !voters.includes(id)));
    const swaps = Math.min(r.int(3), outside.length); // 0, 1 or 2 voters replaced
    for (let k = 0; k < swaps; k++) voters[r.int(voters.length)] = outside.pop()!;
    const unique = [...new Set(voters)];
    const learners = this.ids.filter((id) => !unique.includes(id) && r.chance(0.4));
    this.changeMembership(l, unique, learners);
  }

  /** Ask `l` to change to `voters` and `learners` (scenario tests call it too). */
  changeMembership(l: SimMember, voters: readonly NodeId[], learners: readonly NodeId[]): boolean {
    this.stats.membershipChangesAsked++;
    const r = this.guarded(() => l.changeMembership({ voters, learners }));
    this.note(() => `nemesis asked node ${l.id} to change to voters [${voters.join(",")}] learners [${learners.join(",")}]: ${r ? (r.ok ? `ok at ${r.index}` : `${r.code} (${r.reason})`) : "down"}`);
    if (r?.ok) this.stats.membershipChangesStarted++;
    return r?.ok === true;
  }

  /** Start a random partition: a minority isolated, the leader isolated, a split, or a one-way cut. */
  private partition(): void {
    const r = this.random;
    const kind = r.int(4);
    if (kind === 0 || kind === 1) {
      const l = this.leader();
      const victim = kind === 1 && l ? l.id : r.pick(this.ids);
      this.network.isolate(victim);
    } else if (kind === 2) {
      const side = shuffle(r, this.ids).slice(0, 1 + r.int(Math.floor(this.ids.length / 2)));
      this.network.split(side);
    } else {
      const a = r.pick(this.ids);
      const others = this.ids.filter((x) => x !== a);
      const b = r.pick(others);
      this.network.cutOneWay(a, b);
      if (r.chance(0.5)) this.network.cutOneWay(a, r.pick(others));
    }
    this.note(() => `partition: cut ${this.network.describeCuts()}`);
  }

  private clients(w: Workload): void {
    const r = this.random;
    if (w.proposeRate > 0 && r.chance(w.proposeRate)) {
      const leaders = this.members.filter((m) => m.isLeader());
      if (leaders.length > 0) this.propose(1 + r.int(3), r.pick(leaders));
    }
    if (w.transferRate > 0 && r.chance(w.transferRate)) {
      const leaders = this.members.filter((m) => m.isLeader());
      if (leaders.length > 0) {
        const l = r.pick(leaders);
        const target = r.chance(0.3) ? undefined : r.pick(this.ids.filter((x) => x !== l.id));
        this.transfer(target, l);
      }
    }
  }

  private onApplied(member: SimMember, e: Entry): void {
    const p = member.pending.get(e.index);
    if (!p) return;
    member.pending.delete(e.index);
    if (e.term !== p.term) return; // overwritten by another leader: the client sees a failure
    this.stats.acks++;
    this.observe({ kind: "ack", proposalId: p.proposalId, node: member.id, index: e.index, term: e.term, offset: e.offset });
  }

  private onSoftState(member: SimMember, soft: SoftState): void {
    if (this.verbose) {
      this.note(() => `node ${member.id} is ${roleName(soft.role)} in term ${soft.term}, leader ${soft.leader}${soft.transferee !== NO_NODE ? `, transferring to ${soft.transferee}` : ""}`);
    }
    if (soft.role !== Role.Leader) return;
    if (soft.term > this.leaderTermMax) this.leaderTermMax = soft.term;
    if (this.openFailovers.length > 0) {
      const still: { term: number; step: number }[] = [];
      for (const f of this.openFailovers) {
        if (soft.term > f.term) this.stats.failoverSteps.push(this.now - f.step);
        else still.push(f);
      }
      this.openFailovers = still;
    }
    if (this.openTransfers.length > 0) {
      const still: { target: NodeId; term: number; step: number }[] = [];
      for (const t of this.openTransfers) {
        if (soft.term <= t.term) still.push(t);
        else if (member.id === t.target) this.stats.transferSteps.push(this.now - t.step);
        else this.stats.transfersFailed++;
      }
      this.openTransfers = still;
    }
  }

  /** A transfer that has not completed within two election timeouts failed. */
  private expireTransfers(): void {
    if (this.openTransfers.length === 0) return;
    const limit = 2 * this.tuning.electionTimeoutTicks;
    const still = this.openTransfers.filter((t) => this.now - t.step <= limit);
    this.stats.transfersFailed += this.openTransfers.length - still.length;
    this.openTransfers = still;
  }
}

/** A shuffled copy (Fisher-Yates with the seeded source). */
export function shuffle<T>(random: SeededRandom, xs: readonly T[]): T[] {
  const out = xs.slice();
  for (let k = out.length - 1; k > 0; k--) {
    const j = random.int(k + 1);
    const t = out[k]!;
    out[k] = out[j]!;
    out[j] = t;
  }
  return out;
}

/** Default options for seeded run `seed` ("mixed" members alternate 3 and 5 by seed). */
export function runOptions(seed: number, members: 3 | 5 | "mixed", faultSteps: number): SimOptions {
  return { seed, members: members === "mixed" ? (seed % 2 === 0 ? 3 : 5) : members, faultSteps };
}

/** Run one seeded simulation. */
export function runSeed(opts: SimOptions): RunResult {
  return new Simulation(opts).run();
}

/** The command that replays a run. */
export function replayCommand(seed: number, members: 3 | 5 | "mixed", faultSteps: number, profile?: string): string {
  return `npm run sim -- --runs 1 --seed ${seed} --members ${members} --steps ${faultSteps}${profile !== undefined ? ` --profile ${profile}` : ""} --verbose`;
}
