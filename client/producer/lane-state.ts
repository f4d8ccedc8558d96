/**
 * The decisions of one partition's send lane, as a pure state machine:
 * events in (records appended, linger over, a send answered, a pause over,
 * a producer id received, fenced), commands out (send batch N, start the
 * linger timer, settle batch N, pause, fetch a producer id, ...). No timers,
 * sockets, clocks or Math.random here: the time comes with every event and
 * the jitter from the random source handed in, so a seed replays a whole run
 * (test/client/lane-sim.test.ts). partition-lane.ts is the shell that runs
 * the commands with real timers and connections and feeds the outcomes back.
 *
 * Phases (LanePhase), one at a time:
 *
 *     Sending --retriable failure--> Draining --nothing in flight--> Pausing --pause over--> Probing
 *        ^                              ^  |                                                   |
 *        |                              |  +--head waits only for earlier batches (OOS)--+      |
 *        |                              +------------- a failure --------------------+   v      v
 *        +--<-- every failed batch resent (and, without idempotence, answered) ---- Resending <-+ (probe written,
 *                                                                                                or sent to a new leader)
 *     Sending --needs a producer id--> AwaitingSession --id or error--> Sending
 *     any --PRODUCER_FENCED--> Fenced (terminal)
 *
 * Ordering under retries (the choice, and why it is enough):
 * - A batch gets its sequence numbers (idempotence stamp) when first sent,
 *   in batch order, and keeps them for every retry, so the broker drops a
 *   resend of a batch it already holds and answers with the original offsets.
 * - On a retriable error the lane enters recovery (Draining): it sends
 *   nothing new, waits until every batch in flight has settled, then resends
 *   the earliest failed batch alone (Probing), after a pause (Pausing; none
 *   after a leader hint naming another broker; after a lost connection or
 *   NOT_LEADER, until the metadata names a new leader). Once a batch sent
 *   since the last failure is written, or right behind the first resend when
 *   that goes to a leader just learnt (idempotent only), the other failed
 *   batches are resent at once in sequence order (Resending: pipelined when
 *   idempotent, one at a time otherwise), and then new batches follow. A
 *   failure during that restarts the round. A later batch can thus never be
 *   written before an earlier failed one is: with idempotence the broker
 *   refuses a batch whose predecessor is missing (OUT_OF_ORDER_SEQUENCE,
 *   treated here as "retry after the earlier batch" while an earlier batch
 *   is still pending; such a batch needs no pause once those are written),
 *   and the lane resends in order. With acks "all", an OUT_OF_ORDER_SEQUENCE
 *   while no earlier batch is pending and none has failed (every one before
 *   it was acknowledged, so committed) cannot be a gap: the broker that answered
 *   lacks committed batches, so it is not the partition's leader (an old
 *   leader that has not learnt it was deposed, reached through lagging
 *   metadata or a hint) or its producer state is behind. Such a batch is
 *   retried like a leader change: routing corrected, a pause until the
 *   metadata names another leader (at most the leader-change pause), not
 *   counted against retriesMax, bounded by its deadline. Without
 *   idempotence a later batch that was already in flight may be written
 *   before a resent earlier one (as in Kafka); use inflightRequestsMax 1 to
 *   rule that out.
 * - A batch fails for good on a non-retriable error, after retriesMax
 *   counted failures (leader changes, waits for an earlier batch and a
 *   broker behind do not count, unless retriesMax is 0), or past its
 *   deadline (creation + retry.totalTimeoutMs). If it was stamped, the
 *   partition's sequence may now have a gap (the broker may or may not hold
 *   it; SequenceState.Gap): every other stamped batch still pending fails too, and once nothing is in flight the lane takes a fresh
 *   producer id before sending the batches that were never sent.
 * - Every batch is settled exactly once (succeed or fail): none is dropped.
 *   After PRODUCER_FENCED, a batch still in flight settles when it answers
 *   (written, or failed with the fencing error).
 *
 * Invariants (asserted after every step): at most inflightRequestsMax
 * batches in flight (1 until the first batch under a producer id is
 * acknowledged); nothing in flight while Pausing or AwaitingSession; the
 * retry list in serial order; every unsettled batch in exactly one place
 * (open, ready, in flight, retrying, pausing).
 */
