/**
 * The record batch: Kafka's RecordBatch v2 (magic 2), rlog's one batch
 * format. The producer builds it, the leader checks its header and CRC
 * without decoding the records, patches the base offset and leader epoch in
 * place (both outside the CRC), and that same byte string is the Raft
 * entry's data, replicated, stored and served by fetch as is, so a
 * Kafka-protocol listener can serve it unchanged. docs/STORAGE.md
 * ("Record batch") documents the layout; this file is the code of it, learnt
 * from Kafka's DefaultRecordBatch and DefaultRecord (no code copied).
 *
 * Layout (integers big-endian):
 *
 *   offset size  field
 *   0      8     baseOffset            int64, patched by the leader
 *   8      4     batchLength           int32, bytes after this field (total - 12)
 *   12     4     partitionLeaderEpoch  int32, patched by the leader (its Raft term)
 *   16     1     magic                 int8 = 2
 *   17     4     crc                   uint32, CRC-32C of bytes [21, end)
 *   21     2     attributes            int16: bits 0-2 compression, 3 timestamp type,
 *                                       4 transactional, 5 control; others 0
 *   23     4     lastOffsetDelta       int32 = recordCount - 1
 *   27     8     baseTimestamp         int64, the first record's timestamp
 *   35     8     maxTimestamp          int64, the largest record timestamp
 *   43     8     producerId            int64, -1 when not idempotent
 *   51     2     producerEpoch         int16, -1 when not idempotent
 *   53     4     baseSequence          int32, -1 when not idempotent
 *   57     4     recordCount           int32 >= 1
 *   61     ...   records, compressed as a whole when attributes say so
 *
 * Each record (varints zigzag, varint.ts):
 *   length varint (bytes after it), attributes int8 (0), timestampDelta
 *   varlong, offsetDelta varint, keyLength varint (-1: null) and key,
 *   valueLength varint (-1: null) and value, header count varint, then per
 *   header keyLength varint and UTF-8 key, valueLength varint (-1: null) and
 *   value.
 *
 * Decoding checks every length against the bytes left, so it is linear in
 * the input, never reads out of bounds, and reports damage as
 * CORRUPT_RECORD_BATCH instead of throwing. Compressed batches are decoded
 * by batch-codec.ts (asynchronous: the codecs are).
 */
import { crc32c } from "./crc32c.js";
import { RlogError, type Result } from "./errors.js";
import { FIXED_LIMITS } from "./limits.js";
import type { RecordHeader } from "./records.js";
import { ByteCursor, varintBytes, writeVarint } from "./varint.js";

/** The magic byte of RecordBatch v2, the only layout rlog stores. */
export const RECORD_BATCH_MAGIC = 2;
/** Bytes before the records: the fixed header. */
export const RECORD_BATCH_HEADER_BYTES = 61;
/** Bytes not counted in batchLength (baseOffset and batchLength). */
export const RECORD_BATCH_LOG_OVERHEAD_BYTES = 12;
/** Smallest record: seven one-byte fields (length, attributes, deltas, key and value lengths, header count). */
export const RECORD_BYTES_MIN = 7;

/** Where each header field sits (byte offsets). */
export const BatchField = Object.freeze({
  baseOffset: 0,
  batchLength: 8,
  partitionLeaderEpoch: 12,
  magic: 16,
  crc: 17,
  attributes: 21,
  lastOffsetDelta: 23,
  baseTimestamp: 27,
  maxTimestamp: 35,
  producerId: 43,
  producerEpoch: 51,
  baseSequence: 53,
  recordCount: 57,
});

/** Bits of the attributes field. */
export const BatchAttribute = Object.freeze({
  /** Bits 0-2: the compression codec (compression.ts). */
  compressionMask: 0x07,
  /** Bit 3: 1 = log-append time; rlog batches use create time (0). */
  logAppendTime: 0x08,
  /** Bit 4: part of a transaction (not supported). */
  transactional: 0x10,
  /** Bit 5: a control batch (transaction markers; not supported). */
  control: 0x20,
  /** Every bit rlog knows; others must be 0. */
  known: 0x3f,
});

