/**
 * Reads one partition: resolves the start offset, long-polls the leader,
 * decodes the batches into a bounded prefetch buffer, and fetches again only
 * while the buffer holds fewer than prefetchBytesMax bytes (so a slow
 * handler stops the fetching: back-pressure). Free of any consumer-group
 * logic, so a group consumer can drive the same fetchers (assign, seek,
 * position) from its assignment and committed offsets.
 *
 * Failures:
 * - retriable errors (NOT_LEADER, LEADER_NOT_AVAILABLE, a lost connection,
 *   TIMEOUT, ...) correct the routing (leader hint or metadata refresh) and
 *   fetch again from the same offset, after the client's retry pause (capped
 *   at retry.leaderChangeBackoffMsMax while leadership moves, and cut short
 *   when the metadata names a new leader: Cluster.waitForLeaderChange). A
 *   reader never gives up on them: an outage only delays it (logged at warn);
 * - OFFSET_OUT_OF_RANGE applies the offsetReset policy: jump to the log start
 *   or the high watermark (from the error's details, else listOffsets), or
 *   surface the error;
 * - anything else (a second UNKNOWN_TOPIC, CORRUPT_RECORD_BATCH, ...) stops
 *   this partition; the error is handed to the application after the records
 *   buffered before it.
 */
import { ErrorCode, RlogError, type Result } from "../../broker/protocol/errors.js";
import type { FetchedRecord } from "../../broker/protocol/records.js";
import { OffsetSpec } from "../../broker/protocol/enums.js";
import { readRecordBatchHeader } from "../../broker/protocol/record-batch.js";
import { decodeFetchedBatches } from "../../broker/protocol/batch-codec.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import type { FetchResult } from "../../broker/protocol/results.js";
import { asBuffer } from "../bytes.js";
import { CallState, type Cluster, type TopicPartitionRef } from "../cluster/cluster.js";
import { awaitsNewLeader, backoffMs, isRetriableError, retryDelayMs } from "../retry/retry-options.js";
import { pause } from "../util/sleep.js";
import { WakeSignal } from "../util/wake-signal.js";
import type { ConsumerOptions, ConsumerRecord, ResolvedConsumerOptions, StartFrom } from "./consumer-types.js";
import { resolveConsumerOptions } from "./consumer-types.js";
import { RecordQueue } from "./record-queue.js";

/** What a fetcher needs from its consumer. */
export interface FetcherDeps {
  readonly cluster: Cluster;
  readonly options: ConsumerOptions;
  readonly random: () => number;
  /** Records (or an error) became available. */
  readonly onReady: () => void;
}

/** What poll() hands out. */
export type Polled = { readonly record: ConsumerRecord } | { readonly error: unknown };

