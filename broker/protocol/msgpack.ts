/**
 * The msgpackr configurations of the protocol, in one place.
 *
 * - Client frames are plain msgpack maps (no msgpackr record extension), so
 *   any msgpack library can speak the protocol. `undefined` is sent as nil.
 * - Peer frames use msgpackr's record extension: a frame defines each object
 *   shape once and reuses it for every Raft message and entry in the frame
 *   (about half the bytes for append batches). Structures are not shared
 *   between frames, so every frame decodes on its own.
 * - Decoding is the same for both and safe on untrusted bytes: bin values
 *   come back as views into the frame (no copy), 64-bit integers within
 *   ±2^53 as numbers (others as bigint, which validators reject), and any
 *   decoder failure becomes INVALID_REQUEST.
 */
import { Packr, Unpackr, type Options } from "msgpackr";
import { RlogError } from "./errors.js";

/** Packs client requests and responses as standard msgpack. */
export const clientPackr = new Packr({ useRecords: false, encodeUndefinedAsNil: true });

/** Packs peer (broker-to-broker) frames with per-frame record structures. */
export const peerPackr = new Packr({ useRecords: true });

// `int64AsType: "auto"` exists in msgpackr 2 but is missing from its typings.
const unpackOptions = { useRecords: false, mapsAsObjects: true, copyBuffers: false, int64AsType: "auto" };
const unpackr = new Unpackr(unpackOptions as unknown as Options);

/**
 * Decode one frame of untrusted bytes into a plain value.
 * @throws RlogError REQUEST_TOO_LARGE beyond `frameBytesMax`, INVALID_REQUEST when not one msgpack value
 */
export function unpackFrame(bytes: Uint8Array, frameBytesMax: number): unknown {
  if (bytes.byteLength > frameBytesMax) {
    throw new RlogError("REQUEST_TOO_LARGE", `frame of ${bytes.byteLength} bytes exceeds frameBytesMax ${frameBytesMax}`);
  }
  if (bytes.byteLength === 0) throw new RlogError("INVALID_REQUEST", "empty frame");
  try {
    return unpackr.unpack(bytes);
  } catch (err) {
    const why = err instanceof Error ? err.message.slice(0, 120) : "decoder failure";
    throw new RlogError("INVALID_REQUEST", `frame is not valid msgpack: ${why}`);
  }
}