/** Producer identity stamped on a batch by an idempotent producer. */
export interface ProducerStamp {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Sequence of the batch's first record. */
  readonly baseSequence: number;
}

/** The fixed header of a batch. Producer fields are -1 for a non-idempotent batch. */
export interface RecordBatchHeader {
  readonly baseOffset: number;
  readonly partitionLeaderEpoch: number;
  readonly attributes: number;
  /** Codec code (attributes bits 0-2). */
  readonly compression: number;
  readonly recordCount: number;
  readonly baseTimestampMs: number;
  readonly maxTimestampMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** A record inside a batch (its offset is the batch's base offset plus its position). */
export interface BatchRecord {
  readonly timestampMs: number;
  /** null for a record without a key. */
  readonly key: Uint8Array | null;
  /** null for a record without a value (a tombstone). */
  readonly value: Uint8Array | null;
  readonly headers: readonly RecordHeader[];
}

/** A decoded batch. Keys and values are views into the (decompressed) bytes, not copies. */
export interface RecordBatch extends RecordBatchHeader {
  readonly records: readonly BatchRecord[];
}

/** A record to encode: timestamps filled in, nulls explicit or absent. */
export interface RecordToEncode {
  readonly timestampMs: number;
  readonly key?: Uint8Array | null | undefined;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[] | undefined;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });
const TWO_32 = 2 ** 32;

function view(data: Uint8Array): DataView {
  return new DataView(data.buffer, data.byteOffset, data.byteLength);
}

/** Read a big-endian int64 as a number; NaN when it is outside ±2^53. */
function getInt64(v: DataView, at: number): number {
  const n = v.getInt32(at) * TWO_32 + v.getUint32(at + 4);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/** Write an integer within ±2^53 as a big-endian int64. */
function setInt64(v: DataView, at: number, n: number): void {
  const hi = Math.floor(n / TWO_32);
  v.setInt32(at, hi);
  v.setUint32(at + 4, n - hi * TWO_32);
}

/** A record as encodeRecords takes it: a record without a timestamp gets the default one. */
export interface RecordToWrite {
  readonly timestampMs?: number | undefined;
  readonly key?: Uint8Array | null | undefined;
  readonly value: Uint8Array | null;
  readonly headers?: readonly RecordHeader[] | undefined;
}

/**
 * Encode records as an uncompressed records section (the bytes after the
 * header), with timestamps relative to `baseTimestampMs` and offset deltas
 * 0, 1, 2, ... The caller has checked sizes and timestamps.
 * @param defaultTimestampMs the timestamp of records that carry none
 * @param headroomBytes bytes left free in front of the section (RECORD_BATCH_HEADER_BYTES: the batch is then
 *   finished in place by writeRecordBatchHeader, without another buffer and copy)
 */
export function encodeRecords(records: readonly RecordToWrite[], baseTimestampMs: number, defaultTimestampMs = baseTimestampMs, headroomBytes = 0): Uint8Array {
  // Runs for every record produced: no per-record arrays or closures unless the record has headers.
  const headerKeys: (Uint8Array[] | undefined)[] = new Array<Uint8Array[] | undefined>(records.length);
  const bodies = new Array<number>(records.length);
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    let body = 1 + varintBytes((r.timestampMs ?? defaultTimestampMs) - baseTimestampMs) + varintBytes(i);
    body += r.key == null ? varintBytes(-1) : varintBytes(r.key.byteLength) + r.key.byteLength;
    body += r.value === null ? varintBytes(-1) : varintBytes(r.value.byteLength) + r.value.byteLength;
    const headers = r.headers;
    if (headers === undefined || headers.length === 0) body += 1; // varint 0: no headers
    else {
      const keys = headers.map((h) => encoder.encode(h.key));
      headerKeys[i] = keys;
      body += varintBytes(keys.length);
      headers.forEach((h, j) => {
        const k = keys[j]!;
        body += varintBytes(k.byteLength) + k.byteLength + varintBytes(h.value.byteLength) + h.value.byteLength;
      });
    }
    bodies[i] = body;
    size += varintBytes(body) + body;
  }
  const out = new Uint8Array(headroomBytes + size);
  let pos = headroomBytes;
  const bytes = (b: Uint8Array): void => {
    pos = writeVarint(out, pos, b.byteLength);
    out.set(b, pos);
    pos += b.byteLength;
  };
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    pos = writeVarint(out, pos, bodies[i]!);
    out[pos++] = 0; // record attributes: unused
    pos = writeVarint(out, pos, (r.timestampMs ?? defaultTimestampMs) - baseTimestampMs);
    pos = writeVarint(out, pos, i);
    if (r.key == null) pos = writeVarint(out, pos, -1);
    else bytes(r.key);
    if (r.value === null) pos = writeVarint(out, pos, -1);
    else bytes(r.value);
    const keys = headerKeys[i];
    if (keys === undefined) out[pos++] = 0;
    else {
      pos = writeVarint(out, pos, keys.length);
      r.headers!.forEach((h, j) => {
        bytes(keys[j]!);
        bytes(h.value);
      });
    }
  }
  if (pos !== out.byteLength) throw new Error(`records section size mismatch: wrote ${pos - headroomBytes} of ${size}`); // a bug
  return out;
}

