/**
 * Hop tracing: where one produce spends its time, hop by hop, across the
 * client and every broker (docs/PERFORMANCE.md, "One produce, hop by hop").
 *
 * The traced code calls `hopTrace?.("propose")`: one check of an undefined
 * binding while tracing is off, which is always, except in a traced bench
 * run. This module holds only that binding, with no Node imports (in protocol/, which the SDK may import), so that
 * SDK code may carry trace points; diagnostics/hop-trace-file.ts turns it on (the
 * RLOG_HOP_TRACE environment variable in a broker, `--hop-trace` in the
 * bench) and writes the lines.
 */

/** The traced points, in the order one produce passes them. */
export const HOP_POINTS = [
  /** Producer.send() called (client). */
  "api.send",
  /** The request frame handed to the client's socket. */
  "client.out",
  /** A client frame arrived at a broker's session. */
  "session.in",
  /** The leader's runner took the proposal. */
  "propose",
  /** A Raft frame handed to a peer socket. */
  "peer.out",
  /** A Raft frame arrived from a peer. */
  "peer.in",
  /** A data partition's log write started (leader or follower). */
  "persist.start",
  /** That write is durable. */
  "persist.end",
  /** Entries of a data partition committed (applied) on this broker. */
  "commit",
  /** A response frame handed to the client's socket. */
  "session.out",
  /** A response frame arrived at the client. */
  "client.in",
  /** The send() promise resolved. */
  "api.done",
] as const;

export type HopPoint = (typeof HOP_POINTS)[number];

/** The tracer, or undefined when tracing is off. */
export let hopTrace: ((point: HopPoint) => void) | undefined;

/** Install (or, with undefined, remove) the tracer: hop-trace-file.ts only. */
export function setHopTracer(tracer: ((point: HopPoint) => void) | undefined): void {
  hopTrace = tracer;
}
