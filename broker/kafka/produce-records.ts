/**
 * The pure parts of Kafka's Produce (apis/produce.ts): splitting one
 * partition's `records` field into its RecordBatch v2 batches, and mapping
 * Kafka's `acks` to rlog's. No I/O: tested by feeding bytes.
 *
 * A `records` field holds one or more batches back to back, each
 * RECORD_BATCH_LOG_OVERHEAD_BYTES (base offset and batch length) plus
 * batchLength bytes (record-batch.ts). The split checks only the framing
 * (every batch complete, nothing left over); the partition leader checks
 * each batch's header and CRC (produced-batch.ts).
 */
import type { Acks } from "../protocol/enums.js";
import { BatchField, RECORD_BATCH_HEADER_BYTES, RECORD_BATCH_LOG_OVERHEAD_BYTES } from "../protocol/record-batch.js";
import { KafkaError, type KafkaErrorCode } from "./kafka-errors.js";

/** A partition's batches, or why its records field was refused. */
export type SplitBatches =
  | { readonly ok: true; readonly batches: readonly Uint8Array[] }
  | { readonly ok: false; readonly errorCode: KafkaErrorCode; readonly message: string };

/**
 * Split a Produce partition's `records` into batches: views into `records`
 * (no copy; the partition leader patches each in place, which is fine: the
 * request frame belongs to this request alone).
 * @param batchBytesMax the largest batch accepted (MESSAGE_TOO_LARGE past it, as Kafka's max.message.bytes)
 */
export function splitRecordBatches(records: Uint8Array | null, batchBytesMax: number): SplitBatches {
  if (records === null || records.byteLength === 0) return { ok: false, errorCode: KafkaError.INVALID_RECORD, message: "the records field holds no record batch" };
  const view = new DataView(records.buffer, records.byteOffset, records.byteLength);
  const batches: Uint8Array[] = [];
  let at = 0;
  while (at < records.byteLength) {
    const left = records.byteLength - at;
    if (left < RECORD_BATCH_HEADER_BYTES) return { ok: false, errorCode: KafkaError.CORRUPT_MESSAGE, message: `${left} bytes after batch ${batches.length}: less than a batch header (${RECORD_BATCH_HEADER_BYTES})` };
    const batchLength = view.getInt32(at + BatchField.batchLength);
    const bytes = RECORD_BATCH_LOG_OVERHEAD_BYTES + batchLength;
    if (batchLength < RECORD_BATCH_HEADER_BYTES - RECORD_BATCH_LOG_OVERHEAD_BYTES || bytes > left) {
      return { ok: false, errorCode: KafkaError.CORRUPT_MESSAGE, message: `batch ${batches.length} claims ${batchLength} bytes after its first ${RECORD_BATCH_LOG_OVERHEAD_BYTES}; ${left - RECORD_BATCH_LOG_OVERHEAD_BYTES} are left` };
    }
    if (bytes > batchBytesMax) return { ok: false, errorCode: KafkaError.MESSAGE_TOO_LARGE, message: `batch ${batches.length} is ${bytes} bytes, more than batchBytesMax ${batchBytesMax}` };
    batches.push(records.subarray(at, at + bytes));
    at += bytes;
  }
  return { ok: true, batches };
}

/** What a Produce request's acks asks for: rlog's acks, none (acks 0: no response), or a value Kafka does not define. */
export type KafkaAcks = { readonly kind: "rlog"; readonly acks: Acks } | { readonly kind: "none" } | { readonly kind: "invalid" };

/** Kafka's acks (-1 all in-sync replicas, 1 the leader, 0 no response) as rlog's: -1 is a Raft commit, 1 the leader's append. */
export function kafkaAcks(acks: number): KafkaAcks {
  switch (acks) {
    case -1:
      return { kind: "rlog", acks: "all" };
    case 1:
      return { kind: "rlog", acks: "leader" };
    case 0:
      return { kind: "none" };
    default:
      return { kind: "invalid" };
  }
}
