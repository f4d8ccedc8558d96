/**
 * Idempotent-producer state of one partition replica (after Kafka's
 * ProducerStateManager): for each producer id, its epoch and its last few
 * batches (sequence range, offset, Raft index and term). The leader uses it
 * to drop a retried batch and answer with the original offsets.
 *
 * It is kept from the entries this replica has durably appended (committed or
 * not) plus the leader's own proposals, and it forgets batches whose entries
 * were truncated, so a batch is reported as a duplicate only while its entry
 * is in this replica's log.
 */
import type { Index, Offset, Term } from "../raft/types.js";
import { PRODUCER_STATE_DEFAULTS } from "../protocol/defaults.js";

/** Batches remembered per producer: more than the client's in-flight bound (5). */
export const PRODUCER_BATCHES_MAX = PRODUCER_STATE_DEFAULTS.batchesPerProducerMax;
/** Producers remembered per partition; the least recently written is forgotten first. */
export const PRODUCERS_MAX = PRODUCER_STATE_DEFAULTS.producersMax;
/** A producer idle this long (by its batches' timestamps) is forgotten; see the header. */
export const PRODUCER_ID_EXPIRATION_MS = PRODUCER_STATE_DEFAULTS.producerIdExpirationMs;

/** One remembered batch. */
export interface ProducerBatch {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: Offset;
  readonly index: Index;
  readonly term: Term;
}

interface ProducerEntry {
  epoch: number;
  batches: ProducerBatch[];
  /** The latest timestamp (ms since epoch) of this producer's remembered batches. */
  lastTimestampMs: number;
}

export interface ProducerStateOptions {
  /** Idle time after which a producer is forgotten; PRODUCER_ID_EXPIRATION_MS when absent. */
  readonly expirationMs?: number;
}

/** What to do with an incoming idempotent batch. */
export type SequenceCheck =
  | { readonly kind: "append" }
  | { readonly kind: "duplicate"; readonly batch: ProducerBatch }
  | { readonly kind: "fenced"; readonly epoch: number }
  | { readonly kind: "outOfOrder"; readonly expected: number }
  | { readonly kind: "tooOld"; readonly expected: number };

export class ProducerStateTable {
  /** Insertion order doubles as least-recently-written order. */
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly expirationMs: number;

  constructor(opts: ProducerStateOptions = {}) {
    this.expirationMs = opts.expirationMs ?? PRODUCER_ID_EXPIRATION_MS;
  }

  /**
   * Decide whether batch [baseSequence, baseSequence + count) of (producerId, epoch) is new.
   * A producer idle since `nowMs - expirationMs` or longer is forgotten first.
   */
  check(producerId: number, epoch: number, baseSequence: number, count: number, nowMs: number): SequenceCheck {
    let p = this.producers.get(producerId);
    if (p && this.expired(p, nowMs)) {
      this.producers.delete(producerId);
      p = undefined;
    }
    if (!p || epoch > p.epoch) return { kind: "append" }; // unknown (or expired) producer, or a new epoch
    if (epoch < p.epoch) return { kind: "fenced", epoch: p.epoch };
    const lastSequence = baseSequence + count - 1;
    for (const b of p.batches) {
      if (b.firstSequence === baseSequence && b.lastSequence === lastSequence) return { kind: "duplicate", batch: b };
    }
    const last = p.batches[p.batches.length - 1];
    if (!last) return { kind: "append" };
    const expected = last.lastSequence + 1;
    if (baseSequence === expected) return { kind: "append" };
    if (baseSequence > expected) return { kind: "outOfOrder", expected };
    return { kind: "tooOld", expected };
  }

  /**
   * Remember a batch (appended or proposed) whose timestamp is `timestampMs`.
   * Re-recording the same entry (index and term) replaces it in place.
   * Producers at the least recently written end that expired by `nowMs` are
   * forgotten on the way (each is removed once, so this costs O(1) amortized).
   */
  record(producerId: number, epoch: number, batch: ProducerBatch, timestampMs: number, nowMs: number): void {
    this.expireOldest(nowMs);
    let p = this.producers.get(producerId);
    if (p) {
      this.producers.delete(producerId); // move to most recent
      if (epoch > p.epoch) p = { epoch, batches: [], lastTimestampMs: timestampMs };
      else p.lastTimestampMs = Math.max(p.lastTimestampMs, timestampMs);
    } else {
      p = { epoch, batches: [], lastTimestampMs: timestampMs };
      if (this.producers.size >= PRODUCERS_MAX) {
        const oldest = this.producers.keys().next().value;
        if (oldest !== undefined) this.producers.delete(oldest);
      }
    }
    // The same index and term is the same entry (Raft's log matching): later batches stay. Any other
    // batch at this index or after it was truncated away by this one.
    const same = p.batches.findIndex((b) => b.index === batch.index && b.term === batch.term);
    if (same >= 0) {
      p.batches[same] = batch;
    } else {
      p.batches = p.batches.filter((b) => b.index < batch.index);
      p.batches.push(batch);
      if (p.batches.length > PRODUCER_BATCHES_MAX) p.batches.shift();
    }
    this.producers.set(producerId, p);
  }

  /** Forget every batch at or above `from` (its entries were truncated). */
  truncateFrom(from: Index): void {
    for (const [id, p] of this.producers) {
      p.batches = p.batches.filter((b) => b.index < from);
      if (p.batches.length === 0) this.producers.delete(id);
    }
  }

  clear(): void {
    this.producers.clear();
  }

  /**
   * Forget every producer expired by `nowMs`, wherever it stands in the
   * table (recording only sweeps the least recently written end, and an idle
   * partition records nothing). The broker calls it on each partition with
   * every retention pass (retentionCheckIntervalMs), so memory does not keep
   * dead producers. O(producers), at most PRODUCERS_MAX. Returns how many
   * were forgotten.
   */
  expire(nowMs: number): number {
    let forgotten = 0;
    for (const [id, p] of this.producers) {
      if (!this.expired(p, nowMs)) continue;
      this.producers.delete(id);
      forgotten++;
    }
    return forgotten;
  }

  /** Forget expired producers from the least recently written end, up to the first one that is not. */
  private expireOldest(nowMs: number): void {
    for (const [id, p] of this.producers) {
      if (!this.expired(p, nowMs)) return;
      this.producers.delete(id);
    }
  }

  private expired(p: ProducerEntry, nowMs: number): boolean {
    return nowMs - p.lastTimestampMs >= this.expirationMs;
  }

  size(): number {
    return this.producers.size;
  }
}
