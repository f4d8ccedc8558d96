/**
 * Byte conversions for keys, values and header values: producers accept
 * strings (sent as UTF-8), Buffers and Uint8Arrays; consumers get Buffers
 * (views into the received frame, not copies) so `value.toString()` works.
 * In a browser, which has no Buffer, consumers get the Uint8Array views
 * themselves (decode text with TextDecoder).
 */

/** What a producer accepts as key, value or header value. */
export type BytesLike = string | Uint8Array;

const encoder = new TextEncoder();

/** UTF-8 for a string; the same bytes (no copy) for a Buffer or Uint8Array. */
export function toBytes(value: BytesLike): Uint8Array {
  return typeof value === "string" ? encoder.encode(value) : value;
}

/** Whether this runtime has Node's Buffer (not a browser). */
const hasBuffer = typeof globalThis.Buffer === "function";

/**
 * A Buffer over the same memory (no copy). In a browser the same
 * Uint8Array: the declared type is Buffer for Node callers, and browser
 * code must use only the Uint8Array part of it (docs/CLIENT.md, "In a browser").
 */
export function asBuffer(bytes: Uint8Array): Buffer {
  if (!hasBuffer) return bytes as Buffer;
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
