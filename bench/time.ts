/** Small time helpers; every wait in the bench is bounded. */

/** Resolve after `ms`. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A monotonic clock in ms with sub-ms precision. */
export function nowMs(): number {
  return performance.now();
}

/**
 * Wall-clock time in ms since the epoch with sub-ms precision (the
 * performance clock anchored at its origin). Stamped into records so that
 * another client in the same process can measure end-to-end latency.
 */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/**
 * Call `check` every `intervalMs` until it returns true or `timeoutMs` has
 * passed; resolves whether it succeeded. A throw from `check` propagates.
 */
export async function waitUntil(timeoutMs: number, intervalMs: number, check: () => Promise<boolean> | boolean): Promise<boolean> {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (nowMs() >= deadline) return false;
    await sleep(intervalMs);
  }
}

/** `promise`, or a rejection naming `what` if it has not settled within `ms`. */
export async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}
