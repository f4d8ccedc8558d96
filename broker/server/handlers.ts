/**
 * The seam between the client listener (connections, frames, limits) and the
 * broker's logic: one async function per operation. A handler returns the
 * operation's result or throws an RlogError (any other exception is a bug:
 * logged, and answered INTERNAL_ERROR). The listener never calls `handshake`
 * or `authenticate` (SESSION_OPS): it answers those itself.
 */
import type { HandlerOp, RequestOf, ResultOf } from "../protocol/ops.js";

/** What a handler knows about the request's connection. */
export interface RequestContext {
  /** Unique per connection on this broker, for logs. */
  readonly connectionId: number;
  /** The client id given in the handshake. */
  readonly clientId: string;
  /** Aborted when the connection closes (stop long polls and waits). */
  readonly signal: AbortSignal;
  /**
   * Who the connection is, Kafka style: "User:<name>" after SCRAM or from a
   * verified TLS client certificate, "User:ANONYMOUS" when authentication is off.
   */
  readonly principal: string;
  /**
   * Hold `bytes` of the connection's and the broker's response budgets for
   * this request's response, waiting (FIFO) at most `waitMs`: true once
   * held, false if no budget came in time or the connection closed. A fetch
   * calls it before it reads the log; once the response is encoded the
   * reservation becomes its real size (broker/server/response-budget.ts).
   * Call it as a method of the context (it reads the request from `this`).
   */
  reserveResponseBytes(bytes: number, waitMs: number): boolean | Promise<boolean>;
}

/** One handler per operation; an absent handler answers UNKNOWN_OPERATION (not supported by this broker). */
export type OpHandlers = {
  readonly [O in HandlerOp]?: (request: RequestOf<O>, ctx: RequestContext) => Promise<ResultOf<O>>;
};

/** The handlers of some operations, every one present: what each area of broker/server/handlers/ returns. */
export type HandlersFor<O extends HandlerOp> = Required<Pick<OpHandlers, O>>;
