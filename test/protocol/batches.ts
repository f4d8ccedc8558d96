/**
 * Test helpers for record batches: build an uncompressed batch
 * synchronously (the SDK's buildRecordBatch is asynchronous because codecs
 * are) and read a produce request's records and idempotence stamp back.
 */
import { assembleRecordBatch, decodeUncompressedBatch, encodeRecords, readRecordBatchHeader, type BatchRecord, type ProducerStamp } from "../../broker/protocol/record-batch.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";

/** An uncompressed batch of `records`; records without a timestamp get `timestampMs`. */
export function batchOf(records: readonly ProduceRecord[], timestampMs = Date.now(), producer?: ProducerStamp): Uint8Array {
  const filled = records.map((r) => ({ ...r, timestampMs: r.timestampMs ?? timestampMs }));
  const base = filled[0]!.timestampMs;
  const max = Math.max(...filled.map((r) => r.timestampMs));
  return assembleRecordBatch({ compression: 0, recordCount: filled.length, baseTimestampMs: base, maxTimestampMs: max, producer }, encodeRecords(filled, base));
}

/** The records of an uncompressed batch; throws on a bad one. */
export function batchRecords(batch: Uint8Array): readonly BatchRecord[] {
  const d = decodeUncompressedBatch(batch);
  if (!d.ok) throw d.error;
  return d.value.records;
}

/** The idempotence stamp of a batch: its producer fields, undefined when the batch has none. */
export function batchStamp(batch: Uint8Array): Partial<ProducerStamp> {
  const h = readRecordBatchHeader(batch, true);
  if (!h.ok) throw h.error;
  const v = h.value;
  return v.producerId === -1 ? {} : { producerId: v.producerId, producerEpoch: v.producerEpoch, baseSequence: v.baseSequence };
}
