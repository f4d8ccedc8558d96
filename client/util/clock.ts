/**
 * The SDK's one clock. Decision code (the producer's lane state machine, the
 * group membership state machine, the retrier) never reads time itself: it
 * is handed `nowMs` by a shell that reads this clock, so a test can drive it
 * with a fake clock and replay a run from a seed.
 */

/** A monotonic clock in milliseconds (arbitrary origin, like performance.now()). */
export interface Clock {
  /** The time now, in ms; never goes back. */
  nowMs(): number;
}

/** The real clock: performance.now(). */
export const realClock: Clock = Object.freeze({ nowMs: () => performance.now() });
