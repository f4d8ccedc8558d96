/**
 * The producer's pipeline for one partition: an open batch (filled until
 * lingerMs, batchBytesMax or batchRecordsMax), closed batches waiting to be
 * sent, up to inflightRequestsMax produce requests in flight, and retries.
 *
 * Ordering under retries (the choice, and why it is enough):
 * - A batch gets its sequence numbers (idempotence stamp) when first sent,
 *   in batch order, and keeps them for every retry, so the broker drops a
 *   resend of a batch it already holds and answers with the original offsets.
 * - On a retriable error the lane enters recovery: it sends nothing new,
 *   waits until every batch in flight has settled, then resends the
 *   earliest failed batch alone, after a pause (none after a leader hint
 *   naming another broker; after a lost connection or NOT_LEADER, until the
 *   metadata names a new leader, Cluster.waitForLeaderChange). Once a batch
 *   sent since the last failure is written, or right behind the first
 *   resend when that goes to a leader just learnt (idempotent only), the
 *   other failed batches are resent at once in sequence order (pipelined
 *   when idempotent, one at a time otherwise), and then new batches follow.
 *   A failure during that restarts the round. A later batch can thus never be
 *   written before an earlier failed one is: with idempotence the broker
 *   refuses a batch whose predecessor is missing (OUT_OF_ORDER_SEQUENCE,
 *   treated here as "retry after the earlier batch" while an earlier batch
 *   is still pending; such a batch needs no pause once those are written),
 *   and the lane resends in order. Without idempotence a later batch that
 *   was already in flight may be written before a resent earlier one (as in
 *   Kafka); use inflightRequestsMax 1 to rule that out.
 * - A batch fails for good on a non-retriable error, after retriesMax
 *   counted failures (leader changes and waits for an earlier batch do not
 *   count), or past its deadline (creation + retry.totalTimeoutMs). If it
 *   was stamped, the partition's sequence may now have a gap (the broker
 *   may or may not hold it): every other stamped batch still pending fails
 *   too, and once nothing is in flight the lane takes a fresh producer id
 *   (ProducerSessions) before sending the batches that were never sent.
 *   Records are never silently dropped: each message's promise settles.
 */
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { FIXED_LIMITS } from "../../broker/protocol/limits.js";
import type { ProduceRequest } from "../../broker/protocol/requests.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";
import type { Cluster, TopicPartitionRef } from "../cluster/cluster.js";
import { awaitsNewLeader, backoffMs, countsAgainstRetries, isRetriableError, retryDelayMs } from "../retry/retry-options.js";
import { sleep } from "../util/sleep.js";
import type { ByteBudget } from "./byte-budget.js";
import { ProducerBatch } from "./producer-batch.js";
import type { BatchBounds, ResolvedProducerOptions } from "./producer-options.js";
import type { ProducerIdentity, ProducerSessions } from "./producer-session.js";

/** What a lane needs from its producer. */
export interface LaneDeps {
  readonly cluster: Cluster;
  readonly options: ResolvedProducerOptions;
  readonly sessions: ProducerSessions;
  readonly budget: ByteBudget;
  readonly random: () => number;
  /** A batch of this lane closed (the sticky partitioner moves on). */
  readonly onBatchClosed: (tp: TopicPartitionRef) => void;
  /** A fatal error (PRODUCER_FENCED): the producer must stop. */
  readonly onFatal: (err: RlogError) => void;
}

/** The sequence state of a lane: its producer id and next sequence number. */
interface LaneSession extends ProducerIdentity {
  nextSequence: number;
  /**
   * Whether a batch under this id was acknowledged. Until one is, the lane
   * sends one batch at a time: a broker that takes any first sequence from
   * an id it does not know could otherwise write batch 2 before batch 1.
   */
  confirmed: boolean;
}

/** One partition's batching, sending and retry pipeline; see the file comment. */
export class PartitionLane {
  private open: ProducerBatch | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerImmediate: NodeJS.Immediate | undefined;
  /** Closed batches not yet sent, in order. Bounded by the buffer budget. */
  private readonly ready: ProducerBatch[] = [];
  private readonly inflight = new Set<ProducerBatch>();
  /** Batches that failed retriably, kept in serial (= sequence) order. */
  private readonly retrying: ProducerBatch[] = [];
  private recovering = false;
  /** In recovery, a batch sent since the last failure was written: the rest are resent without a pause. */
  private resumed = false;
  /** Failures that started or restarted recovery; a batch notes the count when sent. */
  private failureCount = 0;
  /** A stamped batch failed for good: the partition's sequence may have a gap. */
  private sequenceGap = false;
  /** The sequence numbers of the current id ran out. */
  private sequenceExhausted = false;
  /** An async step (backoff, session fetch) runs; it pumps when it ends. */
  private busy = false;
  private session: LaneSession | undefined;
  private serial = 0;
  private fatal: RlogError | undefined;