import type { Acks } from "../../broker/protocol/enums.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { awaitsNewLeader, countsAgainstRetries, isRetriableError, retryDelayMs, type RetryOptions } from "../retry/retry-options.js";

/** Where the lane is; see the file comment. Not stored or sent. */
export enum LanePhase {
  /** Sending ready batches in order, up to the in-flight bound. */
  Sending = "sending",
  /** A retriable failure: nothing new goes out until every batch in flight has settled. */
  Draining = "draining",
  /** The earliest failed batch waits out its pause before it is resent alone. */
  Pausing = "pausing",
  /** That batch was resent alone; its answer decides whether the route works again. */
  Probing = "probing",
  /** The route works: the other failed batches go out in sequence order, then new ones. */
  Resending = "resending",
  /** Waiting for a producer id (the shared one, or a fresh one after a gap or exhaustion). */
  AwaitingSession = "awaiting-session",
  /** PRODUCER_FENCED: every pending and later record fails. Terminal. */
  Fenced = "fenced",
}

/** The lane's sequence continuity under its producer id (idempotent lanes only). */
export enum SequenceState {
  /** No producer id yet. */
  None = "none",
  /** Sequences follow on from the last stamped batch. */
  Continuous = "continuous",
  /** A stamped batch failed for good: the broker may or may not hold it. A fresh id is needed. */
  Gap = "gap",
  /** The next batch would pass the sequence limit. A fresh id is needed. */
  Exhausted = "exhausted",
}

