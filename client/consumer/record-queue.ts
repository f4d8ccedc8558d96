/**
 * A partition's prefetch buffer: records in offset order with their byte
 * count. Bounded by the fetcher, which fetches only while `bytes` is below
 * prefetchBytesMax (so it holds at most that plus one fetch response).
 */
import type { ConsumerRecord } from "./consumer-types.js";

/** Bytes a record holds in the buffer (key, value, headers, plus a fixed overhead). */
export function recordBytes(r: ConsumerRecord): number {
  let n = 64 + (r.value?.byteLength ?? 0) + (r.key?.byteLength ?? 0);
  for (const h of r.headers) n += h.key.length + h.value.byteLength;
  return n;
}

/** A FIFO of records with their total size; see the file comment. */
export class RecordQueue {
  private items: ConsumerRecord[] = [];
  private sizes: number[] = [];
  private head = 0;
  private total = 0;

  /** Record bytes buffered. */
  get bytes(): number {
    return this.total;
  }

  /** Records buffered. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** The next record, without removing it. */
  peek(): ConsumerRecord | undefined {
    return this.items[this.head];
  }

  /** Append records (in offset order). */
  push(records: readonly ConsumerRecord[]): void {
    for (const r of records) {
      const size = recordBytes(r);
      this.items.push(r);
      this.sizes.push(size);
      this.total += size;
    }
  }

  /** Remove and return the next record. */
  shift(): ConsumerRecord | undefined {
    const r = this.items[this.head];
    if (r === undefined) return undefined;
    this.total -= this.sizes[this.head] as number;
    this.head++;
    if (this.head === this.items.length) this.clear();
    else if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
    return r;
  }

  /** Drop everything. */
  clear(): void {
    this.items = [];
    this.sizes = [];
    this.head = 0;
    this.total = 0;
  }
}
