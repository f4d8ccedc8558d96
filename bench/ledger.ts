/**
 * The acknowledged-records ledger of the failover and transfer workloads:
 * for every record whose produce was acknowledged, where the broker said it
 * was written. After the run every partition is read back from its start and
 * each acknowledged record must be found at its offset. Bounded: past
 * `recordsMax` entries, writers must stop.
 */
import { recordKey } from "./record-value.js";

/** Outcome of checking the log against the ledger. */
export interface LedgerCheck {
  /** Acknowledged records. */
  readonly ackedRecords: number;
  /** Acknowledged records missing from their offset (must be 0). */
  readonly lostRecords: number;
  /** Records found more than once in the log (an idempotent producer must make this 0). */
  readonly duplicateRecords: number;
  /** Records read back. */
  readonly readRecords: number;
}

/** See the file comment. */
export class AckLedger {
  /** Per partition: offset -> record key. */
  private readonly byPartition = new Map<number, Map<number, number>>();
  private count = 0;

  constructor(readonly recordsMax: number) {}

  get size(): number {
    return this.count;
  }

  get full(): boolean {
    return this.count >= this.recordsMax;
  }

  /** Note that (writer, seq) was acknowledged at `partition`/`offset`. */
  acked(partition: number, offset: number, writer: number, seq: number): void {
    let m = this.byPartition.get(partition);
    if (m === undefined) {
      m = new Map();
      this.byPartition.set(partition, m);
    }
    if (!m.has(offset)) this.count++;
    m.set(offset, recordKey(writer, seq));
  }

  /** Partitions with acknowledged records. */
  partitions(): number[] {
    return [...this.byPartition.keys()].sort((a, b) => a - b);
  }

  /** Start a check; feed it every record read back, then `result()`. */
  checker(): LedgerChecker {
    return new LedgerChecker(this.byPartition, this.count);
  }
}

/** Compares records read back against an AckLedger. */
export class LedgerChecker {
  private readonly found = new Map<number, Set<number>>();
  private readonly seen = new Set<number>();
  private duplicates = 0;
  private read = 0;

  constructor(
    private readonly byPartition: ReadonlyMap<number, ReadonlyMap<number, number>>,
    private readonly ackedCount: number,
  ) {}

  /** One record read back: its partition, offset and key (recordKey of its stamp). */
  record(partition: number, offset: number, key: number): void {
    this.read++;
    if (this.seen.has(key)) this.duplicates++;
    else this.seen.add(key);
    const expected = this.byPartition.get(partition)?.get(offset);
    if (expected === key) {
      let s = this.found.get(partition);
      if (s === undefined) {
        s = new Set();
        this.found.set(partition, s);
      }
      s.add(offset);
    }
  }

  result(): LedgerCheck {
    let foundCount = 0;
    for (const s of this.found.values()) foundCount += s.size;
    return { ackedRecords: this.ackedCount, lostRecords: this.ackedCount - foundCount, duplicateRecords: this.duplicates, readRecords: this.read };
  }
}