/** Producer id, epoch and first sequence of a batch. */
export interface BatchStamp {
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** What the lane's decisions depend on (fixed for its life). */
export interface LaneConfig {
  readonly idempotent: boolean;
  /**
   * The produce requests' acks. With "all" an acknowledged batch is
   * committed, so every later leader holds it; with "leader" it may be lost
   * on a leader change, and an OUT_OF_ORDER_SEQUENCE after it may be a real gap.
   */
  readonly acks: Acks;
  /** Batches in flight at most (at most 5 when idempotent). */
  readonly inflightRequestsMax: number;
  readonly batchBytesMax: number;
  readonly batchRecordsMax: number;
  /** The produce request's timeoutMs (how long the broker may wait for the commit). */
  readonly ackTimeoutMs: number;
  /** The connection's request timeout, added to ackTimeoutMs for a send's own timeout. */
  readonly requestTimeoutMs: number;
  readonly retry: RetryOptions;
  /** The largest sequence number (FIXED_LIMITS.sequenceMax; smaller in tests). */
  readonly sequenceMax: number;
}

/** The decision state of one batch (its records and promises stay in the shell). */
export interface LaneBatch {
  /** Creation order within the partition (= sequence order). */
  readonly serial: number;
  /** Time after which it is not sent again (creation + retry.totalTimeoutMs). */
  readonly deadlineMs: number;
  recordCount: number;
  /** Estimated size in a produce request. */
  requestBytes: number;
  /** Set at the first send and kept for every retry. */
  stamp: BatchStamp | undefined;
  /** Sends so far. */
  attempts: number;
  /** Failures that use up one of retry.retriesMax. */
  countedFailures: number;
  /** The lane's failure count when last sent: a success tells whether the route works since the last failure. */
  sentAtFailureCount: number;
  /** The last retriable failure, reported if the batch fails for good. */
  lastError: RlogError | undefined;
  /** Resend without a pause (a leader hint named another broker). */
  retryNow: boolean;
  /**
   * How the last OUT_OF_ORDER_SEQUENCE is read (None for any other failure):
   * WaitsForEarlier, resent without a pause once the batches before it are
   * written; BrokerBehind, resent after a leader-change pause.
   */
  outOfOrder: OutOfOrder;
}

/** What an OUT_OF_ORDER_SEQUENCE for a batch means, from what the lane knows; see the file comment. Not stored or sent. */
export enum OutOfOrder {
  /** The last failure was not OUT_OF_ORDER_SEQUENCE. */
  None = "none",
  /** An earlier batch was still pending: it was missing at the broker and is (re)sent first. */
  WaitsForEarlier = "waits-for-earlier",
  /** Every earlier batch was acknowledged: the broker that answered lacks committed batches (not the leader, or behind). */
  BrokerBehind = "broker-behind",
}

/** What happens to the lane, with the time it happens at. */
export type LaneEvent =
  /** A record of `bytes` (buffer bytes; `requestBytes` with its overhead) is appended. */
  | { readonly type: "append"; readonly bytes: number; readonly requestBytes: number }
  /** The linger of batch `serial` ran out. */
  | { readonly type: "lingerExpired"; readonly serial: number }
  /** Close the open batch now (flush). */
  | { readonly type: "flush" }
  | { readonly type: "sendSucceeded"; readonly serial: number; readonly baseOffset: number }
  | { readonly type: "sendFailed"; readonly serial: number; readonly error: unknown }
  /** The answer to correctRoute: how the routing was corrected. */
  | { readonly type: "routeCorrected"; readonly serial: number; readonly action: "now" | "backoff" }
  /** The answer to correctRoute: the routing says stop (e.g. a second UNKNOWN_TOPIC). */
  | { readonly type: "routeRefused"; readonly serial: number; readonly error: unknown }
  /** A pause ended; `newLeader`: the metadata names a leader learnt since the failure. */
  | { readonly type: "pauseEnded"; readonly serial: number; readonly newLeader: boolean }
  | { readonly type: "sessionReady"; readonly producerId: number; readonly producerEpoch: number }
  | { readonly type: "sessionFailed"; readonly error: unknown }
  /** The producer is fenced (here or on another lane): fail everything. */
  | { readonly type: "fenced"; readonly error: RlogError };

/** What the shell must do, in order. */
export type LaneCommand =
  /** Put the appended record in batch `serial` (a new batch the first time). */
  | { readonly type: "addRecord"; readonly serial: number }
  /** The appended record is refused (the lane is fenced): release its bytes, reject it. */
  | { readonly type: "refuseRecord"; readonly error: RlogError }
  /** Close batch `serial` after lingerMs (0: at the end of the event-loop turn). */
  | { readonly type: "startLinger"; readonly serial: number }
  | { readonly type: "cancelLinger" }
  /** A batch closed (the sticky partitioner moves on). */
  | { readonly type: "batchClosed"; readonly serial: number }
  /** Send batch `serial` to the leader, with `stamp` when idempotent; answer sendSucceeded or sendFailed. */
  | { readonly type: "send"; readonly serial: number; readonly stamp: BatchStamp | undefined; readonly timeoutMs: number }
  /**
   * Correct routing for this retriable error (or an OUT_OF_ORDER_SEQUENCE from
   * a broker that is behind) now, synchronously; answer routeCorrected or routeRefused.
   */
  | { readonly type: "correctRoute"; readonly serial: number; readonly error: RlogError }
  /** The batch will be retried (for the log). */
  | { readonly type: "willRetry"; readonly serial: number; readonly error: RlogError; readonly attempt: number }
  /**
   * Wait before resending batch `serial`: "none" (answer at once, newLeader
   * true), "sleep" delayMs, or "leaderChange": at most delayMs, until the
   * metadata names a leader other than the one that failed. Answer pauseEnded.
   */
  | { readonly type: "pause"; readonly serial: number; readonly kind: "none" | "sleep" | "leaderChange"; readonly delayMs: number }
  /** Get a producer id (the shared one, or a fresh one); answer sessionReady or sessionFailed. */
  | { readonly type: "fetchSession"; readonly kind: "shared" | "fresh" }
  | { readonly type: "succeed"; readonly serial: number; readonly baseOffset: number }
  | { readonly type: "fail"; readonly serial: number; readonly error: unknown }
  /** PRODUCER_FENCED: the whole producer must stop. */
  | { readonly type: "fatal"; readonly error: RlogError };

/** The lane's producer id and next sequence number. */
interface LaneSession {
  readonly producerId: number;
  readonly producerEpoch: number;
  nextSequence: number;
  /**
   * Whether a batch under this id was acknowledged. Until one is, the lane
   * sends one batch at a time: a broker that takes any first sequence from
   * an id it does not know could otherwise write batch 2 before batch 1.
   */
  confirmed: boolean;
}

/** A broken invariant of the lane: a bug. */
export class LaneInvariantError extends Error {
  override readonly name = "LaneInvariantError";
}

function check(ok: boolean, what: string): asserts ok {
  if (!ok) throw new LaneInvariantError(`partition lane: ${what}`);
}

/** One partition's send decisions; see the file comment. */
export class LaneState {
  private phaseNow = LanePhase.Sending;
  private sequence = SequenceState.None;
  private open: LaneBatch | undefined;
  /** Closed batches not yet sent, in order. Bounded by the producer's buffer budget. */
  private readonly ready: LaneBatch[] = [];
  private readonly inflight = new Map<number, LaneBatch>();
  /** Batches that failed retriably, in serial (= sequence) order. */
  private readonly retrying: LaneBatch[] = [];
  /** The batch waiting out its pause (Pausing, or Fenced with a pause still running). */
  private pausing: LaneBatch | undefined;
  /** A fetchSession is outstanding. */
  private sessionFetching = false;
  /** A failed batch whose correctRoute is being answered. */
  private routing: { readonly batch: LaneBatch; readonly error: RlogError } | undefined;
  /** Failures that started or restarted recovery; a batch notes the count when sent. */
  private failureCount = 0;
  private session: LaneSession | undefined;
  private serial = 0;
  private fatal: RlogError | undefined;
  private out: LaneCommand[] = [];
  private nowMs = 0;

