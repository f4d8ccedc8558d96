/**
 * Writes hop-trace lines (hop-trace.ts) to a file: `<wall-clock µs> <pid>
 * <point>`, buffered in memory and appended every
 * HOP_TRACE_FLUSH_INTERVAL_MS and at exit. Every process of a run appends
 * to the same file; their clocks agree because they are one machine's.
 * Lines carry no request id, so the analysis (bench/report/hop-table.ts)
 * only makes sense for one request at a time.
 *
 * A diagnostic, not a setting: a broker traces when started with the
 * environment variable RLOG_HOP_TRACE naming a file (the bench's
 * `--hop-trace` sets it), never otherwise. A line is about 40 bytes; a
 * 2,000-send run writes about 2 MB.
 */
import { appendFileSync } from "node:fs";
import { setHopTracer } from "../protocol/hop-trace.js";

/** How often buffered lines are written: a reader waits this long (and a bit) for every process's last lines. */
export const HOP_TRACE_FLUSH_INTERVAL_MS = 200;

let stop: (() => void) | undefined;

/** Trace into `file` from now on (appending). A no-op while tracing. */
export function enableHopTrace(file: string): void {
  if (stop !== undefined) return;
  const lines: string[] = [];
  const origin = performance.timeOrigin;
  const pid = process.pid;
  const flush = (): void => {
    if (lines.length === 0) return;
    appendFileSync(file, lines.join("\n") + "\n");
    lines.length = 0;
  };
  setHopTracer((point) => {
    lines.push(`${Math.round((origin + performance.now()) * 1000)} ${pid} ${point}`);
  });
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
  setHopTracer(undefined);
  stop?.();
  stop = undefined;
}

/** Trace when RLOG_HOP_TRACE names a file (a broker's start-up calls this). */
export function enableHopTraceFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.RLOG_HOP_TRACE;
  if (file !== undefined && file !== "") enableHopTrace(file);
}
