/**
 * Drives one Raft group: the loop of broker/raft/ready.ts over real storage
 * and a transport. ready -> send the leader's replication -> persist
 * (durable) -> send the rest -> apply -> advance.
 *
 * One loop runs at a time per group; inputs that arrive while a persist is
 * in flight accumulate in the core and go out in the next Ready, which is
 * how proposals batch. LMDB batches the persists of all groups on a broker
 * into shared transactions (group commit).
 *
 * A damaged entry (StorageError CORRUPT_ENTRY), whether the core reads it
 * (replicating, applying) or the state machine's owner does (serving a
 * fetch: reportDamage), is never handed on: the runner drops its core (a
 * leader thereby steps down), has storage cut the log from that entry
 * (LogStorage.repair, which records the promise), and starts a new core on
 * the repaired log, which fetches the rest again from the leader. Entries
 * the state machine already applied are not applied twice. The argument is
 * in docs/STORAGE.md, "A damaged entry".
 *
 * A peer's message the runner cannot take (the core throws on it, storage
 * refuses the write it leads to as an invalid argument, or a snapshot the
 * state machine cannot read) is that peer's fault, not this broker's: the
 * runner logs it at warn, counts it, tells the peer-fault listener (the
 * broker closes that peer's connection), drops its core as it is and starts
 * a new one on what storage holds, as after a restart of this group alone.
 * Nothing of the refused message was made durable or answered (answers leave
 * only after the write), so this is as safe as a crash and restart; see
 * docs/SECURITY.md, "Hostile peer frames".
 */
import type { Logger } from "pino";
import { RaftNode, type TransferResult } from "../raft/core.js";
import type { RaftConfig } from "../raft/config.js";
import { setTimeout as sleep } from "node:timers/promises";
import { StorageError, type LogStorage, type LogUpdate } from "../raft/log-storage.js";
import { isDamagedEntry, isRetriableWriteFailure, repairRetrying } from "./damage.js";
import { STORAGE_DEFAULTS } from "../protocol/defaults.js";
import { MessageType, type Message } from "../raft/messages.js";
import type { RandomSource } from "../raft/random.js";
import { ROLE_NAMES, Role, writeOf, type MembershipChangeResult, type MembershipStatus, type Proposal, type RefusalCode, type SoftState, type Status } from "../raft/ready.js";
import { votersOf } from "../raft/membership.js";
import { NO_NODE, index as toIndex, offset as toOffset, type Entry, type HardState, type Index, type NodeId, type Offset, type Snapshot, type Term } from "../raft/types.js";
import { hopTrace } from "../protocol/hop-trace.js";

/** A log write slower than this is logged (warn). */
const SLOW_PERSIST_WARN_MS = 100;
/**
 * While a log write has been in flight this long, the group's Raft clock
 * stands still (ticks are skipped). Nothing of the group leaves during a
 * write, heartbeats included, so without this a disk stall longer than an
 * election timeout (seen: 840 ms, on all three brokers' shared disk at once)
 * makes leaders step down and followers campaign although no one failed.
 * A slower clock is always safe in Raft; a leader whose disk really hangs is
 * still replaced, by followers that stop hearing from it.
 */
export const PERSIST_STALL_MS = 50;

/** What a group's state machine does with committed entries. */
export interface StateMachine {
  /** Apply committed entries, in order. Called on every member. */
  apply(entries: readonly Entry[]): void;
  /** Replace the state with a snapshot received from the leader. */
  restore?(snapshot: Snapshot): void;
  /**
   * The whole state as of the last entry applied, for a snapshot the runner
   * takes itself (GroupRunnerOptions.snapshotEntries). Called synchronously
   * right after apply(), so it encodes exactly the applied index.
   * Undefined: no snapshot now (the state is too large to send whole; the
   * state machine warns), tried again snapshotEntries entries later.
   */
  snapshot?(): Uint8Array | undefined;
  /** Entries just made durable on this member (committed or not). */
  appended?(entries: readonly Entry[]): void;
  /**
   * Throw if a snapshot received from the leader could not be restored
   * (unreadable data). Called before the snapshot is written; a throw makes
   * it the sending peer's fault (see the file comment).
   */
  checkSnapshot?(snapshot: Snapshot): void;
  /** Leadership or term changed. */
  roleChanged?(soft: SoftState): void;
}

export interface GroupRunnerOptions {
  readonly groupId: string;
  readonly config: RaftConfig;
  readonly storage: LogStorage;
  readonly random: RandomSource;
  /** Hand messages to the peer transport. */
  readonly send: (messages: readonly Message[]) => void;
  readonly stateMachine: StateMachine;
  readonly logger: Logger;
  /** Index already applied to the state machine (default: the snapshot index). */
  readonly applied?: Index;
  /** Monotonic clock in ms (stalled-write detection); performance.now() by default, a fake one in tests. */
  readonly monotonicMs?: () => number;
  /**
   * A durable write failed for a reason other than a full disk or an I/O
   * error (a refused argument: a bug), so the runner has stopped and the
   * process must not go on. The broker's process entry point (broker/main.ts)
   * logs and exits; library code never does.
   */
  readonly onFatal: (err: unknown, message: string) => void;
  /** How failing log writes are retried (defaults: storage.writeRetryBackoffMs and writeRetryBackoffMsMax). */
  readonly writeRetry?: WriteRetryOptions;
  /**
   * Damage a cut did not mend (found again after a repair): the group has
   * stopped; the broker marks its data directory so that the next start
   * rebuilds it from the peers (broker/cluster/data-dir-check.ts).
   */
  readonly onStoreDamaged?: (err: StorageError) => void;
  /** Mark this group's proposals, writes and commits for the hop trace (data partitions; broker/diagnostics/hop-trace.ts). */
  readonly traceHops?: boolean;
  /**
   * Take a snapshot (StateMachine.snapshot) and compact the log to it once
   * this many entries were applied past the last snapshot point; each member
   * on its own (see takeSnapshot). Undefined: never (data partitions, whose
   * retention drops segments instead).
   */
  readonly snapshotEntries?: number;
  /** Told after each durable log write of a Ready (entries, hard state), with its duration and entry count (metrics). */
  readonly onPersisted?: (tookMs: number, entriesCount: number) => void;
}

