/**
 * Client payloads for simulated proposals. Every proposal carries a unique
 * proposal id in its data, so the checker can find it in any log:
 *
 *     byte 0      PAYLOAD_TAG
 *     bytes 1..4  proposal id, unsigned 32-bit big-endian
 *     bytes 5..   filler derived from the id (sizes vary to exercise byte limits)
 */
import { EntryKind, type Entry } from "../../../broker/raft/types.js";
import type { Proposal } from "../../../broker/raft/ready.js";

/** First byte of every simulated client payload. */
export const PAYLOAD_TAG = 0xc5;
/** Smallest payload: tag and id. */
export const PAYLOAD_BYTES_MIN = 5;

/** Encode a proposal id into a payload of `bytes` bytes (at least PAYLOAD_BYTES_MIN). */
export function encodePayload(proposalId: number, bytes: number = PAYLOAD_BYTES_MIN): Uint8Array {
  const n = Math.max(PAYLOAD_BYTES_MIN, bytes);
  const out = new Uint8Array(n);
  out[0] = PAYLOAD_TAG;
  out[1] = (proposalId >>> 24) & 0xff;
  out[2] = (proposalId >>> 16) & 0xff;
  out[3] = (proposalId >>> 8) & 0xff;
  out[4] = proposalId & 0xff;
  for (let k = PAYLOAD_BYTES_MIN; k < n; k++) out[k] = (proposalId + k) & 0xff;
  return out;
}

/** The proposal id in a payload, or undefined when it is not a client payload. */
export function decodePayload(data: Uint8Array): number | undefined {
  if (data.byteLength < PAYLOAD_BYTES_MIN || data[0] !== PAYLOAD_TAG) return undefined;
  return ((data[1]! << 24) | (data[2]! << 16) | (data[3]! << 8) | data[4]!) >>> 0;
}

/** The proposal id carried by a Records entry, or undefined for no-ops, commands and foreign data. */
export function proposalIdOf(e: Entry): number | undefined {
  return e.kind === EntryKind.Records ? decodePayload(e.data) : undefined;
}

/** A Records proposal carrying `proposalId`. */
export function clientProposal(proposalId: number, count: number, bytes: number, timestampMs: number): Proposal {
  return { kind: EntryKind.Records, count, timestampMs, data: encodePayload(proposalId, bytes) };
}
