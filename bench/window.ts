/** A bound on outstanding operations: acquire() waits while `max` are out. */
export class Window {
  private out = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly max: number) {}

  get outstanding(): number {
    return this.out;
  }

  /** Take a slot, waiting for one if all are out. */
  async acquire(): Promise<void> {
    while (this.out >= this.max) await new Promise<void>((resolve) => this.waiters.push(resolve));
    this.out++;
  }

  /** Give a slot back. */
  release(): void {
    this.out--;
    this.waiters.shift()?.();
  }

  /** Wait until every slot is back. */
  async drain(): Promise<void> {
    while (this.out > 0) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }
}