/** A snapshot this member took of its own applied state, not yet written (see GroupRunner.takeSnapshot). */
interface OwnSnapshot {
  readonly snapshot: Snapshot;
  /** The hard state to write first when storage's commit index is behind the snapshot's (the commit rides along lazily). */
  readonly hardState: HardState | undefined;
}

/** How a runner retries a log write that failed with a full disk or an I/O error. */
export interface WriteRetryOptions {
  /** First wait before a failed write is tried again; doubles per failure (default storage.writeRetryBackoffMs). */
  readonly backoffMs?: number;
  /** Longest wait between two tries (default storage.writeRetryBackoffMsMax). */
  readonly backoffMsMax?: number;
  /**
   * A log write failed with NOT_ENOUGH_SPACE or IO_ERROR and will be tried
   * again; called at every failed try (the broker's disk gate hears of it).
   */
  readonly onWriteFailed?: (err: StorageError) => void;
  /** Waits `ms` (tests pass a fake one); node:timers/promises setTimeout by default. */
  readonly sleepMs?: (ms: number) => Promise<void>;
}


/** When a proposal counts as done. */
export type Acks = "all" | "leader";

/** Where proposed entries landed. */
export interface Appended {
  readonly firstIndex: Index;
  readonly firstOffset: Offset;
  readonly term: Term;
}

/** A proposal accepted by the leader: where it landed, and when it is done. */
export interface Proposed extends Appended {
  readonly done: Promise<Appended>;
}

/** A message of `peer` that this group refused (see the file comment). */
export interface PeerFault {
  readonly peer: NodeId;
  readonly group: string;
  /** What was wrong, for the log and the close reason. */
  readonly reason: string;
}

