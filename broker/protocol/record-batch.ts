/**
 * The record batch: the bytes of one Raft entry of a data partition, written
 * by the leader when it appends a produce request, stored as is, and returned
 * as is by fetch (the client decodes it). A compact hand-written layout
 * rather than msgpack: the header can be read without decoding the records
 * (count, timestamps, producer id for idempotence), and the checksum lets a
 * consumer detect a batch damaged on disk or in transit.
 *
 * Layout v1 (integers big-endian):
 *
 *   offset size  field
 *   0      1     format           1 (RECORD_BATCH_FORMAT)
 *   1      4     crc32            zlib CRC-32 of bytes [5, end)
 *   5      1     flags            0 (reserved: compression)
 *   6      2     producerEpoch    int16, -1 when not idempotent
 *   8      4     recordCount      uint32, >= 1
 *   12     4     baseSequence     int32, -1 when not idempotent
 *   16     8     baseTimestampMs  float64 holding an integer: smallest record timestamp
 *   24     8     maxTimestampMs   float64 holding an integer: largest record timestamp
 *   32     8     producerId       float64 holding an integer, -1 when not idempotent
 *   40     ...   recordCount records:
 *                  varint timestampDeltaMs   timestampMs - baseTimestampMs
 *                  varint keyLength + 1      0: no key
 *                  key bytes
 *                  varint valueLength
 *                  value bytes
 *                  varint headerCount
 *                  headerCount x (varint keyLength, UTF-8 key, varint valueLength, value)
 *
 * Varints are unsigned LEB128 of at most 8 bytes. Decoding checks every
 * length against the bytes left, so it is linear in the input, never reads
 * out of bounds, and reports damage as CORRUPT_RECORD_BATCH.
 */
import { crc32 } from "node:zlib";
import { RlogError, type Result } from "./errors.js";
import { FIXED_LIMITS } from "./limits.js";
import type { FetchedBatch, FetchedRecord, ProduceRecord, RecordHeader } from "./records.js";

/** Current layout version (the first byte). Append-only: a new layout gets a new number. */
export const RECORD_BATCH_FORMAT = 1;

/** Size of the fixed header in bytes. */
export const RECORD_BATCH_HEADER_BYTES = 40;

/** Producer identity stamped on a batch by an idempotent producer. */
export interface ProducerStamp {
  readonly producerId: number;
  readonly producerEpoch: number;
  /** Sequence of the batch's first record. */
  readonly baseSequence: number;
}

/** The fixed header of a batch. Producer fields are -1 for a non-idempotent batch. */
export interface RecordBatchHeader {
  readonly recordCount: number;
  readonly baseTimestampMs: number;
  readonly maxTimestampMs: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
}

/** A record inside a batch (no offset: the batch's position in the log gives it). */
export interface BatchRecord {
  readonly timestampMs: number;
  readonly key?: Uint8Array;
  readonly value: Uint8Array;
  readonly headers: readonly RecordHeader[];
}

/** A decoded batch. Keys and values are views into the batch bytes, not copies. */
export interface RecordBatch extends RecordBatchHeader {
  readonly records: readonly BatchRecord[];
}

/** An encoded batch and what a Raft entry needs to know about it. */
export interface EncodedBatch {
  readonly data: Uint8Array;
  readonly count: number;
  readonly maxTimestampMs: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function varintBytes(n: number): number {
  let bytes = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    bytes++;
  }
  return bytes;
}

/**
 * Encode records as one batch. The caller has validated them (sizes and
 * counts within limits, timestamps within 0 .. 2^48).
 * @param timestampMs create time for records that have none (the leader's clock)
 * @param producer idempotent producer stamp, if any
 */
