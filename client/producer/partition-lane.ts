/**
 * The producer's pipeline for one partition: the I/O shell around LaneState
 * (lane-state.ts), which makes every decision (batching, in-flight slots,
 * retry order and pauses, idempotence stamps, producer-id renewal; the
 * ordering rules are in its file comment). This shell holds the records and
 * promises of each batch, feeds the lane events with the time of the SDK's
 * clock, and runs its commands: linger timers, produce requests through the
 * cluster, pauses, producer-id requests, settling promises. It decides
 * nothing itself.
 */
import { RlogError } from "../../broker/protocol/errors.js";
import { runAfterThisTurn, type CancelRun } from "../util/immediate.js";
import { FIXED_LIMITS } from "../../broker/protocol/limits.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";
import type { ProduceRequest } from "../../broker/protocol/requests.js";
import { buildRecordBatch, buildUncompressedBatch } from "../../broker/protocol/batch-codec.js";
import type { Cluster, TopicPartitionRef } from "../cluster/cluster.js";
import { realClock, type Clock } from "../util/clock.js";
import { sleep } from "../util/sleep.js";
import type { ByteBudget } from "./byte-budget.js";
import { LaneState, type LaneCommand, type LaneEvent } from "./lane-state.js";
import { RECORD_OVERHEAD_BYTES } from "./message.js";
import { ProducerBatch } from "./producer-batch.js";
import type { BatchBounds, ResolvedProducerOptions } from "./producer-options.js";
import type { ProducerIdentity, ProducerSessions } from "./producer-session.js";

export type { BatchStamp } from "./lane-state.js";

/** What a lane needs from its producer. */
export interface LaneDeps {
  readonly cluster: Cluster;
  readonly options: ResolvedProducerOptions;
  readonly sessions: ProducerSessions;
  readonly budget: ByteBudget;
  /** Jitter source in [0, 1). */
  readonly random: () => number;
  /** The SDK's clock (the real one by default). */
  readonly clock?: Clock;
  /** A batch of this lane closed (the sticky partitioner moves on). */
  readonly onBatchClosed: (tp: TopicPartitionRef) => void;
  /** A fatal error (PRODUCER_FENCED): the producer must stop. */
  readonly onFatal: (err: RlogError) => void;
}

/** The record append() is placing, until the lane says which batch takes it. */
interface Incoming {
  readonly record: ProduceRecord;
  readonly bytes: number;
  placed: RecordPlace | undefined;
}

/** Where an appended record went: its batch's base offset (a promise) and its place in the batch; offset = base + place. */
export interface RecordPlace {
  readonly baseOffset: Promise<number>;
  readonly place: number;
}

/** One partition's batching, sending and retry pipeline; see the file comment. */
export class PartitionLane {
  private readonly state: LaneState;
  private readonly clock: Clock;
  /** Every batch not yet settled, by serial: bounded by the buffer budget. */
  private readonly batches = new Map<number, ProducerBatch>();
  private lingerTimer: NodeJS.Timeout | undefined;
  private cancelLingerImmediate: CancelRun | undefined;
  private incoming: Incoming | undefined;
  /** Settles when the latest send has left (or failed to encode): the next one waits for it. */
  private dispatched: Promise<unknown> = Promise.resolve();

  constructor(
    readonly tp: TopicPartitionRef,
    bounds: BatchBounds,
    private readonly deps: LaneDeps,
  ) {
    const o = deps.options;
    this.clock = deps.clock ?? realClock;
    this.state = new LaneState(
      {
        idempotent: o.idempotent,
        acks: o.acks,
        inflightRequestsMax: o.inflightRequestsMax,
        batchBytesMax: bounds.batchBytesMax,
        batchRecordsMax: bounds.batchRecordsMax,
        ackTimeoutMs: bounds.ackTimeoutMs,
        requestTimeoutMs: deps.cluster.options.requestTimeoutMs,
        retry: o.retry,
        sequenceMax: FIXED_LIMITS.sequenceMax,
      },
      deps.random,
    );
  }

