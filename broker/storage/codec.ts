/**
 * Binary layout of everything the LMDB log store writes: keys of the three
 * LMDB databases and the values of entries and catalog records.
 *
 * Stored formats are append-only: never renumber a record type or reorder a
 * field; add new fields at the end and bump the format byte.
 *
 * Keys are fixed-width big-endian so that LMDB's byte-wise key order is the
 * numeric order (log id, then record type, then Raft index):
 *
 *     entries DB   [logId u32][index u64]                12 bytes
 *     meta DB      [logId u32][type u8]                   5 bytes  (hard state, snapshot)
 *                  [logId u32][type u8][firstIndex u64]  13 bytes  (one per segment)
 *     logs DB      log name (UTF-8 bytes) -> msgpack [logId]
 *
 * Entry values are a fixed 56-byte little-endian header followed by the raw
 * payload bytes, so a payload is copied once on write (into the value) and
 * once on read (out of the memory map), and never re-encoded.
 */
import assert from "node:assert/strict";
import { pack, unpack } from "msgpackr";
import { EntryKind, index, offset, term, nodeId, type Entry, type HardState, type Snapshot } from "../raft/types.js";

/** Bytes of the fixed header in front of every entry's payload. */
export const ENTRY_HEADER_BYTES = 56;
/** Format byte of entry values written by this code. */
export const ENTRY_FORMAT = 1;

/** Record types in the meta DB. Stored: numeric and append-only. */
export const MetaType = {
  /** Store-wide counters; only under log id 0. */
  Store: 0,
  /** A log's Raft hard state. */
  HardState: 1,
  /** A log's snapshot point (compaction point) and snapshot data. */
  Snapshot: 2,
  /** One segment of a log's catalog, keyed by the segment's first index. */
  Segment: 3,
  /** The data directory's identity (broker-identity.ts); only under log id 0. */
  BrokerIdentity: 4,
} as const;
export type MetaType = (typeof MetaType)[keyof typeof MetaType];

/** Largest Raft index a key can hold (indexes are safe integers). */
export const INDEX_MAX = Number.MAX_SAFE_INTEGER;
/** Log ids are u32; 0 is reserved for store-wide records. */
export const LOG_ID_MAX = 0xffff_ffff;

const TWO_32 = 0x1_0000_0000;

function writeU64BE(buf: Buffer, at: number, n: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO_32), at);
  buf.writeUInt32BE(n % TWO_32, at + 4);
}

function readU64BE(buf: Uint8Array, at: number): number {
  const view = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return view.readUInt32BE(at) * TWO_32 + view.readUInt32BE(at + 4);
}

/** A key below every key of log `logId` (in the entries and meta DBs). */
export function logKeyStart(logId: number): Buffer {
  const k = Buffer.allocUnsafe(4);
  k.writeUInt32BE(logId, 0);
  return k;
}

/** A key above every key of log `logId` and below those of the next id (in the entries and meta DBs). */
export function logKeyEnd(logId: number): Buffer {
  const k = Buffer.alloc(13, 0xff);
  k.writeUInt32BE(logId, 0);
  return k;
}

/** Key of entry `i` of log `logId` in the entries DB (a fresh 12-byte buffer). */
export function entryKey(logId: number, i: number): Buffer {
  const k = Buffer.allocUnsafe(12);
  k.writeUInt32BE(logId, 0);
  writeU64BE(k, 4, i);
  return k;
}

/** The Raft index encoded in an entries-DB key. */
export function entryKeyIndex(key: Uint8Array): number {
  assert.equal(key.byteLength, 12, "entry key length");
  return readU64BE(key, 4);
}

/** The log id encoded in an entries-DB or meta-DB key. */
export function keyLogId(key: Uint8Array): number {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).readUInt32BE(0);
}

/** Key of a per-log meta record without an index (hard state, snapshot, store counters). */
export function metaKey(logId: number, type: MetaType): Buffer {
  const k = Buffer.allocUnsafe(5);
  k.writeUInt32BE(logId, 0);
  k.writeUInt8(type, 4);
  return k;
}

