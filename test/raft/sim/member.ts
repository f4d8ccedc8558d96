/**
 * One simulated group member: a RaftNode, its durable storage (the disk
 * model) and the runner loop of broker/raft/ready.ts, as GroupRunner runs it:
 *
 *   rd = ready(); send rd.earlyMessages; write writeOf(rd) (when mustSync)
 *   and wait until it is durable; send rd.messages; apply rd.committed;
 *   advance(rd)
 *
 * Disk model: the MemoryStorage is the disk, and holds only what is durable.
 * A write may stay in flight across steps (a slow disk): meanwhile the member
 * keeps receiving and ticking, as the broker's runner does while it awaits a
 * persist, and its early messages (a leader's appends) are already on the
 * network, so followers can acknowledge entries the leader has not made
 * durable yet. A commit-only hard state is not written (it rides along with
 * the next write); a crash loses it. A crash can strike in the middle of a
 * Ready (see CrashPoint): the write may not have reached the disk yet (it is
 * lost; only early messages left), or it did but the other messages were not
 * sent, or they were but the entries were not applied, or they were but
 * advance() was not called. On restart, a new RaftNode reads the same
 * storage, and the state machine is rebuilt from the committed entries the
 * core hands out again.
 *
 * Everything the member does that the checker must see is reported through
 * MemberHooks as observations, in the order it happens.
 */
import type { RaftConfig } from "../../../broker/raft/config.js";
import { RaftNode, type TransferResult } from "../../../broker/raft/core.js";
import type { LogUpdate } from "../../../broker/raft/log-storage.js";
import { MemoryStorage } from "../../../broker/raft/memory-storage.js";
import type { Message } from "../../../broker/raft/messages.js";
import { SeededRandom } from "../../../broker/raft/random.js";
import { Role, writeOf, type MembershipChangeResult, type ProposeResult, type Proposal, type Ready, type SoftState } from "../../../broker/raft/ready.js";
import { NO_NODE, offset, term, type Entry, type HardState, type Index, type NodeId, type Term } from "../../../broker/raft/types.js";
import type { Observation } from "./checker.js";

/** Where a crash strikes inside one Ready (numeric: drawn at random). */
export const CrashPoint = {
  /** The write was issued but not synced: it is lost. Only early messages were sent. */
  WriteLost: 0,
  /** The write reached the disk, but no message of the Ready was sent. */
  WriteDurable: 1,
  /** Messages sent, committed entries not applied. */
  AfterSend: 2,
  /** Entries applied, advance() not called. */
  AfterApply: 3,
} as const;
export type CrashPoint = (typeof CrashPoint)[keyof typeof CrashPoint];
export const CRASH_POINT_NAMES = ["write-lost", "write-durable", "after-send", "after-apply"] as const;

/** Up, crashed (down), or paused (alive but neither ticking nor receiving). */
export type MemberState = "up" | "down" | "paused";

/** How a member reports to the simulation. */
export interface MemberHooks {
  /** An observation for the checker (and the trace). */
  observe(o: Observation): void;
  /** Hand a message to the network. */
  send(m: Message): void;
  /** The state machine applied `e` (after the checker saw it). */
  applied(member: SimMember, e: Entry): void;
  /** The member's volatile state changed. */
  softState(member: SimMember, soft: SoftState): void;
  /** A free-form trace line. */
  trace(line: () => string): void;
  /**
   * Tests of the simulator itself plant bugs here: the runner sees the Ready
   * this returns instead of the core's (identity in real runs).
   */
  readyFilter?: (member: SimMember, rd: Ready) => Ready;
}

/** The core threw, or handed storage an update it refused: a bug in the core. */
export class CoreError extends Error {
  constructor(
    readonly node: NodeId,
    message: string,
    readonly causeError: unknown,
  ) {
    super(message);
    this.name = "CoreError";
  }
}

/** A proposal accepted by this member's current incarnation, waiting to be applied. */
export interface PendingProposal {
  readonly proposalId: number;
  readonly index: Index;
  readonly term: Term;
  readonly proposedStep: number;
}

/** Bound on Ready iterations per drain: a core that never settles is a bug. */
const READY_LOOP_MAX = 256;
/** Chance that a Ready's write stays in flight when the member drains (a slow disk). */
const WRITE_DEFER_CHANCE = 0.3;
/** Drains a write may stay in flight before it completes (bound). */
const WRITE_DEFER_DRAINS_MAX = 6;