/** The header fields a producer chooses; offsets and epoch are left for the leader to patch. */
export interface BatchFields {
  readonly compression: number;
  readonly recordCount: number;
  readonly baseTimestampMs: number;
  readonly maxTimestampMs: number;
  readonly producer?: ProducerStamp | undefined;
}

/**
 * Put a header in front of a records section (compressed or not, as
 * `fields.compression` says) and compute the CRC. Base offset 0 and leader
 * epoch -1, as a Kafka producer sends them.
 */
export function assembleRecordBatch(fields: BatchFields, records: Uint8Array): Uint8Array {
  const out = new Uint8Array(RECORD_BATCH_HEADER_BYTES + records.byteLength);
  out.set(records, RECORD_BATCH_HEADER_BYTES);
  return writeRecordBatchHeader(fields, out);
}

/**
 * Fill in the header of `out`, whose records section already follows
 * RECORD_BATCH_HEADER_BYTES of room, and compute the CRC; returns `out`.
 */
export function writeRecordBatchHeader(fields: BatchFields, out: Uint8Array): Uint8Array {
  const v = view(out);
  setInt64(v, BatchField.baseOffset, 0);
  v.setInt32(BatchField.batchLength, out.byteLength - RECORD_BATCH_LOG_OVERHEAD_BYTES);
  v.setInt32(BatchField.partitionLeaderEpoch, -1);
  v.setInt8(BatchField.magic, RECORD_BATCH_MAGIC);
  v.setInt16(BatchField.attributes, fields.compression & BatchAttribute.compressionMask);
  v.setInt32(BatchField.lastOffsetDelta, fields.recordCount - 1);
  setInt64(v, BatchField.baseTimestamp, fields.baseTimestampMs);
  setInt64(v, BatchField.maxTimestamp, fields.maxTimestampMs);
  setInt64(v, BatchField.producerId, fields.producer?.producerId ?? -1);
  v.setInt16(BatchField.producerEpoch, fields.producer?.producerEpoch ?? -1);
  v.setInt32(BatchField.baseSequence, fields.producer?.baseSequence ?? -1);
  v.setInt32(BatchField.recordCount, fields.recordCount);
  v.setUint32(BatchField.crc, crc32c(out.subarray(BatchField.attributes)));
  return out;
}

/** The CRC-32C a batch should carry (of bytes [21, end)). */
export function recordBatchChecksum(data: Uint8Array): number {
  return crc32c(data.subarray(BatchField.attributes));
}

/**
 * Set the base offset and partition leader epoch of a batch in place. Both
 * are outside the CRC, which stays valid.
 */
export function patchRecordBatch(data: Uint8Array, baseOffset: number, partitionLeaderEpoch: number): void {
  const v = view(data);
  setInt64(v, BatchField.baseOffset, baseOffset);
  v.setInt32(BatchField.partitionLeaderEpoch, partitionLeaderEpoch);
}

