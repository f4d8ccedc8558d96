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
}

/** One handler per operation; an absent handler answers UNKNOWN_OPERATION (not supported by this broker). */
export type OpHandlers = {
  readonly [O in HandlerOp]?: (request: RequestOf<O>, ctx: RequestContext) => Promise<ResultOf<O>>;
};

/** The handlers of some operations, every one present: what each area of broker/server/handlers/ returns. */
export type HandlersFor<O extends HandlerOp> = Required<Pick<OpHandlers, O>>;