  /**
   * @param config the lane's settings
   * @param random jitter source in [0, 1): Math.random in the SDK, seeded in tests
   */
  constructor(
    readonly config: LaneConfig,
    private readonly random: () => number,
  ) {}

  /** The current phase. */
  get phase(): LanePhase {
    return this.phaseNow;
  }

  /** The sequence continuity of the lane's producer id. */
  get sequenceState(): SequenceState {
    return this.sequence;
  }

  /** Batches in flight now. */
  get inflightCount(): number {
    return this.inflight.size;
  }

  /** The serials of every batch not yet settled, oldest first (open, ready, in flight, retrying, pausing). */
  pendingSerials(): number[] {
    const all = [...this.ready, ...this.inflight.values(), ...this.retrying];
    if (this.open !== undefined) all.push(this.open);
    if (this.pausing !== undefined) all.push(this.pausing);
    return all.map((b) => b.serial).sort((a, b) => a - b);
  }

  /** Whether the shell owes the lane an answer (a send, a pause, a producer id, a route) or has a linger timer running. */
  get hasOutstanding(): boolean {
    return this.inflight.size > 0 || this.pausing !== undefined || this.sessionFetching || this.routing !== undefined || this.open !== undefined;
  }

  /** Apply one event at time `nowMs`; returns the commands to run, in order. */
  step(event: LaneEvent, nowMs: number): LaneCommand[] {
    check(this.routing === undefined || event.type === "routeCorrected" || event.type === "routeRefused", `${event.type} while a correctRoute is unanswered`);
    this.nowMs = nowMs;
    this.out = [];
    switch (event.type) {
      case "append":
        this.onAppend(event.bytes, event.requestBytes);
        break;
      case "lingerExpired":
        if (this.open?.serial === event.serial) this.closeOpen();
        break;
      case "flush":
        this.closeOpen();
        break;
      case "sendSucceeded":
        this.onSendSucceeded(this.takeInflight(event.serial), event.baseOffset);
        this.pump();
        break;
      case "sendFailed":
        this.onSendFailed(this.takeInflight(event.serial), event.error);
        if (this.routing === undefined) this.pump();
        break;
      case "routeCorrected":
      case "routeRefused": {
        const r = this.routing;
        check(r !== undefined && r.batch.serial === event.serial, `${event.type} for batch ${event.serial}, not the one being routed`);
        this.routing = undefined;
        if (event.type === "routeRefused") this.finish(r.batch, event.error);
        else this.retryLater(r.batch, r.error, event.action === "now");
        this.pump();
        break;
      }
      case "pauseEnded":
        this.onPauseEnded(event.serial, event.newLeader);
        break;
      case "sessionReady":
        check(this.sessionFetching, "a producer id nobody asked for");
        this.sessionFetching = false;
        this.session = { producerId: event.producerId, producerEpoch: event.producerEpoch, nextSequence: 0, confirmed: false };
        this.sequence = SequenceState.Continuous;
        if (this.phaseNow === LanePhase.AwaitingSession) this.phaseNow = LanePhase.Sending;
        this.pump();
        break;
      case "sessionFailed":
        check(this.sessionFetching, "a producer id failure nobody asked for");
        this.sessionFetching = false;
        // Without a producer id nothing can be sent: the waiting batches fail with the reason.
        for (const b of this.ready.splice(0)) this.finish(b, event.error);
        if (this.phaseNow === LanePhase.AwaitingSession) this.phaseNow = LanePhase.Sending;
        this.pump();
        break;
      case "fenced":
        this.failAll(event.error);
        break;
    }
    this.checkInvariants();
    return this.out;
  }