/** Key of the catalog record of the segment starting at `firstIndex`. */
export function segmentKey(logId: number, firstIndex: number): Buffer {
  const k = Buffer.allocUnsafe(13);
  k.writeUInt32BE(logId, 0);
  k.writeUInt8(MetaType.Segment, 4);
  writeU64BE(k, 5, firstIndex);
  return k;
}

/**
 * Running values stored with each entry so that truncating a segment in the
 * middle recomputes its catalog record in O(1), without scanning it.
 */
export interface EntryRunning {
  /** Sum of entryBytes() over the segment's entries from its original first entry through this one. */
  readonly segmentBytesThrough: number;
  /** Largest timestampMs over the same entries. */
  readonly segmentTimestampMsMax: number;
}

/** Header fields of a stored entry, read without touching the payload. */
export interface EntryHeader extends EntryRunning {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly offset: number;
  readonly count: number;
  readonly timestampMs: number;
  readonly dataBytes: number;
}

/** Size of an entry's stored value. */
export function entryValueBytes(e: Entry): number {
  return ENTRY_HEADER_BYTES + e.data.byteLength;
}

/**
 * Write entry `e` (header, then payload) at `at` in `slab` (with `view` a
 * DataView of the same bytes); takes entryValueBytes(e) bytes. The last two
 * arguments are the EntryRunning values. This is the only copy of the
 * payload on the write path.
 */
export function writeEntryValue(slab: Uint8Array, view: DataView, at: number, e: Entry, segmentBytesThrough: number, segmentTimestampMsMax: number): void {
  view.setUint8(at, ENTRY_FORMAT);
  view.setUint8(at + 1, e.kind);
  view.setUint16(at + 2, 0, true);
  view.setUint32(at + 4, e.count, true);
  view.setFloat64(at + 8, e.index, true);
  view.setFloat64(at + 16, e.term, true);
  view.setFloat64(at + 24, e.offset, true);
  view.setFloat64(at + 32, e.timestampMs, true);
  view.setFloat64(at + 40, segmentBytesThrough, true);
  view.setFloat64(at + 48, segmentTimestampMsMax, true);
  slab.set(e.data, at + ENTRY_HEADER_BYTES);
}

/** Write the entries-DB key of (logId, i) into a 12-byte buffer (for reusing one scratch key). */
export function writeEntryKey(key: Buffer, logId: number, i: number): void {
  key.writeUInt32BE(logId, 0);
  writeU64BE(key, 4, i);
}

/**
 * Read the header of a stored entry value. Asserts the format: a bad value
 * is corruption. `valueBytes` is the value's size: lmdb-js getBinaryFast
 * returns a reused buffer whose `length` (not byteLength) is the value size.
 */
export function readEntryHeader(v: Uint8Array, valueBytes: number = v.length): EntryHeader {
  assert(valueBytes >= ENTRY_HEADER_BYTES, `entry value of ${valueBytes} bytes is shorter than its header`);
  const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const format = b.readUInt8(0);
  assert.equal(format, ENTRY_FORMAT, `unknown entry format ${format}`);
  const kind = b.readUInt8(1);
  assert(kind === EntryKind.Noop || kind === EntryKind.Records || kind === EntryKind.Command, `unknown entry kind ${kind}`);
  return {
    kind: kind as EntryKind,
    count: b.readUInt32LE(4),
    index: b.readDoubleLE(8),
    term: b.readDoubleLE(16),
    offset: b.readDoubleLE(24),
    timestampMs: b.readDoubleLE(32),
    segmentBytesThrough: b.readDoubleLE(40),
    segmentTimestampMsMax: b.readDoubleLE(48),
    dataBytes: valueBytes - ENTRY_HEADER_BYTES,
  };
}

/**
 * Decode a stored entry. `v` must be a buffer the caller owns (lmdb-js
 * getBinary / getRange copies): the payload is a view into it, not a copy.
 */
export function decodeEntry(v: Uint8Array): Entry {
  const h = readEntryHeader(v, v.byteLength);
  return {
    index: index(h.index),
    term: term(h.term),
    kind: h.kind,
    offset: offset(h.offset),
    count: h.count,
    timestampMs: h.timestampMs,
    data: new Uint8Array(v.buffer, v.byteOffset + ENTRY_HEADER_BYTES, h.dataBytes),
  };
}

