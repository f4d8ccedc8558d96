/** Producer settings, their defaults and checks. */
import type { Acks } from "../../broker/protocol/enums.js";
import type { Limits } from "../../broker/protocol/limits.js";
import { PRODUCER_DEFAULTS } from "../../broker/protocol/defaults.js";
import { retryOptions, type RetryOptions } from "../retry/retry-options.js";

/** Options of `client.producer()`. Sizes in bytes, times in ms. */
export interface ProducerOptions {
  /** "all": answered after Raft commit (default); "leader": after the leader's append (may be lost on failover). */
  readonly acks?: Acks;
  /** How long a partition's batch stays open for more records. Default 5. */
  readonly lingerMs?: number;
  /** A batch closes at this many bytes of records. Default 256 KiB (and below the broker's frameBytesMax). */
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
  };
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

/** Cap the batch options by what the broker accepts (frame size with room for the request's other fields). */
export function batchBounds(o: ResolvedProducerOptions, limits: Limits): BatchBounds {
  return {
    batchBytesMax: Math.max(1, Math.min(o.batchBytesMax, limits.frameBytesMax - 4 * KiB)),
    batchRecordsMax: Math.min(o.batchRecordsMax, limits.batchRecordsMax),
    ackTimeoutMs: Math.min(o.ackTimeoutMs, limits.requestTimeoutMsMax),
  };
}