  // ------------------------------------------------------------ batching

  private onAppend(bytes: number, requestBytes: number): void {
    if (this.fatal !== undefined) {
      this.out.push({ type: "refuseRecord", error: this.fatal });
      return;
    }
    const { batchBytesMax, batchRecordsMax } = this.config;
    let batch = this.open;
    if (batch !== undefined && (batch.recordCount >= batchRecordsMax || batch.requestBytes + bytes > batchBytesMax)) {
      this.closeOpen();
      batch = undefined;
    }
    if (batch === undefined) {
      batch = newBatch(this.serial++, this.nowMs + this.config.retry.totalTimeoutMs);
      this.open = batch;
      this.out.push({ type: "startLinger", serial: batch.serial });
    }
    batch.recordCount++;
    batch.requestBytes += requestBytes;
    this.out.push({ type: "addRecord", serial: batch.serial });
    if (batch.recordCount >= batchRecordsMax || batch.requestBytes >= batchBytesMax) this.closeOpen();
  }

  private closeOpen(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.out.push({ type: "cancelLinger" });
    this.open = undefined;
    this.ready.push(batch);
    this.out.push({ type: "batchClosed", serial: batch.serial });
    this.pump();
  }

  private failAll(err: RlogError): void {
    this.fatal = err;
    this.phaseNow = LanePhase.Fenced;
    if (this.open !== undefined) this.out.push({ type: "cancelLinger" });
    const pending = [...this.ready.splice(0), ...this.retrying.splice(0)];
    if (this.open !== undefined) pending.push(this.open);
    this.open = undefined;
    for (const b of pending) this.finish(b, err);
  }

  // ------------------------------------------------------------ sending

