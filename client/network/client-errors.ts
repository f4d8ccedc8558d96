/**
 * Errors the SDK raises itself, with codes from the shared table so callers
 * and the retrier treat them like broker errors. Lifecycle mistakes (using a
 * closed client) are plain Errors: they are bugs in the caller, not
 * operating conditions.
 */
import { RlogError } from "../../broker/protocol/errors.js";

/** The broker at `url` could not be reached, or the connection was lost (retriable). */
export function brokerNotAvailable(url: string, why: string): RlogError {
  return new RlogError("BROKER_NOT_AVAILABLE", `${url}: ${why}`);
}

/** A request got no answer in time (retriable; the request may still take effect). */
export function requestTimeout(url: string, op: string, timeoutMs: number): RlogError {
  return new RlogError("TIMEOUT", `${op} to ${url} got no response within ${timeoutMs} ms`);
}

/** The error thrown by any call on a closed client, producer or consumer. */
export class ClosedError extends Error {
  constructor(what: string) {
    super(`${what} is closed`);
    this.name = "ClosedError";
  }
}
