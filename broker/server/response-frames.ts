/**
 * Turning a handler's outcome into the bytes of one response frame,
 * without trusting the handler: a result that is not a plain map, that
 * would overwrite `id` or `ok`, that msgpack cannot encode, or that exceeds
 * frameBytesMax (the client would drop its connection) is a broker bug,
 * reported to the caller so it can log it and answer INTERNAL_ERROR.
 */
import { RlogError } from "../protocol/errors.js";
import { encodeResult } from "../protocol/frames.js";
import type { OpName, ResultOf } from "../protocol/ops.js";

/** A frame to send, or why the result cannot be sent. */
export type EncodedResult = { readonly ok: true; readonly frame: Uint8Array } | { readonly ok: false; readonly problem: string };

/** Encode `result` as the success response to request `id`; see the file comment. */
export function encodeHandlerResult(id: number, result: unknown, frameBytesMax: number): EncodedResult {
  if (typeof result !== "object" || result === null || Array.isArray(result) || result instanceof Uint8Array) {
    return { ok: false, problem: `handler returned ${result === null ? "null" : Array.isArray(result) ? "an array" : typeof result}, not a result map` };
  }
  if (Object.hasOwn(result, "id") || Object.hasOwn(result, "ok")) {
    return { ok: false, problem: "handler result has an `id` or `ok` field, which would overwrite the frame's own" };
  }
  let frame: Uint8Array;
  try {
    frame = encodeResult(id, result as ResultOf<OpName>);
  } catch (err) {
    return { ok: false, problem: `result could not be encoded: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (frame.byteLength > frameBytesMax) {
    return { ok: false, problem: `response of ${frame.byteLength} bytes exceeds frameBytesMax ${frameBytesMax}` };
  }
  return { ok: true, frame };
}

/** The error a client gets for a handler bug; details stay in the broker log. */
export function internalError(op: OpName, connectionId: number, id: number): RlogError {
  return new RlogError("INTERNAL_ERROR", `${op} failed inside the broker; see the broker log (connection ${connectionId}, request ${id})`);
}