  /** Send what the phase allows. */
  private pump(): void {
    const { idempotent } = this.config;
    if (this.phaseNow === LanePhase.Draining || this.phaseNow === LanePhase.Probing) {
      // A recovery round starts: let everything in flight settle, then resend the earliest failed batch alone.
      if (this.inflight.size > 0) return;
      if (this.sequence === SequenceState.Gap) this.failRetrying();
      const head = this.retrying[0];
      if (head === undefined) {
        this.phaseNow = LanePhase.Sending;
      } else if (idempotent && head.outOfOrder === OutOfOrder.WaitsForEarlier) {
        this.phaseNow = LanePhase.Resending; // it only had to wait for the batches before it, and they are written now
      } else {
        this.retrying.shift();
        this.startPause(head);
        return;
      }
    }
    if (this.phaseNow === LanePhase.Resending) {
      // The route works again: the other failed batches go at once, in sequence order, pipelined when
      // idempotent (a later one that overtakes a failure gets OUT_OF_ORDER_SEQUENCE).
      if (this.sequence === SequenceState.Gap) this.failRetrying();
      while (this.retrying.length > 0 && this.inflight.size < (idempotent ? this.inflightMax() : 1)) {
        const b = this.retrying.shift() as LaneBatch;
        if (this.nowMs >= b.deadlineMs) this.finish(b, b.lastError);
        else this.send(b);
      }
      if (this.retrying.length > 0 || (!idempotent && this.inflight.size > 0)) return;
      this.phaseNow = LanePhase.Sending;
    }
    if (this.phaseNow !== LanePhase.Sending) return; // Pausing, AwaitingSession, Fenced
    if ((this.sequence === SequenceState.Gap || this.sequence === SequenceState.Exhausted) && idempotent) {
      if (this.inflight.size > 0 || this.ready.length === 0) return;
      this.fetchSession("fresh");
      return;
    }
    while (this.ready.length > 0 && this.inflight.size < this.inflightMax()) {
      const batch = this.ready[0] as LaneBatch;
      if (this.nowMs >= batch.deadlineMs) {
        this.ready.shift();
        this.finish(batch, new RlogError("TIMEOUT", "batch waited longer than retry.totalTimeoutMs without being sent"));
        continue;
      }
      if (idempotent) {
        if (this.session === undefined) {
          this.fetchSession("shared");
          return;
        }
        if (this.session.nextSequence + batch.recordCount - 1 > this.config.sequenceMax) {
          this.sequence = SequenceState.Exhausted; // continue on a fresh id once nothing is in flight
          this.pump();
          return;
        }
      }
      this.ready.shift();
      this.stamp(batch);
      this.send(batch);
    }
  }

  private failRetrying(): void {
    for (const b of this.retrying.splice(0)) this.finish(b, b.lastError);
  }

  private fetchSession(kind: "shared" | "fresh"): void {
    this.phaseNow = LanePhase.AwaitingSession;
    this.sessionFetching = true;
    this.out.push({ type: "fetchSession", kind });
  }

  private inflightMax(): number {
    if (this.config.idempotent && this.session?.confirmed !== true) return 1;
    return this.config.inflightRequestsMax;
  }

  private stamp(batch: LaneBatch): void {
    const s = this.session;
    if (s === undefined) return;
    batch.stamp = { producerId: s.producerId, producerEpoch: s.producerEpoch, baseSequence: s.nextSequence };
    s.nextSequence += batch.recordCount;
  }

  private send(batch: LaneBatch): void {
    batch.attempts++;
    batch.sentAtFailureCount = this.failureCount;
    this.inflight.set(batch.serial, batch);
    const timeoutMs = Math.max(1, Math.min(this.config.ackTimeoutMs + this.config.requestTimeoutMs, Math.ceil(batch.deadlineMs - this.nowMs)));
    this.out.push({ type: "send", serial: batch.serial, stamp: batch.stamp, timeoutMs });
  }

  private takeInflight(serial: number): LaneBatch {
    const batch = this.inflight.get(serial);
    check(batch !== undefined, `an answer for batch ${serial}, which is not in flight`);
    this.inflight.delete(serial);
    return batch;
  }

  private isRecovering(): boolean {
    return this.phaseNow === LanePhase.Draining || this.phaseNow === LanePhase.Probing || this.phaseNow === LanePhase.Resending;
  }

