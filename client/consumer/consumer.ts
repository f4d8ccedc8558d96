/**
 * A consumer of explicitly assigned partitions (no group): one
 * PartitionFetcher per partition, records handed out round-robin across
 * partitions (in offset order within each), either through an async
 * iterator or a callback loop. Only one of the two runs at a time.
 *
 * Positions: `position(tp)` is the next offset the application will get.
 * A record counts as consumed once the iterator has yielded it or its
 * handler has resolved; if a handler throws, run() rejects, the consumer
 * stops, and the position stays at the failed record.
 */
import { invalidField } from "../../broker/protocol/errors.js";
import { CONSUMER_DEFAULTS } from "../../broker/protocol/defaults.js";
import type { Cluster, TopicPartitionRef } from "../cluster/cluster.js";
import { ClosedError } from "../network/client-errors.js";
import { WakeSignal } from "../util/wake-signal.js";
import {
  checkConsumerOptions,
  checkStartFrom,
  type ConsumerOptions,
  type ConsumerRecord,
  type PartitionAssignment,
  type RunHandlers,
  type StartFrom,
} from "./consumer-types.js";
import { PartitionFetcher, type FetcherDeps } from "./partition-fetcher.js";

/** Records taken from one partition before the next partition gets its turn. */
const BURST_RECORDS_MAX = CONSUMER_DEFAULTS.burstRecordsMax;
/** Most records in one eachBatch call. */
const BATCH_RECORDS_MAX = CONSUMER_DEFAULTS.eachBatchRecordsMax;

/** Reads assigned partitions; see the file comment. Create with `client.consumer()`. */
export class Consumer {
  /** Fetchers by "topic\0partition", in assignment order. */
  private readonly fetchers = new Map<string, PartitionFetcher>();
  private order: PartitionFetcher[] = [];
  private cursor = 0;
  private burst = 0;
  private readonly ready = new WakeSignal();
  private looping = false;
  private stopping: Promise<void> | undefined;
  private readonly deps: FetcherDeps;

  /**
   * Use `client.consumer()`.
   * @param onStopped called once stop() has finished
   */
  constructor(
    cluster: Cluster,
    options: ConsumerOptions = {},
    private readonly onStopped: () => void = () => undefined,
  ) {
    checkConsumerOptions(options);
    this.deps = { cluster, options, random: Math.random, onReady: () => this.ready.notify() };
  }

  /**
   * Set the partitions to read, each from its `from`. Replaces the previous
   * assignment: partitions left out stop; listed partitions (re)start from
   * their `from`. Fetching starts at once (into the bounded prefetch buffers).
   */
  assign(assignments: readonly PartitionAssignment[]): void {
    this.throwIfStopped();
    const next = new Map<string, PartitionFetcher>();
    assignments.forEach((a, i) => {
      const at = `assignments[${i}]`;
      if (typeof a?.topic !== "string" || a.topic === "") throw invalidField(`${at}.topic`, "expected a topic name");
      if (!Number.isSafeInteger(a.partition) || a.partition < 0) throw invalidField(`${at}.partition`, "expected a non-negative integer");
      checkStartFrom(a.from, `${at}.from`);
      const key = keyOf(a);
      if (next.has(key)) throw invalidField(at, `${a.topic}/${a.partition} is listed twice`);
      const existing = this.fetchers.get(key);
      if (existing !== undefined) {
        existing.seek(a.from);
        next.set(key, existing);
      } else {
        next.set(key, new PartitionFetcher({ topic: a.topic, partition: a.partition }, a.from, this.deps));
      }
    });
    for (const [key, f] of this.fetchers) if (!next.has(key)) void f.stop();
    this.fetchers.clear();
    for (const [key, f] of next) this.fetchers.set(key, f);
    this.order = [...next.values()];
    this.cursor = 0;
    for (const f of this.order) f.start();
    this.ready.notify();
  }

  /** The assigned partitions. */
  assignment(): TopicPartitionRef[] {
    return this.order.map((f) => ({ ...f.tp }));
  }

  /** The next offset the application will get from a partition; undefined while its start offset is being resolved. */
  position(tp: TopicPartitionRef): number | undefined {
    return this.fetcher(tp).position;
  }

  /** Move a partition's position; buffered records are dropped. */
  seek(tp: TopicPartitionRef, to: number | StartFrom): void {
    const from: StartFrom = typeof to === "number" ? { offset: to } : to;
    checkStartFrom(from, "seek");
    this.fetcher(tp).seek(from);
    this.ready.notify();
  }

