/**
 * Turning a handler's outcome into the bytes of one response frame,
 * without trusting the handler: a result that is not a plain map, that
 * would overwrite `id` or `ok`, that msgpack cannot encode, or that exceeds
 * frameBytesMax (the client would drop its connection) is a broker bug,
 * reported to the caller so it can log it and answer INTERNAL_ERROR.
 */
import { RlogError } from "../protocol/errors.js";
import { encodeResult } from "../protocol/frames.js";
import { clientPackr } from "../protocol/msgpack.js";
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
  // A large fetch result is encoded straight into a buffer of about its size (see OWN_BUFFER_BYTES_MIN).
  const sized = sizedTarget(result);
  try {
    if (sized !== undefined) clientPackr.useBuffer(sized);
    frame = encodeResult(id, result as ResultOf<OpName>);
  } catch (err) {
    return { ok: false, problem: `result could not be encoded: ${err instanceof Error ? err.message : String(err)}` };
  } finally {
    if (sized !== undefined) clientPackr.useBuffer(Buffer.allocUnsafeSlow(FRESH_TARGET_BYTES));
  }
  if (frame.byteLength > frameBytesMax) {
    return { ok: false, problem: `response of ${frame.byteLength} bytes exceeds frameBytesMax ${frameBytesMax}` };
  }
  const own = sized !== undefined && frame.buffer === sized.buffer;
  return { ok: true, frame: !own && frame.byteLength >= OWN_BUFFER_BYTES_MIN ? ownBuffer(frame) : frame };
}

/**
 * Frames of at least this many bytes (fetch responses, large metadata) get a
 * buffer of their own. msgpackr encodes into one shared buffer, grown 4x past
 * a large value (a 4 MiB response lands in a 16 MiB buffer), and returns a
 * view of it: one unsent view would pin the whole buffer, so the response
 * budget (response-budget.ts), which counts frame bytes, would undercount
 * the memory held by up to 4x. A fetch result is encoded into a buffer
 * sized from its batches (no copy); any other large frame is copied out.
 * Small frames share buffers of a few KiB.
 */
export const OWN_BUFFER_BYTES_MIN = 64 * 1024;

/** Size of the fresh buffer msgpackr gets after a large frame, so that small frames never share a large one. */
const FRESH_TARGET_BYTES = 8 * 1024;

/** msgpack bytes of one fetched batch beyond its data: the map, its keys, an offset and a bin header. */
const BATCH_OVERHEAD_BYTES = 48;
/** msgpack bytes of a fetch result beyond its batches (id, ok, offsets), with room to spare. */
const RESULT_OVERHEAD_BYTES = 1024;

/**
 * For a result carrying at least OWN_BUFFER_BYTES_MIN of batch data (a
 * fetch), a buffer that fits its encoding with a little room: the frame is
 * encoded into it, no copy. Undefined for any other result.
 */
function sizedTarget(result: object): Buffer | undefined {
  const batches = (result as { batches?: unknown }).batches;
  if (!Array.isArray(batches)) return undefined;
  let bytes = RESULT_OVERHEAD_BYTES;
  for (const b of batches as readonly { data?: unknown }[]) bytes += BATCH_OVERHEAD_BYTES + (b.data instanceof Uint8Array ? b.data.byteLength : 0);
  return bytes >= OWN_BUFFER_BYTES_MIN ? Buffer.allocUnsafeSlow(bytes) : undefined;
}

/** A copy of `frame` in a buffer of exactly its size; msgpackr starts a fresh small buffer, so the large one is freed. */
function ownBuffer(frame: Uint8Array): Uint8Array {
  const own = Buffer.allocUnsafeSlow(frame.byteLength);
  own.set(frame);
  clientPackr.useBuffer(Buffer.allocUnsafeSlow(FRESH_TARGET_BYTES));
  return own;
}

/** The error a client gets for a handler bug; details stay in the broker log. */
export function internalError(op: OpName, connectionId: number, id: number): RlogError {
  return new RlogError("INTERNAL_ERROR", `${op} failed inside the broker; see the broker log (connection ${connectionId}, request ${id})`);
}