  private onSendSucceeded(batch: LaneBatch, baseOffset: number): void {
    if (this.isRecovering() && batch.sentAtFailureCount === this.failureCount) this.phaseNow = LanePhase.Resending;
    this.finish(batch, undefined, baseOffset);
  }

  private onSendFailed(batch: LaneBatch, err: unknown): void {
    if (!(err instanceof RlogError)) {
      this.finish(batch, err); // a bug or a closed client: nothing to retry
      return;
    }
    if (err.code === ErrorCode.DUPLICATE_SEQUENCE && err.details?.baseOffset !== undefined) {
      this.finish(batch, undefined, err.details.baseOffset); // written by an earlier attempt
      return;
    }
    if (this.fatal !== undefined) {
      this.finish(batch, this.fatal); // fenced while it was in flight: nothing is resent
      return;
    }
    if (err.code === ErrorCode.PRODUCER_FENCED) {
      this.finish(batch, err);
      this.out.push({ type: "fatal", error: err });
      this.failAll(err);
      return;
    }
    // With acks "all" an OUT_OF_ORDER_SEQUENCE is never a gap by itself: either an earlier batch is still
    // pending (it is missing at the broker and goes first), or every earlier one was acknowledged, so
    // committed, and the broker that answered lacks committed batches (an old leader, or behind). A real
    // gap (a stamped batch failed for good) fails the batch below, as SequenceState.Gap. With acks
    // "leader" an acknowledged batch may be lost: an OOS with nothing earlier pending fails as before.
    const outOfOrder =
      err.code !== ErrorCode.OUT_OF_ORDER_SEQUENCE || batch.stamp === undefined
        ? OutOfOrder.None
        : this.hasEarlierPending(batch)
          ? OutOfOrder.WaitsForEarlier
          : this.config.acks === "all"
            ? OutOfOrder.BrokerBehind
            : OutOfOrder.None;
    batch.outOfOrder = outOfOrder;
    const retriable = isRetriableError(err) || outOfOrder !== OutOfOrder.None;
    const { retry } = this.config;
    if (outOfOrder !== OutOfOrder.None ? retry.retriesMax === 0 : isRetriableError(err) && countsAgainstRetries(err, retry)) batch.countedFailures++;
    const gap = this.sequence === SequenceState.Gap && batch.stamp !== undefined;
    if (!retriable || gap || batch.countedFailures > retry.retriesMax || this.nowMs >= batch.deadlineMs) {
      batch.lastError = err;
      this.finish(batch, err);
      return;
    }
    batch.lastError = err;
    if (isRetriableError(err) || outOfOrder === OutOfOrder.BrokerBehind) {
      // A broker behind is most likely an old leader the metadata still names: have it refreshed.
      this.routing = { batch, error: err };
      this.out.push({ type: "correctRoute", serial: batch.serial, error: err });
      return;
    }
    this.retryLater(batch, err, batch.retryNow);
  }

  /** Queue a failed batch for the next recovery round. */
  private retryLater(batch: LaneBatch, err: RlogError, retryNow: boolean): void {
    batch.retryNow = retryNow;
    this.out.push({ type: "willRetry", serial: batch.serial, error: err, attempt: batch.attempts });
    const at = this.retrying.findIndex((b) => b.serial > batch.serial);
    this.retrying.splice(at < 0 ? this.retrying.length : at, 0, batch);
    this.phaseNow = LanePhase.Draining;
    this.failureCount++;
  }

  private hasEarlierPending(batch: LaneBatch): boolean {
    for (const b of this.inflight.values()) if (b.serial < batch.serial) return true;
    return this.retrying.some((b) => b.serial < batch.serial);
  }

