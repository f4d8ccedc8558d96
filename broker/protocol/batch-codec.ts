/**
 * Building and decoding whole record batches, compression included: what
 * the producer, the consumer and the leader's forced recompression use.
 * Asynchronous because the codecs are (compression.ts); an uncompressed
 * batch never touches a codec.
 */
import { compress, compressionCode, decompress, Compression, type CompressionName } from "./compression.js";
import { RlogError, type Result } from "./errors.js";
import type { FetchedBatch, FetchedRecord, ProduceRecord } from "./records.js";
import {
  assembleRecordBatch,
  writeRecordBatchHeader,
  RECORD_BATCH_HEADER_BYTES,
  decodeRecords,
  encodeRecords,
  readRecordBatchHeader,
  recordsSection,
  type ProducerStamp,
  type RecordBatch,
  type RecordToEncode,
} from "./record-batch.js";

/** How to build a batch. */
export interface BuildBatchOptions {
  /** Codec of the records section; "none" by default. */
  readonly compression?: CompressionName | undefined;
  /** Idempotent producer stamp, if any. */
  readonly producer?: ProducerStamp | undefined;
  /** Create time for records that have none (ms since the epoch). */
  readonly timestampMs: number;
}

/**
 * Encode records as one batch (v2, base offset 0, leader epoch -1). The
 * caller has checked sizes and counts; timestamps must be within 0 .. 2^48.
 */
export async function buildRecordBatch(records: readonly ProduceRecord[], opts: BuildBatchOptions): Promise<Uint8Array> {
  return buildFromRecords(filledRecords(records, opts.timestampMs), compressionCode(opts.compression ?? "none"), opts.producer);
}

/**
 * buildRecordBatch without compression, synchronously (no codec, no
 * promise hop: the producer's uncompressed path sends in the same turn).
 */
export function buildUncompressedBatch(records: readonly ProduceRecord[], opts: Omit<BuildBatchOptions, "compression">): Uint8Array {
  // The producer's hot path: no per-record copies of the records, and the batch encoded straight into its one buffer.
  if (records.length === 0) throw new RangeError("a record batch needs at least one record");
  const base = records[0]!.timestampMs ?? opts.timestampMs;
  let max = base;
  for (const r of records) {
    const t = r.timestampMs ?? opts.timestampMs;
    if (t > max) max = t;
  }
  const out = encodeRecords(records, base, opts.timestampMs, RECORD_BATCH_HEADER_BYTES);
  return writeRecordBatchHeader({ compression: Compression.None, recordCount: records.length, baseTimestampMs: base, maxTimestampMs: max, producer: opts.producer }, out);
}

function filledRecords(records: readonly ProduceRecord[], timestampMs: number): RecordToEncode[] {
  if (records.length === 0) throw new RangeError("a record batch needs at least one record");
  return records.map((r) => ({ timestampMs: r.timestampMs ?? timestampMs, key: r.key ?? null, value: r.value, headers: r.headers }));
}

/** Kafka's batch timestamps: the base is the first record's, the max the largest. */
function timestampRange(records: readonly RecordToEncode[]): { base: number; max: number } {
  const base = records[0]!.timestampMs;
  let max = base;
  for (const r of records) if (r.timestampMs > max) max = r.timestampMs;
  return { base, max };
}

/** Encode records that already carry their timestamps, with codec `code` (the leader's recompression uses this). */
export async function buildFromRecords(records: readonly RecordToEncode[], code: number, producer?: ProducerStamp): Promise<Uint8Array> {
  const { base, max } = timestampRange(records);
  const section = encodeRecords(records, base);
  const body = code === Compression.None ? section : await compress(code, section);
  return assembleRecordBatch({ compression: code, recordCount: records.length, baseTimestampMs: base, maxTimestampMs: max, producer }, body);
}

/**
 * Decode a whole batch: header, CRC, decompression (at most
 * `decompressedBytesMax` bytes) and records. Never throws; bad bytes give
 * CORRUPT_RECORD_BATCH, a codec rlog does not speak UNSUPPORTED_COMPRESSION.
 */
export async function decodeRecordBatch(data: Uint8Array, decompressedBytesMax: number): Promise<Result<RecordBatch>> {
  const head = readRecordBatchHeader(data, true);
  if (!head.ok) return head;
  const section = await decompress(head.value.compression, recordsSection(data), decompressedBytesMax);
  if (!section.ok) return section;
  const records = decodeRecords(section.value, head.value);
  if (!records.ok) return records;
  return { ok: true, value: { ...head.value, records: records.value } };
}

/**
 * Decode fetched batches into records with offsets, skipping records below
 * `fromOffset` (the first batch may start before the offset asked for).
 * Each batch's own base offset must match the one the fetch gave it.
 */
export async function decodeFetchedBatches(batches: readonly FetchedBatch[], fromOffset: number, decompressedBytesMax: number): Promise<Result<FetchedRecord[]>> {
  const out: FetchedRecord[] = [];
  for (const b of batches) {
    const batch = await decodeRecordBatch(b.data, decompressedBytesMax);
    if (!batch.ok) return batch;
    if (batch.value.baseOffset !== b.baseOffset) {
      return { ok: false, error: new RlogError("CORRUPT_RECORD_BATCH", `batch at offset ${b.baseOffset} says its base offset is ${batch.value.baseOffset}`) };
    }
    batch.value.records.forEach((r, i) => {
      const offset = b.baseOffset + i;
      if (offset < fromOffset) return;
      const rec: FetchedRecord = { offset, timestampMs: r.timestampMs, value: r.value, headers: r.headers };
      out.push(r.key === null ? rec : { ...rec, key: r.key });
    });
  }
  return { ok: true, value: out };
}