  /** Add a record to the open batch: where it went (its offset once written is the batch's base offset + its place). */
  append(record: ProduceRecord, bytes: number): RecordPlace {
    const incoming: Incoming = { record, bytes, placed: undefined };
    this.incoming = incoming;
    try {
      this.apply({ type: "append", bytes, requestBytes: bytes + RECORD_OVERHEAD_BYTES });
    } finally {
      this.incoming = undefined;
    }
    if (incoming.placed === undefined) throw new Error("partition lane: an appended record was neither placed nor refused"); // a bug
    return incoming.placed;
  }

  /** Close the open batch now (linger over, flush) and send what may be sent. */
  closeOpen(): void {
    this.apply({ type: "flush" });
  }

  /** Promises that resolve when each batch pending now has settled. */
  pendingSettled(): Promise<void>[] {
    return [...this.batches.values()].map((b) => b.settled);
  }

  /** Fail everything not in flight with a fatal error; in-flight batches fail when they answer. */
  failAll(err: RlogError): void {
    this.apply({ type: "fenced", error: err });
  }

  // ------------------------------------------------------------ the shell

  private apply(event: LaneEvent): void {
    for (const command of this.state.step(event, this.clock.nowMs())) this.run(command);
  }

  private run(c: LaneCommand): void {
    switch (c.type) {
      case "addRecord": {
        const incoming = this.incoming;
        if (incoming === undefined) throw new Error("partition lane: addRecord without a record"); // a bug
        let batch = this.batches.get(c.serial);
        if (batch === undefined) {
          batch = new ProducerBatch(c.serial);
          this.batches.set(c.serial, batch);
        }
        incoming.placed = { baseOffset: batch.baseOffset, place: batch.add(incoming.record, incoming.bytes) };
        return;
      }
      case "refuseRecord": {
        if (this.incoming === undefined) throw new Error("partition lane: refuseRecord without a record"); // a bug
        this.deps.budget.release(this.incoming.bytes);
        const refused = Promise.reject(c.error);
        refused.catch(() => undefined); // its send() reads it
        this.incoming.placed = { baseOffset: refused, place: 0 };
        return;
      }
      case "startLinger":
        this.armLinger(c.serial);
        return;
      case "cancelLinger":
        this.disarmLinger();
        return;
      case "batchClosed":
        this.deps.onBatchClosed(this.tp);
        return;
      case "send":
        this.send(this.batch(c.serial), c);
        return;
      case "correctRoute": {
        const batch = this.batch(c.serial);
        let action: "now" | "backoff";
        try {
          action = this.deps.cluster.onLeaderError(c.error, this.tp, batch.routing);
        } catch (stop) {
          this.apply({ type: "routeRefused", serial: c.serial, error: stop }); // e.g. the topic is gone: a second UNKNOWN_TOPIC
          return;
        }
        this.apply({ type: "routeCorrected", serial: c.serial, action });
        return;
      }
      case "willRetry":
        this.deps.cluster.logger.debug({ topic: this.tp.topic, partition: this.tp.partition, code: c.error.codeName, attempt: c.attempt }, "produce will be retried");
        return;
      case "pause":
        void this.pause(this.batch(c.serial), c.kind, c.delayMs).then((newLeader) => this.apply({ type: "pauseEnded", serial: c.serial, newLeader }));
        return;
      case "fetchSession":
        void this.renewSession(c.kind === "shared" ? this.deps.sessions.shared() : this.deps.sessions.fresh());
        return;
      case "succeed": {
        const batch = this.settle(c.serial);
        batch.succeed(c.baseOffset);
        return;
      }
      case "fail": {
        const batch = this.settle(c.serial);
        this.deps.cluster.logger.warn(
          { topic: this.tp.topic, partition: this.tp.partition, records: batch.records.length, code: c.error instanceof RlogError ? c.error.codeName : undefined },
          "batch failed",
        );
        batch.fail(c.error);
        return;
      }
      case "fatal":
        this.deps.onFatal(c.error);
        return;
    }
  }

  private batch(serial: number): ProducerBatch {
    const batch = this.batches.get(serial);
    if (batch === undefined) throw new Error(`partition lane: no batch ${serial}`); // a bug
    return batch;
  }

