/**
 * Byte conversions for keys, values and header values: producers accept
 * strings (sent as UTF-8), Buffers and Uint8Arrays; consumers get Buffers
 * (views into the received frame, not copies) so `value.toString()` works.
 */

/** What a producer accepts as key, value or header value. */
export type BytesLike = string | Uint8Array;

const encoder = new TextEncoder();

/** UTF-8 for a string; the same bytes (no copy) for a Buffer or Uint8Array. */
export function toBytes(value: BytesLike): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** A Buffer over the same memory (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
