/**
 * Hop tracing: where one produce spends its time, hop by hop, across the
 * client and every broker (docs/PERFORMANCE.md, "One produce, hop by hop").
 *
 * Off unless the environment variable RLOG_HOP_TRACE names a file (or
 * enableHopTrace is called): each traced point then appends a line
 * `<wall-clock µs> <pid> <point>` to that file, buffered in memory and
 * written every 200 ms and at exit. Every process of a run appends to the
 * same file; the clocks agree because they are one machine's. Lines carry no
 * request id, so the analysis (bench/report/hop-table.ts) only makes sense
 * for one request at a time (the bench's one-at-a-time workload).
 *
 * Off, a traced point costs one check of an undefined binding. A diagnostic,
 * not a setting: it is never on in production, and it is bounded by the run
 * (a line is about 40 bytes; a 2,000-send run writes about 2 MB).
 */
import { appendFileSync } from "node:fs";

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

/** The tracer, or undefined when tracing is off (call it as `hopTrace?.("propose")`). */
export let hopTrace: ((point: HopPoint) => void) | undefined;

/** How often buffered lines are written: a reader waits this long (and a bit) for every process's last lines. */
export const HOP_TRACE_FLUSH_INTERVAL_MS = 200;

let stop: (() => void) | undefined;

/** Trace into `file` from now on (appending). A no-op while tracing. */
export function enableHopTrace(file: string): void {
  if (hopTrace !== undefined) return;
  const lines: string[] = [];
  const origin = performance.timeOrigin;
  const pid = process.pid;
  const flush = (): void => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join("\n") + "\n");
    lines.length = 0;
  };
  hopTrace = (point) => {
    lines.push(`${Math.round((origin + performance.now()) * 1000)} ${pid} ${point}`);
  };
  const timer = setInterval(flush, HOP_TRACE_FLUSH_INTERVAL_MS);
  timer.unref();
  process.on("exit", flush);
  stop = () => {
    clearInterval(timer);
    process.off("exit", flush);
    flush();
  };
}

/** Stop tracing, writing what is buffered. */
export function disableHopTrace(): void {
  hopTrace = undefined;
  stop?.();
  stop = undefined;
}

const fromEnv = process.env.RLOG_HOP_TRACE;
if (fromEnv !== undefined && fromEnv !== "") enableHopTrace(fromEnv);
