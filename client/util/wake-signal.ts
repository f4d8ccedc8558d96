/**
 * A level-triggered wake-up for one waiting loop: `notify()` sets the flag
 * (waking the waiter, if any); `wait()` returns at once when the flag is set
 * and clears it. Holds at most one waiter, so it never grows.
 */
export class WakeSignal {
  private pending = false;
  private waiter: (() => void) | undefined;

  /** Wake the waiter, or let the next `wait()` return at once. */
  notify(): void {
    const w = this.waiter;
    if (w !== undefined) {
      this.waiter = undefined;
      w();
    } else {
      this.pending = true;
    }
  }

  /**
   * Wait for the next `notify()` (or return at once if one came since the
   * last wait). Only one caller may wait at a time.
   */
  wait(): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return Promise.resolve();
    }
    if (this.waiter !== undefined) throw new Error("WakeSignal: a second waiter"); // a bug in the caller
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }
}
