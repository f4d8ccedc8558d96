/**
 * Records as producers send them and consumers receive them. Keys, values
 * and header values are raw bytes; header keys are strings.
 */

/** One header. A record may carry several headers with the same key. */
export interface RecordHeader {
  readonly key: string;
  readonly value: Uint8Array;
}

/** A record in a produce request. */
export interface ProduceRecord {
  /** Absent for a record without a key (distinct from an empty key). */
  readonly key?: Uint8Array;
  /** null for a record without a value (a tombstone, Kafka's null value). */
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[];
  /** Create time, ms since the epoch; the producer's clock when absent (it builds the batch). */
  readonly timestampMs?: number;
}

/**
 * A stored record batch as a fetch returns it: the bytes of one Raft entry
 * (see record-batch.ts) and the offset of its first record. Decode with
 * `decodeFetchedBatches` (batch-codec.ts).
 */
export interface FetchedBatch {
  /** Offset of the batch's first record; later records follow densely. */
  readonly baseOffset: number;
  /** The record batch bytes, exactly as stored. */
  readonly data: Uint8Array;
}

/** A record as a consumer sees it. */
export interface FetchedRecord {
  readonly offset: number;
  /** ms since the epoch: the record's create time (the producer's clock when the application gave none). */
  readonly timestampMs: number;
  /** Absent for a record without a key. */
  readonly key?: Uint8Array;
  /** null for a record without a value (a tombstone). */
  readonly value: Uint8Array | null;
  /** Always present; empty when the record has none. */
  readonly headers: readonly RecordHeader[];
}
