/**
 * Long-poll fetches waiting for the high watermark to pass their offset.
 * Each waiter ends at the first of: new committed data, its deadline, its
 * connection closing, or the partition closing.
 */

interface Waiter {
  readonly offset: number;
  readonly wake: () => void;
}

export class FetchWaiters {
  private waiters = new Set<Waiter>();

  /**
   * Resolve once `ready()` says there is data, or after `waitMs`, or when
   * `signal` aborts. The caller bounds how many wait (in-flight limits per connection).
   */
  wait(offset: number, waitMs: number, signal: AbortSignal, ready: () => boolean): Promise<void> {
    if (waitMs <= 0 || signal.aborted || ready()) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        this.waiters.delete(w);
        resolve();
      };
      const w: Waiter = { offset, wake: done };
      const timer = setTimeout(done, waitMs);
      signal.addEventListener("abort", done, { once: true });
      this.waiters.add(w);
    });
  }

  /** Wake every waiter whose offset is now below the high watermark. */
  notify(highWatermark: number): void {
    for (const w of this.waiters) if (w.offset < highWatermark) w.wake();
  }

  /** Wake everyone (leadership lost, partition closing). */
  wakeAll(): void {
    for (const w of [...this.waiters]) w.wake();
  }

  size(): number {
    return this.waiters.size;
  }
}