/** One partition's reader; see the file comment. */
export class PartitionFetcher {
  private readonly buffer = new RecordQueue();
  private readonly wake = new WakeSignal();
  /** Where the next fetch starts; undefined until `from` is resolved. */
  private fetchOffset: number | undefined;
  private from: StartFrom;
  private paused = false;
  private stopped = false;
  /** The error that stopped this partition, handed out after the buffered records. */
  private failure: unknown;
  private highWatermark: number | undefined;
  /** Most bytes one fetched batch may decompress to (the broker's batchDecompressedBytesMax). */
  private decompressedBytesMax: number = DEFAULT_LIMITS.batchDecompressedBytesMax;
  /** Aborted by seek() and stop(): cancels the fetch in flight and any backoff. */
  private cancel = new AbortController();
  private routing = new CallState();
  private options: ResolvedConsumerOptions | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    readonly tp: TopicPartitionRef,
    from: StartFrom,
    private readonly deps: FetcherDeps,
  ) {
    this.from = from;
  }

  /** Start the fetch loop (once). */
  start(): void {
    this.loop ??= this.run();
  }

  /** The next offset to hand out; undefined until the start offset is known. */
  get position(): number | undefined {
    return this.buffer.peek()?.offset ?? this.fetchOffset;
  }

  /** The partition's high watermark at the last fetch. */
  get lastHighWatermark(): number | undefined {
    return this.highWatermark;
  }

  /** Whether pause() is in force. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Stop fetching and handing out records (the buffer is kept). */
  pause(): void {
    this.paused = true;
  }

  /** Undo pause(). */
  resume(): void {
    this.paused = false;
    this.wake.notify();
  }

  /** Continue from `from`: drops the buffer, cancels the fetch in flight, clears a failure. */
  seek(from: StartFrom): void {
    this.cancel.abort();
    this.cancel = new AbortController();
    this.buffer.clear();
    this.failure = undefined;
    this.routing = new CallState();
    this.from = from;
    this.fetchOffset = typeof from === "object" && "offset" in from ? from.offset : undefined;
    this.wake.notify();
  }

  /** The next record, or the error that stopped the partition; undefined when there is nothing (or paused). */
  poll(): Polled | undefined {
    if (this.paused) return undefined;
    const record = this.buffer.shift();
    if (record !== undefined) {
      if (this.buffer.bytes < this.resolvedPrefetch()) this.wake.notify();
      return { record };
    }
    return this.failure === undefined ? undefined : { error: this.failure };
  }

  /** Up to `max` buffered records (at least one), or the failure; undefined when there is nothing (or paused). */
  pollBatch(max: number): { readonly records: ConsumerRecord[] } | { readonly error: unknown } | undefined {
    const first = this.poll();
    if (first === undefined || "error" in first) return first;
    const records = [first.record];
    while (records.length < max) {
      const r = this.buffer.shift();
      if (r === undefined) break;
      records.push(r);
    }
    this.wake.notify();
    return { records };
  }

  /** Stop for good: cancels the fetch in flight and waits for the loop to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel.abort();
    this.wake.notify();
    await this.loop;
  }

  private resolvedPrefetch(): number {
    return this.options?.prefetchBytesMax ?? Number.MAX_SAFE_INTEGER;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.failure !== undefined || this.paused || this.buffer.bytes >= this.resolvedPrefetch()) {
        await this.wake.wait();
        continue;
      }
      const cancel = this.cancel;
      try {
        if (this.options === undefined) {
          const limits = await this.deps.cluster.limits();
          this.options = resolveConsumerOptions(this.deps.options, limits);
          this.decompressedBytesMax = limits.batchDecompressedBytesMax ?? DEFAULT_LIMITS.batchDecompressedBytesMax;
        }
        if (this.fetchOffset === undefined) {
          const offset = await this.resolveStart(cancel.signal);
          if (!cancel.signal.aborted) this.fetchOffset = offset;
        } else {
          const from = this.fetchOffset;
          const result = await this.fetch(from, this.options, cancel.signal);
          const decoded = cancel.signal.aborted ? undefined : await decodeFetchedBatches(result.batches, from, this.decompressedBytesMax);
          if (decoded !== undefined && !cancel.signal.aborted) this.accept(from, result, decoded);
        }
        failures = 0;
        this.routing = new CallState();
      } catch (err) {
        if (cancel.signal.aborted || this.stopped) continue;
        failures++;
        const action = this.onError(err, failures);
        if (typeof action === "object") {
          this.failure = action.stop;
          this.deps.onReady();
        } else if (action === "backoff") {
          await this.pauseAfter(err, failures, cancel.signal);
        }
      }
    }
  }

  /**
   * The pause before fetching again after a retriable error: the retry pause
   * (short while leadership moves, retry.leaderChangeBackoffMsMax), cut
   * short once the metadata names a new leader when the old one could not
   * serve (a lost connection, NOT_LEADER without a hint: awaitsNewLeader).
   */
  private async pauseAfter(err: unknown, failures: number, signal: AbortSignal): Promise<void> {
    const retry = this.deps.cluster.retrier.options;
    if (!(err instanceof RlogError)) {
      await pause(backoffMs(failures, retry, this.deps.random()), signal);
      return;
    }
    const delayMs = retryDelayMs(err, failures, retry, this.deps.random());
    if (awaitsNewLeader(err)) await this.deps.cluster.waitForLeaderChange(this.tp, this.routing.brokerId, delayMs, signal);
    else await pause(delayMs, signal);
  }

  private fetch(offset: number, o: ResolvedConsumerOptions, signal: AbortSignal): Promise<FetchResult> {
    const { topic, partition } = this.tp;
    return this.deps.cluster.attemptLeader<"fetch">(
      this.tp,
      { op: "fetch", topic, partition, offset, maxBytes: o.maxBytes, maxWaitMs: o.maxWaitMs, minBytes: o.minBytes },
      this.routing,
      { timeoutMs: o.maxWaitMs + this.deps.cluster.options.requestTimeoutMs, signal },
    );
  }

  private async resolveStart(signal: AbortSignal): Promise<number> {
    const from = this.from;
    if (typeof from === "object" && "offset" in from) return from.offset;
    const { topic, partition } = this.tp;
    const spec = from === "earliest" ? OffsetSpec.Earliest : from === "latest" ? OffsetSpec.Latest : OffsetSpec.Timestamp;
    const request = typeof from === "object" ? { op: "listOffsets" as const, topic, partition, spec, timestampMs: from.timestampMs } : { op: "listOffsets" as const, topic, partition, spec };
    const r = await this.deps.cluster.attemptLeader<"listOffsets">(this.tp, request, this.routing, { signal });
    return r.offset;
  }

  /** Put a decoded fetch result into the buffer and move the fetch offset past it. */
  private accept(offset: number, result: FetchResult, decoded: Result<FetchedRecord[]>): void {
    this.highWatermark = result.highWatermark;
    if (!decoded.ok) {
      this.failure = decoded.error;
      this.deps.onReady();
      return;
    }
    let next = offset;
    const last = result.batches[result.batches.length - 1];
    if (last !== undefined) {
      const head = readRecordBatchHeader(last.data, false);
      if (head.ok) next = Math.max(next, last.baseOffset + head.value.recordCount);
    }
    this.fetchOffset = next;
    if (decoded.value.length === 0) return;
    const { topic, partition } = this.tp;
    this.buffer.push(
      decoded.value.map((r) => ({
        topic,
        partition,
        offset: r.offset,
        timestampMs: r.timestampMs,
        key: r.key === undefined ? undefined : asBuffer(r.key),
        value: r.value === null ? null : asBuffer(r.value),
        headers: r.headers.map((h) => ({ key: h.key, value: asBuffer(h.value) })),
      })),
    );
    this.deps.onReady();
  }

  /** Decide what a failed fetch (or offset lookup) leads to. */
  private onError(err: unknown, failures: number): "now" | "backoff" | { readonly stop: unknown } {
    if (!(err instanceof RlogError)) return { stop: err };
    const where = { topic: this.tp.topic, partition: this.tp.partition, code: err.codeName };
    if (err.code === ErrorCode.OFFSET_OUT_OF_RANGE) {
      const policy = this.options?.offsetReset ?? "earliest";
      if (policy === "error") return { stop: err };
      this.deps.cluster.logger.warn({ ...where, offset: this.fetchOffset, policy }, "offset out of range; resetting");
      const known = policy === "earliest" ? err.details?.logStartOffset : err.details?.highWatermark;
      this.from = policy;
      this.fetchOffset = known;
      return "now";
    }
    if (!isRetriableError(err)) return { stop: err };
    let action: "now" | "backoff";
    try {
      action = this.deps.cluster.onLeaderError(err, this.tp, this.routing);
    } catch (stop) {
      return { stop }; // the same error again after a metadata refresh: the topic or partition is not there
    }
    const log = this.deps.cluster.logger;
    if (failures === 1 || failures % 10 === 0) log.warn({ ...where, failures }, "fetch failed; retrying");
    else log.debug({ ...where, failures }, "fetch failed; retrying");
    return action;
  }
}
