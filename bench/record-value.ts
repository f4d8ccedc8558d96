/**
 * Record values the bench writes: `recordBytes` bytes, of which the first 16
 * are a stamp and the rest incompressible filler (rlog does not compress,
 * but a future codec should not flatter the figures).
 *
 *   [0, 8)    float64 LE  intended send time, ms since the epoch (sub-ms)
 *   [8, 12)   uint32 LE   writer: which bench producer wrote it
 *   [12, 16)  uint32 LE   seq: the writer's record number, from 0
 *
 * The send time is the time the record was scheduled, not when the event
 * loop got to it, so that a stalled sender shows up as latency
 * (no coordinated omission).
 */

/** Smallest record the stamp fits in. */
export const STAMP_BYTES = 16;

/** What a value's stamp says. */
export interface Stamp {
  readonly sentEpochMs: number;
  readonly writer: number;
  readonly seq: number;
}

/** Deterministic incompressible bytes (xorshift32). */
export function filler(bytes: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.allocUnsafe(bytes);
  let x = seed >>> 0 || 1;
  for (let k = 0; k < bytes; k++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[k] = x & 0xff;
  }
  return out;
}

/** A new value: `fill` with a stamp written over its first bytes. */
export function stampedValue(fill: Buffer, stamp: Stamp): Buffer {
  if (fill.length < STAMP_BYTES) throw new RangeError(`records must have at least ${STAMP_BYTES} bytes, got ${fill.length}`);
  const out = Buffer.allocUnsafe(fill.length);
  fill.copy(out);
  out.writeDoubleLE(stamp.sentEpochMs, 0);
  out.writeUInt32LE(stamp.writer >>> 0, 8);
  out.writeUInt32LE(stamp.seq >>> 0, 12);
  return out;
}

/** The stamp of a value, or undefined if it is too short to hold one. */
export function readStamp(value: Uint8Array): Stamp | undefined {
  if (value.length < STAMP_BYTES) return undefined;
  const view = new DataView(value.buffer, value.byteOffset, STAMP_BYTES);
  return { sentEpochMs: view.getFloat64(0, true), writer: view.getUint32(8, true), seq: view.getUint32(12, true) };
}

/** A key unique per (writer, seq), for sets of records. */
export function recordKey(writer: number, seq: number): number {
  return writer * 2 ** 32 + seq;
}
