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
 * Entry values are a fixed little-endian header followed by the raw payload
 * bytes, so a payload is copied once on write (into the value) and once on
 * read (out of the memory map), and never re-encoded. Format 2 (written now):
 *
 *     [0]       format (2)              [1]      kind
 *     [2..4)    0                       [4..8)   count u32
 *     [8..16)   index f64               [16..24) term f64
 *     [24..32)  offset f64              [32..40) timestampMs f64
 *     [40..48)  segmentBytesThrough f64 [48..56) segmentTimestampMsMax f64
 *     [56..60)  dataCrc: CRC-32C of the payload, u32
 *     [60..64)  headerCrc: CRC-32C of bytes [0..60) (dataCrc included), u32
 *     [64..)    payload
 *
 * Format 1 (legacy, read only) is bytes [0..56) of the same header with
 * format 1 and no checksums: nothing of it can be verified.
 *
 * Every other value is a msgpack body in the checksum envelope of
 * record-seal.ts, whose CRC-32C covers the record's key and body. Stored bytes are input: every decoder here throws
 * StorageError CORRUPT_ENTRY / CORRUPT_RECORD on what it cannot trust, never
 * an assertion.
 */
import { pack, unpack } from "msgpackr";
import { StorageError } from "../raft/log-storage.js";
import { EntryKind, index, offset, term, nodeId, type Entry, type HardState, type LogPosition, type Membership, type NodeId, type Snapshot } from "../raft/types.js";
import { crc32c } from "./checksum.js";
import { corruptRecord, openRecord, sealRecord } from "./record-seal.js";

/** Bytes of the header in front of every payload written by this code (format 2). */
export const ENTRY_HEADER_BYTES = 64;
/** Format byte of entry values written by this code. */
export const ENTRY_FORMAT = 2;
/** Format 1: the legacy 56-byte header without checksums (read only). */
export const ENTRY_FORMAT_LEGACY = 1;
/** Header bytes of format 1. */
export const ENTRY_HEADER_BYTES_LEGACY = 56;
/** Where format 2 keeps the payload's CRC-32C. */
const DATA_CRC_AT = 56;
/** Where format 2 keeps the header's CRC-32C (covering [0, HEADER_CRC_AT)). */
const HEADER_CRC_AT = 60;

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

