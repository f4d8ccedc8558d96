/** Producer settings, their defaults and checks. */
import type { Acks } from "../../broker/protocol/enums.js";
import { isCompressionName, type CompressionName } from "../../broker/protocol/compression.js";
import { RECORD_BATCH_HEADER_BYTES } from "../../broker/protocol/record-batch.js";
import { DEFAULT_LIMITS, type Limits } from "../../broker/protocol/limits.js";
import { PRODUCER_DEFAULTS } from "../../broker/protocol/defaults.js";
import { retryOptions, type RetryOptions } from "../retry/retry-options.js";

/** Options of `client.producer()`. Sizes in bytes, times in ms. */
export interface ProducerOptions {
  /** "all": answered after Raft commit (default); "leader": after the leader's append (may be lost on failover). */
  readonly acks?: Acks;
  /** How long a partition's batch stays open for more records. Default 5. */
  readonly lingerMs?: number;
  /** A batch closes at this many bytes of records. Default 1 MiB (capped by the broker's batchBytesMax and frameBytesMax). */
  readonly batchBytesMax?: number;
  /** A batch closes at this many records. Default and upper bound: the broker's batchRecordsMax. */
  readonly batchRecordsMax?: number;
  /** Produce requests in flight per partition. Default 5; at most 5 when idempotent (the broker remembers that many batches). */
  readonly inflightRequestsMax?: number;
  /** Stamp batches with a producer id and sequence numbers so retries are never written twice. Default true. */
  readonly idempotent?: boolean;
  /** Bytes of accepted, unacknowledged records; send() waits while it is full. Default 32 MiB. */
  readonly bufferBytesMax?: number;
  /** How long the broker may wait for the commit before answering TIMEOUT (the produce `timeoutMs`). Default 10 000. */
  readonly ackTimeoutMs?: number;
  /** Retry settings for batches; the client's by default. `totalTimeoutMs` counts from the batch's creation. */
  readonly retry?: Partial<RetryOptions>;
  /**
   * Codec of each batch's records: "none" (default), "gzip", "lz4" or "zstd". lz4 and zstd load
   * a native module on first use. A topic whose `compression` setting names a codec re-encodes.
   */
  readonly compression?: CompressionName;
}

/** Producer settings with defaults filled in (batch bounds not yet capped by the broker's limits). */
export interface ResolvedProducerOptions {
  readonly acks: Acks;
  readonly lingerMs: number;
  readonly batchBytesMax: number;
  readonly batchRecordsMax: number;
  readonly inflightRequestsMax: number;
  readonly idempotent: boolean;
  readonly bufferBytesMax: number;
  readonly ackTimeoutMs: number;
  readonly retry: RetryOptions;
  readonly compression: CompressionName;
}

/** Most batches in flight per partition for an idempotent producer (Kafka's bound, too). */
export const IDEMPOTENT_INFLIGHT_MAX = PRODUCER_DEFAULTS.idempotentInflightMax;

import { KiB } from "../../broker/protocol/defaults.js";

/** Fill in defaults and check the values. */
export function resolveProducerOptions(o: ProducerOptions, clientRetry: RetryOptions): ResolvedProducerOptions {
  const idempotent = o.idempotent ?? true;
  const r: ResolvedProducerOptions = {
    acks: o.acks ?? PRODUCER_DEFAULTS.acks,
    lingerMs: o.lingerMs ?? PRODUCER_DEFAULTS.lingerMs,
    batchBytesMax: o.batchBytesMax ?? PRODUCER_DEFAULTS.batchBytesMax,
    batchRecordsMax: o.batchRecordsMax ?? Number.MAX_SAFE_INTEGER,
    inflightRequestsMax: o.inflightRequestsMax ?? IDEMPOTENT_INFLIGHT_MAX,
    idempotent,
    bufferBytesMax: o.bufferBytesMax ?? PRODUCER_DEFAULTS.bufferBytesMax,
    ackTimeoutMs: o.ackTimeoutMs ?? PRODUCER_DEFAULTS.ackTimeoutMs,
    retry: retryOptions({ ...clientRetry, ...o.retry }),
    compression: o.compression ?? PRODUCER_DEFAULTS.compression,
  };
  if (!isCompressionName(r.compression)) throw new RangeError(`compression must be "none", "gzip", "lz4" or "zstd", got ${String(r.compression)}`);
  if (r.acks !== "all" && r.acks !== "leader") throw new RangeError(`acks must be "all" or "leader", got ${String(r.acks)}`);
  for (const name of ["lingerMs", "batchBytesMax", "batchRecordsMax", "inflightRequestsMax", "bufferBytesMax", "ackTimeoutMs"] as const) {
    const v = r[name];
    const min = name === "lingerMs" ? 0 : 1;
    if (!Number.isSafeInteger(v) || v < min) throw new RangeError(`producer ${name} must be an integer >= ${min}, got ${String(v)}`);
  }
  if (idempotent && r.inflightRequestsMax > IDEMPOTENT_INFLIGHT_MAX) {
    throw new RangeError(`an idempotent producer allows at most ${IDEMPOTENT_INFLIGHT_MAX} requests in flight per partition`);
  }
  return Object.freeze(r);
}

/** The batch bounds in force: the options capped by the broker's limits. */
export interface BatchBounds {
  readonly batchBytesMax: number;
  readonly batchRecordsMax: number;
  readonly ackTimeoutMs: number;
}

/**
 * Cap the batch options by what the broker accepts: its batchBytesMax (less the batch header; the
 * records are counted before compression, so a compressed batch is smaller still) and its frame size
 * with room for the request's other fields.
 */
export function batchBounds(o: ResolvedProducerOptions, limits: Limits): BatchBounds {
  const brokerBatchBytesMax = (limits.batchBytesMax ?? DEFAULT_LIMITS.batchBytesMax) - RECORD_BATCH_HEADER_BYTES;
  return {
    batchBytesMax: Math.max(1, Math.min(o.batchBytesMax, brokerBatchBytesMax, limits.frameBytesMax - 4 * KiB)),
    batchRecordsMax: Math.min(o.batchRecordsMax, limits.batchRecordsMax),
    ackTimeoutMs: Math.min(o.ackTimeoutMs, limits.requestTimeoutMsMax),
  };
}
