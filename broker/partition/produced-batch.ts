/**
 * What a partition leader checks of a produced record batch before it
 * appends it, without decoding the records (issue 16): the header's layout
 * and lengths, the CRC-32C, the attributes, the record count and the
 * producer fields (record-batch.ts readRecordBatchHeader), then rlog's
 * policy on top, and a walk of a compressed section's frame structure (no
 * decompression). Per-record limits (recordBytesMax, recordHeadersMax) are
 * not checked here: batchBytesMax (checked on the request) bounds them.
 *
 * And the one case where the leader decodes records: a topic that forces a
 * codec re-encodes a batch that uses another one.
 */
import { buildFromRecords, decodeRecordBatch } from "../protocol/batch-codec.js";
import { compressionName, Compression } from "../protocol/compression.js";
import { RlogError } from "../protocol/errors.js";
import { FIXED_LIMITS, type Limits } from "../protocol/limits.js";
import { lz4FrameBound, zstdFrameBound, type BoundResult } from "../protocol/decompressed-bound.js";
import { BatchAttribute, readRecordBatchHeader, recordsSection, type RecordBatchHeader } from "../protocol/record-batch.js";
import type { TopicCompression } from "../protocol/requests.js";

/** The limits a leader applies to a produced batch. */
export type ProducedBatchLimits = Pick<Limits, "batchRecordsMax" | "batchDecompressedBytesMax">;

/**
 * Check a produced batch's header and CRC. Returns the header, or throws
 * CORRUPT_RECORD_BATCH (damaged: checksum, lengths, field ranges),
 * UNSUPPORTED_COMPRESSION (snappy), INVALID_RECORD_BATCH (well formed but
 * not allowed) or REQUEST_TOO_LARGE (more than batchRecordsMax records).
 */
export function checkProducedBatch(data: Uint8Array, limits: ProducedBatchLimits): RecordBatchHeader {
  const head = readRecordBatchHeader(data, true);
  if (!head.ok) throw head.error;
  const h = head.value;
  if ((h.attributes & (BatchAttribute.transactional | BatchAttribute.control)) !== 0) {
    throw new RlogError("INVALID_RECORD_BATCH", "transactional and control batches are not supported");
  }
  if ((h.attributes & BatchAttribute.logAppendTime) !== 0) {
    throw new RlogError("INVALID_RECORD_BATCH", "a producer may not send a log-append-time batch (timestamp type bit set)");
  }
  if (compressionName(h.compression) === undefined) {
    throw new RlogError("UNSUPPORTED_COMPRESSION", h.compression === Compression.Snappy ? "snappy compression is not supported; use gzip, lz4 or zstd" : `unknown compression codec ${h.compression}`);
  }
  if (h.recordCount > limits.batchRecordsMax) {
    throw new RlogError("REQUEST_TOO_LARGE", `batch of ${h.recordCount} records, more than batchRecordsMax ${limits.batchRecordsMax}`);
  }
  checkCompressedSection(recordsSection(data), h.compression, limits.batchDecompressedBytesMax);
  if (h.producerId !== -1 && h.baseSequence + h.recordCount - 1 > FIXED_LIMITS.sequenceMax) {
    throw new RlogError("INVALID_RECORD_BATCH", `sequence ${h.baseSequence} + ${h.recordCount} records passes ${FIXED_LIMITS.sequenceMax}`);
  }
  return h;
}

/**
 * A cheap look at a compressed records section, without decompressing it:
 * an LZ4 or zstd frame's block headers are walked (decompressed-bound.ts),
 * so a frame that does not parse, or that could decompress past
 * batchDecompressedBytesMax (a bomb), is refused here instead of reaching
 * consumers; a gzip section must start with the gzip magic. (A gzip bomb
 * shows only when decompressed: consumers stop it at the same limit.)
 */
function checkCompressedSection(section: Uint8Array, code: number, bytesMax: number): void {
  let bound: BoundResult | undefined;
  if (code === Compression.Lz4) bound = lz4FrameBound(section);
  else if (code === Compression.Zstd) bound = zstdFrameBound(section);
  else if (code === Compression.Gzip && (section[0] !== 0x1f || section[1] !== 0x8b)) {
    throw new RlogError("CORRUPT_RECORD_BATCH", "gzip-compressed records do not start with the gzip magic");
  }
  if (bound === undefined) return;
  if (!bound.ok) throw new RlogError("CORRUPT_RECORD_BATCH", `compressed records: ${bound.error}`);
  if (bound.value > bytesMax) {
    throw new RlogError("CORRUPT_RECORD_BATCH", `compressed records could decompress to ${bound.value} bytes, over the limit of ${bytesMax} (batchDecompressedBytesMax)`);
  }
}

/** The codec a topic forces, or undefined when it keeps what the producer sent. */
export function forcedCodec(setting: TopicCompression): number | undefined {
  switch (setting) {
    case "producer":
      return undefined;
    case "none":
      return Compression.None;
    case "gzip":
      return Compression.Gzip;
    case "lz4":
      return Compression.Lz4;
    case "zstd":
      return Compression.Zstd;
  }
}

/**
 * Re-encode a checked batch with codec `code`, keeping its records,
 * timestamps and producer fields (a topic forcing a codec). Decompression is
 * bounded by batchDecompressedBytesMax; damage gives CORRUPT_RECORD_BATCH.
 */
export async function recompressBatch(data: Uint8Array, header: RecordBatchHeader, code: number, limits: ProducedBatchLimits): Promise<Uint8Array> {
  const decoded = await decodeRecordBatch(data, limits.batchDecompressedBytesMax);
  if (!decoded.ok) throw decoded.error;
  const producer = header.producerId === -1 ? undefined : { producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence };
  return buildFromRecords(decoded.value.records, code, producer);
}