  constructor(
    readonly tp: TopicPartitionRef,
    private readonly bounds: BatchBounds,
    private readonly deps: LaneDeps,
  ) {}

  /** Add a record to the open batch; resolves with its offset once written. */
  append(record: ProduceRecord, bytes: number): Promise<number> {
    if (this.fatal !== undefined) {
      this.deps.budget.release(bytes);
      return Promise.reject(this.fatal);
    }
    const { batchBytesMax, batchRecordsMax } = this.bounds;
    let batch = this.open;
    if (batch !== undefined && (batch.records.length >= batchRecordsMax || batch.requestBytes + bytes > batchBytesMax)) {
      this.closeOpen();
      batch = undefined;
    }
    if (batch === undefined) {
      batch = new ProducerBatch(this.serial++, performance.now() + this.deps.options.retry.totalTimeoutMs);
      this.open = batch;
      this.armLinger();
    }
    const offset = batch.add(record, bytes);
    if (batch.records.length >= batchRecordsMax || batch.requestBytes >= batchBytesMax) this.closeOpen();
    return offset;
  }

  /** Close the open batch now (linger over, flush) and send what may be sent. */
  closeOpen(): void {
    const batch = this.open;
    if (batch === undefined) return;
    this.disarmLinger();
    this.open = undefined;
    this.ready.push(batch);
    this.deps.onBatchClosed(this.tp);
    this.pump();
  }

  /**
   * Close the open batch after lingerMs. lingerMs 0 closes it once the
   * current turn of the event loop is over (setImmediate: a timer would wait
   * at least 1 ms), so the records of send() calls made together, e.g. in a
   * synchronous loop, still share a batch (their enqueue steps run as
   * promise jobs, all before the immediate).
   */
  private armLinger(): void {
    const { lingerMs } = this.deps.options;
    if (lingerMs === 0) this.lingerImmediate = setImmediate(() => this.closeOpen());
    else this.lingerTimer = setTimeout(() => this.closeOpen(), lingerMs);
  }

  private disarmLinger(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    if (this.lingerImmediate !== undefined) clearImmediate(this.lingerImmediate);
    this.lingerTimer = undefined;
    this.lingerImmediate = undefined;
  }

  /** Promises that resolve when each batch pending now has settled. */
  pendingSettled(): Promise<void>[] {
    const all = [...this.ready, ...this.inflight, ...this.retrying];
    if (this.open !== undefined) all.push(this.open);
    return all.map((b) => b.settled);
  }

  /** Fail everything not in flight with a fatal error; in-flight batches fail when they answer. */
  failAll(err: RlogError): void {
    this.fatal = err;
    this.disarmLinger();
    const pending = [...this.ready.splice(0), ...this.retrying.splice(0)];
    if (this.open !== undefined) pending.push(this.open);
    this.open = undefined;
    for (const b of pending) this.finish(b, err);
  }

  // ------------------------------------------------------------ sending

