/**
 * The memory the client listener holds for responses, bounded per
 * connection (`connectionResponseBytesMax`) and per broker
 * (`brokerResponseBytesMax`), so that clients that stop reading cannot grow
 * the broker without bound (issue 13: eight paused connections with 128
 * pipelined 4 MiB fetches each took a broker from 146 MiB to 727 MiB).
 *
 * What is held: a response's bytes from before its handler builds it (a
 * fetch reserves before it reads the log) until ws has handed the frame to
 * the socket (the ws send callback), or until the connection closes; and a
 * request's frame while its handler runs (a produce's batch is a view of
 * it), charged without waiting: the session stops reading a connection
 * while it or the broker is over budget.
 * - A fetch reserves (`reserve`) before it reads. It waits at most what is
 *   left of its maxWaitMs (at least FETCH_BUDGET_WAIT_MS_MIN): first in its
 *   connection's FIFO for room in the connection's budget, then in the
 *   broker's FIFO for room in the broker's. A waiter at the head of a FIFO
 *   is never passed by a later one, so a connection cannot jump the queue
 *   and a large fetch is not starved by small ones. No grant in time: the
 *   fetch answers with no records, like an empty long poll.
 * - Any other response (produce acks, metadata, errors) is small and is
 *   charged at its real size when sent (`sent`), without waiting: a few
 *   additions on the hot path, no allocation.
 * - When the response is encoded, the reservation becomes its real size
 *   (the unused part is released; a larger frame, at most frameBytesMax,
 *   is charged). Each frame is released by its connection's one ws send
 *   callback (frames are written in order: a queue of sizes matches them).
 *
 * Clients that do not read: a connection whose unsent bytes have not moved
 * for `sendStallMs`, or for `sendStallPressureMs` while fetches wait in the
 * broker's FIFO, is reported stalled (the session closes it, which frees
 * what it held). A sweep timer runs only while some connection has unsent
 * bytes or some fetch waits.
 *
 * Invariants: heldBytes = sum over open connections of brokerBytes;
 * a connection's heldBytes = brokerBytes + bytes of its waiters in the
 * broker FIFO; unsentBytes <= brokerBytes. Grants keep a connection's
 * heldBytes <= connectionBytesMax and the broker's <= bytesMax; charges
 * without waiting may pass them (by at most the frames in flight).
 */
import { strict as assert } from "node:assert";

/**
 * Least time a fetch may wait for budget, whatever its maxWaitMs: a
 * non-blocking fetch (maxWaitMs 0) pipelined behind its own connection's
 * responses would otherwise answer empty while records are there, until
 * the earlier responses reach the socket (microseconds for a reading client).
 */
export const FETCH_BUDGET_WAIT_MS_MIN = 100;

/**
 * While the broker's budget is spent, a connection is still read if it has
 * no unsent bytes and less than this of requests running: control traffic
 * (group heartbeats, commits, the next fetch's request) goes on while a
 * long poll runs, and such connections hold almost nothing.
 */
export const LIGHT_REQUEST_BYTES_MAX = 64 * 1024;

/** Bytes of a fetch response beyond its records (ids, offsets, per-batch fields), reserved with them. */
export const FETCH_ENVELOPE_BYTES = 64 * 1024;

/** The limits the budget enforces (a subset of Limits). */
export interface ResponseBudgetLimits {
  readonly brokerResponseBytesMax: number;
  readonly connectionResponseBytesMax: number;
  readonly sendStallMs: number;
  readonly sendStallPressureMs: number;
}

/**
 * What a fetch reserves before it reads. Its records: maxBytes (at most
 * fetchBytesMax), but at least batchBytesMax since the first batch is
 * returned whatever its size. They are held twice for a moment: as read
 * from the log, and in the frame that copies them (with the envelope, never
 * more than a frame: a larger response cannot be sent). Both are reserved;
 * once the frame is encoded the reservation becomes the frame's size. At
 * most 2 * frameBytesMax, which connectionResponseBytesMax must allow.
 */
export function fetchReservationBytes(maxBytes: number, limits: { readonly fetchBytesMax: number; readonly batchBytesMax: number; readonly frameBytesMax: number }): number {
  const records = Math.min(Math.max(Math.min(maxBytes, limits.fetchBytesMax), limits.batchBytesMax), limits.frameBytesMax);
  return records + Math.min(records + FETCH_ENVELOPE_BYTES, limits.frameBytesMax);
}

