/**
 * A bounded FIFO of outgoing items with a size in bytes each. When either
 * bound (items or bytes) would be exceeded, the oldest items are dropped:
 * for Raft traffic the newest messages are the useful ones (a newer append
 * or heartbeat supersedes an older one, and Raft repairs any gap).
 */

/** Bounds of a queue. */
export interface SendQueueBounds {
  /** Most items held. */
  readonly itemsMax: number;
  /** Most bytes held (sum of the sizes given to push). An item bigger than this is refused. */
  readonly bytesMax: number;
}

/** Ring buffer of items with sizes; drop-oldest when full. */
export class SendQueue<T> {
  private readonly items: (T | undefined)[];
  private readonly sizes: number[];
  private head = 0;
  private count = 0;
  private bytes = 0;
  /** Items dropped (oldest first when full, or refused as bigger than bytesMax) since creation. */
  dropped = 0;

  constructor(private readonly bounds: SendQueueBounds) {
    if (!(bounds.itemsMax >= 1 && bounds.bytesMax >= 1)) throw new RangeError("queue bounds must be >= 1");
    this.items = new Array<T | undefined>(bounds.itemsMax).fill(undefined);
    this.sizes = new Array<number>(bounds.itemsMax).fill(0);
  }

  /** Number of items held. */
  get length(): number {
    return this.count;
  }

  /** Bytes held. */
  get byteLength(): number {
    return this.bytes;
  }

  /** Append an item, dropping the oldest as needed. Returns false if the item alone is over bytesMax (it is dropped). */
  push(item: T, size: number): boolean {
    if (size > this.bounds.bytesMax) {
      this.dropped++;
      return false;
    }
    while (this.count === this.bounds.itemsMax || this.bytes + size > this.bounds.bytesMax) {
      this.shift();
      this.dropped++;
    }
    const at = (this.head + this.count) % this.bounds.itemsMax;
    this.items[at] = item;
    this.sizes[at] = size;
    this.count++;
    this.bytes += size;
    return true;
  }

  /** Size of the oldest item, or undefined when empty. */
  peekSize(): number | undefined {
    return this.count === 0 ? undefined : this.sizes[this.head];
  }

  /** Remove and return the oldest item. */
  shift(): T | undefined {
    if (this.count === 0) return undefined;
    const item = this.items[this.head];
    this.items[this.head] = undefined;
    this.bytes -= this.sizes[this.head] ?? 0;
    this.head = (this.head + 1) % this.bounds.itemsMax;
    this.count--;
    return item;
  }

  /** Drop everything (not counted as drops). */
  clear(): void {
    while (this.count > 0) this.shift();
  }
}