  /**
   * The pause before the first resend of a recovery round: none after a
   * leader hint naming another broker; after an error that means the leader
   * could not serve (awaitsNewLeader), until the metadata names another
   * leader, at most the retry pause; after an OUT_OF_ORDER_SEQUENCE from a
   * broker that is behind, the same, at most retry.leaderChangeBackoffMsMax;
   * else the retry pause (short while leadership moves,
   * retry.leaderChangeBackoffMsMax; exponential otherwise).
   */
  private startPause(batch: LaneBatch): void {
    this.phaseNow = LanePhase.Pausing;
    this.pausing = batch;
    const err = batch.lastError;
    check(err !== undefined, `batch ${batch.serial} is retried without an error`);
    if (batch.retryNow) {
      this.out.push({ type: "pause", serial: batch.serial, kind: "none", delayMs: 0 });
      return;
    }
    const { retry } = this.config;
    if (batch.outOfOrder === OutOfOrder.BrokerBehind) {
      // Like a leader change: until the metadata names a broker other than the one that is behind.
      const delayMs = Math.min(retryDelayMs(err, batch.attempts, retry, this.random()), retry.leaderChangeBackoffMsMax);
      this.out.push({ type: "pause", serial: batch.serial, kind: "leaderChange", delayMs });
      return;
    }
    const delayMs = retryDelayMs(err, batch.attempts, retry, this.random());
    this.out.push({ type: "pause", serial: batch.serial, kind: awaitsNewLeader(err) ? "leaderChange" : "sleep", delayMs });
  }

  private onPauseEnded(serial: number, newLeader: boolean): void {
    const batch = this.pausing;
    check(batch !== undefined && batch.serial === serial, `pauseEnded for batch ${serial}, which is not pausing`);
    this.pausing = undefined;
    batch.retryNow = false;
    if (this.fatal !== undefined) {
      this.finish(batch, this.fatal);
      return;
    }
    this.phaseNow = LanePhase.Probing;
    if (this.nowMs >= batch.deadlineMs) {
      this.finish(batch, batch.lastError);
    } else {
      this.send(batch);
      // Headed for a leader just learnt: the other failed batches follow right behind it, pipelined.
      if (newLeader && this.config.idempotent) this.phaseNow = LanePhase.Resending;
    }
    this.pump();
  }

  /** Settle a batch: success with its base offset, or failure with `err`. */
  private finish(batch: LaneBatch, err: unknown, baseOffset?: number): void {
    if (baseOffset !== undefined) {
      const s = this.session;
      if (s !== undefined && batch.stamp?.producerId === s.producerId) s.confirmed = true;
      this.out.push({ type: "succeed", serial: batch.serial, baseOffset });
      return;
    }
    // The broker may or may not hold a stamped batch: sequence continuity is lost.
    if (batch.stamp !== undefined) this.sequence = SequenceState.Gap;
    this.out.push({ type: "fail", serial: batch.serial, error: err });
  }

  private checkInvariants(): void {
    const { inflightRequestsMax } = this.config;
    check(this.inflight.size <= inflightRequestsMax, `${this.inflight.size} batches in flight, more than ${inflightRequestsMax}`);
    if (this.phaseNow === LanePhase.Pausing) check(this.pausing !== undefined && this.inflight.size === 0, "pausing with batches in flight");
    if (this.phaseNow === LanePhase.AwaitingSession) check(this.sessionFetching && this.inflight.size === 0, "awaiting a producer id with batches in flight");
    for (let i = 1; i < this.retrying.length; i++) {
      check((this.retrying[i - 1] as LaneBatch).serial < (this.retrying[i] as LaneBatch).serial, "retry list out of order");
    }
    if (this.phaseNow === LanePhase.Fenced) check(this.open === undefined && this.ready.length === 0 && this.retrying.length === 0, "fenced with batches waiting");
  }
}

function newBatch(serial: number, deadlineMs: number): LaneBatch {
  return {
    serial,
    deadlineMs,
    recordCount: 0,
    requestBytes: 0,
    stamp: undefined,
    attempts: 0,
    countedFailures: 0,
    sentAtFailureCount: 0,
    lastError: undefined,
    retryNow: false,
    outOfOrder: OutOfOrder.None,
  };
}
