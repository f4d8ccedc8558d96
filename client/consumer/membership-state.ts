/**
 * A group member's membership decisions, as a pure state machine: join ->
 * sync -> take the assignment -> heartbeat every heartbeatIntervalMs ->
 * (rebalance: revoke -> join again) -> stop: revoke -> leave. Events in
 * (an operation's outcome, a timer, a rejected commit, stop), commands out
 * (join, sync, assign, heartbeat, revoke, leave, start a timer, fail).
 * No timers, sockets, clocks or Math.random here: the time comes with every
 * event and the jitter from the random source handed in, so a seed replays
 * a whole run (test/client/membership-sim.test.ts). group-consumer.ts is the
 * shell that performs the operations (requests through the client's one
 * Retrier, fetchers, the application's callbacks) and feeds back outcomes.
 *
 * One operation is outstanding at a time (the op commands: join, sync,
 * assign, heartbeat, revoke, leave, timer); the phase names it:
 *
 *     Idle --start--> Joining --ok--> Syncing --ok--> Assigning --ok--> Stable <--> Heartbeating
 *                       ^  |            |                |                 |             |
 *                       |  +------------+----------------+--- rebalance ---+-------------+
 *                       |                 (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION,
 *                       |                  UNKNOWN_MEMBER: forget the member id; a commit
 *                       |                  rejected for this generation)
 *                       +---- Revoking <--+   (Rebalancing: a heartbeat still in flight first)
 *                       +---- Backoff <------ a request whose retries ran out (retriable)
 *     any --stop--> Stopping (the operation in flight ends) --> Revoking --> Leaving --> Stopped
 *     any --non-retriable error--> Failed (stop still revokes and leaves)
 *
 * Lease: records may be handed out only in Stable or Heartbeating and before
 * leaseEndMs = the send time of the last sync or heartbeat answered "fine" +
 * sessionTimeoutMs. The coordinator removes a member only after that long
 * without such a heartbeat (and REBALANCE_IN_PROGRESS answers extend nothing
 * on either side), so no partition is handed out by two generations at once.
 *
 * Retries: each request is retried by the client's one Retrier in the
 * shell, bounded by the retry options (retriesMax, totalTimeoutMs). When it
 * gives up on a retriable error (the coordinator stayed away that long), the
 * member revokes what it holds and joins again after a backoff (Backoff), so
 * a running consumer rides out any coordinator outage, as documented, with
 * every request bounded.
 */
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import type { TopicPartitions } from "../../broker/protocol/results.js";
import { backoffMs, isRetriableError, type RetryOptions } from "../retry/retry-options.js";

/** Where the member is; see the file comment. Not stored or sent. */
export enum MemberPhase {
  /** Not started (before run() or records()). */
  Idle = "idle",
  /** joinGroup in flight. */
  Joining = "joining",
  /** syncGroup in flight. */
  Syncing = "syncing",
  /** Taking the assignment: committed offsets, fetchers, onAssigned. */
  Assigning = "assigning",
  /** Holding an assignment; the timer to the next heartbeat runs. */
  Stable = "stable",
  /** Holding an assignment; a heartbeat is in flight. */
  Heartbeating = "heartbeating",
  /** Must rejoin, but a heartbeat is still in flight: its answer is ignored, then Revoking. */
  Rebalancing = "rebalancing",
  /** Giving up the assignment (handler finishes, onRevoked, commit, fetchers stop) before joining again or leaving. */
  Revoking = "revoking",
  /** A request's retries ran out on a retriable error: waiting before joining again. */
  Backoff = "backoff",
  /** stop(): the operation in flight (aborted by the shell) ends, then Revoking and Leaving. */
  Stopping = "stopping",
  /** leaveGroup in flight. */
  Leaving = "leaving",
  /** Done. Terminal. */
  Stopped = "stopped",
  /** A non-retriable error ended the membership; stop() still revokes and leaves. */
  Failed = "failed",
}

/** What the membership depends on. */
export interface MembershipConfig {
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** The client's retry settings (the backoff after a request gave up). */
  readonly retry: RetryOptions;
}

