/**
 * The idle timeout of one client connection (`connectionIdleMs`): the
 * connection is idle when no frame arrived and no request finished for
 * that long, while nothing is running (a long poll in flight is not idle)
 * and nothing waits to be sent. One timer per connection, armed once and
 * re-armed only when it fires: activity costs a clock read, not a timer
 * operation, so the request path stays cheap.
 */

/** See the file comment. */
export class IdleTimer {
  private lastActiveMs = performance.now();
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param idleMs connectionIdleMs
   * @param busy whether the connection has work running or unsent (then it is never idle)
   * @param onIdle called once when the connection has been idle for idleMs
   */
  constructor(
    private readonly idleMs: number,
    private readonly busy: () => boolean,
    private readonly onIdle: (idleMs: number) => void,
  ) {}

  /** Start counting (after the handshake). */
  start(): void {
    this.touch();
    this.arm(this.idleMs);
  }

  /** Something happened on the connection: a frame arrived or a request finished. */
  touch(): void {
    this.lastActiveMs = performance.now();
  }

  /** Stop for good (the connection is closing). */
  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => this.check(), Math.max(1, Math.ceil(ms)));
  }

  private check(): void {
    this.timer = undefined;
    if (this.busy()) {
      this.touch();
      this.arm(this.idleMs);
      return;
    }
    const quietMs = performance.now() - this.lastActiveMs;
    if (quietMs >= this.idleMs) this.onIdle(this.idleMs);
    else this.arm(this.idleMs - quietMs);
  }
}