export function encodeRecordBatch(records: readonly ProduceRecord[], timestampMs: number, producer?: ProducerStamp): EncodedBatch {
  if (records.length === 0) throw new RangeError("a record batch needs at least one record");
  let base = Number.POSITIVE_INFINITY;
  let max = 0;
  for (const r of records) {
    const t = r.timestampMs ?? timestampMs;
    if (t < base) base = t;
    if (t > max) max = t;
  }
  const headerKeys: Uint8Array[][] = [];
  let size = RECORD_BATCH_HEADER_BYTES;
  for (const r of records) {
    const t = r.timestampMs ?? timestampMs;
    const keyLength = r.key === undefined ? 0 : r.key.byteLength + 1;
    size += varintBytes(t - base) + varintBytes(keyLength) + (r.key?.byteLength ?? 0);
    size += varintBytes(r.value.byteLength) + r.value.byteLength;
    const headers = r.headers ?? [];
    const keys = headers.map((h) => encoder.encode(h.key));
    headerKeys.push(keys);
    size += varintBytes(headers.length);
    headers.forEach((h, i) => {
      const k = keys[i] as Uint8Array;
      size += varintBytes(k.byteLength) + k.byteLength + varintBytes(h.value.byteLength) + h.value.byteLength;
    });
  }

  const out = new Uint8Array(size);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint8(0, RECORD_BATCH_FORMAT);
  view.setUint8(5, 0);
  view.setInt16(6, producer?.producerEpoch ?? -1);
  view.setUint32(8, records.length);
  view.setInt32(12, producer?.baseSequence ?? -1);
  view.setFloat64(16, base);
  view.setFloat64(24, max);
  view.setFloat64(32, producer?.producerId ?? -1);

  let pos = RECORD_BATCH_HEADER_BYTES;
  const putVarint = (n: number): void => {
    while (n >= 0x80) {
      out[pos++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    out[pos++] = n;
  };
  const putBytes = (b: Uint8Array): void => {
    out.set(b, pos);
    pos += b.byteLength;
  };
  records.forEach((r, i) => {
    putVarint((r.timestampMs ?? timestampMs) - base);
    if (r.key === undefined) putVarint(0);
    else {
      putVarint(r.key.byteLength + 1);
      putBytes(r.key);
    }
    putVarint(r.value.byteLength);
    putBytes(r.value);
    const headers = r.headers ?? [];
    const keys = headerKeys[i] ?? [];
    putVarint(headers.length);
    headers.forEach((h, j) => {
      const k = keys[j] as Uint8Array;
      putVarint(k.byteLength);
      putBytes(k);
      putVarint(h.value.byteLength);
      putBytes(h.value);
    });
  });
  if (pos !== size) throw new Error(`record batch size mismatch: wrote ${pos} of ${size}`); // a bug
  view.setUint32(1, crc32(out.subarray(5)));
  return { data: out, count: records.length, maxTimestampMs: max };
}

function corrupt(message: string): { ok: false; error: RlogError } {
  return { ok: false, error: new RlogError("CORRUPT_RECORD_BATCH", message) };
}

function isStoredInteger(n: number, min: number, max: number): boolean {
  return Number.isInteger(n) && n >= min && n <= max;
}

/**
 * Read and check a batch's fixed header without decoding its records.
 * @param verifyChecksum also check the CRC (reads the whole batch)
 */
export function readRecordBatchHeader(data: Uint8Array, verifyChecksum = true): Result<RecordBatchHeader> {
  if (data.byteLength < RECORD_BATCH_HEADER_BYTES) return corrupt(`batch of ${data.byteLength} bytes is shorter than its header`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const format = view.getUint8(0);
  if (format !== RECORD_BATCH_FORMAT) return corrupt(`unknown record batch format ${format}`);
  if (verifyChecksum && view.getUint32(1) !== crc32(data.subarray(5))) return corrupt("record batch checksum mismatch");
  if (view.getUint8(5) !== 0) return corrupt(`unknown record batch flags ${view.getUint8(5)}`);
  const header: RecordBatchHeader = {
    recordCount: view.getUint32(8),
    baseTimestampMs: view.getFloat64(16),
    maxTimestampMs: view.getFloat64(24),
    producerId: view.getFloat64(32),
    producerEpoch: view.getInt16(6),
    baseSequence: view.getInt32(12),
  };
  // Each record takes at least 4 bytes (three varints and a header count).
  if (header.recordCount < 1 || header.recordCount > (data.byteLength - RECORD_BATCH_HEADER_BYTES) / 4) {
    return corrupt(`record count ${header.recordCount} does not fit in ${data.byteLength} bytes`);
  }
  const tsMax = FIXED_LIMITS.timestampMsMax;
  if (!isStoredInteger(header.baseTimestampMs, 0, tsMax) || !isStoredInteger(header.maxTimestampMs, header.baseTimestampMs, tsMax)) {
    return corrupt("record batch timestamps out of range");
  }
  if (!isStoredInteger(header.producerId, -1, FIXED_LIMITS.integerMax) || header.producerEpoch < -1 || header.baseSequence < -1) {
    return corrupt("record batch producer fields out of range");
  }
  return { ok: true, value: header };
}

/** Decode a whole batch. Never throws; bad bytes give CORRUPT_RECORD_BATCH. */
export function decodeRecordBatch(data: Uint8Array): Result<RecordBatch> {
  const head = readRecordBatchHeader(data, true);
  if (!head.ok) return head;
  const header = head.value;
  let pos = RECORD_BATCH_HEADER_BYTES;
  const end = data.byteLength;
  // Each reader returns -1 on damage; checked by the caller.
  const varint = (): number => {
    let n = 0;
    let scale = 1;
    for (let i = 0; i < 8; i++) {
      if (pos >= end) return -1;
      const b = data[pos++] as number;
      n += (b & 0x7f) * scale;
      if (b < 0x80) return n <= FIXED_LIMITS.integerMax ? n : -1;
      scale *= 128;
    }
    return -1;
  };
  const take = (length: number): Uint8Array | undefined => {
    if (length < 0 || length > end - pos) return undefined;
    const b = data.subarray(pos, pos + length);
    pos += length;
    return b;
  };

  const records: BatchRecord[] = [];
  for (let i = 0; i < header.recordCount; i++) {
    const where = `record ${i}`;
    const delta = varint();
    const timestampMs = header.baseTimestampMs + delta;
    if (delta < 0 || timestampMs > header.maxTimestampMs) return corrupt(`${where}: bad timestamp`);
    const keyLength = varint();
    if (keyLength < 0) return corrupt(`${where}: bad key length`);
    const key = keyLength === 0 ? undefined : take(keyLength - 1);
    if (keyLength !== 0 && key === undefined) return corrupt(`${where}: key runs past the batch`);
    const value = take(varint());
    if (value === undefined) return corrupt(`${where}: value runs past the batch`);
    const headerCount = varint();
    if (headerCount < 0 || headerCount > (end - pos) / 2) return corrupt(`${where}: bad header count`);
    const headers: RecordHeader[] = [];
    for (let j = 0; j < headerCount; j++) {
      const k = take(varint());
      const v = k === undefined ? undefined : take(varint());
      if (k === undefined || v === undefined) return corrupt(`${where}: header ${j} runs past the batch`);
      let keyText: string;
      try {
        keyText = decoder.decode(k);
      } catch {
        return corrupt(`${where}: header ${j} key is not UTF-8`);
      }
      headers.push({ key: keyText, value: v });
    }
    records.push(key === undefined ? { timestampMs, value, headers } : { timestampMs, key, value, headers });
  }
  if (pos !== end) return corrupt(`${end - pos} bytes after the last record`);
  return { ok: true, value: { ...header, records } };
}

/**
 * Decode fetched batches into records with offsets, skipping records below
 * `fromOffset` (the first batch may start before the offset asked for).
 */
export function decodeFetchedBatches(batches: readonly FetchedBatch[], fromOffset = 0): Result<FetchedRecord[]> {
  const out: FetchedRecord[] = [];
  for (const b of batches) {
    const batch = decodeRecordBatch(b.data);
    if (!batch.ok) return batch;
    batch.value.records.forEach((r, i) => {
      const offset = b.baseOffset + i;
      if (offset >= fromOffset) out.push({ ...r, offset });
    });
  }
  return { ok: true, value: out };
}