/** Big-endian u64 at `at` (no Buffer view allocated: this runs once per entry read). */
function readU64BE(b: Uint8Array, at: number): number {
  const hi = ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  const lo = ((b[at + 4]! << 24) | (b[at + 5]! << 16) | (b[at + 6]! << 8) | b[at + 7]!) >>> 0;
  return hi * TWO_32 + lo;
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

/** Bytes of an entries-DB key. */
export const ENTRY_KEY_BYTES = 12;

/** Key of entry `i` of log `logId` in the entries DB (a fresh 12-byte buffer). */
export function entryKey(logId: number, i: number): Buffer {
  const k = Buffer.allocUnsafe(12);
  k.writeUInt32BE(logId, 0);
  writeU64BE(k, 4, i);
  return k;
}

/** The Raft index encoded in an entries-DB key. */
export function entryKeyIndex(key: Uint8Array): number {
  if (key.byteLength !== ENTRY_KEY_BYTES) throw new StorageError("CORRUPT_ENTRY", `entry key of ${key.byteLength} bytes (expected ${ENTRY_KEY_BYTES})`);
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
  /** Payload bytes. */
  readonly dataBytes: number;
  /** Where the payload starts in the value: the header's size (64, or 56 for format 1). */
  readonly headerBytes: number;
  /** CRC-32C of the payload; undefined for format 1 (legacy, unchecked). */
  readonly dataCrc: number | undefined;
}

/** Size of an entry's stored value. */
export function entryValueBytes(e: Entry): number {
  return ENTRY_HEADER_BYTES + e.data.byteLength;
}

/**
 * Write entry `e` (header, then payload) at `at` in `slab` (with `view` a
 * DataView of the same bytes); takes entryValueBytes(e) bytes. The last two
 * arguments are the EntryRunning values. This is the only copy of the
 * payload on the write path; both checksums are computed here.
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
  view.setUint32(at + DATA_CRC_AT, crc32c(e.data), true);
  view.setUint32(at + HEADER_CRC_AT, crc32c(slab.subarray(at, at + HEADER_CRC_AT)), true);
  slab.set(e.data, at + ENTRY_HEADER_BYTES);
}

/** Write the entries-DB key of (logId, i) into a 12-byte buffer (for reusing one scratch key). */
export function writeEntryKey(key: Buffer, logId: number, i: number): void {
  key.writeUInt32BE(logId, 0);
  writeU64BE(key, 4, i);
}

/** StorageError CORRUPT_ENTRY for entry `i` of `log`. */
export function corruptEntry(log: string, i: number, message: string): StorageError {
  return new StorageError("CORRUPT_ENTRY", `${log}: entry ${i}: ${message}`, { log, index: i });
}

/**
 * Read the header of the value stored under entry `i` of `log`, checking it:
 * its length, format and kind, its CRC-32C (format 2), and that it names
 * index `i`. Throws StorageError CORRUPT_ENTRY { log, index: i } otherwise.
 * The payload is not checked (see checkEntryData). `valueBytes` is the
 * value's size: lmdb-js getBinaryFast returns a reused buffer whose `length`
 * (not byteLength) is the value size.
 */
export function readEntryHeader(v: Uint8Array, valueBytes: number, log: string, i: number): EntryHeader {
  if (valueBytes < ENTRY_HEADER_BYTES_LEGACY) throw corruptEntry(log, i, `value of ${valueBytes} bytes is shorter than a header`);
  const b = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  const format = b[0];
  let headerBytes: number;
  let dataCrc: number | undefined;
  if (format === ENTRY_FORMAT) {
    if (valueBytes < ENTRY_HEADER_BYTES) throw corruptEntry(log, i, `value of ${valueBytes} bytes is shorter than a format 2 header`);
    // A plain Uint8Array view: cheaper to make than a Buffer subarray.
    if (crc32c(new Uint8Array(b.buffer, b.byteOffset, HEADER_CRC_AT)) !== b.readUInt32LE(HEADER_CRC_AT)) throw corruptEntry(log, i, "header checksum mismatch");
    headerBytes = ENTRY_HEADER_BYTES;
    dataCrc = b.readUInt32LE(DATA_CRC_AT);
  } else if (format === ENTRY_FORMAT_LEGACY) {
    headerBytes = ENTRY_HEADER_BYTES_LEGACY;
  } else {
    throw corruptEntry(log, i, `unknown entry format ${format}`);
  }
  const kind = b[1];
  if (kind !== EntryKind.Noop && kind !== EntryKind.Records && kind !== EntryKind.Command && kind !== EntryKind.Config) throw corruptEntry(log, i, `unknown entry kind ${kind}`);
  const storedIndex = b.readDoubleLE(8);
  if (storedIndex !== i) throw corruptEntry(log, i, `stored under index ${i} but says index ${storedIndex}`);
  return {
    kind: kind as EntryKind,
    count: b.readUInt32LE(4),
    index: storedIndex,
    term: b.readDoubleLE(16),
    offset: b.readDoubleLE(24),
    timestampMs: b.readDoubleLE(32),
    segmentBytesThrough: b.readDoubleLE(40),
    segmentTimestampMsMax: b.readDoubleLE(48),
    dataBytes: valueBytes - headerBytes,
    headerBytes,
    dataCrc,
  };
}

/** Check the payload of a value whose header `h` was read by readEntryHeader (format 1: nothing to check). */
export function checkEntryData(v: Uint8Array, h: EntryHeader, log: string): void {
  if (h.dataCrc === undefined) return;
  if (crc32c(new Uint8Array(v.buffer, v.byteOffset + h.headerBytes, h.dataBytes)) !== h.dataCrc) throw corruptEntry(log, h.index, "payload checksum mismatch");
}

/**
 * Decode the value stored under entry `i` of `log`, checking header and
 * payload (throws StorageError CORRUPT_ENTRY). `v` must be a buffer the
 * caller owns (lmdb-js getBinary / getRange copies): the payload is a view
 * into it, not a copy. `verifyData: false` skips the payload's CRC (only for
 * the storage benchmark's baseline).
 */
export function decodeEntry(v: Uint8Array, log: string, i: number, verifyData = true): Entry {
  const h = readEntryHeader(v, v.byteLength, log, i);
  if (verifyData) checkEntryData(v, h, log);
  return entryOf(v, h);
}

/** The entry of value `v` whose header `h` was read (its payload a view into `v`); checks nothing. */
export function entryOf(v: Uint8Array, h: EntryHeader): Entry {
  return {
    index: index(h.index),
    term: term(h.term),
    kind: h.kind,
    offset: offset(h.offset),
    count: h.count,
    timestampMs: h.timestampMs,
    data: new Uint8Array(v.buffer, v.byteOffset + h.headerBytes, h.dataBytes),
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

/** Unpack a record body, turning a msgpack decoding failure into CORRUPT_RECORD. */
function unpackRecord(v: Uint8Array, key: Uint8Array, what: string, log?: string): unknown {
  const body = openRecord(v, key, what, log);
  try {
    return unpack(body) as unknown;
  } catch (err) {
    throw corruptRecord(`undecodable ${what} record: ${(err as Error).message}`, log);
  }
}

/** The array of numbers a record must hold in [0, n); else CORRUPT_RECORD. */
function numbersOf(a: unknown, n: number, what: string, log?: string): unknown[] {
  if (!Array.isArray(a) || a.length < n) throw corruptRecord(`bad ${what} record`, log);
  for (let k = 0; k < n; k++) if (typeof a[k] !== "number") throw corruptRecord(`bad ${what} record field ${k}`, log);
  return a;
}

/** Catalog record value for `key` (segmentKey): a sealed msgpack array, fields in SegmentRecord order. */
export function encodeSegment(s: SegmentRecord, key: Uint8Array): Buffer {
  return sealRecord(pack([s.firstIndex, s.lastIndex, s.baseOffset, s.endOffset, s.bytes, s.createdMs, s.timestampMsMax, s.bytesBase, s.termRuns]), key);
}

/** Decode the catalog record of `log` stored under `key` (throws StorageError CORRUPT_RECORD). */
export function decodeSegment(v: Uint8Array, key: Uint8Array, log: string): SegmentRecord {
  const a = numbersOf(unpackRecord(v, key, "segment", log), 8, "segment", log) as number[];
  if (key.byteLength === 13 && readU64BE(key, 5) !== a[0]) throw corruptRecord(`segment record of ${a[0]} stored under ${readU64BE(key, 5)}`, log);
  const runs: unknown = a[8];
  if (!(Array.isArray(runs) && runs.length >= 2 && runs.length % 2 === 0 && runs.every((x) => typeof x === "number"))) {
    throw corruptRecord("bad term runs in a segment record", log);
  }
  return {
    firstIndex: a[0]!,
    lastIndex: a[1]!,
    baseOffset: a[2]!,
    endOffset: a[3]!,
    bytes: a[4]!,
    createdMs: a[5]!,
    timestampMsMax: a[6]!,
    bytesBase: a[7]!,
    termRuns: runs as number[],
  };
}

/**
 * Hard state value: sealed msgpack [term, vote, commit]; with a promise
 * [term, vote, commit, promiseTerm, promiseIndex]; with a membership
 * (HardState.membership) [term, vote, commit, promiseTerm, promiseIndex,
 * membershipIndex, voters, votersOutgoing, learners], promiseTerm and
 * promiseIndex -1 when there is no promise.
 */
export function encodeHardState(hs: HardState, key: Uint8Array): Buffer {
  const p = hs.promise;
  const m = hs.membership;
  if (m !== undefined) {
    const fields = [hs.term, hs.vote, hs.commit, p?.term ?? -1, p?.index ?? -1, hs.membershipIndex ?? 0, [...m.voters], [...(m.votersOutgoing ?? [])], [...(m.learners ?? [])]];
    return sealRecord(pack(fields), key);
  }
  return sealRecord(pack(p === undefined ? [hs.term, hs.vote, hs.commit] : [hs.term, hs.vote, hs.commit, p.term, p.index]), key);
}

/** Decode the hard state of `log` stored under `key` (throws StorageError CORRUPT_RECORD). */
export function decodeHardState(v: Uint8Array, key: Uint8Array, log: string): HardState {
  const a = numbersOf(unpackRecord(v, key, "hard state", log), 3, "hard state", log) as number[];
  const hs: HardState = { term: term(a[0]!), vote: nodeId(a[1]!), commit: index(a[2]!) };
  if (a.length < 5) return hs;
  numbersOf(a, 5, "hard state", log);
  const promise: LogPosition | undefined = a[3]! >= 0 ? { term: term(a[3]!), index: index(a[4]!) } : undefined;
  const withPromise = promise !== undefined ? { ...hs, promise } : hs;
  if (a.length < 9) return withPromise;
  numbersOf(a, 6, "hard state", log);
  const ids = (x: unknown): NodeId[] => {
    if (!Array.isArray(x) || !x.every((n) => Number.isInteger(n) && n > 0)) throw corruptRecord("bad hard state membership", log);
    return x.map((n: number) => nodeId(n));
  };
  const voters = ids(a[6]);
  const outgoing = ids(a[7]);
  const learners = ids(a[8]);
  if (voters.length === 0) throw corruptRecord("bad hard state membership: no voters", log);
  const membership: Membership = { voters, ...(outgoing.length > 0 ? { votersOutgoing: outgoing } : {}), ...(learners.length > 0 ? { learners } : {}) };
  return { ...withPromise, membership, membershipIndex: index(a[5]!) };
}

/** Snapshot point value: sealed msgpack [index, term, offset, data]. */
export function encodeSnapshot(s: Snapshot, key: Uint8Array): Buffer {
  return sealRecord(pack([s.index, s.term, s.offset, s.data]), key);
}

/** Decode the snapshot point of `log` stored under `key` (throws StorageError CORRUPT_RECORD); data is a plain Uint8Array view. */
export function decodeSnapshot(v: Uint8Array, key: Uint8Array, log: string): Snapshot {
  const a = numbersOf(unpackRecord(v, key, "snapshot", log), 3, "snapshot", log) as number[];
  const data: unknown = a[3];
  if (!(data instanceof Uint8Array)) throw corruptRecord("bad snapshot data", log);
  return {
    index: index(a[0]!),
    term: term(a[1]!),
    offset: offset(a[2]!),
    data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  };
}

/** Registry value of a log, stored under its name's UTF-8 bytes `key`: sealed msgpack [logId]. */
export function encodeLogRef(logId: number, key: Uint8Array): Buffer {
  return sealRecord(pack([logId]), key);
}

/** Decode the registry value of `log` stored under `key`: its id (throws StorageError CORRUPT_RECORD). */
export function decodeLogRef(v: Uint8Array, key: Uint8Array, log: string): number {
  const a = numbersOf(unpackRecord(v, key, "log registry", log), 1, "log registry", log) as number[];
  const id = a[0]!;
  if (!Number.isInteger(id) || id < 1 || id > LOG_ID_MAX) throw corruptRecord(`bad log id ${id} in the registry`, log);
  return id;
}

/** Store-wide counters (meta key [0][Store]): sealed msgpack [nextLogId]. */
export function encodeStoreRecord(nextLogId: number): Buffer {
  return sealRecord(pack([nextLogId]), metaKey(0, MetaType.Store));
}

/** Decode the store record: the next log id (throws StorageError CORRUPT_RECORD). */
export function decodeStoreRecord(v: Uint8Array): number {
  const a = numbersOf(unpackRecord(v, metaKey(0, MetaType.Store), "store"), 1, "store") as number[];
  const next = a[0]!;
  if (!Number.isInteger(next) || next < 1 || next > LOG_ID_MAX + 1) throw corruptRecord(`bad next log id ${next} in the store record`);
  return next;
}