/** Where a grant is recorded (the session's in-flight request), so it is released whatever happens. */
export interface ReservationHolder {
  reservedBytes: number;
}

/** Why and how long a connection has not taken its responses. */
export interface Stall {
  readonly unsentBytes: number;
  readonly stalledMs: number;
  /** True when the shorter sendStallPressureMs applied (fetches were waiting for the broker's budget). */
  readonly underPressure: boolean;
}

interface Waiter {
  readonly connection: ConnectionBudget;
  readonly bytes: number;
  readonly holder: ReservationHolder;
  /** In the connection's FIFO, then (connection bytes granted) in the broker's. */
  stage: "connection" | "broker";
  readonly resolve: (granted: boolean) => void;
  timer: NodeJS.Timeout | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** A FIFO of numbers in a growable ring, so the send path allocates nothing once warm. */
class SizeQueue {
  private ring = new Float64Array(16);
  private head = 0;
  length = 0;

  push(n: number): void {
    if (this.length === this.ring.length) {
      const bigger = new Float64Array(this.ring.length * 2);
      for (let i = 0; i < this.length; i++) bigger[i] = this.ring[(this.head + i) % this.ring.length]!;
      this.ring = bigger;
      this.head = 0;
    }
    this.ring[(this.head + this.length) % this.ring.length] = n;
    this.length++;
  }

  shift(): number | undefined {
    if (this.length === 0) return undefined;
    const n = this.ring[this.head]!;
    this.head = (this.head + 1) % this.ring.length;
    this.length--;
    return n;
  }
}

/** The broker's response budget; see the file comment. */
export class ResponseBudget {
  /** Bytes held by all connections (granted reservations and unsent frames). */
  heldBytes = 0;
  /** Fetches that got no budget in their time and answered without records. */
  deniedCount = 0;
  /** The broker FIFO: waiters that have their connection's bytes and wait for the broker's. */
  private readonly queue = new Set<Waiter>();
  /** Connections with unsent bytes (the ones the sweep looks at). */
  private readonly unsent = new Set<ConnectionBudget>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly sweepMs: number;

  constructor(readonly limits: ResponseBudgetLimits) {
    const { brokerResponseBytesMax, connectionResponseBytesMax, sendStallMs, sendStallPressureMs } = limits;
    assert.ok(connectionResponseBytesMax >= 1 && brokerResponseBytesMax >= connectionResponseBytesMax, "response budget: need 1 <= connectionResponseBytesMax <= brokerResponseBytesMax");
    assert.ok(sendStallPressureMs >= 1 && sendStallPressureMs <= sendStallMs, "response budget: need 1 <= sendStallPressureMs <= sendStallMs");
    // A stall is seen within a quarter of its bound.
    this.sweepMs = Math.max(5, Math.floor(sendStallPressureMs / 4));
  }

  /** A budget for a new connection; `onStalled` is called (once) when it stops taking its responses. */
  connection(onStalled: (stall: Stall) => void): ConnectionBudget {
    return new ConnectionBudget(this, onStalled);
  }

  /** Fetches waiting for the broker's budget. */
  get waitingCount(): number {
    return this.queue.size;
  }

  /** Stop the sweep timer (the listener is closing). Connections close on their own. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  // ---- used by ConnectionBudget ---------------------------------------------

  /** @internal Whether `bytes` could be granted at once (nobody waiting ahead, room). */
  hasRoomNow(bytes: number): boolean {
    return this.queue.size === 0 && this.heldBytes + bytes <= this.limits.brokerResponseBytesMax;
  }

  /** @internal */
  enqueue(w: Waiter): void {
    w.stage = "broker";
    this.queue.add(w);
    this.pump();
  }

  /** @internal A waiter leaves the broker FIFO without a grant (timeout, abort, close). */
  dequeue(w: Waiter): void {
    if (this.queue.delete(w)) this.pump();
  }

  /** @internal Bytes held (or, negative, released) by a connection. */
  add(bytes: number): void {
    this.heldBytes += bytes;
    if (bytes < 0 && this.queue.size > 0) this.pump();
  }