  /** Take a batch out of the pending set and give its buffer bytes back. */
  private settle(serial: number): ProducerBatch {
    const batch = this.batch(serial);
    this.batches.delete(serial);
    this.deps.budget.release(batch.bytes);
    return batch;
  }

  /**
   * Close the open batch after lingerMs. lingerMs 0 closes it once the
   * current turn of the event loop is over (setImmediate, or a zero timer in a
   * browser: runAfterThisTurn; a Node timer would wait at least 1 ms), so the records of send() calls made together, e.g. in a
   * synchronous loop, still share a batch (their enqueue steps run as
   * promise jobs, all before the immediate).
   */
  private armLinger(serial: number): void {
    const { lingerMs } = this.deps.options;
    const expire = (): void => this.apply({ type: "lingerExpired", serial });
    if (lingerMs === 0) this.cancelLingerImmediate = runAfterThisTurn(expire);
    else this.lingerTimer = setTimeout(expire, lingerMs);
  }

  private disarmLinger(): void {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.cancelLingerImmediate?.();
    this.lingerTimer = undefined;
    this.cancelLingerImmediate = undefined;
  }

  /**
   * Encode the batch (once per stamp: a retry resends the same bytes) and
   * send it. Without compression both happen now, in this turn; a codec is
   * asynchronous, and then requests still leave in the order the lane sent
   * them, whichever encoding finishes first (sequence order).
   */
  private send(batch: ProducerBatch, c: Extract<LaneCommand, { type: "send" }>): void {
    const stampKey = c.stamp ? `${c.stamp.producerId}/${c.stamp.producerEpoch}/${c.stamp.baseSequence}` : "";
    if (batch.encoded?.stampKey !== stampKey) {
      const compression = this.deps.options.compression;
      const opts = { producer: c.stamp, timestampMs: batch.createdMs };
      batch.encoded = { stampKey, bytes: compression === "none" ? buildUncompressedBatch(batch.records, opts) : buildRecordBatch(batch.records, { ...opts, compression }) };
    }
    const bytes = batch.encoded.bytes;
    if (bytes instanceof Uint8Array) {
      this.dispatch(bytes, batch, c);
      return;
    }
    const turn = this.dispatched.then(() => bytes);
    this.dispatched = turn.catch(() => undefined);
    turn.then(
      (b) => this.dispatch(b, batch, c),
      (err: unknown) => this.apply({ type: "sendFailed", serial: c.serial, error: err }),
    );
  }

  private dispatch(bytes: Uint8Array, batch: ProducerBatch, c: Extract<LaneCommand, { type: "send" }>): void {
    const request: ProduceRequest = {
      op: "produce",
      topic: this.tp.topic,
      partition: this.tp.partition,
      batch: bytes,
      acks: this.deps.options.acks,
      timeoutMs: this.state.config.ackTimeoutMs,
    };
    this.deps.cluster.attemptLeader<"produce">(this.tp, request, batch.routing, { timeoutMs: c.timeoutMs }).then(
      (result) => this.apply({ type: "sendSucceeded", serial: c.serial, baseOffset: result.baseOffset }),
      (err: unknown) => this.apply({ type: "sendFailed", serial: c.serial, error: err }),
    );
  }

  /** @returns whether the resend goes to a leader learnt since the failure */
  private async pause(batch: ProducerBatch, kind: "none" | "sleep" | "leaderChange", delayMs: number): Promise<boolean> {
    if (kind === "none") return true;
    if (kind === "leaderChange") return this.deps.cluster.waitForLeaderChange(this.tp, batch.routing.brokerId, delayMs);
    await sleep(delayMs);
    return false;
  }

  private async renewSession(next: Promise<ProducerIdentity>): Promise<void> {
    let id: ProducerIdentity;
    try {
      id = await next;
    } catch (err) {
      this.apply({ type: "sessionFailed", error: err });
      return;
    }
    this.apply({ type: "sessionReady", producerId: id.producerId, producerEpoch: id.producerEpoch });
  }
}
