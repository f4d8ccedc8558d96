/**
 * Zigzag varints as Kafka's record format writes them (protobuf style:
 * zigzag-map the signed value to unsigned, then 7 bits per byte, low group
 * first, high bit set on every byte but the last). Kafka's varint is a
 * 32-bit value (at most 5 bytes), its varlong a 64-bit one (at most 10
 * bytes); rlog's values stay within ±2^53, so both are read and written
 * with float arithmetic (no bit operators past 31 bits) and a varlong whose
 * value does not fit a safe integer is refused.
 */

/** Most bytes of a varint (int32). */
export const VARINT_BYTES_MAX = 5;
/** Most bytes of a varlong (int64). */
export const VARLONG_BYTES_MAX = 10;

/** The zigzag form of a signed integer: 0, -1, 1, -2, ... map to 0, 1, 2, 3, ... */
export function zigzag(n: number): number {
  return n >= 0 ? n * 2 : -n * 2 - 1;
}

/** The signed integer of a zigzag form. */
export function unzigzag(u: number): number {
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}

/** Bytes the varint of signed `n` takes. */
export function varintBytes(n: number): number {
  let u = zigzag(n);
  let bytes = 1;
  while (u >= 0x80) {
    u = Math.floor(u / 128);
    bytes++;
  }
  return bytes;
}

/** Write the varint of signed `n` at `pos`; returns the position after it. The caller sized `out`. */
export function writeVarint(out: Uint8Array, pos: number, n: number): number {
  let u = zigzag(n);
  while (u >= 0x80) {
    out[pos++] = (u % 128) | 0x80;
    u = Math.floor(u / 128);
  }
  out[pos++] = u;
  return pos;
}

/**
 * A cursor over bytes that never reads past its end: every read returns
 * `undefined` (and leaves the cursor where it was) when the bytes run out or
 * are not a valid varint, so a caller checks once per field.
 */
export class ByteCursor {
  pos: number;
  constructor(
    readonly bytes: Uint8Array,
    pos = 0,
    readonly end = bytes.byteLength,
  ) {
    this.pos = pos;
  }

  /** Bytes left to read. */
  remaining(): number {
    return this.end - this.pos;
  }

  /** A zigzag varint of at most `bytesMax` bytes (5: int32, 10: int64), within ±2^53. */
  varint(bytesMax = VARINT_BYTES_MAX): number | undefined {
    let u = 0;
    let scale = 1;
    let p = this.pos;
    for (let i = 0; i < bytesMax; i++) {
      if (p >= this.end) return undefined;
      const b = this.bytes[p++]!;
      u += (b & 0x7f) * scale;
      if (b < 0x80) {
        if (u > Number.MAX_SAFE_INTEGER) return undefined;
        this.pos = p;
        return unzigzag(u);
      }
      scale *= 128;
    }
    return undefined;
  }

  /** A zigzag varlong (at most 10 bytes), within ±2^53. */
  varlong(): number | undefined {
    return this.varint(VARLONG_BYTES_MAX);
  }

  /** One signed byte. */
  int8(): number | undefined {
    if (this.pos >= this.end) return undefined;
    const b = this.bytes[this.pos++]!;
    return b >= 0x80 ? b - 0x100 : b;
  }

  /** `length` bytes as a view (no copy), or undefined when fewer are left. */
  take(length: number): Uint8Array | undefined {
    if (!Number.isInteger(length) || length < 0 || length > this.end - this.pos) return undefined;
    const b = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return b;
  }
}
