/**
 * Client frames: one msgpack map per binary WebSocket message.
 *
 *   request   { id, op, ...fields }
 *   success   { id, ok: true, ...result }
 *   failure   { id, ok: false, error: { code, name, message, retriable, details? } }
 *
 * `id` is chosen by the client, 1 .. 2^32 - 1, unique among its outstanding
 * requests; responses may come back in any order. A failure with id 0 is not
 * tied to a request (the frame could not be read far enough to find its id,
 * or the connection is being refused) and the broker closes the connection
 * after sending it.
 */
import { RlogError, type ErrorDetails, type LeaderHint, type WireError } from "./errors.js";
import { FieldReader, describe, isWireMap, type WireMap } from "./field-reader.js";
import { DEFAULT_LIMITS, FIXED_LIMITS, type Limits } from "./limits.js";
import { clientPackr, unpackFrame } from "./msgpack.js";
import { isOpName, type OpName, type Request, type ResultOf } from "./ops.js";
import { validateRequestBody } from "./validate-request.js";

/** A request as sent: its body plus the id. */
export type RequestFrame = Request & { readonly id: number };

/** A success response as sent. */
export type ResultFrame<O extends OpName> = { readonly id: number; readonly ok: true } & ResultOf<O>;

/** A failure response as sent. */
export interface ErrorFrame {
  readonly id: number;
  readonly ok: false;
  readonly error: WireError;
}

/** What the broker gets from a frame: a typed request, or the error to answer (with the id, 0 if unknown). */
export type DecodedRequest =
  | { readonly ok: true; readonly id: number; readonly request: Request }
  | { readonly ok: false; readonly id: number; readonly error: RlogError };

/**
 * What the client gets from a frame: the whole response map (id and ok
 * included; the client casts it to ResultOf<op> for the op it sent), or the error.
 */
export type DecodedResponse =
  | { readonly ok: true; readonly id: number; readonly result: WireMap }
  | { readonly ok: false; readonly id: number; readonly error: RlogError };

/**
 * Encode a request.
 * @throws RlogError REQUEST_TOO_LARGE if the frame would exceed `frameBytesMax` (the broker's, from the handshake)
 */
export function encodeRequest(id: number, request: Request, frameBytesMax: number = DEFAULT_LIMITS.frameBytesMax): Uint8Array {
  const frame = clientPackr.pack({ id, ...request });
  if (frame.byteLength > frameBytesMax) {
    throw new RlogError("REQUEST_TOO_LARGE", `${request.op} request of ${frame.byteLength} bytes exceeds frameBytesMax ${frameBytesMax}`);
  }
  return frame;
}

/**
 * Decode and validate a request frame. Never throws: every problem comes
 * back as an RlogError (INVALID_REQUEST, UNKNOWN_OPERATION, REQUEST_TOO_LARGE,
 * RECORD_TOO_LARGE, INVALID_TOPIC, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR).
 */
export function decodeRequest(bytes: Uint8Array, limits: Limits = DEFAULT_LIMITS): DecodedRequest {
  let id = 0;
  try {
    const r = FieldReader.of(unpackFrame(bytes, limits.frameBytesMax), "");
    id = r.int("id", { min: 1, max: FIXED_LIMITS.requestIdMax });
    const op = r.raw("op");
    if (typeof op !== "string") throw new RlogError("INVALID_REQUEST", `op: expected a string, got ${describe(op)}`, { field: "op" });
    if (!isOpName(op)) throw new RlogError("UNKNOWN_OPERATION", `unknown op ${JSON.stringify(op.slice(0, 64))}`, { field: "op" });
    return { ok: true, id, request: validateRequestBody(op, r, limits) };
  } catch (err) {
    return { ok: false, id, error: asRlogError(err) };
  }
}

/** Anything thrown by the validators is an RlogError; anything else is a bug, reported as INTERNAL_ERROR. */
function asRlogError(err: unknown): RlogError {
  if (err instanceof RlogError) return err;
  return new RlogError("INTERNAL_ERROR", `request decoder failed: ${err instanceof Error ? err.message : String(err)}`);
}

/** Encode a success response. */
export function encodeResult<O extends OpName>(id: number, result: ResultOf<O>): Uint8Array {
  return clientPackr.pack({ id, ok: true, ...result });
}

/** Encode a failure response. */
export function encodeError(id: number, error: RlogError): Uint8Array {
  const frame: ErrorFrame = { id, ok: false, error: error.toWire() };
  return clientPackr.pack(frame);
}

/**
 * Decode a response frame (client side). Never throws. A frame that is not
 * a well-formed response comes back as id 0 with INTERNAL_ERROR: the client
 * should close the connection.
 */
export function decodeResponse(bytes: Uint8Array, frameBytesMax: number = DEFAULT_LIMITS.frameBytesMax): DecodedResponse {
  try {
    const frame = unpackFrame(bytes, frameBytesMax);
    const r = FieldReader.of(frame, "");
    const id = r.int("id", { min: 0, max: FIXED_LIMITS.requestIdMax });
    if (r.bool("ok")) return { ok: true, id, result: frame as WireMap };
    return { ok: false, id, error: RlogError.fromWire(wireError(r.child("error"))) };
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    return { ok: false, id: 0, error: new RlogError("INTERNAL_ERROR", `malformed response frame: ${why}`) };
  }
}

/** Longest error message read from the wire: a clear sentence is far shorter; a longer one is refused as malformed. */
const ERROR_MESSAGE_LENGTH_MAX = 64 * 1024;
/** Longest error name read from the wire (names are short constants such as NOT_LEADER). */
const ERROR_NAME_LENGTH_MAX = 256;

function wireError(r: FieldReader): WireError {
  const code = r.int("code", { min: 0, max: 0x7fff_ffff });
  const message = r.optStr("message", ERROR_MESSAGE_LENGTH_MAX) ?? "";
  const name = r.optStr("name", ERROR_NAME_LENGTH_MAX);
  const retriable = r.optBool("retriable") ?? false;
  const details = r.has("details") ? errorDetails(r.raw("details")) : undefined;
  const base = { code, message, retriable, ...(name === undefined ? {} : { name }) };
  return details === undefined ? base : { ...base, details };
}

/** Keep the known, well-typed detail fields; drop the rest (a newer broker may send more). */
function errorDetails(value: unknown): ErrorDetails | undefined {
  if (!isWireMap(value)) return undefined;
  const out: { -readonly [K in keyof ErrorDetails]: ErrorDetails[K] } = {};
  const leader = value["leader"];
  if (isWireMap(leader) && isCount(leader["brokerId"])) {
    const url = leader["url"];
    const term = leader["term"];
    // A term that is not a count is dropped, not refused: the hint is still usable without it (as from an older broker).
    const hint: LeaderHint = {
      brokerId: leader["brokerId"],
      ...(typeof url === "string" ? { url } : {}),
      ...(isCount(term) ? { term } : {}),
    };
    out.leader = hint;
  }
  for (const k of ["logStartOffset", "highWatermark", "baseOffset", "versionMin", "versionMax"] as const) {
    const v = value[k];
    if (isCount(v)) out[k] = v;
  }
  if (typeof value["field"] === "string") out.field = value["field"];
  return out;
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}