  /** @internal A connection started or stopped having unsent bytes. */
  trackUnsent(c: ConnectionBudget, has: boolean): void {
    if (has) {
      this.unsent.add(c);
      this.armSweep();
    } else this.unsent.delete(c);
  }

  private pump(): void {
    for (const w of this.queue) {
      if (this.heldBytes + w.bytes > this.limits.brokerResponseBytesMax) break;
      this.queue.delete(w);
      this.heldBytes += w.bytes;
      w.connection.granted(w);
    }
    if (this.queue.size > 0) this.armSweep();
  }

  private armSweep(): void {
    if (this.sweepTimer !== undefined || this.stopped) return;
    this.sweepTimer = setTimeout(() => this.sweep(), this.sweepMs);
    this.sweepTimer.unref();
  }

  private sweep(): void {
    this.sweepTimer = undefined;
    const now = performance.now();
    const underPressure = this.queue.size > 0;
    const boundMs = underPressure ? this.limits.sendStallPressureMs : this.limits.sendStallMs;
    const stalled: [ConnectionBudget, Stall][] = [];
    for (const c of this.unsent) {
      const stalledMs = now - c.progressMs;
      if (stalledMs >= boundMs) stalled.push([c, { unsentBytes: c.unsentBytes, stalledMs: Math.round(stalledMs), underPressure }]);
    }
    for (const [c, stall] of stalled) c.reportStall(stall);
    if (this.unsent.size > 0 || this.queue.size > 0) this.armSweep();
  }
}

/** One connection's share of the response budget; see the file comment. */
export class ConnectionBudget {
  /** Bytes this connection holds or has been granted at its own level (see the invariants). */
  heldBytes = 0;
  /** Of those, the bytes counted in the broker's heldBytes. */
  private brokerBytes = 0;
  /** Bytes of frames handed to ws and not yet written to the socket. */
  unsentBytes = 0;
  /** Bytes of request frames whose handlers are running. */
  requestBytes = 0;
  /** performance.now() when unsent bytes last moved (or appeared). */
  progressMs = 0;
  private readonly queue = new Set<Waiter>();
  private readonly waiters = new Set<Waiter>();
  private readonly sizes = new SizeQueue();
  private closed = false;
  private stallReported = false;
  /** The ws send callback of every frame of this connection (bound once). */
  readonly onWritten = (): void => this.written();

  constructor(
    private readonly broker: ResponseBudget,
    private readonly onStalled: (stall: Stall) => void,
  ) {}

  /**
   * Whether the connection's socket should not be read: it is over its own
   * budget, or the broker is over its budget and this connection holds some
   * of it (unsent bytes, or LIGHT_REQUEST_BYTES_MAX of running requests).
   */
  get readingBlocked(): boolean {
    if (this.heldBytes >= this.broker.limits.connectionResponseBytesMax) return true;
    if (this.broker.heldBytes < this.broker.limits.brokerResponseBytesMax) return false;
    return this.unsentBytes > 0 || this.requestBytes >= LIGHT_REQUEST_BYTES_MAX;
  }

  /**
   * Reserve `bytes` for a response, waiting FIFO at most `waitMs`. Resolves
   * true once granted (and adds them to `holder.reservedBytes` at that
   * moment), false when the time ran out, `signal` aborted, or the
   * connection closed. Synchronous when it can answer at once.
   */
  reserve(bytes: number, waitMs: number, holder: ReservationHolder, signal?: AbortSignal): boolean | Promise<boolean> {
    assert.ok(Number.isSafeInteger(bytes) && bytes >= 1 && bytes <= this.broker.limits.connectionResponseBytesMax, `response budget: reservation of ${bytes} bytes`);
    if (this.closed || signal?.aborted === true) return false;
    if (this.queue.size === 0 && this.heldBytes + bytes <= this.broker.limits.connectionResponseBytesMax && this.broker.hasRoomNow(bytes)) {
      this.heldBytes += bytes;
      this.brokerBytes += bytes;
      this.broker.add(bytes);
      holder.reservedBytes += bytes;
      return true;
    }
    if (!(waitMs >= 1)) {
      this.broker.deniedCount++;
      return false;
    }
    return new Promise<boolean>((resolve) => {
      const w: Waiter = {
        connection: this,
        bytes,
        holder,
        stage: "connection",
        resolve,
        timer: undefined,
        signal,
        onAbort: () => this.leave(w, false),
      };
      w.timer = setTimeout(() => {
        this.broker.deniedCount++;
        this.leave(w, false);
      }, Math.ceil(waitMs));
      signal?.addEventListener("abort", w.onAbort, { once: true });
      this.waiters.add(w);
      this.queue.add(w);
      this.pump();
    });
  }