  private pump(): void {
    if (this.busy || this.fatal !== undefined) return;
    if (this.recovering && !this.resumed) {
      // A recovery round starts: let everything in flight settle, then resend the earliest failed batch alone.
      if (this.inflight.size > 0) return;
      if (this.sequenceGap) for (const b of this.retrying.splice(0)) this.finish(b, b.lastError);
      const head = this.retrying[0];
      if (head === undefined) {
        this.recovering = false;
      } else if (this.deps.options.idempotent && isCode(head.lastError, ErrorCode.OUT_OF_ORDER_SEQUENCE)) {
        this.resumed = true; // it only had to wait for the batches before it, and they are written now
      } else {
        this.retrying.shift();
        this.busy = true;
        void this.resend(head);
        return;
      }
    }
    if (this.recovering) {
      // The route works again (a resend was written): the other failed batches go at once, in sequence
      // order, pipelined when idempotent (a later one that overtakes a failure gets OUT_OF_ORDER_SEQUENCE).
      if (this.sequenceGap) for (const b of this.retrying.splice(0)) this.finish(b, b.lastError);
      const { idempotent } = this.deps.options;
      while (this.retrying.length > 0 && this.inflight.size < (idempotent ? this.inflightMax() : 1)) {
        const b = this.retrying.shift() as ProducerBatch;
        if (performance.now() >= b.deadlineMs) this.finish(b, b.lastError);
        else this.send(b);
      }
      if (this.retrying.length > 0 || (!idempotent && this.inflight.size > 0)) return;
      this.recovering = false;
      this.resumed = false;
    }
    if ((this.sequenceGap || this.sequenceExhausted) && this.deps.options.idempotent) {
      if (this.inflight.size > 0 || this.ready.length === 0) return;
      this.busy = true;
      void this.renewSession(this.deps.sessions.fresh());
      return;
    }
    while (this.ready.length > 0 && this.inflight.size < this.inflightMax()) {
      const batch = this.ready[0] as ProducerBatch;
      if (performance.now() >= batch.deadlineMs) {
        this.ready.shift();
        this.finish(batch, new RlogError("TIMEOUT", `batch for ${this.tp.topic}/${this.tp.partition} waited longer than retry.totalTimeoutMs without being sent`));
        continue;
      }
      if (this.deps.options.idempotent) {
        if (this.session === undefined) {
          this.busy = true;
          void this.renewSession(this.deps.sessions.shared());
          return;
        }
        if (this.session.nextSequence + batch.records.length - 1 > FIXED_LIMITS.sequenceMax) {
          this.sequenceExhausted = true; // continue on a fresh id once nothing is in flight
          this.pump();
          return;
        }
      }
      this.ready.shift();
      this.stamp(batch);
      this.send(batch);
    }
  }

  private inflightMax(): number {
    if (this.deps.options.idempotent && this.session?.confirmed !== true) return 1;
    return this.deps.options.inflightRequestsMax;
  }

  private stamp(batch: ProducerBatch): void {
    const s = this.session;
    if (s === undefined) return;
    batch.stamp = { producerId: s.producerId, producerEpoch: s.producerEpoch, baseSequence: s.nextSequence };
    s.nextSequence += batch.records.length;
  }

  private send(batch: ProducerBatch): void {
    batch.attempts++;
    batch.sentAtFailureCount = this.failureCount;
    this.inflight.add(batch);
    const ackTimeoutMs = this.bounds.ackTimeoutMs;
    const request: ProduceRequest = {
      op: "produce",
      topic: this.tp.topic,
      partition: this.tp.partition,
      records: batch.records,
      acks: this.deps.options.acks,
      timeoutMs: ackTimeoutMs,
      ...(batch.stamp ?? {}),
    };
    const timeoutMs = Math.max(1, Math.min(ackTimeoutMs + this.deps.cluster.options.requestTimeoutMs, Math.ceil(batch.deadlineMs - performance.now())));
    this.deps.cluster.attemptLeader<"produce">(this.tp, request, batch.routing, { timeoutMs }).then(
      (result) => {
        this.inflight.delete(batch);
        if (this.recovering && batch.sentAtFailureCount === this.failureCount) this.resumed = true;
        this.finish(batch, undefined, result.baseOffset);
        this.pump();
      },
      (err: unknown) => {
        this.inflight.delete(batch);
        this.onFailure(batch, err);
        this.pump();
      },
    );
  }