export class SimMember {
  /** The disk: replaced by an empty one when the disk is lost. */
  storage = new MemoryStorage();
  /**
   * Set while the member is recovering from a lost disk: passed to the core as
   * RaftConfig.recovering at every start until the core reports it caught up
   * (a broker keeps this in its data-directory identity).
   */
  recovering: { readonly incarnation: number } | undefined;
  /** Times this member's disk was lost. */
  disksLost = 0;
  logsDamaged = 0;
  state: MemberState = "down";
  /** Times this member was started. */
  incarnation = 0;
  /** Volatile state as of the last Ready (NO_NODE / follower when down). */
  role: Role = Role.Follower;
  term: Term = term(0);
  leader: NodeId = NO_NODE;
  transferee: NodeId = NO_NODE;
  /** Highest index applied by the current incarnation's state machine. */
  appliedIndex = 0;
  /** Proposals this incarnation accepted, by index. */
  readonly pending = new Map<number, PendingProposal>();
  /** When set, the next Ready is interrupted by a crash at this point. */
  crashInNextReady: CrashPoint | undefined;
  private node: RaftNode | undefined;
  /** A Ready whose early messages left and whose write is in flight (not durable yet). */
  private inflight: Ready | undefined;
  /** Drains the in-flight write has waited so far. */
  private inflightDrains = 0;
  /** Newest hard state not written because only its commit changed (lost in a crash). */
  private carried: HardState | undefined;

  constructor(
    readonly id: NodeId,
    readonly config: RaftConfig,
    private readonly hooks: MemberHooks,
    private readonly random: SeededRandom,
  ) {}

  /**
   * Start (or restart) from storage. `applied`: the index the state machine
   * had durably applied (a broker's data partition knows it); by default the
   * snapshot index, and the core hands out every committed entry after it again.
   */
  start(applied?: Index): void {
    const restart = this.incarnation > 0;
    this.incarnation++;
    this.state = "up";
    this.pending.clear();
    this.crashInNextReady = undefined;
    this.inflight = undefined;
    this.carried = undefined;
    this.appliedIndex = applied ?? this.storage.snapshot().index;
    if (restart) this.hooks.observe({ kind: "restart", node: this.id, ...(applied !== undefined ? { applied } : {}) });
    else this.hooks.observe({ kind: "persist", node: this.id, hardState: this.storage.hardState() });
    const rng = new SeededRandom(this.random.int(0x7fffffff));
    const config: RaftConfig = this.recovering ? { ...this.config, recovering: this.recovering } : this.config;
    this.node = this.guard("construct", () => new RaftNode(config, this.storage, rng, applied));
    this.role = Role.Follower;
    this.leader = NO_NODE;
    this.transferee = NO_NODE;
    this.hooks.trace(() => `node ${this.id} ${restart ? "restarted" : "started"} (incarnation ${this.incarnation}, applied ${this.appliedIndex}, term ${this.storage.hardState().term}, commit ${this.storage.hardState().commit}, last ${this.storage.lastIndex()})`);
  }

  /** Crash now: volatile state and unapplied work are gone; storage stays. */
  crash(): void {
    this.node = undefined;
    this.state = "down";
    this.pending.clear();
    this.crashInNextReady = undefined;
    this.inflight = undefined;
    this.carried = undefined;
    this.role = Role.Follower;
    this.leader = NO_NODE;
    this.transferee = NO_NODE;
  }

  /**
   * While down: the disk is replaced by an empty one. With `guarded`, the
   * member restarts recovering as a new incarnation (the broker's behaviour);
   * without, it just starts empty (the hazard the guard exists for).
   */
  loseDisk(incarnation: number, guarded: boolean): void {
    if (this.state !== "down") throw new Error(`member ${this.id} must be down to lose its disk`);
    this.storage = new MemoryStorage();
    this.disksLost++;
    this.recovering = guarded ? { incarnation } : undefined;
    this.hooks.observe({ kind: "diskLost", node: this.id });
    this.hooks.trace(() => `node ${this.id} lost its disk${guarded ? ` (recovering as incarnation ${incarnation})` : " (unguarded: no recovery)"}`);
  }

