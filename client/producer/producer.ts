/**
 * The producer: send() checks and partitions messages, waits for buffer
 * space (bufferBytesMax), and hands each record to its partition's lane,
 * which batches, pipelines and retries (see partition-lane.ts). Each
 * message's offset comes back once its batch is written.
 *
 * send() calls enter the lanes in call order (their enqueue steps run one
 * after another), so records with the same key keep the order of the calls,
 * even when a call waits for buffer space.
 */
import { invalidField, RlogError } from "../../broker/protocol/errors.js";
import type { Limits } from "../../broker/protocol/limits.js";
import type { Cluster, TopicPartitionRef } from "../cluster/cluster.js";
import { ClosedError } from "../network/client-errors.js";
import type { RetryOptions } from "../retry/retry-options.js";
import { ByteBudget } from "./byte-budget.js";
import { prepareMessage, type ProducerMessage } from "./message.js";
import { Partitioner } from "./partitioner.js";
import { PartitionLane, type RecordPlace, type LaneDeps } from "./partition-lane.js";
import { batchBounds, resolveProducerOptions, type BatchBounds, type ProducerOptions, type ResolvedProducerOptions } from "./producer-options.js";
import { ProducerSessions } from "./producer-session.js";
import { hopTrace } from "../../broker/protocol/hop-trace.js";

/** What send() takes: messages for one topic. */
export interface SendRequest {
  readonly topic: string;
  readonly messages: readonly ProducerMessage[];
}

/** Where a message was written. */
export interface RecordMetadata {
  readonly partition: number;
  readonly offset: number;
}

/** Writes records to topics; see the file comment. Create with `client.producer()`. */
export class Producer {
  private readonly options: ResolvedProducerOptions;
  private readonly budget: ByteBudget;
  private readonly partitioner: Partitioner;
  private readonly sessions: ProducerSessions;
  /** Lanes by "topic\0partition"; bounded by the partitions this producer writes to. */
  private readonly lanes = new Map<string, PartitionLane>();
  /** The broker limits learnt at the first send (records are checked against them). */
  private limits: Limits | undefined;
  private bounds: BatchBounds | undefined;
  /** The enqueue step of the latest send(); the next one runs after it. */
  private enqueueTail: Promise<unknown> = Promise.resolve();
  private closing = false;
  private fatal: RlogError | undefined;
  private readonly laneDeps: LaneDeps;

  /**
   * Use `client.producer()`.
   * @param onClosed called once close() has finished
   */
  constructor(
    private readonly cluster: Cluster,
    options: ProducerOptions,
    clientRetry: RetryOptions,
    private readonly onClosed: () => void = () => undefined,
  ) {
    const random = Math.random;
    this.options = resolveProducerOptions(options, clientRetry);
    this.budget = new ByteBudget(this.options.bufferBytesMax);
    this.partitioner = new Partitioner(random);
    this.sessions = new ProducerSessions(cluster);
    this.laneDeps = {
      cluster,
      options: this.options,
      sessions: this.sessions,
      budget: this.budget,
      random,
      onBatchClosed: (tp) => this.onBatchClosed(tp),
      onFatal: (err) => this.onFatal(err),
    };
  }

  /**
   * Send messages to a topic. Resolves, once every message is written (per
   * `acks`), with each message's partition and offset, in message order.
   * Rejects with the first failure (an RlogError with its code); messages of
   * the same call in other batches may still have been written.
   * @throws ClosedError after close(); the fatal error after PRODUCER_FENCED
   */
  async send(request: SendRequest): Promise<RecordMetadata[]> {
    if (this.closing) throw new ClosedError("producer");
    if (this.fatal !== undefined) throw this.fatal;
    if (typeof request?.topic !== "string") throw invalidField("topic", "expected a string");
    if (!Array.isArray(request.messages)) throw invalidField("messages", "expected an array");
    if (request.messages.length === 0) return [];
    hopTrace?.("api.send");
    const step = this.enqueueTail.then(() => this.enqueue(request));
    // The chain only orders the steps; each step's outcome goes to its own caller below.
    this.enqueueTail = step.then(
      () => undefined,
      () => undefined,
    );
    const placed = await step;
    const written = await writtenAt(placed);
    hopTrace?.("api.done");
    return written;
  }

  /**
   * Send every open batch now and wait until every message accepted so far
   * is written or has failed (failures reject their send(), not flush()).
   */
  async flush(): Promise<void> {
    await this.enqueueTail;
    const settled: Promise<void>[] = [];
    for (const lane of this.lanes.values()) {
      lane.closeOpen();
      settled.push(...lane.pendingSettled());
    }
    await Promise.all(settled);
  }

  /** Stop taking messages, then flush: nothing already accepted is lost. Idempotent. */
  async close(): Promise<void> {
    this.closing = true;
    await this.flush();
    this.onClosed();
  }

  private async enqueue(request: SendRequest): Promise<PlacedMessage[]> {
    if (this.fatal !== undefined) throw this.fatal;
    this.limits ??= await this.cluster.limits();
    const limits = this.limits;
    this.bounds ??= batchBounds(this.options, limits);
    const { topic } = request;
    const count = await this.cluster.partitionCount(topic);
    const prepared = request.messages.map((m, i) => prepareMessage(m, i, limits));
    for (const [i, m] of prepared.entries()) {
      if (m.partition !== undefined && m.partition >= count) {
        throw new RlogError("UNKNOWN_PARTITION", `messages[${i}].partition: topic ${topic} has ${count} partitions, not ${m.partition + 1}`);
      }
    }
    const out: PlacedMessage[] = [];
    for (const m of prepared) {
      const wait = this.budget.acquire(m.bytes);
      if (wait !== undefined) await wait;
      const partition = m.partition ?? this.partitioner.partition(topic, m.record.key, count);
      out.push({ partition, at: this.lane({ topic, partition }).append(m.record, m.bytes) });
    }
    return out;
  }

  private lane(tp: TopicPartitionRef): PartitionLane {
    const key = `${tp.topic}\u0000${tp.partition}`;
    let lane = this.lanes.get(key);
    if (lane === undefined) {
      lane = new PartitionLane(tp, this.bounds as BatchBounds, this.laneDeps);
      this.lanes.set(key, lane);
    }
    return lane;
  }

  private onBatchClosed(tp: TopicPartitionRef): void {
    const count = this.cluster.cache.partitionCount(tp.topic);
    if (count !== undefined) this.partitioner.onBatchClosed(tp.topic, tp.partition, count);
  }

  private onFatal(err: RlogError): void {
    if (this.fatal !== undefined) return;
    this.fatal = err;
    this.cluster.logger.error({ code: err.codeName, message: err.message }, "producer fenced; it fails every pending and later message");
    for (const lane of this.lanes.values()) lane.failAll(err);
  }
}

/** A message of a send() and where its lane put it. */
interface PlacedMessage {
  readonly partition: number;
  readonly at: RecordPlace;
}

/**
 * Each message's partition and offset once its batch is written; rejects
 * with the first failure. Messages of a send() mostly share a few batches:
 * one wait per batch, not one per message.
 */
async function writtenAt(placed: readonly PlacedMessage[]): Promise<RecordMetadata[]> {
  const slots = new Map<Promise<number>, number>();
  for (const p of placed) if (!slots.has(p.at.baseOffset)) slots.set(p.at.baseOffset, slots.size);
  const bases = await Promise.all(slots.keys());
  return placed.map((p) => ({ partition: p.partition, offset: (bases[slots.get(p.at.baseOffset) as number] as number) + p.at.place }));
}