  private onFailure(batch: ProducerBatch, err: unknown): void {
    if (!(err instanceof RlogError)) {
      this.finish(batch, err); // a bug or a closed client: nothing to retry
      return;
    }
    if (err.code === ErrorCode.DUPLICATE_SEQUENCE && err.details?.baseOffset !== undefined) {
      this.finish(batch, undefined, err.details.baseOffset); // written by an earlier attempt
      return;
    }
    if (err.code === ErrorCode.PRODUCER_FENCED) {
      this.finish(batch, err);
      this.deps.onFatal(err);
      return;
    }
    batch.lastError = err;
    const waitsForEarlier = err.code === ErrorCode.OUT_OF_ORDER_SEQUENCE && this.hasEarlierPending(batch);
    const retriable = isRetriableError(err) || waitsForEarlier;
    const { retry } = this.deps.options;
    if (waitsForEarlier ? retry.retriesMax === 0 : isRetriableError(err) && countsAgainstRetries(err, retry)) batch.countedFailures++;
    const gap = this.sequenceGap && batch.stamp !== undefined;
    if (!retriable || gap || batch.countedFailures > retry.retriesMax || performance.now() >= batch.deadlineMs) {
      this.finish(batch, err);
      return;
    }
    if (isRetriableError(err)) {
      try {
        batch.retryNow = this.deps.cluster.onLeaderError(err, this.tp, batch.routing) === "now";
      } catch (stop) {
        this.finish(batch, stop); // e.g. the topic is gone: a second UNKNOWN_TOPIC
        return;
      }
    }
    this.deps.cluster.logger.debug({ topic: this.tp.topic, partition: this.tp.partition, code: err.codeName, attempt: batch.attempts }, "produce will be retried");
    const at = this.retrying.findIndex((b) => b.serial > batch.serial);
    this.retrying.splice(at < 0 ? this.retrying.length : at, 0, batch);
    this.recovering = true;
    this.resumed = false;
    this.failureCount++;
  }

  private hasEarlierPending(batch: ProducerBatch): boolean {
    for (const b of this.inflight) if (b.serial < batch.serial) return true;
    return this.retrying.some((b) => b.serial < batch.serial);
  }

  private async resend(batch: ProducerBatch): Promise<void> {
    try {
      const newLeader = await this.pauseBeforeResend(batch);
      batch.retryNow = false;
      if (this.fatal !== undefined) this.finish(batch, this.fatal);
      else if (performance.now() >= batch.deadlineMs) this.finish(batch, batch.lastError);
      else {
        this.send(batch);
        // Headed for a leader just learnt: the other failed batches follow right behind it, pipelined.
        if (newLeader && this.deps.options.idempotent) this.resumed = true;
      }
    } finally {
      this.busy = false;
      this.pump();
    }
  }

  /**
   * The pause before the first resend of a recovery round: none after a
   * leader hint naming another broker; after an error that means the leader
   * could not serve (awaitsNewLeader), until the metadata names another
   * leader, at most the retry pause; else the retry pause (short while
   * leadership moves, retry.leaderChangeBackoffMsMax; exponential otherwise).
   * @returns whether the resend goes to a leader learnt since the failure (hint or metadata)
   */
  private async pauseBeforeResend(batch: ProducerBatch): Promise<boolean> {
    if (batch.retryNow) return true;
    const err = batch.lastError;
    const { retry } = this.deps.options;
    if (!(err instanceof RlogError)) {
      await sleep(backoffMs(batch.attempts, retry, this.deps.random()));
      return false;
    }
    const delayMs = retryDelayMs(err, batch.attempts, retry, this.deps.random());
    if (awaitsNewLeader(err)) return this.deps.cluster.waitForLeaderChange(this.tp, batch.routing.brokerId, delayMs);
    await sleep(delayMs);
    return false;
  }

  private async renewSession(next: Promise<ProducerIdentity>): Promise<void> {
    try {
      const id = await next;
      this.session = { ...id, nextSequence: 0, confirmed: false };
      this.sequenceGap = false;
      this.sequenceExhausted = false;
    } catch (err) {
      // Without a producer id nothing can be sent: the waiting batches fail with the reason.
      for (const b of this.ready.splice(0)) this.finish(b, err);
    } finally {
      this.busy = false;
      this.pump();
    }
  }

  /** Settle a batch: success with its base offset, or failure with `err`. Releases its buffer bytes. */
  private finish(batch: ProducerBatch, err: unknown, baseOffset?: number): void {
    if (batch.isDone) return;
    this.deps.budget.release(batch.bytes);
    if (baseOffset !== undefined) {
      const s = this.session;
      if (s !== undefined && batch.stamp?.producerId === s.producerId) s.confirmed = true;
      batch.succeed(baseOffset);
      return;
    }
    if (batch.stamp !== undefined) this.sequenceGap = true; // the broker may or may not hold it: sequence continuity is lost
    this.deps.cluster.logger.warn(
      { topic: this.tp.topic, partition: this.tp.partition, records: batch.records.length, code: err instanceof RlogError ? err.codeName : undefined },
      "batch failed",
    );
    batch.fail(err);
  }
}

function isCode(err: unknown, code: number): boolean {
  return err instanceof RlogError && err.code === code;
}
