/**
 * Reads the Kafka protocol's primitive types from one request body
 * (big-endian integers, length-prefixed strings, bytes and arrays, and the
 * compact and tagged-field forms of flexible versions), as Kafka's
 * protocol guide defines them. Every length is checked against the bytes
 * left, so a hostile size costs nothing: a short or malformed body throws
 * KafkaDecodeError, which the connection turns into a clean close.
 */

/** A request body that does not parse; the message says where. */
export class KafkaDecodeError extends Error {
  override readonly name = "KafkaDecodeError";
}

/** Most elements of one array read from a request: far past any real request, a bound on hostile counts. */
export const ARRAY_LENGTH_MAX = 100_000;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** See the file comment. */
export class KafkaReader {
  private readonly view: DataView;
  private pos: number;

  constructor(
    private readonly data: Uint8Array,
    offset = 0,
  ) {
    this.view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.pos = offset;
  }

  /** Bytes not read yet. */
  remaining(): number {
    return this.data.byteLength - this.pos;
  }

  /** Where the next read starts. */
  offset(): number {
    return this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.data.byteLength - this.pos) throw new KafkaDecodeError(`${what}: needs ${n} bytes at ${this.pos}, ${this.remaining()} left`);
  }

  int8(what = "int8"): number {
    this.need(1, what);
    return this.view.getInt8(this.pos++);
  }

  bool(what = "boolean"): boolean {
    return this.int8(what) !== 0;
  }

  int16(what = "int16"): number {
    this.need(2, what);
    const v = this.view.getInt16(this.pos);
    this.pos += 2;
    return v;
  }

  int32(what = "int32"): number {
    this.need(4, what);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }

  /** An int64 as a number; one outside the safe integer range is refused. */
  int64(what = "int64"): number {
    this.need(8, what);
    const v = this.view.getBigInt64(this.pos);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new KafkaDecodeError(`${what}: ${v} is outside the safe integer range`);
    return Number(v);
  }

  /** An unsigned varint (at most 5 bytes: 32 bits). */
  uvarint(what = "varint"): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      this.need(1, what);
      const b = this.data[this.pos++]!;
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) {
        if (result > 0xffff_ffff) throw new KafkaDecodeError(`${what}: varint over 32 bits`);
        return result;
      }
    }
    throw new KafkaDecodeError(`${what}: varint longer than 5 bytes`);
  }

  /** A nullable string (int16 length, -1 null). */
  nullableString(what = "string"): string | null {
    const n = this.int16(what);
    if (n === -1) return null;
    if (n < 0) throw new KafkaDecodeError(`${what}: negative length ${n}`);
    return this.utf8(n, what);
  }

  /** A string (int16 length); null is refused. */
  string(what = "string"): string {
    const s = this.nullableString(what);
    if (s === null) throw new KafkaDecodeError(`${what}: null where a string is required`);
    return s;
  }

  /** A compact nullable string (uvarint length + 1, 0 null). */
  compactNullableString(what = "string"): string | null {
    const n = this.uvarint(what);
    if (n === 0) return null;
    return this.utf8(n - 1, what);
  }

  compactString(what = "string"): string {
    const s = this.compactNullableString(what);
    if (s === null) throw new KafkaDecodeError(`${what}: null where a string is required`);
    return s;
  }

  /** Nullable bytes (int32 length, -1 null), as a view into the request (no copy). */
  nullableBytes(what = "bytes"): Uint8Array | null {
    const n = this.int32(what);
    if (n === -1) return null;
    if (n < 0) throw new KafkaDecodeError(`${what}: negative length ${n}`);
    return this.take(n, what);
  }

  bytes(what = "bytes"): Uint8Array {
    const b = this.nullableBytes(what);
    if (b === null) throw new KafkaDecodeError(`${what}: null where bytes are required`);
    return b;
  }

  compactNullableBytes(what = "bytes"): Uint8Array | null {
    const n = this.uvarint(what);
    if (n === 0) return null;
    return this.take(n - 1, what);
  }

  /** An array (int32 count, -1 null read as empty) of elements read by `item`. */
  array<T>(item: (r: KafkaReader) => T, what = "array"): T[] {
    const n = this.int32(what);
    if (n === -1) return [];
    return this.items(n, item, what);
  }

  /** An array that may be null (int32 count -1): null. */
  nullableArray<T>(item: (r: KafkaReader) => T, what = "array"): T[] | null {
    const n = this.int32(what);
    if (n === -1) return null;
    return this.items(n, item, what);
  }

  /** A compact array (uvarint count + 1, 0 null read as empty). */
  compactArray<T>(item: (r: KafkaReader) => T, what = "array"): T[] {
    const n = this.uvarint(what);
    if (n === 0) return [];
    return this.items(n - 1, item, what);
  }

  /** Tagged fields of a flexible version: read past all of them (rlog knows none). */
  skipTaggedFields(what = "tagged fields"): void {
    const count = this.uvarint(what);
    for (let i = 0; i < count; i++) {
      this.uvarint(what);
      const size = this.uvarint(what);
      this.take(size, what);
    }
  }

  /** The rest of the body must be empty: trailing bytes mean the request was misread. */
  end(what = "request"): void {
    if (this.remaining() !== 0) throw new KafkaDecodeError(`${what}: ${this.remaining()} unexpected trailing bytes`);
  }

  private items<T>(n: number, item: (r: KafkaReader) => T, what: string): T[] {
    if (n < 0) throw new KafkaDecodeError(`${what}: negative count ${n}`);
    if (n > ARRAY_LENGTH_MAX) throw new KafkaDecodeError(`${what}: ${n} elements is more than ${ARRAY_LENGTH_MAX}`);
    // Each element takes at least one byte: a count past the bytes left is a lie.
    if (n > this.remaining()) throw new KafkaDecodeError(`${what}: ${n} elements in ${this.remaining()} bytes`);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(item(this));
    return out;
  }

  private take(n: number, what: string): Uint8Array {
    this.need(n, what);
    const b = this.data.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }

  private utf8(n: number, what: string): string {
    const b = this.take(n, what);
    try {
      return utf8.decode(b);
    } catch {
      throw new KafkaDecodeError(`${what}: not valid UTF-8`);
    }
  }
}
