/** Consumer settings and the shapes it hands to the application. */
import type { Limits } from "../../broker/protocol/limits.js";
import { CONSUMER_DEFAULTS } from "../../broker/protocol/defaults.js";

/** Where to start reading a partition. */
export type StartFrom =
  /** The oldest record still held (the log start offset). */
  | "earliest"
  /** Only records written from now on (the high watermark). */
  | "latest"
  /** This exact offset. */
  | { readonly offset: number }
  /** The first record whose timestamp is at or after this time (ms since the epoch). */
  | { readonly timestampMs: number };

/** A partition to read and where to start. */
export interface PartitionAssignment {
  readonly topic: string;
  readonly partition: number;
  readonly from: StartFrom;
}

/** What to do when the position is outside the log (OFFSET_OUT_OF_RANGE). */
export type OffsetResetPolicy = "earliest" | "latest" | "error";

/** Options of `client.consumer()`. Sizes in bytes, times in ms. */
export interface ConsumerOptions {
  /** Long poll: how long the broker may hold a fetch waiting for records. Default 500 (capped by fetchWaitMsMax). */
  readonly maxWaitMs?: number;
  /** Response budget of one fetch (one partition). Default 1 MiB (capped by fetchBytesMax). */
  readonly maxBytes?: number;
  /** The broker answers as soon as this many bytes are available. Default 1. */
  readonly minBytes?: number;
  /**
   * Bound of the per-partition prefetch buffer: a partition fetches again
   * only while it holds fewer unconsumed record bytes than this. Default: maxBytes.
   */
  readonly prefetchBytesMax?: number;
  /** On OFFSET_OUT_OF_RANGE: jump to the earliest (default) or latest offset, or surface the error. */
  readonly offsetReset?: OffsetResetPolicy;
}

/** Consumer settings with defaults filled in and capped by the broker's limits. */
export interface ResolvedConsumerOptions {
  readonly maxWaitMs: number;
  readonly maxBytes: number;
  readonly minBytes: number;
  readonly prefetchBytesMax: number;
  readonly offsetReset: OffsetResetPolicy;
}

/** A record as the application receives it. Key, value and header values are Buffers viewing the fetched frame. */
export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** Create time (or the leader's append time when the producer gave none), ms since the epoch. */
  readonly timestampMs: number;
  /** undefined for a record without a key. */
  readonly key: Buffer | undefined;
  /** null for a record without a value (a tombstone; Kafka clients may write them). */
  readonly value: Buffer | null;
  readonly headers: readonly { readonly key: string; readonly value: Buffer }[];
}

/** What `eachBatch` receives: consecutive records of one partition. */
export interface EachBatchPayload {
  readonly topic: string;
  readonly partition: number;
  /** At least one record, in offset order. */
  readonly records: readonly ConsumerRecord[];
  /** The partition's high watermark at the last fetch (lag = highWatermark - last offset - 1). */
  readonly highWatermark: number | undefined;
}

/** The handler of `consumer.run()`: exactly one of the two. */
export type RunHandlers =
  | { readonly eachRecord: (record: ConsumerRecord) => Promise<void> | void; readonly eachBatch?: never }
  | { readonly eachBatch: (batch: EachBatchPayload) => Promise<void> | void; readonly eachRecord?: never };

/** Fill in defaults, check, and cap by the broker's limits. */
export function resolveConsumerOptions(o: ConsumerOptions, limits: Limits): ResolvedConsumerOptions {
  const maxBytes = Math.min(o.maxBytes ?? CONSUMER_DEFAULTS.maxBytes, limits.fetchBytesMax);
  const r: ResolvedConsumerOptions = {
    maxWaitMs: Math.min(o.maxWaitMs ?? CONSUMER_DEFAULTS.maxWaitMs, limits.fetchWaitMsMax),
    maxBytes,
    minBytes: o.minBytes ?? CONSUMER_DEFAULTS.minBytes,
    prefetchBytesMax: o.prefetchBytesMax ?? maxBytes,
    offsetReset: o.offsetReset ?? CONSUMER_DEFAULTS.offsetReset,
  };
  checkConsumerOptions(r);
  return r;
}

/** Check option values (also done at `client.consumer()`, before any limits are known). */
export function checkConsumerOptions(o: ConsumerOptions): void {
  for (const name of ["maxWaitMs", "maxBytes", "minBytes", "prefetchBytesMax"] as const) {
    const v = o[name];
    const min = name === "maxWaitMs" ? 0 : 1;
    if (v !== undefined && (!Number.isSafeInteger(v) || v < min)) throw new RangeError(`consumer ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  if (o.offsetReset !== undefined && !["earliest", "latest", "error"].includes(o.offsetReset)) {
    throw new RangeError(`consumer offsetReset must be "earliest", "latest" or "error", got ${String(o.offsetReset)}`);
  }
}

/** Throw a RangeError unless `from` is a valid StartFrom. */
export function checkStartFrom(from: StartFrom, at: string): void {
  if (from === "earliest" || from === "latest") return;
  if (typeof from === "object" && from !== null) {
    if ("offset" in from && Number.isSafeInteger(from.offset) && from.offset >= 0) return;
    if ("timestampMs" in from && Number.isSafeInteger(from.timestampMs) && from.timestampMs >= 0) return;
  }
  throw new RangeError(`${at}: expected "earliest", "latest", { offset } or { timestampMs }`);
}
