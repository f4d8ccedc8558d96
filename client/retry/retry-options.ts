/**
 * Retry settings shared by every part of the SDK (one retrier, kafkajs style:
 * capped exponential backoff with jitter, a retry count and a total timeout).
 */
import { ErrorCode, isRetriable, RlogError } from "../../broker/protocol/errors.js";
import { RETRY_DEFAULTS } from "../../broker/protocol/defaults.js";

/** How the SDK retries retriable errors. */
export interface RetryOptions {
  /**
   * Retries after the first attempt; 0 disables retries. Errors that mean
   * leadership is moving (see leaderChangeBackoffMsMax) do not count: only
   * totalTimeoutMs bounds those.
   */
  readonly retriesMax: number;
  /** Backoff cap before the first retry, in ms; doubles with each retry. */
  readonly initialBackoffMs: number;
  /** Largest backoff between two attempts, in ms. */
  readonly backoffMsMax: number;
  /**
   * Time budget of one operation, all attempts and backoffs included, in ms.
   * No attempt starts (and no request waits) past it.
   */
  readonly totalTimeoutMs: number;
  /**
   * Largest backoff while leadership is moving (NOT_LEADER, LEADER_NOT_AVAILABLE,
   * LEADER_TRANSFER_IN_PROGRESS, NOT_CONTROLLER, NOT_COORDINATOR,
   * COORDINATOR_NOT_AVAILABLE, BROKER_NOT_AVAILABLE, and NOT_ENOUGH_SPACE: a
   * leader whose disk is full hands its leadership away), in ms. An election ends
   * within about an election timeout, so waiting longer only delays the
   * first write to the new leader.
   */
  readonly leaderChangeBackoffMsMax: number;
  /**
   * While a retry waits for a partition's leader to change (its connection
   * was lost, NOT_LEADER without a usable hint, LEADER_NOT_AVAILABLE,
   * TIMEOUT, NOT_ENOUGH_SPACE), the metadata is refreshed this often, in ms (at least 1; one
   * refresh per interval for the whole client), and the retry goes out as
   * soon as the metadata names a new leader instead of after the full pause.
   */
  readonly leaderPollIntervalMs: number;
}

/** Defaults: 10 retries, and any number of short pauses while leadership moves, over up to 30 s. */
export const DEFAULT_RETRY: RetryOptions = RETRY_DEFAULTS;

/** Fill in defaults and check the values. */
export function retryOptions(given: Partial<RetryOptions> | undefined): RetryOptions {
  const o = { ...DEFAULT_RETRY, ...given };
  for (const [name, value] of Object.entries(o)) {
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`retry.${name} must be a non-negative integer, got ${String(value)}`);
  }
  if (o.leaderPollIntervalMs < 1) throw new RangeError("retry.leaderPollIntervalMs must be at least 1");
  if (o.initialBackoffMs > o.backoffMsMax) throw new RangeError("retry.initialBackoffMs must not exceed retry.backoffMsMax");
  return Object.freeze(o);
}

/**
 * Backoff before retry number `retry` (1 for the first retry), "equal
 * jitter": a uniform draw between half and all of
 * min(backoffMsMax, initialBackoffMs * 2^(retry - 1)). The jitter spreads
 * clients that failed together; the floor keeps a minimum pause.
 * @param random a number in [0, 1)
 */
export function backoffMs(retry: number, options: RetryOptions, random: number): number {
  const exponent = Math.min(Math.max(retry - 1, 0), 30);
  const cap = Math.min(options.backoffMsMax, options.initialBackoffMs * 2 ** exponent);
  return Math.round(cap / 2 + random * (cap / 2));
}

/**
 * NOT_ENOUGH_SPACE is a leader change too: the broker whose disk is full
 * refuses new records and hands every leadership it holds to a replica with
 * space (docs/STORAGE.md, "A full disk"), so like NOT_LEADER it is retried
 * with short pauses, bounded by totalTimeoutMs only, once the metadata names
 * another leader.
 */
const LEADER_CHANGE_CODES: ReadonlySet<number> = new Set(
  (["NOT_LEADER", "LEADER_NOT_AVAILABLE", "LEADER_TRANSFER_IN_PROGRESS", "NOT_CONTROLLER", "NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "BROKER_NOT_AVAILABLE", "NOT_ENOUGH_SPACE"] as const).map(
    (name) => ErrorCode[name],
  ),
);

/**
 * Whether a retriable error uses up one of `retriesMax`: every error when
 * retries are off (retriesMax 0), else all but leader changes, which only
 * `totalTimeoutMs` bounds.
 */
export function countsAgainstRetries(err: RlogError, options: RetryOptions): boolean {
  return options.retriesMax === 0 || !isLeaderChange(err);
}

/** Whether an error means "leadership is moving": retried with a short backoff. */
export function isLeaderChange(err: RlogError): boolean {
  return LEADER_CHANGE_CODES.has(err.code);
}

const NEW_LEADER_CODES: ReadonlySet<number> = new Set((["NOT_LEADER", "LEADER_NOT_AVAILABLE", "BROKER_NOT_AVAILABLE", "TIMEOUT", "NOT_ENOUGH_SPACE"] as const).map((name) => ErrorCode[name]));

/**
 * Whether an error from a partition's leader means "this broker cannot
 * serve it now; another may soon": the retry waits for the metadata to name
 * another leader (retry.leaderPollIntervalMs), at most its usual pause.
 */
export function awaitsNewLeader(err: RlogError): boolean {
  return NEW_LEADER_CODES.has(err.code);
}

/** The pause before retry number `retry` after `err`: backoffMs, capped for leader changes. */
export function retryDelayMs(err: RlogError, retry: number, options: RetryOptions, random: number): number {
  const full = backoffMs(retry, options, random);
  return isLeaderChange(err) ? Math.min(full, options.leaderChangeBackoffMsMax) : full;
}

/**
 * Whether an error may succeed if the request is sent again. Decided by the
 * error code alone (the shared table); an unknown code and any error that is
 * not an RlogError (a bug, a caller mistake) are not retriable.
 */
export function isRetriableError(err: unknown): err is RlogError {
  return err instanceof RlogError && isRetriable(err.code);
}
