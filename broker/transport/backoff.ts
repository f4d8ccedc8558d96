/**
 * Capped exponential backoff with "equal jitter" for reconnects: attempt n
 * waits between cap/2 and cap, where cap = min(delayMsMax, delayMsMin * 2^n).
 * Half the delay is fixed so reconnects never hammer a peer; half is random
 * so brokers that lost a peer at the same moment do not retry in lockstep.
 */
import type { RandomSource } from "../raft/random.js";

/** Backoff settings. */
export interface BackoffOptions {
  /** Cap of the first attempt's delay. */
  readonly delayMsMin: number;
  /** Largest delay. */
  readonly delayMsMax: number;
  /** Jitter source (seeded in tests). */
  readonly random: RandomSource;
}

/** One peer's reconnect delays. */
export class Backoff {
  private attempt = 0;

  constructor(private readonly options: BackoffOptions) {
    if (!(options.delayMsMin >= 1 && options.delayMsMax >= options.delayMsMin)) {
      throw new RangeError(`backoff needs 1 <= delayMsMin <= delayMsMax, got ${options.delayMsMin}, ${options.delayMsMax}`);
    }
  }

  /** Delay before the next attempt, in ms; each call grows the next cap until delayMsMax. */
  next(): number {
    const { delayMsMin, delayMsMax, random } = this.options;
    const cap = Math.min(delayMsMax, delayMsMin * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const half = Math.floor(cap / 2);
    return cap - half + random.int(half + 1);
  }

  /** Start over from delayMsMin (after a successful connection). */
  reset(): void {
    this.attempt = 0;
  }
}

/** A RandomSource on Math.random, for production jitter (not for the Raft core). */
export const MATH_RANDOM: RandomSource = { int: (maxExclusive) => Math.floor(Math.random() * maxExclusive) };