/** A write (or snapshot) that failed because of what a peer sent: carried from the loop to its catch. */
class PeerFaultError extends Error {
  constructor(
    readonly peer: NodeId,
    override readonly cause: unknown,
  ) {
    super(`peer ${peer}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = "PeerFaultError";
  }
}

/** A refused or failed proposal. `code` maps to a protocol error code. */
export class ProposeError extends Error {
  constructor(
    readonly code: RefusalCode | "SHUTTING_DOWN",
    readonly leader: NodeId,
    message: string,
  ) {
    super(message);
    this.name = "ProposeError";
  }
}

/** A wait for the soft state to satisfy a condition (waitForSoftState). */
interface SoftStateWaiter {
  readonly until: (soft: SoftState) => boolean;
  readonly resolve: (soft: SoftState | undefined) => void;
}

interface Waiter {
  readonly index: Index;
  readonly term: Term;
  readonly result: Appended;
  readonly resolve: (a: Appended) => void;
  readonly reject: (e: Error) => void;
}

export class GroupRunner {
  readonly groupId: string;
  private node: RaftNode;
  private readonly config: RaftConfig;
  private readonly random: RandomSource;
  private readonly storage: LogStorage;
  private readonly send: (messages: readonly Message[]) => void;
  private readonly sm: StateMachine;
  private readonly log: Logger;
  /** Leader preference set by setPriority (kept across core restarts); undefined: RaftConfig.priority. */
  private priority: readonly NodeId[] | undefined;
  /** Index of the configuration last logged as in effect. */
  private loggedMembershipIndex: number;
  /** Proposals waiting for commit (acks all), by last index. Bounded by the core's uncommittedEntriesMax. */
  private commitWaiters: Waiter[] = [];
  /** Proposals waiting for the leader's durable append (acks leader). */
  private appendWaiters: Waiter[] = [];
  /** Waits on role, leader, term or transfer changes; one per waiting request or shutdown step, removed when settled. */
  private readonly softWaiters = new Set<SoftStateWaiter>();
  private readonly onFatal: (err: unknown, message: string) => void;
  private readonly onStoreDamaged: ((err: StorageError) => void) | undefined;
  private readonly traceHops: boolean;
  private running = false;
  private closed = false;
  private idle: Promise<void> = Promise.resolve();
  private soft: SoftState;
  private appliedIndex: Index;
  private durableIndex: Index;
  /** Newest hard state not yet written (only its commit index changed); rides along with the next write. */
  private carriedHardState: HardState | undefined;
  /** When the write in flight started (monotonic ms); undefined when none is. */
  private persistStartedMs: number | undefined;
  /** Ticks skipped during the current (or last) write. */
  private stalledTicks = 0;
  private readonly monotonicMs: () => number;
  /** A repair under way (see the file comment): inputs are dropped and proposals refused until it ends. */
  private repairing: Promise<void> | undefined;
  /** Damaged entries found since the runner started. */
  private damagedEntries = 0;
  private readonly onWriteFailed: (err: StorageError) => void;
  private readonly writeRetryBackoffMs: number;
  private readonly writeRetryBackoffMsMax: number;
  private readonly sleepMs: (ms: number) => Promise<void>;
  /** The error of the write being retried; undefined while writes succeed. */
  private writeFailure: StorageError | undefined;
  /** Told when the core quiesces or wakes (watchQuiescence): the broker ticks only groups that are awake. */
  private quiesceListener: ((quiesced: boolean) => void) | undefined;
  /** The core's quiescence as last told to quiesceListener. */
  private toldQuiesced = false;
  /** Told of every peer fault (watchPeerFaults): the broker closes that peer's connection. */
  private peerFaultListener: ((fault: PeerFault) => void) | undefined;
  /** Peer messages refused since the runner started (each restarted the core). */
  private peerFaults = 0;
  /** See GroupRunnerOptions.snapshotEntries. */
  private readonly snapshotEntries: number | undefined;
  private readonly onPersisted: ((tookMs: number, entriesCount: number) => void) | undefined;
  /** No snapshot of our own before this applied index (moved on after a failed write, so one failure does not retry at every loop). */
  private snapshotDueIndex = 0;
  /** Snapshots taken of our own state and written (the log compacted to them) since the runner started. */
  private snapshotsTaken = 0;
  /** Snapshots received from a leader and installed since the runner started. */
  private snapshotsInstalled = 0;

  constructor(opts: GroupRunnerOptions) {
    this.groupId = opts.groupId;
    this.config = opts.config;
    this.random = opts.random;
    this.onStoreDamaged = opts.onStoreDamaged;
    this.traceHops = opts.traceHops === true;
    this.snapshotEntries = opts.snapshotEntries;
    this.onPersisted = opts.onPersisted;
    if (opts.snapshotEntries !== undefined && !(Number.isSafeInteger(opts.snapshotEntries) && opts.snapshotEntries >= 1)) {
      throw new RangeError(`snapshotEntries must be a positive integer, not ${opts.snapshotEntries}`);
    }
    this.storage = opts.storage;
    this.send = opts.send;
    this.sm = opts.stateMachine;
    this.log = opts.logger;
    this.monotonicMs = opts.monotonicMs ?? (() => performance.now());
    this.onFatal = opts.onFatal;
    const wr = opts.writeRetry ?? {};
    this.onWriteFailed = wr.onWriteFailed ?? (() => undefined);
    this.writeRetryBackoffMs = wr.backoffMs ?? STORAGE_DEFAULTS.writeRetryBackoffMs;
    this.writeRetryBackoffMsMax = wr.backoffMsMax ?? STORAGE_DEFAULTS.writeRetryBackoffMsMax;
    this.sleepMs = wr.sleepMs ?? ((ms) => sleep(ms));
    const snap = opts.storage.snapshot();
    if (snap.index > 0 && opts.applied === undefined && this.sm.restore !== undefined) {
      this.sm.restore(snap);
      this.log.info({ index: snap.index, term: snap.term, bytes: snap.data.byteLength, lastIndex: opts.storage.lastIndex() }, "restored state from the stored snapshot; replaying the log after it");
    }
    this.node = new RaftNode(opts.config, opts.storage, opts.random, opts.applied);
    this.loggedMembershipIndex = this.node.membership().index;
    this.soft = this.node.softState();
    if (this.soft.recovering) this.log.info({ term: this.soft.term, lastIndex: opts.storage.lastIndex() }, "recovering after a lost disk: no votes until a leader says we caught up");
    if (this.soft.repairing) this.logRepairing();
    this.appliedIndex = opts.applied ?? snap.index;
    this.durableIndex = opts.storage.lastIndex();
    this.schedule();
  }

  /** Advance the group's clock by one tick (skipped during a stalled write; see PERSIST_STALL_MS). */
  tick(): void {
    if (this.closed || this.repairing) return;
    if (this.persistStartedMs !== undefined && this.monotonicMs() - this.persistStartedMs >= PERSIST_STALL_MS) {
      this.stalledTicks++;
      return;
    }
    this.onDamage(() => this.node.tick());
    this.schedule();
  }

  /**
   * A message from a peer. If the core throws on it (other than on a
   * damaged entry), the message is the sender's fault: see the file comment.
   */
  step(msg: Message): void {
    if (this.closed || this.repairing) return;
    try {
      this.onDamage(() => this.node.step(msg));
    } catch (err) {
      this.onPeerFault(msg.from, `its ${messageTypeName(msg.type)} message broke a rule of the Raft core: ${errorText(err)}`);
      return;
    }
    this.schedule();
  }

  /** Call `listener` at every peer fault of this group (see the file comment). One listener. */
  watchPeerFaults(listener: (fault: PeerFault) => void): void {
    this.peerFaultListener = listener;
  }

  /** Peer messages refused since the runner started. */
  peerFaultCount(): number {
    return this.peerFaults;
  }

  /**
   * Propose entries. Returns where they landed at once (or throws a
   * ProposeError when refused); `done` resolves once they are committed
   * (acks all) or durable on the leader (acks leader).
   */
  propose(proposals: readonly Proposal[], acks: Acks = "all"): Proposed {
    if (this.closed) throw new ProposeError("SHUTTING_DOWN", 0 as NodeId, `group ${this.groupId} is closed`);
    if (this.repairing) throw this.repairingError();
    if (this.traceHops) hopTrace?.("propose");
    const r = this.node.propose(proposals);
    if (!r.ok) throw new ProposeError(r.code, r.leader, r.message);
    const lastIndex = (r.firstIndex + proposals.length - 1) as Index;
    const result: Appended = { firstIndex: r.firstIndex, firstOffset: r.firstOffset, term: r.term };
    const done = new Promise<Appended>((resolve, reject) => {
      const w: Waiter = { index: lastIndex, term: r.term, result, resolve, reject };
      (acks === "all" ? this.commitWaiters : this.appendWaiters).push(w);
    });
    this.schedule();
    return { ...result, done };
  }

  /** Wait until the entry at `index` is durable on this member with `term` (acks leader for a retried batch). */
  waitForAppend(index: Index, term: Term, result: Appended): Promise<Appended> {
    if (index <= this.durableIndex) {
      return this.storage.term(index) === term
        ? Promise.resolve(result)
        : Promise.reject(this.replaced());
    }
    return new Promise((resolve, reject) => this.appendWaiters.push({ index, term, result, resolve, reject }));
  }

  /**
   * Wait until the entry at `index` commits with `term` (for a retried
   * proposal the leader already holds). Rejects when another term wins it.
   */
  waitForCommit(index: Index, term: Term, result: Appended): Promise<Appended> {
    if (index <= this.appliedIndex) {
      return this.storage.term(index) === term || index <= this.storage.snapshot().index
        ? Promise.resolve(result)
        : Promise.reject(this.replaced());
    }
    return new Promise((resolve, reject) => this.commitWaiters.push({ index, term, result, resolve, reject }));
  }

  /**
   * Resolves with the soft state (role, leader, term, transferee) once
   * `until` holds for it: checked now against the core, then at every
   * change the runner takes in (after the Ready that carries it is durable).
   * Resolves undefined when `signal` aborts or the runner closes. The way to
   * wait for a leadership change, instead of polling status().
   */
  waitForSoftState(until: (soft: SoftState) => boolean, signal?: AbortSignal): Promise<SoftState | undefined> {
    const now = this.node.softState();
    if (until(now)) return Promise.resolve(now);
    if (this.closed || signal?.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const onAbort = (): void => settle(undefined);
      const w: SoftStateWaiter = { until, resolve: (s) => settle(s) };
      const settle = (s: SoftState | undefined): void => {
        this.softWaiters.delete(w);
        signal?.removeEventListener("abort", onAbort);
        resolve(s);
      };
      this.softWaiters.add(w);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Never take leadership again (controlled shutdown, a full disk); see RaftNode.setPromotable. */
  drain(): void {
    this.node.setPromotable(false);
    this.schedule();
  }

  /** Seek leadership again after drain() (space returned to a full disk). */
  undrain(): void {
    if (this.closed) return;
    this.node.setPromotable(true);
    this.schedule();
  }

  /**
   * Call `listener` now and whenever the group quiesces or wakes (see
   * RaftNode, "Quiescence"): a quiesced group needs no ticks. One listener.
   */
  watchQuiescence(listener: (quiesced: boolean) => void): void {
    this.quiesceListener = listener;
    this.toldQuiesced = this.node.quiesced();
    listener(this.toldQuiesced);
  }

  /** Whether the group is quiesced: its clock stands still and tick() does nothing. */
  quiesced(): boolean {
    return this.node.quiesced();
  }

  /** The broker's liveness tracker reports member `id`'s broker down (RaftNode.peerDown). */
  peerDown(id: NodeId): void {
    if (this.closed || this.repairing) return;
    this.node.peerDown(id);
    this.schedule();
  }

  /** Member `id`'s broker is live again or (re)connected (RaftNode.peerUp). */
  peerUp(id: NodeId): void {
    if (this.closed || this.repairing) return;
    this.node.peerUp(id);
    this.schedule();
  }

  /** True while a log write of this group fails and is being retried (the group stands still). */
  writeFailing(): boolean {
    return this.writeFailure !== undefined;
  }

  /** Move leadership to `target` (or the most preferred other member). */
  transferLeadership(target?: NodeId): TransferResult {
    if (this.repairing) return { ok: false, code: "NOT_LEADER", leader: NO_NODE, message: this.repairingError().message };
    const r = this.node.transferLeadership(target);
    this.schedule();
    if (r.ok) this.log.info({ target: r.target }, "leadership transfer started");
    return r;
  }

  /**
   * Change the group's voters and learners (leader only; RaftNode.changeMembership,
   * same results). The change is under way once this returns ok; membership()
   * says when it has completed.
   */
  changeMembership(target: { readonly voters: readonly NodeId[]; readonly learners?: readonly NodeId[] }): MembershipChangeResult {
    if (this.repairing) return { ok: false, code: "NOT_LEADER", reason: this.repairingError().message };
    if (this.closed) return { ok: false, code: "NOT_LEADER", reason: `group ${this.groupId} is stopped` };
    const r = this.node.changeMembership(target);
    this.schedule();
    if (r.ok) this.log.info({ index: r.index, voters: target.voters, learners: target.learners ?? [] }, "membership change started");
    return r;
  }

  /** The committed configuration in effect, its index, and whether a change is in flight (RaftNode.membership). */
  membership(): MembershipStatus {
    return this.node.membership();
  }

  /** Voters of the group's configuration in effect (both halves while joint). */
  get voterCount(): number {
    return votersOf(this.node.membership().config).length;
  }

  /** Replace the leader-preference order (RaftNode.setPriority); kept across core restarts. */
  setPriority(priority: readonly NodeId[]): void {
    this.priority = [...priority];
    if (this.closed) return;
    this.node.setPriority(this.priority);
    this.schedule();
  }

  status(): Status {
    return this.node.status();
  }
  /** The offset the next proposal gets (counting entries not yet durable); valid until the next await. */
  nextOffset(): Offset {
    return this.node.nextOffset();
  }
  /** The core's role, leader, term and transfer target right now (cheap; no progress copy); a follower of nobody while repairing. */
  softState(): SoftState {
    const s = this.node.softState();
    return this.repairing ? { ...s, role: Role.Follower, leader: NO_NODE, transferee: NO_NODE } : s;
  }
  isLeader(): boolean {
    return !this.closed && !this.repairing && this.soft.role === Role.Leader;
  }
  /** Still recovering from a lost disk (see RaftConfig.recovering), as of the last durable Ready. */
  recovering(): boolean {
    return this.soft.recovering;
  }
  leader(): NodeId {
    return this.soft.leader;
  }
  /** Behind the promise a repair recorded (HardState.promise), or repairing now. */
  repairingLog(): boolean {
    return this.repairing !== undefined || this.soft.repairing;
  }
  /** Damaged entries found since the runner started (each started a repair). */
  damagedEntryCount(): number {
    return this.damagedEntries;
  }

  /**
   * A read of this group's log found a damaged entry (`err`, CORRUPT_ENTRY):
   * repair it (see the file comment). Idempotent while a repair runs. The
   * caller answers its client with a retriable error.
   */
  reportDamage(err: StorageError): void {
    if (this.closed || this.repairing) return;
    if (this.damagedEntries > 0) {
      // A cut removes every damaged entry of the log and refetches; damage found again is most likely the
      // store's own structure (a B-tree key a cut cannot mend): stop rather than cut and refetch for ever.
      this.damagedEntries++;
      this.log.error(
        { index: err.details.index, log: err.details.log, err: err.message },
        "damaged again after a repair: the store's structure is likely damaged; this group stops here (its peers serve it) until the broker restarts and rebuilds its data directory",
      );
      this.closed = true;
      this.failAll(new ProposeError("SHUTTING_DOWN", NO_NODE, `group ${this.groupId} stopped: its storage is damaged`));
      for (const w of [...this.softWaiters]) w.resolve(undefined);
      this.onStoreDamaged?.(err);
      return;
    }
    this.damagedEntries++;
    const at = toIndex(err.details.index ?? this.storage.firstIndex());
    this.log.error(
      { index: at, log: err.details.log, role: ROLE_NAMES[this.soft.role], term: this.soft.term, lastIndex: this.storage.lastIndex(), err: err.message },
      "damaged entry found: stepping down if leading, cutting the log there and fetching the rest again from the leader",
    );
    this.failAll(this.repairingError());
    this.repairing = this.repair(at);
  }
  /** Highest index applied to the state machine: the commit point everyone can read. */
  applied(): Index {
    return this.appliedIndex;
  }

  /** Stop: fail waiting proposals, let an in-flight persist finish. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new ProposeError("SHUTTING_DOWN", 0 as NodeId, `group ${this.groupId} is closing`));
    for (const w of [...this.softWaiters]) w.resolve(undefined);
    await this.idle;
  }

  /** Tell the quiescence listener of a change (every input ends in schedule(), which calls this). */
  private noteQuiescence(): void {
    const q = this.node.quiesced();
    if (q === this.toldQuiesced) return;
    this.toldQuiesced = q;
    this.log.debug({ quiesced: q, role: ROLE_NAMES[this.node.softState().role] }, q ? "group quiesced" : "group woke");
    this.quiesceListener?.(q);
  }

  private schedule(): void {
    this.noteQuiescence();
    if (this.running || this.closed || this.repairing || !this.node.hasReady()) return;
    this.running = true;
    this.idle = this.loop().catch((err: unknown) => {
      if (err instanceof PeerFaultError && !this.closed) {
        this.onPeerFault(err.peer, `what it sent could not be written: ${errorText(err.cause)}`);
        return;
      }
      // A write refused for a reason other than a full disk or an I/O error (those are
      // retried: persistDurably) is a bug: this group stops at once, and the process too (onFatal).
      this.closed = true;
      this.failAll(new ProposeError("SHUTTING_DOWN", 0 as NodeId, `group ${this.groupId} stopped: its storage failed`));
      for (const w of [...this.softWaiters]) w.resolve(undefined);
      this.onFatal(err, `raft group ${this.groupId}: storage failed`);
    });
  }

  private async loop(): Promise<void> {
    try {
      while (!this.closed && !this.repairing && this.node.hasReady()) {
        const rd = this.onDamage(() => this.node.ready());
        if (rd === undefined) return;
        // The leader's appends leave while it writes its own copy (thesis §10.2.1).
        if (rd.earlyMessages.length > 0) this.send(rd.earlyMessages);
        const update = writeOf(rd, this.carriedHardState);
        // A follower's entries and snapshots come from its leader: a write of them that storage refuses is the leader's fault.
        const source = update !== undefined && (update.entries !== undefined || update.snapshot !== undefined) && this.node.softState().role !== Role.Leader ? this.node.softState().leader : NO_NODE;
        if (rd.snapshot && source !== NO_NODE) {
          try {
            this.sm.checkSnapshot?.(rd.snapshot);
          } catch (err) {
            throw new PeerFaultError(source, err);
          }
        }
        if (update) {
          const startedMs = this.monotonicMs();
          this.persistStartedMs = startedMs;
          this.stalledTicks = 0;
          let persisted: boolean;
          try {
            if (this.traceHops) hopTrace?.("persist.start");
            persisted = await this.persistDurably(update, source);
            if (this.traceHops) hopTrace?.("persist.end");
          } finally {
            this.persistStartedMs = undefined;
          }
          if (!persisted) return; // closed while the write was failing
          const tookMs = this.monotonicMs() - startedMs;
          this.onPersisted?.(tookMs, update.entries?.length ?? 0);
          if (tookMs >= SLOW_PERSIST_WARN_MS) this.log.warn({ tookMs: Math.round(tookMs), entries: update.entries?.length ?? 0, skippedTicks: this.stalledTicks }, "slow log write; the raft clock stood still");
          this.carriedHardState = undefined;
        } else if (rd.hardState) {
          this.carriedHardState = rd.hardState;
        }
        if (rd.hardState?.membershipIndex !== undefined && rd.hardState.membershipIndex !== this.loggedMembershipIndex) {
          this.loggedMembershipIndex = rd.hardState.membershipIndex;
          const m = rd.hardState.membership;
          this.log.info({ index: m === undefined ? undefined : rd.hardState.membershipIndex, voters: m?.voters, votersOutgoing: m?.votersOutgoing, learners: m?.learners }, "group membership changed");
        }
        if (this.closed) return;
        if (rd.messages.length > 0) {
          this.noteVotes(rd.messages);
          this.send(rd.messages);
        }
        if (rd.snapshot) {
          this.sm.restore?.(rd.snapshot);
          this.appliedIndex = rd.snapshot.index;
          this.snapshotsInstalled++;
          this.log.info({ index: rd.snapshot.index, term: rd.snapshot.term, bytes: rd.snapshot.data.byteLength, from: this.node.softState().leader }, "installed snapshot from the leader");
        }
        if (rd.entries.length > 0) {
          this.durableIndex = rd.entries[rd.entries.length - 1]!.index;
          this.sm.appended?.(rd.entries);
          this.resolveAppended();
        }
        if (rd.committed.length > 0) {
          // After a repair the core hands out again what the state machine applied before: committed entries never change.
          const last = rd.committed[rd.committed.length - 1]!.index;
          const fresh = rd.committed[0]!.index > this.appliedIndex ? rd.committed : rd.committed.filter((e) => e.index > this.appliedIndex);
          if (fresh.length > 0 && this.onDamage(() => (this.sm.apply(fresh), true)) === undefined) return;
          this.appliedIndex = toIndex(Math.max(this.appliedIndex, last));
          if (this.traceHops) hopTrace?.("commit");
          this.resolveCommitted(rd.committed);
        }
        // Encoded now, in the same turn as the apply above: the state is exactly that of the last applied entry.
        const own = this.takeSnapshot(rd.committed);
        if (rd.softState) this.onSoftState(rd.softState);
        this.node.advance(rd);
        if (own !== undefined) await this.writeSnapshot(own);
      }
    } finally {
      this.running = false;
    }
    if (!this.closed && !this.repairing && this.node.hasReady()) this.schedule();
  }

  /**
   * A snapshot of the state machine at the last entry just applied, when
   * snapshotEntries entries were applied past the log's snapshot point.
   * Taken at an applied entry only, so never past the commit index; that
   * entry is durable here (a Ready's entries are written before its
   * committed entries are applied), so storage can cut the log at it.
   */
  private takeSnapshot(committed: readonly Entry[]): OwnSnapshot | undefined {
    if (this.snapshotEntries === undefined || this.sm.snapshot === undefined || committed.length === 0) return undefined;
    const last = committed[committed.length - 1]!;
    if (last.index !== this.appliedIndex || last.index < this.snapshotDueIndex) return undefined;
    if (last.index - this.storage.snapshot().index < this.snapshotEntries) return undefined;
    const data = this.sm.snapshot();
    if (data === undefined) {
      this.snapshotDueIndex = last.index + this.snapshotEntries;
      return undefined;
    }
    const snapshot: Snapshot = { index: last.index, term: last.term, offset: toOffset(last.offset + last.count), data };
    // Storage compacts only up to its stored commit index; a commit that only advanced rides along with the next write.
    const hardState = this.storage.hardState().commit < last.index ? this.carriedHardState : undefined;
    return { snapshot, hardState };
  }

  /**
   * Write a snapshot of our own and drop the entries it covers
   * (LogStorage.compact: the snapshot and the new log start in one durable
   * transaction, so a crash leaves either the old log or the snapshot, never
   * neither). The core reads the log start from storage, so it serves
   * followers behind it a Snapshot message from then on. A write failing on
   * a full disk or an I/O error is skipped (warn) and tried again
   * snapshotEntries later: the log simply stays longer meanwhile.
   */
  private async writeSnapshot(own: OwnSnapshot): Promise<void> {
    const snap = own.snapshot;
    const startedMs = this.monotonicMs();
    this.persistStartedMs = startedMs;
    try {
      if (own.hardState !== undefined) {
        await this.storage.persist({ hardState: own.hardState });
        if (this.carriedHardState === own.hardState) this.carriedHardState = undefined;
      }
      if (this.storage.hardState().commit < snap.index) {
        this.log.debug({ index: snap.index, commit: this.storage.hardState().commit }, "snapshot skipped: commit index not yet written");
        return;
      }
      const droppedEntries = snap.index - this.storage.snapshot().index;
      await this.storage.compact({ index: snap.index, term: snap.term, offset: snap.offset }, snap.data);
      this.snapshotsTaken++;
      this.log.info({ index: snap.index, term: snap.term, bytes: snap.data.byteLength, droppedEntries, tookMs: Math.round(this.monotonicMs() - startedMs) }, "took a snapshot and compacted the log");
    } catch (err) {
      if (!isRetriableWriteFailure(err)) throw err;
      this.snapshotDueIndex = snap.index + (this.snapshotEntries ?? 0);
      this.onWriteFailed(err);
      this.log.warn({ index: snap.index, code: err.code, err: err.message, nextTryIndex: this.snapshotDueIndex }, "snapshot write failed; the log keeps its entries until the next try");
    } finally {
      this.persistStartedMs = undefined;
    }
  }

  /** Snapshots of this member's own state written since the runner started (GroupRunnerOptions.snapshotEntries). */
  snapshotsTakenCount(): number {
    return this.snapshotsTaken;
  }

  /** Snapshots received from a leader and installed since the runner started. */
  snapshotsInstalledCount(): number {
    return this.snapshotsInstalled;
  }

  /** Run `fn` against the core or the state machine; a damaged entry it reads starts a repair (undefined then). */
  private onDamage<T>(fn: () => T): T | undefined {
    try {
      return fn();
    } catch (err) {
      if (!isDamagedEntry(err)) throw err;
      this.reportDamage(err);
      return undefined;
    }
  }

  /**
   * Cut the log from the damaged entry `at` and start a new core on it. The
   * old core is dropped as it is (whatever it was doing); a write in flight
   * finishes first. A repair whose write fails is retried; one the log
   * refuses (a bug, or damage below the snapshot point) stops the group,
   * loudly, rather than serve a log it cannot trust.
   */
  private async repair(at: Index): Promise<void> {
    await this.idle;
    try {
      if (!(await repairRetrying(this.storage, at, this.log, () => this.closed))) return;
    } catch (err) {
      this.log.error({ index: at, err: err instanceof Error ? err.message : String(err) }, "cannot repair the damaged log: this group stops here");
      this.closed = true;
      this.failAll(new ProposeError("SHUTTING_DOWN", NO_NODE, `group ${this.groupId} stopped: its log is damaged beyond repair`));
      return;
    }
    const hs = this.storage.hardState();
    this.node = new RaftNode(this.config, this.storage, this.random, toIndex(Math.min(this.appliedIndex, hs.commit)));
    if (this.priority !== undefined) this.node.setPriority(this.priority);
    this.durableIndex = this.storage.lastIndex();
    this.carriedHardState = undefined;
    this.repairing = undefined;
    if (this.voterCount === 1) {
      this.log.error({ from: at, lastIndex: this.storage.lastIndex() }, "the only replica of this group was damaged: entries from the damaged one on are lost");
    }
    this.logRepairing();
    this.onSoftState(this.node.softState());
    this.schedule();
  }

  /**
   * Refuse what `peer` sent (see the file comment): warn, count, tell the
   * listener, fail waiting proposals (retriable), and restart the core on
   * what storage holds once any write in flight has finished.
   */
  private onPeerFault(peer: NodeId, reason: string): void {
    this.peerFaults++;
    this.log.warn({ peer, role: ROLE_NAMES[this.soft.role], term: this.soft.term, reason }, "refused a peer's message: closing that peer's connection and restarting this group's core from storage");
    this.failAll(new ProposeError("NOT_LEADER", NO_NODE, `group ${this.groupId} refused a peer's message and is restarting its Raft core`));
    this.peerFaultListener?.({ peer, group: this.groupId, reason });
    // A repair already under way starts a new core itself.
    if (this.repairing === undefined) this.repairing = this.restartCore();
  }

  /** Drop the core and start a new one on the log as stored (after a peer fault). */
  private async restartCore(): Promise<void> {
    await this.idle;
    if (this.closed) return;
    const hs = this.storage.hardState();
    this.node = new RaftNode(this.config, this.storage, this.random, toIndex(Math.min(this.appliedIndex, hs.commit)));
    if (this.priority !== undefined) this.node.setPriority(this.priority);
    this.durableIndex = this.storage.lastIndex();
    this.carriedHardState = undefined;
    this.repairing = undefined;
    this.onSoftState(this.node.softState());
    this.schedule();
  }

  private logRepairing(): void {
    const hs = this.storage.hardState();
    if (hs.promise === undefined || !this.node.softState().repairing) return;
    this.log.warn(
      { lastIndex: this.storage.lastIndex(), promiseIndex: hs.promise.index, promiseTerm: hs.promise.term },
      "log repaired after a damaged entry: fetching it again from the leader; no campaigns, and votes only for logs that hold what this one held",
    );
  }

  private repairingError(): ProposeError {
    return new ProposeError("NOT_LEADER", NO_NODE, `group ${this.groupId} is repairing a damaged entry`);
  }

  /**
   * Write `update`, trying it again after a back-off for as long as it fails
   * with a full disk or an I/O error (isRetriableWriteFailure): LMDB aborted
   * the failed transaction, so the same write is still the right one. The
   * group waits meanwhile, as on a very slow disk: nothing of it leaves, its
   * Raft clock stands still (PERSIST_STALL_MS), and a leader stuck here
   * sends no heartbeats, so its followers elect another leader. Logs warn
   * once when a run of failures starts and info when a write succeeds again.
   * False when the runner closed before the write succeeded.
   */
  private async persistDurably(update: LogUpdate, source: NodeId): Promise<boolean> {
    let backoffMs = this.writeRetryBackoffMs;
    let tries = 0;
    const startedMs = this.monotonicMs();
    for (;;) {
      try {
        await this.storage.persist(update);
      } catch (err) {
        // Storage refuses an argument before it writes anything (broker/raft/log-validate.ts): nothing of it is on disk.
        if (source !== NO_NODE && err instanceof StorageError && (err.code === "INVALID_ARGUMENT" || err.code === "COMPACTED")) throw new PeerFaultError(source, err);
        if (!isRetriableWriteFailure(err)) throw err;
        if (this.writeFailure === undefined) {
          this.log.warn({ code: err.code, err: err.message, entries: update.entries?.length ?? 0 }, "log write failed; trying the same write again until it succeeds (this group waits)");
        }
        this.writeFailure = err;
        tries++;
        this.onWriteFailed(err);
        if (this.closed) return false;
        await this.sleepMs(backoffMs);
        if (this.closed) return false;
        backoffMs = Math.min(backoffMs * 2, this.writeRetryBackoffMsMax);
        continue;
      }
      if (this.writeFailure !== undefined) {
        this.log.info({ code: this.writeFailure.code, failedTries: tries, failedForMs: Math.round(this.monotonicMs() - startedMs) }, "log write succeeded again");
        this.writeFailure = undefined;
      }
      return true;
    }
  }

  /**
   * Log every real vote this member grants (elections are rare, so this stays
   * quiet; granted pre-votes only at debug), and every vote or pre-vote it
   * refuses while recovering from a lost disk (only during the recovery).
   * The lost-disk test reads these lines.
   */
  private noteVotes(messages: readonly Message[]): void {
    for (const m of messages) {
      if (m.type !== MessageType.VoteResponse && m.type !== MessageType.PreVoteResponse) continue;
      const pre = m.type === MessageType.PreVoteResponse;
      if (m.granted) this.log[pre ? "debug" : "info"]({ candidate: m.to, term: m.term, preVote: pre }, "vote granted");
      else if (this.node.softState().recovering) this.log.info({ candidate: m.to, term: m.term, preVote: pre }, "vote refused: recovering after a lost disk");
    }
  }

  private resolveAppended(): void {
    if (this.appendWaiters.length === 0) return;
    const keep: Waiter[] = [];
    for (const w of this.appendWaiters) {
      if (w.index > this.durableIndex) keep.push(w);
      else if (this.storage.term(w.index) === w.term) w.resolve(w.result);
      else w.reject(this.replaced());
    }
    this.appendWaiters = keep;
  }

  private resolveCommitted(committed: readonly Entry[]): void {
    const last = committed[committed.length - 1]!.index;
    const first = committed[0]!.index;
    const keep: Waiter[] = [];
    for (const w of this.commitWaiters) {
      if (w.index > last) {
        keep.push(w);
        continue;
      }
      const e = w.index >= first ? committed[w.index - first] : undefined;
      const t = e ? e.term : this.storage.term(w.index);
      if (t === w.term) w.resolve(w.result);
      else w.reject(this.replaced());
    }
    this.commitWaiters = keep;
  }

  private onSoftState(s: SoftState): void {
    const prev = this.soft;
    this.soft = s;
    if (s.role !== prev.role || s.leader !== prev.leader || s.term !== prev.term) {
      this.log.info({ role: ROLE_NAMES[s.role], term: s.term, leader: s.leader }, "raft state changed");
    }
    if (prev.recovering && !s.recovering) this.log.info({ term: s.term, leader: s.leader }, "caught up after a lost disk: voting again");
    if (prev.repairing && !s.repairing) this.log.info({ term: s.term, leader: s.leader, lastIndex: this.storage.lastIndex() }, "damaged log repaired: it holds what it held before again");
    if (s.transferee !== prev.transferee) {
      this.log.info({ transferee: s.transferee, term: s.term }, s.transferee ? "leadership transfer in progress" : "leadership transfer ended");
    }
    if (prev.role === Role.Leader && s.role !== Role.Leader) {
      // Retriable for clients; an idempotent retry lands exactly once.
      this.failAll(new ProposeError("NOT_LEADER", s.leader, "leadership changed before the entry was acknowledged"));
    }
    this.sm.roleChanged?.(s);
    for (const w of [...this.softWaiters]) if (w.until(s)) w.resolve(s);
  }

  /** A waited-for entry was overwritten by a newer leader's log: retriable for the client. */
  private replaced(): ProposeError {
    return new ProposeError("NOT_LEADER", this.soft.leader, "the entry was replaced by a newer leader");
  }

  private failAll(err: ProposeError): void {
    for (const w of [...this.commitWaiters, ...this.appendWaiters]) w.reject(err);
    this.commitWaiters = [];
    this.appendWaiters = [];
  }
}

/** A message type's name for logs. */
function messageTypeName(type: number): string {
  return Object.entries(MessageType).find(([, v]) => v === type)?.[0] ?? `type ${type}`;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
