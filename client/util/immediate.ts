/**
 * Run a function once the current turn of the event loop is over, after
 * the promise jobs queued in it: setImmediate in Node; in a browser (which
 * has no setImmediate) a zero-delay timer, which runs after the same jobs.
 */

/** Cancels a scheduled run; a no-op once it has run. */
export type CancelRun = () => void;

/** Schedule `run` for the end of this turn; returns its cancel. */
export function runAfterThisTurn(run: () => void): CancelRun {
  if (typeof globalThis.setImmediate === "function") {
    const handle = globalThis.setImmediate(run);
    return () => clearImmediate(handle);
  }
  const handle = setTimeout(run, 0);
  return () => clearTimeout(handle);
}