/**
 * One segment as the catalog records it. `termRuns` lists where each run of
 * equal terms starts inside the segment (flat [startIndex, term, ...],
 * ascending, first start === firstIndex), so term(i) never reads LMDB.
 * Invariants: firstIndex <= lastIndex; baseOffset <= endOffset;
 * bytes === segmentBytesThrough(lastIndex) - bytesBase.
 */
export interface SegmentRecord {
  readonly firstIndex: number;
  readonly lastIndex: number;
  /** Offset of the first entry. */
  readonly baseOffset: number;
  /** Offset after the last entry (its offset + count). */
  readonly endOffset: number;
  readonly bytes: number;
  readonly createdMs: number;
  readonly timestampMsMax: number;
  /** segmentBytesThrough of the entry before firstIndex (non-zero after a compaction inside the segment). */
  readonly bytesBase: number;
  readonly termRuns: readonly number[];
}

/** Catalog record value: a msgpack array, fields in SegmentRecord order. */
export function encodeSegment(s: SegmentRecord): Buffer {
  return pack([s.firstIndex, s.lastIndex, s.baseOffset, s.endOffset, s.bytes, s.createdMs, s.timestampMsMax, s.bytesBase, s.termRuns]);
}

/** Decode a catalog record (asserting its shape: a bad record is corruption). */
export function decodeSegment(v: Uint8Array): SegmentRecord {
  const a: unknown = unpack(v);
  assert(Array.isArray(a) && a.length >= 9, "bad segment record");
  const n = (k: number): number => {
    const x: unknown = a[k];
    assert(typeof x === "number", `bad segment record field ${k}`);
    return x;
  };
  const runs: unknown = a[8];
  assert(Array.isArray(runs) && runs.length >= 2 && runs.length % 2 === 0 && runs.every((x) => typeof x === "number"), "bad term runs");
  return {
    firstIndex: n(0),
    lastIndex: n(1),
    baseOffset: n(2),
    endOffset: n(3),
    bytes: n(4),
    createdMs: n(5),
    timestampMsMax: n(6),
    bytesBase: n(7),
    termRuns: runs as number[],
  };
}

/** Hard state value: msgpack [term, vote, commit]. */
export function encodeHardState(hs: HardState): Buffer {
  return pack([hs.term, hs.vote, hs.commit]);
}

/** Decode a hard state value (asserting its shape). */
export function decodeHardState(v: Uint8Array): HardState {
  const a: unknown = unpack(v);
  assert(Array.isArray(a) && a.length >= 3 && a.slice(0, 3).every((x) => typeof x === "number"), "bad hard state record");
  return { term: term(a[0] as number), vote: nodeId(a[1] as number), commit: index(a[2] as number) };
}

/** Snapshot point value: msgpack [index, term, offset, data]. */
export function encodeSnapshot(s: Snapshot): Buffer {
  return pack([s.index, s.term, s.offset, s.data]);
}

/** Decode a snapshot point value (asserting its shape); data is a plain Uint8Array view. */
export function decodeSnapshot(v: Uint8Array): Snapshot {
  const a: unknown = unpack(v);
  assert(Array.isArray(a) && a.length >= 4 && a.slice(0, 3).every((x) => typeof x === "number"), "bad snapshot record");
  const data: unknown = a[3];
  assert(data instanceof Uint8Array, "bad snapshot data");
  return {
    index: index(a[0] as number),
    term: term(a[1] as number),
    offset: offset(a[2] as number),
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Registry value for a log: msgpack [logId]. */
export function encodeLogRef(logId: number): Buffer {
  return pack([logId]);
}

/** Decode a registry value: the log id. */
export function decodeLogRef(v: Uint8Array): number {
  const a: unknown = unpack(v);
  assert(Array.isArray(a) && typeof a[0] === "number", "bad log registry record");
  return a[0];
}

/** Store-wide counters (meta key [0][Store]): msgpack [nextLogId]. */
export function encodeStoreRecord(nextLogId: number): Buffer {
  return pack([nextLogId]);
}

/** Decode the store record: the next log id. */
export function decodeStoreRecord(v: Uint8Array): number {
  const a: unknown = unpack(v);
  assert(Array.isArray(a) && typeof a[0] === "number", "bad store record");
  return a[0];
}