/** What happens to the member, with the time it happens at. */
export type MemberEvent =
  /** run() or records() began: join. */
  | { readonly type: "start" }
  | { readonly type: "joined"; readonly memberId: string; readonly generation: number }
  | { readonly type: "joinFailed"; readonly error: unknown }
  /** `sentAtMs`: when the syncGroup that was answered was sent (the lease counts from it). */
  | { readonly type: "synced"; readonly assignment: readonly TopicPartitions[]; readonly sentAtMs: number }
  | { readonly type: "syncFailed"; readonly error: unknown }
  | { readonly type: "assigned" }
  | { readonly type: "assignFailed"; readonly error: unknown }
  | { readonly type: "timerFired" }
  /** `sentAtMs`: when the heartbeat answered "fine" was sent. */
  | { readonly type: "heartbeatOk"; readonly sentAtMs: number }
  | { readonly type: "heartbeatFailed"; readonly error: unknown }
  | { readonly type: "revoked" }
  | { readonly type: "left" }
  /** A commit of `generation` was refused with ILLEGAL_GENERATION or UNKNOWN_MEMBER. */
  | { readonly type: "commitRejected"; readonly generation: number; readonly error: RlogError }
  /** stop(): the shell has aborted the operation in flight (if any). */
  | { readonly type: "stop" };

/** What the shell must do. Op commands start the one outstanding operation. */
export type MemberCommand =
  | { readonly type: "join"; readonly memberId: string }
  | { readonly type: "sync"; readonly memberId: string; readonly generation: number }
  | { readonly type: "assign"; readonly assignment: readonly TopicPartitions[] }
  | { readonly type: "heartbeat"; readonly memberId: string; readonly generation: number }
  | { readonly type: "revoke" }
  | { readonly type: "leave"; readonly memberId: string }
  /** Answer timerFired after delayMs (or at once when stop() aborts it). */
  | { readonly type: "startTimer"; readonly delayMs: number }
  /** Drop the running timer: it will not fire. */
  | { readonly type: "cancelTimer" }
  /** Whether records may be handed out changed (wake the dispatch loop). */
  | { readonly type: "notify" }
  | { readonly type: "log"; readonly level: "debug" | "info" | "warn" | "error"; readonly message: string; readonly error?: unknown }
  /** The membership failed for good: run() and records() throw `error`. */
  | { readonly type: "fail"; readonly error: unknown }
  /** Stopped: stop() may resolve. */
  | { readonly type: "stopped" };

/** The commands that start an operation. */
export const OP_COMMANDS: ReadonlySet<MemberCommand["type"]> = new Set(["join", "sync", "assign", "heartbeat", "revoke", "leave", "startTimer"]);

/** Wait before the next heartbeat after a retriable failure (coordinator moving). */
export const HEARTBEAT_RETRY_MS = 200;

/** A broken invariant of the membership: a bug. */
export class MembershipInvariantError extends Error {
  override readonly name = "MembershipInvariantError";
}

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new MembershipInvariantError(`group membership: ${what}`);
}

const REJOIN_CODES: ReadonlySet<number> = new Set([ErrorCode.REBALANCE_IN_PROGRESS, ErrorCode.ILLEGAL_GENERATION, ErrorCode.UNKNOWN_MEMBER]);

/** One member's membership decisions; see the file comment. */
export class MembershipState {
  private phaseNow = MemberPhase.Idle;
  private member = "";
  private gen = 0;
  /** Time until which records may be handed out (see the lease in the file comment). */
  private leaseEndMs = 0;
  /** The member holds an assignment taken (or being taken) and not yet revoked. */
  private holding = false;
  /** A generation whose commit or heartbeat was refused: it is never offered for commits again. */
  private staleGeneration = -1;
  /** Request rounds in a row whose retries ran out (the backoff grows with them). */
  private exhaustedRounds = 0;
  private out: MemberCommand[] = [];
  private nowMs = 0;

  /**
   * @param config session, heartbeat and retry settings
   * @param random jitter source in [0, 1): the client's in the SDK, seeded in tests
   */
  constructor(
    readonly config: MembershipConfig,
    private readonly random: () => number,
  ) {}

  /** The current phase. */
  get phase(): MemberPhase {
    return this.phaseNow;
  }

  /** The member id the coordinator gave ("" before the first join and after UNKNOWN_MEMBER). */
  get memberId(): string {
    return this.member;
  }

  /** The generation of the current (or last) assignment, 0 before the first. */
  get generation(): number {
    return this.gen;
  }

  /** Whether the member holds an assignment (taken or being taken, not yet revoked). */
  get isHolding(): boolean {
    return this.holding;
  }

  /** Whether records may be handed out at `nowMs`: holding a current assignment within its lease. */
  mayDispatch(nowMs: number): boolean {
    return (this.phaseNow === MemberPhase.Stable || this.phaseNow === MemberPhase.Heartbeating) && nowMs < this.leaseEndMs;
  }

  /** The lease end (see the file comment). */
  get leaseEnd(): number {
    return this.leaseEndMs;
  }

  /** Whether the periodic commit should run now (a stable assignment). */
  get mayAutoCommit(): boolean {
    return this.phaseNow === MemberPhase.Stable || this.phaseNow === MemberPhase.Heartbeating;
  }

