/**
 * Writes the Kafka protocol's primitive types into a response. Small fields
 * go into a growing scratch buffer; large byte strings (a fetch's record
 * batches) are kept by reference as chunks of their own, so a fetch
 * response is never copied: the connection writes the chunks in order.
 */

const utf8 = new TextEncoder();
const INITIAL_BYTES = 256;

/** See the file comment. */
export class KafkaWriter {
  private buf = new Uint8Array(INITIAL_BYTES);
  private view = new DataView(this.buf.buffer);
  private pos = 0;
  private readonly chunks: Uint8Array[] = [];
  private chunkBytes = 0;

  /** Bytes written so far. */
  size(): number {
    return this.chunkBytes + this.pos;
  }

  private room(n: number): void {
    if (this.pos + n <= this.buf.byteLength) return;
    let size = this.buf.byteLength * 2;
    while (size < this.pos + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  int8(v: number): this {
    this.room(1);
    this.view.setInt8(this.pos++, v);
    return this;
  }

  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }

  int16(v: number): this {
    this.room(2);
    this.view.setInt16(this.pos, v);
    this.pos += 2;
    return this;
  }

  int32(v: number): this {
    this.room(4);
    this.view.setInt32(this.pos, v);
    this.pos += 4;
    return this;
  }

  uint32(v: number): this {
    this.room(4);
    this.view.setUint32(this.pos, v);
    this.pos += 4;
    return this;
  }

  int64(v: number): this {
    this.room(8);
    this.view.setBigInt64(this.pos, BigInt(v));
    this.pos += 8;
    return this;
  }

  uvarint(v: number): this {
    this.room(5);
    let n = v >>> 0;
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n >>>= 7;
    }
    this.buf[this.pos++] = n;
    return this;
  }

  nullableString(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = utf8.encode(s);
    return this.int16(b.byteLength).copy(b);
  }

  string(s: string): this {
    return this.nullableString(s);
  }

  compactNullableString(s: string | null): this {
    if (s === null) return this.uvarint(0);
    const b = utf8.encode(s);
    return this.uvarint(b.byteLength + 1).copy(b);
  }

  compactString(s: string): this {
    return this.compactNullableString(s);
  }

  /** Nullable bytes (int32 length), copied into the scratch buffer: for small values. */
  nullableBytes(b: Uint8Array | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.byteLength).copy(b);
  }

  bytes(b: Uint8Array): this {
    return this.nullableBytes(b);
  }

  /** Bytes kept by reference (not copied): the caller must not change them until the response is written. */
  raw(b: Uint8Array): this {
    if (b.byteLength < 512) return this.copy(b);
    this.flush();
    this.chunks.push(b);
    this.chunkBytes += b.byteLength;
    return this;
  }

  /** An array: int32 count, then `item` for each element. */
  array<T>(items: readonly T[], item: (w: KafkaWriter, x: T) => void): this {
    this.int32(items.length);
    for (const x of items) item(this, x);
    return this;
  }

  /** A compact array: uvarint count + 1. */
  compactArray<T>(items: readonly T[], item: (w: KafkaWriter, x: T) => void): this {
    this.uvarint(items.length + 1);
    for (const x of items) item(this, x);
    return this;
  }

  /** No tagged fields (flexible versions). */
  emptyTaggedFields(): this {
    return this.uvarint(0);
  }

  /** Copy bytes into the scratch buffer. */
  copy(b: Uint8Array): this {
    this.room(b.byteLength);
    this.buf.set(b, this.pos);
    this.pos += b.byteLength;
    return this;
  }

  private flush(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.buf.subarray(0, this.pos));
    this.chunkBytes += this.pos;
    this.buf = new Uint8Array(INITIAL_BYTES);
    this.view = new DataView(this.buf.buffer);
    this.pos = 0;
  }

  /** What was written, as chunks to write in order (the writer must not be used after). */
  finish(): Uint8Array[] {
    this.flush();
    return this.chunks;
  }
}
