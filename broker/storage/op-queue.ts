/**
 * One log's write queue: every mutating call of a log is an operation run
 * strictly after the ones queued before it, so writes of one log never
 * overlap and apply in call order (a log plans each write against the state
 * the previous one left). Writes of different logs each have their own queue
 * and do overlap, which is what lets lmdb-js group them into one
 * transaction (group commit).
 *
 * Invariants:
 * - operations run one at a time, in the order they were queued;
 * - an operation queued while the queue is empty starts at once, in the same
 *   event turn (so writes of many logs issued in one turn share one LMDB
 *   transaction);
 * - at most pendingOpsMax operations of callers are pending: one more is
 *   refused with StorageError TOO_MANY_PENDING_OPS, without being queued;
 * - once closed, calls are refused with CLOSED; internal operations
 *   (runInternal: space reclamation) are still accepted so that close() can
 *   drain them; they are not refused at the bound (they are queued one at a
 *   time by their owner) but count toward it;
 * - a failed operation rejects its own promise only: the queue goes on.
 *
 * Pure: promises only, no I/O (test/storage/op-queue.test.ts).
 */
import { StorageError } from "../raft/log-storage.js";

/** A bounded FIFO of asynchronous operations. */
export class OpQueue {
  /** Settles when every operation queued so far has settled. */
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;
  private closedFlag = false;

  constructor(
    /** The log's name, for error messages. */
    private readonly name: string,
    /** Operations of callers that may be pending at once. */
    private readonly pendingOpsMax: number,
  ) {}

  /** Operations queued or running. */
  get pendingOps(): number {
    return this.pending;
  }

  /** True once close() was called. */
  get closed(): boolean {
    return this.closedFlag;
  }

  /**
   * Run `op` after every operation queued before it; at once (same event
   * turn) when the queue is empty. Refused when closed or at pendingOpsMax.
   * A synchronous throw of `op` becomes a rejection.
   */
  enqueue<T>(op: () => Promise<T>): Promise<T> {
    if (this.closedFlag) return Promise.reject(new StorageError("CLOSED", `log ${this.name} is closed`));
    if (this.pending >= this.pendingOpsMax) {
      return Promise.reject(new StorageError("TOO_MANY_PENDING_OPS", `log ${this.name} has ${this.pending} operations pending (pendingOpsMax): await persist() before issuing more`));
    }
    this.pending++;
    const run = (): Promise<T> => {
      try {
        return op();
      } catch (err) {
        return Promise.reject(err);
      }
    };
    const p = this.pending === 1 ? run() : this.tail.then(run);
    this.tail = p.then(this.settled, this.settled);
    return p;
  }

  /** Queue an internal operation: always after the operations queued before it (never in this turn), and accepted while closed. */
  runInternal<T>(op: () => Promise<T>): Promise<T> {
    this.pending++;
    const p = this.tail.then(op);
    this.tail = p.then(this.settled, this.settled);
    return p;
  }

  /** Refuse further calls (enqueue); what is queued still runs. */
  close(): void {
    this.closedFlag = true;
  }

  /** Resolves when every operation queued so far has settled (never rejects). */
  idle(): Promise<void> {
    return this.tail;
  }

  private readonly settled = (): void => {
    this.pending--;
  };
}