  /**
   * The member id and generation to commit under, or the error a commit
   * would get now: UNKNOWN_MEMBER without a member id, ILLEGAL_GENERATION
   * when this generation was refused already (the member is rejoining).
   */
  commitIdentity(): { readonly memberId: string; readonly generation: number } | RlogError {
    if (this.member === "") return new RlogError("UNKNOWN_MEMBER", "this consumer is not a member of the group now (it is rejoining)");
    if (this.gen === this.staleGeneration) return new RlogError("ILLEGAL_GENERATION", `generation ${this.gen} is over (the member is rejoining)`);
    return { memberId: this.member, generation: this.gen };
  }

  /** Apply one event at time `nowMs`; returns the commands to run, in order. */
  step(event: MemberEvent, nowMs: number): MemberCommand[] {
    this.nowMs = nowMs;
    this.out = [];
    if (event.type === "stop") this.onStop();
    else if (event.type === "commitRejected") this.onCommitRejected(event.generation, event.error);
    else if (this.phaseNow === MemberPhase.Stopping || this.phaseNow === MemberPhase.Leaving) this.afterStopping(event);
    else this.onOutcome(event);
    return this.out;
  }

  // ------------------------------------------------------------ outcomes

  private onOutcome(event: MemberEvent): void {
    const p = this.phaseNow;
    switch (event.type) {
      case "start":
        check(p === MemberPhase.Idle, `start in phase ${p}`);
        this.join();
        return;
      case "joined":
        this.expect(MemberPhase.Joining, event.type);
        this.member = event.memberId;
        this.gen = event.generation;
        this.phaseNow = MemberPhase.Syncing;
        this.out.push({ type: "sync", memberId: this.member, generation: this.gen });
        return;
      case "joinFailed":
        this.expect(MemberPhase.Joining, event.type);
        this.onRequestFailed(event.error, "joinGroup");
        return;
      case "synced":
        this.expect(MemberPhase.Syncing, event.type);
        this.leaseEndMs = event.sentAtMs + this.config.sessionTimeoutMs;
        this.holding = true;
        this.phaseNow = MemberPhase.Assigning;
        this.out.push({ type: "assign", assignment: event.assignment });
        return;
      case "syncFailed":
        this.expect(MemberPhase.Syncing, event.type);
        this.onRequestFailed(event.error, "syncGroup");
        return;
      case "assigned":
        this.expect(MemberPhase.Assigning, event.type);
        this.exhaustedRounds = 0;
        this.phaseNow = MemberPhase.Stable;
        this.out.push({ type: "notify" });
        this.out.push({ type: "log", level: "info", message: "joined the group" });
        this.out.push({ type: "startTimer", delayMs: this.config.heartbeatIntervalMs });
        return;
      case "assignFailed":
        this.expect(MemberPhase.Assigning, event.type);
        this.onRequestFailed(event.error, "taking the assignment");
        return;
      case "timerFired":
        if (p === MemberPhase.Backoff) {
          this.join();
          return;
        }
        this.expect(MemberPhase.Stable, event.type);
        this.phaseNow = MemberPhase.Heartbeating;
        this.out.push({ type: "heartbeat", memberId: this.member, generation: this.gen });
        return;
      case "heartbeatOk":
        if (p === MemberPhase.Rebalancing) {
          this.revoke();
          return;
        }
        this.expect(MemberPhase.Heartbeating, event.type);
        this.leaseEndMs = event.sentAtMs + this.config.sessionTimeoutMs;
        this.phaseNow = MemberPhase.Stable;
        this.out.push({ type: "notify" });
        this.out.push({ type: "startTimer", delayMs: this.config.heartbeatIntervalMs });
        return;
      case "heartbeatFailed":
        if (p === MemberPhase.Rebalancing) {
          this.revoke();
          return;
        }
        this.expect(MemberPhase.Heartbeating, event.type);
        this.onHeartbeatFailed(event.error);
        return;
      case "revoked":
        this.expect(MemberPhase.Revoking, event.type);
        this.holding = false;
        this.join();
        return;
      case "left":
      case "stop":
      case "commitRejected":
        check(false, `${event.type} in phase ${p}`);
    }
  }

  private expect(phase: MemberPhase, what: string): void {
    check(this.phaseNow === phase, `${what} in phase ${this.phaseNow}, expected ${phase}`);
  }

  private join(): void {
    this.phaseNow = MemberPhase.Joining;
    this.out.push({ type: "join", memberId: this.member });
  }

  /** Give up what the member holds (if anything), then join again. */
  private revoke(): void {
    this.phaseNow = MemberPhase.Revoking;
    this.out.push({ type: "notify" });
    this.out.push({ type: "revoke" });
  }