function corrupt(message: string): { ok: false; error: RlogError } {
  return { ok: false, error: new RlogError("CORRUPT_RECORD_BATCH", message) };
}

function inRange(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/**
 * Read and check a batch's fixed header without decoding its records:
 * length, magic, CRC (unless `verifyChecksum` is false), attribute bits,
 * record count against lastOffsetDelta and (uncompressed) the bytes,
 * timestamps within 0 .. 2^48, producer fields all set or all -1. A known
 * but unsupported codec (snappy) is not refused here: see compression.ts.
 */
export function readRecordBatchHeader(data: Uint8Array, verifyChecksum = true): Result<RecordBatchHeader> {
  if (data.byteLength < RECORD_BATCH_HEADER_BYTES) return corrupt(`batch of ${data.byteLength} bytes is shorter than its ${RECORD_BATCH_HEADER_BYTES}-byte header`);
  const v = view(data);
  const magic = v.getInt8(BatchField.magic);
  if (magic !== RECORD_BATCH_MAGIC) return corrupt(`unknown record batch format (magic ${magic}; rlog stores magic ${RECORD_BATCH_MAGIC})`);
  const batchLength = v.getInt32(BatchField.batchLength);
  if (batchLength !== data.byteLength - RECORD_BATCH_LOG_OVERHEAD_BYTES) {
    return corrupt(`batchLength ${batchLength} does not match the ${data.byteLength - RECORD_BATCH_LOG_OVERHEAD_BYTES} bytes after it`);
  }
  if (verifyChecksum && v.getUint32(BatchField.crc) !== recordBatchChecksum(data)) return corrupt("record batch checksum (CRC-32C) mismatch");
  const attributes = v.getInt16(BatchField.attributes);
  if ((attributes & ~BatchAttribute.known) !== 0) return corrupt(`unknown record batch attribute bits 0x${(attributes & 0xffff).toString(16)}`);
  const compression = attributes & BatchAttribute.compressionMask;
  if (compression > 4) return corrupt(`unknown compression codec ${compression}`);
  const header: RecordBatchHeader = {
    baseOffset: getInt64(v, BatchField.baseOffset),
    partitionLeaderEpoch: v.getInt32(BatchField.partitionLeaderEpoch),
    attributes,
    compression,
    recordCount: v.getInt32(BatchField.recordCount),
    baseTimestampMs: getInt64(v, BatchField.baseTimestamp),
    maxTimestampMs: getInt64(v, BatchField.maxTimestamp),
    producerId: getInt64(v, BatchField.producerId),
    producerEpoch: v.getInt16(BatchField.producerEpoch),
    baseSequence: v.getInt32(BatchField.baseSequence),
  };
  if (!inRange(header.baseOffset, 0, FIXED_LIMITS.integerMax)) return corrupt("record batch base offset out of range");
  if (header.recordCount < 1) return corrupt(`record count ${header.recordCount} is below 1`);
  if (v.getInt32(BatchField.lastOffsetDelta) !== header.recordCount - 1) return corrupt(`lastOffsetDelta ${v.getInt32(BatchField.lastOffsetDelta)} does not match record count ${header.recordCount}`);
  if (compression === 0 && header.recordCount > (data.byteLength - RECORD_BATCH_HEADER_BYTES) / RECORD_BYTES_MIN) {
    return corrupt(`record count ${header.recordCount} does not fit in ${data.byteLength} bytes`);
  }
  const tsMax = FIXED_LIMITS.timestampMsMax;
  if (!inRange(header.baseTimestampMs, 0, tsMax) || !inRange(header.maxTimestampMs, header.baseTimestampMs, tsMax)) {
    return corrupt("record batch timestamps out of range");
  }
  const idempotent = header.producerId !== -1;
  if (idempotent && (!inRange(header.producerId, 0, FIXED_LIMITS.integerMax) || header.producerEpoch < 0 || header.baseSequence < 0)) {
    return corrupt("record batch producer fields out of range (an idempotent batch needs producerId, producerEpoch and baseSequence >= 0)");
  }
  // Without a producer id the epoch and sequence mean nothing and are not checked, as in Kafka:
  // rlog's SDK and librdkafka write -1 there, kafkajs's non-idempotent producer writes 0.
  return { ok: true, value: header };
}

/**
 * Decode an uncompressed records section of `header.recordCount` records.
 * Never throws. Offset deltas must be 0, 1, 2, ... (offsets are dense).
 */
export function decodeRecords(section: Uint8Array, header: RecordBatchHeader): Result<BatchRecord[]> {
  const c = new ByteCursor(section);
  const records: BatchRecord[] = [];
  const tsMax = FIXED_LIMITS.timestampMsMax;
  for (let i = 0; i < header.recordCount; i++) {
    const where = `record ${i}`;
    const length = c.varint();
    if (length === undefined || length < RECORD_BYTES_MIN - 1 || length > c.remaining()) return corrupt(`${where}: bad length`);
    const end = c.pos + length;
    const r = new ByteCursor(section, c.pos, end);
    if (r.int8() === undefined) return corrupt(`${where}: truncated`);
    const delta = r.varlong();
    const timestampMs = header.baseTimestampMs + (delta ?? 0);
    if (delta === undefined || !inRange(timestampMs, 0, tsMax)) return corrupt(`${where}: bad timestamp`);
    if (r.varint() !== i) return corrupt(`${where}: offset delta is not ${i}`);
    const key = nullableBytes(r);
    if (key === undefined) return corrupt(`${where}: key runs past the record`);
    const value = nullableBytes(r);
    if (value === undefined) return corrupt(`${where}: value runs past the record`);
    const headerCount = r.varint();
    if (headerCount === undefined || headerCount < 0 || headerCount > r.remaining() / 2) return corrupt(`${where}: bad header count`);
    const headers: RecordHeader[] = [];
    for (let j = 0; j < headerCount; j++) {
      const k = r.take(r.varint() ?? -1);
      const hv = k === undefined ? undefined : nullableBytes(r);
      if (k === undefined || hv === undefined) return corrupt(`${where}: header ${j} runs past the record`);
      let keyText: string;
      try {
        keyText = decoder.decode(k);
      } catch {
        return corrupt(`${where}: header ${j} key is not UTF-8`);
      }
      // A null header value (Kafka allows one) reads as empty: rlog headers always have bytes.
      headers.push({ key: keyText, value: hv ?? new Uint8Array(0) });
    }
    if (r.pos !== end) return corrupt(`${where}: ${end - r.pos} bytes left over in the record`);
    c.pos = end;
    records.push({ timestampMs, key, value, headers });
  }
  if (c.remaining() !== 0) return corrupt(`${c.remaining()} bytes after the last record`);
  return { ok: true, value: records };
}

/** Length-prefixed bytes, -1 meaning null; undefined when damaged. */
function nullableBytes(c: ByteCursor): Uint8Array | null | undefined {
  const n = c.varint();
  if (n === -1) return null;
  if (n === undefined) return undefined;
  return c.take(n);
}

/** The records section of a batch (compressed when the header says so). */
export function recordsSection(data: Uint8Array): Uint8Array {
  return data.subarray(RECORD_BATCH_HEADER_BYTES);
}

/**
 * Decode an uncompressed batch synchronously (internal topics: the group
 * table). A compressed batch gives UNSUPPORTED_COMPRESSION: decode those
 * with batch-codec.ts decodeRecordBatch.
 */
export function decodeUncompressedBatch(data: Uint8Array): Result<RecordBatch> {
  const head = readRecordBatchHeader(data, true);
  if (!head.ok) return head;
  if (head.value.compression !== 0) {
    return { ok: false, error: new RlogError("UNSUPPORTED_COMPRESSION", "a compressed batch needs the asynchronous decoder") };
  }
  const records = decodeRecords(recordsSection(data), head.value);
  if (!records.ok) return records;
  return { ok: true, value: { ...head.value, records: records.value } };
}