  /** A frame of `frameBytes` goes to ws; `reservedBytes` of it were reserved (the rest is charged now). */
  sent(frameBytes: number, reservedBytes: number): void {
    if (this.closed) return;
    const extra = frameBytes - reservedBytes;
    this.heldBytes += extra;
    this.brokerBytes += extra;
    this.broker.add(extra);
    if (this.unsentBytes === 0) {
      this.progressMs = performance.now();
      this.broker.trackUnsent(this, true);
    }
    this.unsentBytes += frameBytes;
    this.sizes.push(frameBytes);
    if (extra < 0) this.pump();
  }

  /** A request's frame of `bytes` is held while its handler runs: charged without waiting. */
  holdRequest(bytes: number): void {
    if (this.closed) return;
    this.requestBytes += bytes;
    this.heldBytes += bytes;
    this.brokerBytes += bytes;
    this.broker.add(bytes);
  }

  /** The handler of a request of `bytes` settled. */
  releaseRequest(bytes: number): void {
    if (this.closed || bytes === 0) return;
    this.requestBytes -= bytes;
    this.release(bytes);
  }

  /** Reserved bytes that will not be sent (the result was discarded or failed to encode). */
  release(reservedBytes: number): void {
    if (this.closed || reservedBytes === 0) return;
    this.heldBytes -= reservedBytes;
    this.brokerBytes -= reservedBytes;
    this.broker.add(-reservedBytes);
    this.pump();
  }

  /** The connection closed: everything it held is released, its waiters get false. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.waiters) this.leave(w, false);
    this.broker.add(-this.brokerBytes);
    this.broker.trackUnsent(this, false);
    this.heldBytes = 0;
    this.brokerBytes = 0;
    this.unsentBytes = 0;
    this.requestBytes = 0;
  }

  // ---- used by ResponseBudget -----------------------------------------------

  /** @internal The broker granted `w` (its bytes are in the broker's heldBytes). */
  granted(w: Waiter): void {
    this.brokerBytes += w.bytes;
    w.holder.reservedBytes += w.bytes;
    this.settle(w, true);
  }

  /** @internal */
  reportStall(stall: Stall): void {
    if (this.stallReported || this.closed) return;
    this.stallReported = true;
    this.onStalled(stall);
  }

  // ---- internals ------------------------------------------------------------

  private written(): void {
    if (this.closed) return;
    const bytes = this.sizes.shift();
    if (bytes === undefined) return;
    this.heldBytes -= bytes;
    this.brokerBytes -= bytes;
    this.unsentBytes -= bytes;
    this.progressMs = performance.now();
    if (this.unsentBytes === 0) this.broker.trackUnsent(this, false);
    this.broker.add(-bytes);
    this.pump();
  }

  /** Move waiters from this connection's FIFO to the broker's while the connection has room. */
  private pump(): void {
    for (const w of this.queue) {
      if (this.heldBytes + w.bytes > this.broker.limits.connectionResponseBytesMax) break;
      this.queue.delete(w);
      this.heldBytes += w.bytes;
      this.broker.enqueue(w);
    }
  }

  /** A waiter leaves without a grant. */
  private leave(w: Waiter, granted: boolean): void {
    if (!this.waiters.has(w)) return;
    if (w.stage === "connection") this.queue.delete(w);
    else {
      this.heldBytes -= w.bytes;
      this.broker.dequeue(w);
    }
    this.settle(w, granted);
    if (!this.closed) this.pump();
  }

  private settle(w: Waiter, granted: boolean): void {
    this.waiters.delete(w);
    clearTimeout(w.timer);
    w.signal?.removeEventListener("abort", w.onAbort);
    w.resolve(granted);
  }
}