  /** A join, sync or assignment step failed (after the Retrier's retries). */
  private onRequestFailed(error: unknown, what: string): void {
    if (error instanceof RlogError && REJOIN_CODES.has(error.code)) {
      if (error.code === ErrorCode.UNKNOWN_MEMBER) this.member = "";
      if (error.code !== ErrorCode.REBALANCE_IN_PROGRESS) this.staleGeneration = this.gen;
      this.revoke(); // nothing held after a failed join or sync: the shell's revoke returns at once
      return;
    }
    if (isRetriableError(error)) {
      // The Retrier gave up: the coordinator stayed away for totalTimeoutMs. Join again after a pause.
      this.exhaustedRounds++;
      const delayMs = backoffMs(this.exhaustedRounds, this.config.retry, this.random());
      this.out.push({ type: "log", level: "warn", message: `${what} failed after retries; joining again in ${delayMs} ms`, error });
      if (this.holding) {
        this.revoke(); // give up what was half taken; the join follows the revoke
        return;
      }
      this.phaseNow = MemberPhase.Backoff;
      this.out.push({ type: "startTimer", delayMs });
      return;
    }
    this.fail(error);
  }

  private onHeartbeatFailed(error: unknown): void {
    if (error instanceof RlogError && REJOIN_CODES.has(error.code)) {
      if (error.code === ErrorCode.UNKNOWN_MEMBER) this.member = "";
      if (error.code !== ErrorCode.REBALANCE_IN_PROGRESS) this.staleGeneration = this.gen;
      this.out.push({ type: "log", level: "info", message: "rebalancing", error });
      this.revoke();
      return;
    }
    if (isRetriableError(error)) {
      this.out.push({ type: "log", level: "debug", message: "heartbeat failed; retrying", error });
      this.phaseNow = MemberPhase.Stable;
      this.out.push({ type: "startTimer", delayMs: Math.min(HEARTBEAT_RETRY_MS, this.config.heartbeatIntervalMs) });
      return;
    }
    this.fail(error);
  }

  private onCommitRejected(generation: number, error: RlogError): void {
    if (generation !== this.gen) return; // an older generation's commit: the member moved on already
    this.staleGeneration = generation;
    if (this.phaseNow === MemberPhase.Stable) {
      this.out.push({ type: "cancelTimer" });
      this.revoke();
    } else if (this.phaseNow === MemberPhase.Heartbeating) {
      this.phaseNow = MemberPhase.Rebalancing;
      this.out.push({ type: "notify" });
    }
    // Joining, Syncing, Assigning: the generation is being replaced anyway. Revoking, Stopping, ...: nothing to change.
  }

  private fail(error: unknown): void {
    this.phaseNow = MemberPhase.Failed;
    this.out.push({ type: "notify" });
    this.out.push({ type: "log", level: "error", message: "group membership failed", error });
    this.out.push({ type: "fail", error });
  }

  // ------------------------------------------------------------ stop

  private onStop(): void {
    const p = this.phaseNow;
    if (p === MemberPhase.Stopping || p === MemberPhase.Leaving || p === MemberPhase.Stopped) return;
    this.phaseNow = MemberPhase.Stopping;
    this.out.push({ type: "notify" });
    // Idle and Failed have nothing in flight; otherwise the operation in flight (aborted by the shell) ends first.
    if (p === MemberPhase.Idle || p === MemberPhase.Failed) this.finishStop();
  }

  /** Stopping or Leaving: an operation ended. */
  private afterStopping(event: MemberEvent): void {
    switch (event.type) {
      case "joined":
        // Joined just before the abort: leave under that id.
        this.member = event.memberId;
        this.gen = event.generation;
        break;
      case "joinFailed":
      case "syncFailed":
      case "heartbeatFailed":
      case "assignFailed":
        if (event.error instanceof RlogError && event.error.code === ErrorCode.UNKNOWN_MEMBER) this.member = "";
        break;
      case "revoked":
        this.holding = false;
        break;
      case "left":
        this.phaseNow = MemberPhase.Stopped;
        this.out.push({ type: "stopped" });
        return;
      default:
        break;
    }
    check(this.phaseNow === MemberPhase.Stopping, `${event.type} in phase ${this.phaseNow}`);
    this.finishStop();
  }

  /** In Stopping, with nothing in flight: revoke if holding, then leave if a member, then stopped. */
  private finishStop(): void {
    if (this.holding) {
      this.out.push({ type: "revoke" });
      return;
    }
    if (this.member !== "") {
      this.phaseNow = MemberPhase.Leaving;
      this.out.push({ type: "leave", memberId: this.member });
      return;
    }
    this.phaseNow = MemberPhase.Stopped;
    this.out.push({ type: "stopped" });
  }
}