  /** Stop fetching and delivering these partitions until resume(). */
  pause(tps: readonly TopicPartitionRef[]): void {
    for (const tp of tps) this.fetcher(tp).pause();
  }

  /** Resume paused partitions. */
  resume(tps: readonly TopicPartitionRef[]): void {
    for (const tp of tps) this.fetcher(tp).resume();
    this.ready.notify();
  }

  /**
   * The records of all assigned partitions, as they arrive. Ends after
   * stop(); leaving the loop early (break, throw) stops the consumer. Throws
   * the error that stopped a partition (after that partition's earlier records).
   */
  async *records(): AsyncGenerator<ConsumerRecord, void, undefined> {
    this.beginLoop();
    try {
      while (this.stopping === undefined) {
        const item = this.next();
        if (item === undefined) {
          await this.ready.wait();
          continue;
        }
        if ("error" in item) throw item.error;
        yield item.record;
      }
    } finally {
      this.looping = false;
      await this.stop();
    }
  }

  /**
   * Call a handler for each record (`eachRecord`) or for each run of records
   * of one partition (`eachBatch`), one call at a time, until stop().
   * Resolves when stopped; rejects (and stops) when a handler throws or a
   * partition fails, leaving the position at the first unhandled record.
   */
  async run(handlers: RunHandlers): Promise<void> {
    const { eachRecord, eachBatch } = handlers;
    if ((eachRecord === undefined) === (eachBatch === undefined)) throw new TypeError("run() needs exactly one of eachRecord and eachBatch");
    this.beginLoop();
    try {
      while (this.stopping === undefined) {
        const item = eachBatch === undefined ? this.next() : this.nextBatch();
        if (item === undefined) {
          await this.ready.wait();
          continue;
        }
        if ("error" in item) throw item.error;
        const records = "record" in item ? [item.record] : item.records;
        const first = records[0] as ConsumerRecord;
        try {
          if (eachBatch !== undefined) {
            await eachBatch({ topic: first.topic, partition: first.partition, records, highWatermark: item.fetcher.lastHighWatermark });
          } else {
            await eachRecord?.(first);
          }
        } catch (err) {
          item.fetcher.seek({ offset: first.offset }); // position stays at the failed record
          throw err;
        }
      }
    } finally {
      this.looping = false;
      await this.stop();
    }
  }

  /** Stop every partition and end records()/run(). A stopped consumer cannot be restarted. Idempotent. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.ready.notify();
      await Promise.all(this.order.map((f) => f.stop()));
      this.onStopped();
    })();
    return this.stopping;
  }

  private beginLoop(): void {
    this.throwIfStopped();
    if (this.looping) throw new Error("records() or run() is already running on this consumer");
    this.looping = true;
  }

  /** The next record round-robin (up to a burst per partition), or a partition's failure. */
  private next(): ({ readonly record: ConsumerRecord; readonly fetcher: PartitionFetcher } | { readonly error: unknown }) | undefined {
    const n = this.order.length;
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const fetcher = this.order[at] as PartitionFetcher;
      const polled = fetcher.poll();
      if (polled === undefined) continue;
      const item = "record" in polled ? { record: polled.record, fetcher } : polled;
      if (at !== this.cursor || ++this.burst >= BURST_RECORDS_MAX) {
        this.cursor = at === this.cursor ? (at + 1) % n : at;
        this.burst = 0;
      }
      return item;
    }
    return undefined;
  }

  /** The buffered records of the next partition that has some, or a partition's failure. */
  private nextBatch(): ({ readonly records: ConsumerRecord[]; readonly fetcher: PartitionFetcher } | { readonly error: unknown }) | undefined {
    const n = this.order.length;
    for (let i = 0; i < n; i++) {
      const at = (this.cursor + i) % n;
      const fetcher = this.order[at] as PartitionFetcher;
      const polled = fetcher.pollBatch(BATCH_RECORDS_MAX);
      if (polled === undefined) continue;
      this.cursor = (at + 1) % n;
      return "records" in polled ? { records: polled.records, fetcher } : polled;
    }
    return undefined;
  }

  private fetcher(tp: TopicPartitionRef): PartitionFetcher {
    const f = this.fetchers.get(keyOf(tp));
    if (f === undefined) throw invalidField("partition", `${tp.topic}/${tp.partition} is not assigned to this consumer`);
    return f;
  }

  private throwIfStopped(): void {
    if (this.stopping !== undefined) throw new ClosedError("consumer");
  }
}

function keyOf(tp: TopicPartitionRef): string {
  return `${tp.topic}\u0000${tp.partition}`;
}
