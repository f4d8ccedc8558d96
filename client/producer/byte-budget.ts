/**
 * The producer's buffer bound: bytes of records accepted by send() and not
 * yet acknowledged or failed. A send waits (its promise is the back-pressure)
 * until enough bytes are released. Waiters are served first come, first
 * served, and a new request never overtakes a waiting one, so the order of
 * send() calls is the order their records enter the batches.
 */

interface Waiter {
  readonly bytes: number;
  readonly grant: () => void;
}

/** A byte semaphore; see the file comment. */
export class ByteBudget {
  private usedBytes = 0;
  /** At most one entry in practice: the producer enqueues one send at a time. */
  private readonly waiters: Waiter[] = [];

  /** @param bytesMax the bound; a single request larger than this takes the whole budget */
  constructor(readonly bytesMax: number) {}

  /** Bytes held now. */
  get used(): number {
    return this.usedBytes;
  }

  /** Take `bytes`, waiting while the budget is short. Returns undefined when granted at once (no await needed). */
  acquire(bytes: number): Promise<void> | undefined {
    const n = Math.min(bytes, this.bytesMax);
    if (this.waiters.length === 0 && this.usedBytes + n <= this.bytesMax) {
      this.usedBytes += n;
      return undefined;
    }
    return new Promise((resolve) => {
      this.waiters.push({
        bytes: n,
        grant: () => {
          this.usedBytes += n;
          resolve();
        },
      });
    });
  }

  /** Give back bytes taken with acquire (the same amount). */
  release(bytes: number): void {
    this.usedBytes -= Math.min(bytes, this.bytesMax);
    while (this.waiters.length > 0) {
      const w = this.waiters[0] as Waiter;
      if (this.usedBytes + w.bytes > this.bytesMax && this.usedBytes > 0) break;
      this.waiters.shift();
      w.grant();
    }
  }
}