  /**
   * While down: a damaged entry at `from` is found, and storage cuts the log
   * from there (LogStorage.repair). With `guarded`, the repair records the
   * promise, as the broker's does; without, the promise is dropped (the
   * hazard it exists for).
   */
  damageLog(from: Index, guarded: boolean): void {
    if (this.state !== "down") throw new Error(`member ${this.id} must be down to have its log damaged`);
    this.storage.repairSync(from);
    if (!guarded) {
      const hs = this.storage.hardState();
      this.storage.apply({ hardState: { term: hs.term, vote: hs.vote, commit: hs.commit } });
    }
    this.logsDamaged++;
    this.hooks.observe({ kind: "damaged", node: this.id, from });
    this.hooks.trace(() => `node ${this.id} cut a damaged log from ${from}${guarded ? ` (promise ${JSON.stringify(this.storage.hardState().promise)})` : " (unguarded: no promise)"}`);
  }

  pause(): void {
    if (this.state === "up") this.state = "paused";
  }
  resume(): void {
    if (this.state === "paused") this.state = "up";
  }

  /** The running core (undefined while down). */
  raft(): RaftNode | undefined {
    return this.node;
  }
  isLeader(): boolean {
    return this.state === "up" && this.role === Role.Leader;
  }

  tick(): void {
    const n = this.node;
    if (n && this.state === "up") this.guard("tick", () => n.tick());
  }
  step(m: Message): void {
    const n = this.node;
    if (n && this.state === "up") this.guard("step", () => n.step(m));
  }
  /** A liveness report (the simulator's oracle): `peer` is down, or up again (RaftNode.peerDown / peerUp). */
  liveness(peer: NodeId, up: boolean): void {
    const n = this.node;
    if (n && this.state === "up") this.guard(up ? "peerUp" : "peerDown", () => (up ? n.peerUp(peer) : n.peerDown(peer)));
  }
  propose(proposals: readonly Proposal[]): ProposeResult | undefined {
    const n = this.node;
    return n && this.state === "up" ? this.guard("propose", () => n.propose(proposals)) : undefined;
  }
  changeMembership(target: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] }): MembershipChangeResult | undefined {
    const n = this.node;
    return n && this.state === "up" ? this.guard("changeMembership", () => n.changeMembership(target)) : undefined;
  }
  transfer(target: NodeId | undefined): TransferResult | undefined {
    const n = this.node;
    return n && this.state === "up" ? this.guard("transferLeadership", () => n.transferLeadership(target)) : undefined;
  }

  /**
   * Run the Ready loop until the core has nothing more, a crash strikes, or a
   * write stays in flight (the next drain may complete it).
   */
  drain(): void {
    for (let k = 0; k < READY_LOOP_MAX; k++) {
      const n = this.node;
      if (!n || this.state !== "up") return;
      const held = this.inflight;
      if (held) {
        if (++this.inflightDrains < WRITE_DEFER_DRAINS_MAX && this.random.chance(WRITE_DEFER_CHANCE)) return;
        this.inflight = undefined;
        this.finish(n, held);
        continue;
      }
      if (!this.guard("hasReady", () => n.hasReady())) return;
      const rd = this.guard("ready", () => n.ready());
      this.begin(n, this.hooks.readyFilter ? this.hooks.readyFilter(this, rd) : rd);
    }
    throw new CoreError(this.id, `Ready loop of node ${this.id} did not settle within ${READY_LOOP_MAX} rounds`, undefined);
  }

  /** Send the early messages and issue the write; it completes now or at a later drain. */
  private begin(n: RaftNode, rd: Ready): void {
    for (const m of rd.earlyMessages) {
      this.hooks.observe({ kind: "send", node: this.id, message: m });
      this.hooks.send(m);
    }
    if (rd.mustSync && this.random.chance(WRITE_DEFER_CHANCE)) {
      this.inflight = rd;
      this.inflightDrains = 0;
      return;
    }
    this.finish(n, rd);
  }

  /** The write becomes durable (or a crash loses it); then the rest of the loop. */
  private finish(n: RaftNode, rd: Ready): void {
    const crashAt = this.crashInNextReady;
    if (crashAt === CrashPoint.WriteLost) {
      this.hooks.trace(() => `node ${this.id} crashed before its write was synced: lost ${describeUpdate(rd)}`);
      this.crash();
      return;
    }
    this.persist(rd);
    if (crashAt === CrashPoint.WriteDurable) {
      this.hooks.trace(() => `node ${this.id} crashed after its write was synced, before sending ${rd.messages.length} messages`);
      this.crash();
      return;
    }
    if (rd.softState) {
      if (this.recovering && !rd.softState.recovering) {
        this.hooks.trace(() => `node ${this.id} caught up after its lost disk: voting again`);
        this.recovering = undefined;
      }
      this.role = rd.softState.role;
      this.term = rd.softState.term;
      this.leader = rd.softState.leader;
      this.transferee = rd.softState.transferee;
      if (rd.softState.role === Role.Leader) this.hooks.observe({ kind: "leader", node: this.id, term: rd.softState.term });
      this.hooks.softState(this, rd.softState);
    }
    for (const m of rd.messages) {
      this.hooks.observe({ kind: "send", node: this.id, message: m });
      this.hooks.send(m);
    }
    if (crashAt === CrashPoint.AfterSend) {
      this.hooks.trace(() => `node ${this.id} crashed after sending, before applying ${rd.committed.length} entries`);
      this.crash();
      return;
    }
    for (const e of rd.committed) {
      this.hooks.observe({ kind: "applied", node: this.id, entry: e });
      this.appliedIndex = e.index;
      this.hooks.applied(this, e);
    }
    if (crashAt === CrashPoint.AfterApply) {
      this.hooks.trace(() => `node ${this.id} crashed after applying, before advance()`);
      this.crash();
      return;
    }
    this.guard("advance", () => n.advance(rd));
  }

  /** Make the Ready's write durable (one atomic update) and report it. */
  private persist(rd: Ready): void {
    const update: LogUpdate | undefined = writeOf(rd, this.carried);
    if (!update) {
      if (rd.hardState) {
        // Only the commit index changed: not written; the member knows it until a crash.
        this.carried = rd.hardState;
        this.hooks.observe({ kind: "commit", node: this.id, index: rd.hardState.commit, term: rd.hardState.term });
      }
      return;
    }
    this.carried = undefined;
    try {
      this.storage.apply(update);
    } catch (err) {
      throw new CoreError(this.id, `node ${this.id}: storage refused ${describeUpdate(rd)}: ${String(err)}`, err);
    }
    this.hooks.observe({ kind: "persist", node: this.id, ...update });
    if (rd.snapshot) {
      this.hooks.observe({ kind: "restore", node: this.id, snapshot: rd.snapshot });
      this.appliedIndex = rd.snapshot.index;
    }
  }

  /**
   * Drop the durable log's prefix through the applied index (retention): a
   * follower that later needs those entries gets a snapshot instead.
   */
  compact(upTo: number): boolean {
    const to = Math.min(upTo, this.appliedIndex, this.storage.hardState().commit);
    if (to <= this.storage.snapshot().index || to > this.storage.lastIndex()) return false;
    const e = this.storage.entries(to as Index, (to + 1) as Index, Infinity)[0];
    if (!e) return false;
    const meta = { index: e.index, term: e.term, offset: offset(e.offset + e.count) };
    void this.storage.compact(meta);
    this.hooks.observe({ kind: "compact", node: this.id, snapshot: meta });
    this.hooks.trace(() => `node ${this.id} compacted its log through ${to}`);
    return true;
  }

  private guard<T>(what: string, f: () => T): T {
    try {
      return f();
    } catch (err) {
      if (err instanceof CoreError) throw err;
      const stack = err instanceof Error ? (err.stack ?? err.message) : String(err);
      throw new CoreError(this.id, `node ${this.id}: ${what}() threw: ${stack}`, err);
    }
  }
}

/** A short description of a Ready's write, for traces. */
export function describeUpdate(rd: Ready): string {
  const parts: string[] = [];
  if (rd.snapshot) parts.push(`snapshot@${rd.snapshot.index}t${rd.snapshot.term}`);
  const first = rd.entries[0];
  const last = rd.entries[rd.entries.length - 1];
  if (first && last) parts.push(`entries ${first.index}..${last.index}`);
  if (rd.hardState) parts.push(`hs(t${rd.hardState.term} v${rd.hardState.vote} c${rd.hardState.commit})`);
  return parts.length === 0 ? "nothing" : parts.join(" ");
}
