/**
 * The requests of one connection between dispatch and answer, bounded by
 * `inflightRequestsMax`.
 *
 * Two sets, both bounded by the limit:
 * - `awaiting`: ids the client still waits on (each gets exactly one
 *   response: the handler's outcome, or TIMEOUT if the handler overran);
 * - `running`: handlers not yet settled. A request answered TIMEOUT stays
 *   here until its handler settles, and still counts against the limit, so
 *   a stuck handler cannot let a client start unbounded work.
 *
 * Invariant: awaiting ⊆ running (by entry), running.size <= max.
 */
import { strict as assert } from "node:assert";
import type { OpName } from "../protocol/ops.js";

/** One dispatched request. */
export interface InflightRequest {
  /** The client's request id (1 .. 2^32 - 1). */
  readonly id: number;
  readonly op: OpName;
  /** performance.now() at dispatch, for the per-request log line. */
  readonly startedMs: number;
  /** Aborted on TIMEOUT or when the connection closes; its signal is the handler's `ctx.signal`. */
  readonly controller: AbortController;
  /** True once the request's one response was sent (or dropped on close); later outcomes are discarded. */
  answered: boolean;
  /** The requestTimeoutMs backstop; cleared when the handler settles or the connection closes. */
  timer: NodeJS.Timeout | undefined;
  /** Response bytes the handler reserved (response-budget.ts); the session releases or converts them once. */
  reservedBytes: number;
  /** Bytes of the request's frame, held against the response budget while the handler runs. */
  requestBytes: number;
}

/** The bounded in-flight table of one connection; see the file comment. */
export class InflightRequests {
  private readonly awaiting = new Map<number, InflightRequest>();
  private readonly running = new Set<InflightRequest>();
  /** One shared promise for every drained() caller while handlers run. */
  private drain: { promise: Promise<void>; resolve: () => void } | undefined;

  /** @param requestsMax most handlers running at once on the connection (inflightRequestsMax) */
  constructor(private readonly requestsMax: number) {
    assert.ok(Number.isSafeInteger(requestsMax) && requestsMax >= 1, `inflightRequestsMax must be a positive integer, got ${requestsMax}`);
  }

  /** Handlers not yet settled, answered or not: what the limit counts. */
  get runningCount(): number {
    return this.running.size;
  }

  /** Whether the client is still waiting on a response to `id`. */
  isAwaiting(id: number): boolean {
    return this.awaiting.has(id);
  }

  /** Whether another handler may start. */
  hasRoom(): boolean {
    return this.running.size < this.requestsMax;
  }

  /** Record a dispatched request. The caller checked hasRoom() and !isAwaiting(id). */
  begin(id: number, op: OpName, startedMs: number): InflightRequest {
    assert.ok(this.hasRoom(), "inflight: begin without room");
    assert.ok(!this.awaiting.has(id), "inflight: duplicate id");
    const request: InflightRequest = { id, op, startedMs, controller: new AbortController(), answered: false, timer: undefined, reservedBytes: 0, requestBytes: 0 };
    this.awaiting.set(id, request);
    this.running.add(request);
    return request;
  }

  /**
   * Claim the right to send `request`'s one response. Returns false if it
   * was already answered (timed out, or the connection closed).
   */
  answer(request: InflightRequest): boolean {
    if (request.answered) return false;
    request.answered = true;
    // The id may already belong to a newer request if this one timed out and the client reused it.
    if (this.awaiting.get(request.id) === request) this.awaiting.delete(request.id);
    return true;
  }

  /** The handler of `request` settled: free its slot. Idempotent. */
  finish(request: InflightRequest): void {
    clearTimeout(request.timer);
    request.timer = undefined;
    if (!this.running.delete(request)) return;
    if (this.running.size === 0 && this.drain !== undefined) {
      this.drain.resolve();
      this.drain = undefined;
    }
  }

  /**
   * The connection is gone: mark every request answered (nothing more will
   * be sent), stop their timers and abort their signals so long polls end.
   * Slots are freed as the handlers settle.
   */
  abortAll(reason: Error): void {
    this.awaiting.clear();
    for (const request of this.running) {
      request.answered = true;
      clearTimeout(request.timer);
      request.timer = undefined;
      request.controller.abort(reason);
    }
  }

  /** Resolves once no handler is running (at once if none is). */
  drained(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    if (this.drain === undefined) {
      let resolve = (): void => undefined;
      const promise = new Promise<void>((r) => (resolve = r));
      this.drain = { promise, resolve };
    }
    return this.drain.promise;
  }
}
