/**
 * The one retrier: runs an attempt, and on a retriable error (by code only)
 * backs off and runs it again, up to `retriesMax` retries and within
 * `totalTimeoutMs`. Errors that say leadership is moving (isLeaderChange) are
 * retried within `totalTimeoutMs` without counting against `retriesMax`:
 * their pauses are short, so counting them would give up after a couple of
 * seconds without a leader, well before a partition heals (Kafka likewise
 * bounds produce retries by time, delivery.timeout.ms). When it gives up it throws the last error unchanged, so
 * the caller still sees its code (when the last attempt was only cut short by
 * the total timeout, the error before it, which says more). Non-retriable
 * errors surface at once.
 */
import { ErrorCode, type RlogError } from "../../broker/protocol/errors.js";
import { realClock, type Clock } from "../util/clock.js";
import { sleep } from "../util/sleep.js";
import { countsAgainstRetries, isRetriableError, retryDelayMs, type RetryOptions } from "./retry-options.js";

/** What an attempt knows about its place in the retry loop. */
export interface AttemptContext {
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** Time left of the total timeout, in ms (> 0): cap request timeouts with it. */
  readonly remainingMs: number;
}

/**
 * What the retrier does after a retriable error, decided by the caller's
 * hook: "backoff" (the default) or "now" (retry without waiting, e.g. to
 * follow a leader hint to another broker; never twice in a row).
 */
export type RetryAction = "backoff" | "now";

/** Per-call hooks. */
export interface RetryHooks {
  /**
   * Called with every retriable error before the retrier decides to retry.
   * Update routing state here (mark metadata stale, apply a leader hint).
   * Throwing stops the retries with that error.
   */
  readonly onRetriable?: (error: RlogError, attempt: number) => RetryAction | void;
  /** Stops waiting (and further attempts) when aborted; the abort reason is thrown. */
  readonly signal?: AbortSignal;
  /**
   * This call's time budget instead of options.totalTimeoutMs, in ms: for a
   * call whose single attempt may wait longer than that (a joinGroup waits
   * for the whole group to rejoin).
   */
  readonly totalTimeoutMs?: number;
}

/** Runs attempts with capped exponential backoff and jitter; see the file comment. */
export class Retrier {
  /**
   * @param options retry settings
   * @param random source of jitter in [0, 1); injectable for tests
   * @param pause waits between attempts; injectable for tests
   * @param clock time source of the total timeout; injectable for tests
   */
  constructor(
    readonly options: RetryOptions,
    private readonly random: () => number = Math.random,
    private readonly pause: (delayMs: number, signal?: AbortSignal) => Promise<void> = sleep,
    private readonly clock: Clock = realClock,
  ) {}

  /** Run `attempt` until it succeeds, fails with a non-retriable error, or the retry budget is spent. */
  async run<T>(attempt: (ctx: AttemptContext) => Promise<T>, hooks: RetryHooks = {}): Promise<T> {
    const clock = this.clock;
    const deadlineMs = clock.nowMs() + (hooks.totalTimeoutMs ?? this.options.totalTimeoutMs);
    let previousNow = false;
    let previous: RlogError | undefined;
    let counted = 0;
    for (let n = 1; ; n++) {
      hooks.signal?.throwIfAborted();
      const remainingMs = Math.max(1, Math.ceil(deadlineMs - clock.nowMs()));
      try {
        return await attempt({ attempt: n, remainingMs });
      } catch (err) {
        if (!isRetriableError(err)) throw err;
        // A last attempt cut short by the total timeout says less than the error before it.
        if (clock.nowMs() >= deadlineMs && err.code === ErrorCode.TIMEOUT && previous !== undefined) throw previous;
        if (countsAgainstRetries(err, this.options)) counted++;
        if (counted > this.options.retriesMax) throw err;
        previous = err;
        const action = hooks.onRetriable?.(err, n) ?? "backoff";
        const skipBackoff: boolean = action === "now" && !previousNow;
        previousNow = skipBackoff;
        const delayMs = skipBackoff ? 0 : retryDelayMs(err, n, this.options, this.random());
        if (clock.nowMs() + delayMs >= deadlineMs) throw err;
        await this.pause(delayMs, hooks.signal);
      }
    }
  }
}
