/**
 * One partition replica's (or one Raft group's) segmented commit log in the
 * broker's shared LMDB environment. Implements LogStorage exactly like
 * MemoryStorage does; test/storage/contract.ts holds both to it.
 *
 * State: the catalog (segments), hard state and snapshot point live in the
 * meta DB and are mirrored in memory (`state`), so lastIndex, term(i),
 * hardState and the offset bounds never touch LMDB. Entries live in the
 * entries DB and are read from there (synchronously, lmdb-js gets are sync).
 *
 * Writes: every mutating call is one operation on a per-log FIFO queue. An
 * operation plans its LMDB writes against the current state, hands them to
 * the store as ONE lmdb-js batch (one LMDB transaction, shared with whatever
 * other logs wrote in the same event turn: group commit), waits until that
 * transaction is committed and synced, and only then swaps in the new state.
 * So reads see exactly the last resolved write, a failed transaction leaves
 * the state as it was, and operations of one log never overlap. Operations of
 * different logs do overlap, which is what lets lmdb-js group them.
 *
 * Space reclamation: dropping segments (retention, compaction, snapshot
 * install) first moves the snapshot point and removes their catalog records
 * in one transaction, which hides the entries at once; the entries are then
 * deleted in bounded chunks, each its own queued operation so that appends
 * interleave. Entries below the first index are never read, so a crash
 * between the two steps only leaves garbage, which the next open removes.
 */
import assert from "node:assert/strict";
import type { Database } from "lmdb";
import {
  StorageError,
  type LogStorage,
  type LogUpdate,
  type RetentionPolicy,
  type RetentionResult,
  type SegmentInfo,
} from "../raft/log-storage.js";
import {
  entryBytes,
  index,
  offset,
  term,
  type Entry,
  type HardState,
  type Index,
  type Offset,
  type Snapshot,
  type SnapshotMeta,
  type Term,
} from "../raft/types.js";
import {
  decodeEntry,
  encodeHardState,
  encodeSegment,
  encodeSnapshot,
  entryKey,
  entryKeyIndex,
  entryValueBytes,
  INDEX_MAX,
  logKeyEnd,
  logKeyStart,
  metaKey,
  MetaType,
  readEntryHeader,
  segmentKey,
  writeEntryValue,
  type EntryHeader,
  type SegmentRecord,
} from "./codec.js";
import { checkBound, checkNat, checkRetentionPolicy, checkSnapshotMeta, checkUpdateShape } from "./validate.js";

/** Per-log segment settings. */
export interface LogSettings {
  /** Roll to a new segment once the active one holds at least this many bytes (sum of entryBytes). */
  readonly segmentBytes: number;
  /** Roll to a new segment once the active one is at least this old (by the store's clock). */
  readonly segmentMs: number;
}

/** One write of a batch: a put when `value` is set, else a remove. */
export interface KeyOp {
  readonly db: Database<Buffer, Buffer>;
  readonly key: Buffer;
  readonly value?: Buffer;
}

/** Puts of the entries firstIndex, firstIndex + 1, ... of one log; keys are built at write time. */
export interface EntriesPut {
  readonly logId: number;
  readonly firstIndex: number;
  readonly values: readonly Buffer[];
}

/** Writes are applied in order: a later op on the same key wins. */
export type WriteOp = KeyOp | EntriesPut;

/** What a log needs from the store that owns it. */
export interface LogContext {
  readonly entriesDb: Database<Buffer, Buffer>;
  readonly metaDb: Database<Buffer, Buffer>;
  /** Wall clock for segment creation times and segmentMs. */
  readonly clock: () => number;
  /** Entries deleted per transaction when reclaiming dropped segments. */
  readonly reclaimChunkKeys: number;
  /** Operations one log may have queued before further calls are refused. */
  readonly pendingOpsMax: number;
  /** Apply the ops as one atomic transaction; resolves once durable. Never throws synchronously. */
  write(ops: readonly WriteOp[]): Promise<void>;
  /** Called once the log has closed. */
  onClosed(log: LmdbLog): void;
}

/** Everything a log is, as last made durable. Immutable: writes build a new one. */
export interface LogState {
  readonly hs: HardState;
  readonly snap: Snapshot;
  /** Oldest first, never empty segments; contiguous in index and offset, starting after snap. */
  readonly segs: readonly SegmentRecord[];
}

type MutableSegment = { -readonly [K in keyof SegmentRecord]: SegmentRecord[K] } & { termRuns: number[] };

/** Hints kept for sequential offset reads (one per recent reader position). */
const OFFSET_HINTS_MAX = 4;
/** Entries walked forward from a hint before falling back to binary search. */
const HINT_WALK_MAX = 8;

function lastIndexOf(st: LogState): number {
  const s = st.segs[st.segs.length - 1];
  return s ? s.lastIndex : st.snap.index;
}

function nextOffsetOf(st: LogState): number {
  const s = st.segs[st.segs.length - 1];
  return s ? s.endOffset : st.snap.offset;
}

/** Index into `segs` of the segment holding index i, or -1. */
function segmentFor(segs: readonly SegmentRecord[], i: number): number {
  let lo = 0;
  let hi = segs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const s = segs[mid]!;
    if (i < s.firstIndex) hi = mid - 1;
    else if (i > s.lastIndex) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** Term of index i inside segment s (s.firstIndex <= i <= s.lastIndex). */
function runTerm(s: SegmentRecord, i: number): number {
  const runs = s.termRuns;
  // Last run starting at or before i. Runs are few (one per leader change inside the segment).
  let lo = 0;
  let hi = runs.length / 2 - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (runs[mid * 2]! <= i) lo = mid;
    else hi = mid - 1;
  }
  assert(runs[lo * 2]! <= i, `no term run for index ${i}`);
  return runs[lo * 2 + 1]!;
}

function lastRunTerm(s: SegmentRecord): number {
  return s.termRuns[s.termRuns.length - 1]!;
}

/** Term runs of s restricted to indexes <= t. */
function runsUpTo(runs: readonly number[], t: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < runs.length; k += 2) if (runs[k]! <= t) out.push(runs[k]!, runs[k + 1]!);
  return out;
}

/** Term runs restricted to indexes >= first, the first run clamped to start at `first`. */
function runsFrom(runs: readonly number[], first: number): number[] {
  const out: number[] = [];
  for (let k = 0; k < runs.length; k += 2) {
    const next = runs[k + 2];
    if (next !== undefined && next <= first) continue;
    out.push(Math.max(runs[k]!, first), runs[k + 1]!);
  }
  return out;
}

function toInfo(s: SegmentRecord): SegmentInfo {
  return {
    firstIndex: index(s.firstIndex),
    lastIndex: index(s.lastIndex),
    baseOffset: offset(s.baseOffset),
    bytes: s.bytes,
    createdMs: s.createdMs,
    timestampMsMax: s.timestampMsMax,
  };
}

/** Check the catalog invariants; a failure means the stored catalog is corrupt. */
export function assertStateValid(st: LogState, name: string): void {
  let prevLast: number = st.snap.index;
  let prevEnd: number = st.snap.offset;
  for (const s of st.segs) {
    assert.equal(s.firstIndex, prevLast + 1, `${name}: segment at ${s.firstIndex} does not follow index ${prevLast}`);
    assert(s.lastIndex >= s.firstIndex, `${name}: empty segment at ${s.firstIndex}`);
    assert.equal(s.baseOffset, prevEnd, `${name}: segment at ${s.firstIndex} starts at offset ${s.baseOffset}, expected ${prevEnd}`);
    assert(s.endOffset >= s.baseOffset, `${name}: segment at ${s.firstIndex} ends before it starts`);
    assert(s.termRuns.length >= 2 && s.termRuns[0] === s.firstIndex, `${name}: segment at ${s.firstIndex} has bad term runs`);
    prevLast = s.lastIndex;
    prevEnd = s.endOffset;
  }
}

/**
 * A log in a LogStore. Obtain one with LogStore.openLog(); it stays valid
 * until close(), LogStore.deleteLog() or LogStore.close(). Entries and
 * snapshot data handed to a write must not be modified until it resolves
 * (a write queued behind another copies them when it runs).
 */
export class LmdbLog implements LogStorage {
  private state: LogState;
  private closed = false;
  private closing: Promise<void> | undefined;
  /** Resolves when every queued operation has settled. */
  private tail: Promise<void> = Promise.resolve();
  private pendingOps = 0;
  /** (offset -> index) of the entry after recent offset reads; verified before use. */
  private readonly offsetHints: { offset: number; index: number }[] = [];

  /** @internal Constructed by LogStore with the state it loaded. */
  constructor(
    /** The log's name in its store. */
    readonly name: string,
    /** The log's numeric id: the key prefix of all its records. */
    readonly logId: number,
    private readonly settings: LogSettings,
    private readonly ctx: LogContext,
    initial: LogState,
  ) {
    assertStateValid(initial, name);
    this.state = initial;
  }

  // ---- LogReader -------------------------------------------------------

  hardState(): HardState {
    this.check();
    return this.state.hs;
  }

  snapshot(): Snapshot {
    this.check();
    return this.state.snap;
  }

  firstIndex(): Index {
    this.check();
    return index(this.state.snap.index + 1);
  }

  lastIndex(): Index {
    this.check();
    return index(lastIndexOf(this.state));
  }

  term(i: Index): Term | undefined {
    this.check();
    const st = this.state;
    if (i === st.snap.index) return st.snap.term;
    if (!Number.isInteger(i)) return undefined;
    const k = segmentFor(st.segs, i);
    return k < 0 ? undefined : term(runTerm(st.segs[k]!, i));
  }

  entries(lo: Index, hi: Index, bytesMax: number): Entry[] {
    this.check();
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) throw new StorageError("INVALID_ARGUMENT", `entries(${lo}, ${hi}): bounds must be integers`);
    checkBound(bytesMax, "bytesMax");
    const st = this.state;
    if (lo <= st.snap.index) throw new StorageError("COMPACTED", `index ${lo} is below the first index ${st.snap.index + 1}`);
    const last = lastIndexOf(st);
    if (hi > last + 1) throw new StorageError("INVALID_ARGUMENT", `index ${hi - 1} is past the last index ${last}`);
    if (lo >= hi) return [];
    return this.readRange(lo, hi - 1, bytesMax);
  }

  // ---- reads by offset -------------------------------------------------

  logStartOffset(): Offset {
    this.check();
    const first = this.state.segs[0];
    return offset(first ? first.baseOffset : this.state.snap.offset);
  }

  nextOffset(): Offset {
    this.check();
    return offset(nextOffsetOf(this.state));
  }

  entriesFromOffset(from: Offset, bytesMax: number, indexMax: Index): Entry[] {
    this.check();
    if (!Number.isSafeInteger(from)) throw new StorageError("INVALID_ARGUMENT", `offset ${from} must be an integer`);
    checkBound(bytesMax, "bytesMax");
    checkBound(indexMax, "indexMax");
    const st = this.state;
    const start = st.segs[0] ? st.segs[0].baseOffset : st.snap.offset;
    const next = nextOffsetOf(st);
    if (from < start || from > next) throw new StorageError("OFFSET_OUT_OF_RANGE", `offset ${from} is outside [${start}, ${next}]`);
    if (from === next) return [];
    const k = this.indexForOffset(st, from);
    const hi = Math.min(lastIndexOf(st), Math.floor(indexMax));
    if (k > hi) return [];
    const out = this.readRange(k, hi, bytesMax);
    const tail = out[out.length - 1];
    if (tail) this.rememberHint(tail.offset + tail.count, tail.index + 1);
    return out;
  }

  offsetForTimestamp(timestampMs: number): Offset | undefined {
    this.check();
    checkBound(timestampMs, "timestampMs");
    for (const s of this.state.segs) {
      if (s.timestampMsMax < timestampMs) continue;
      // The running maximum is non-decreasing inside a segment: every entry
      // before the first whose running maximum reaches timestampMs is older.
      let lo = s.firstIndex;
      let hi = s.lastIndex;
      while (lo < hi) {
        const mid = lo + Math.floor((hi - lo) / 2);
        if (this.readHeader(mid).segmentTimestampMsMax >= timestampMs) hi = mid;
        else lo = mid + 1;
      }
      for (let i = lo; i <= s.lastIndex; i++) {
        const h = this.readHeader(i);
        if (h.count > 0 && h.timestampMs >= timestampMs) return offset(h.offset);
      }
    }
    return undefined;
  }

  segments(): SegmentInfo[] {
    this.check();
    return this.state.segs.map(toInfo);
  }

  // ---- writes ----------------------------------------------------------

  persist(update: LogUpdate): Promise<void> {
    return this.enqueue(() => {
      checkUpdateShape(update);
      return this.persistOp(update);
    });
  }

  truncateAfter(i: Index): Promise<void> {
    return this.enqueue(async () => {
      checkNat(i, "index");
      const st = this.state;
      if (i < st.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot truncate after ${i}: commit index is ${st.hs.commit}`);
      if (i < st.snap.index) throw new StorageError("COMPACTED", `cannot truncate after ${i}: compacted through ${st.snap.index}`);
      if (i >= lastIndexOf(st)) return;
      const ops: WriteOp[] = [];
      const segs = this.planTruncate(st, i, i, ops);
      await this.commit(ops, { ...st, segs });
    });
  }

  compact(meta: SnapshotMeta, data: Uint8Array = new Uint8Array(0)): Promise<void> {
    return this.enqueue(async () => {
      checkSnapshotMeta(meta);
      if (!(data instanceof Uint8Array)) throw new StorageError("INVALID_ARGUMENT", "snapshot data must be a Uint8Array");
      const st = this.state;
      if (meta.index <= st.snap.index) return;
      if (meta.index > st.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot compact past the commit index ${st.hs.commit}`);
      const last = lastIndexOf(st);
      let cut: EntryHeader | undefined;
      if (meta.index <= last) {
        cut = this.readHeader(meta.index);
        if (cut.term !== meta.term || cut.offset + cut.count !== meta.offset) {
          throw new StorageError(
            "INVALID_ARGUMENT",
            `compaction point (${meta.index}, term ${meta.term}, offset ${meta.offset}) does not match the log (term ${cut.term}, offset ${cut.offset + cut.count})`,
          );
        }
      }
      const ops: WriteOp[] = [];
      const segs: SegmentRecord[] = [];
      for (const s of st.segs) {
        if (s.lastIndex <= meta.index) {
          ops.push({ db: this.ctx.metaDb, key: segmentKey(this.logId, s.firstIndex) });
        } else if (s.firstIndex <= meta.index) {
          assert(cut, "compaction inside a segment needs its cut entry");
          const trimmed: SegmentRecord = {
            ...s,
            firstIndex: meta.index + 1,
            baseOffset: meta.offset,
            bytesBase: cut.segmentBytesThrough,
            bytes: s.bytes - (cut.segmentBytesThrough - s.bytesBase),
            termRuns: runsFrom(s.termRuns, meta.index + 1),
          };
          ops.push({ db: this.ctx.metaDb, key: segmentKey(this.logId, s.firstIndex) });
          ops.push({ db: this.ctx.metaDb, key: segmentKey(this.logId, trimmed.firstIndex), value: encodeSegment(trimmed) });
          segs.push(trimmed);
        } else {
          segs.push(s);
        }
      }
      const snap: Snapshot = { index: meta.index, term: meta.term, offset: meta.offset, data };
      ops.push({ db: this.ctx.metaDb, key: metaKey(this.logId, MetaType.Snapshot), value: encodeSnapshot(snap) });
      await this.commit(ops, { ...st, snap, segs });
      this.reclaimInBackground(st.snap.index + 1, Math.min(meta.index, last));
    }).then(() => this.reclaimed);
  }

  applyRetention(policy: RetentionPolicy, nowMs: number): Promise<RetentionResult> {
    return this.enqueue(async (): Promise<RetentionResult> => {
      checkRetentionPolicy(policy, nowMs);
      const st = this.state;
      let totalBytes = st.segs.reduce((n, s) => n + s.bytes, 0);
      let dropped = 0;
      let bytesDropped = 0;
      // Never the active segment, never an entry past the commit index.
      while (dropped < st.segs.length - 1) {
        const s = st.segs[dropped]!;
        if (s.lastIndex > st.hs.commit) break;
        const overBytes = policy.retentionBytes >= 0 && totalBytes > policy.retentionBytes;
        const tooOld = policy.retentionMs >= 0 && nowMs - Math.max(s.timestampMsMax, s.createdMs) > policy.retentionMs;
        if (!overBytes && !tooOld) break;
        dropped++;
        bytesDropped += s.bytes;
        totalBytes -= s.bytes;
      }
      if (dropped === 0) return { segmentsDropped: 0, bytesDropped: 0 };
      const lastDropped = st.segs[dropped - 1]!;
      const snap: Snapshot = {
        index: index(lastDropped.lastIndex),
        term: term(lastRunTerm(lastDropped)),
        offset: offset(lastDropped.endOffset),
        data: new Uint8Array(0),
      };
      const ops: WriteOp[] = st.segs.slice(0, dropped).map((s) => ({ db: this.ctx.metaDb, key: segmentKey(this.logId, s.firstIndex) }));
      ops.push({ db: this.ctx.metaDb, key: metaKey(this.logId, MetaType.Snapshot), value: encodeSnapshot(snap) });
      await this.commit(ops, { ...st, snap, segs: st.segs.slice(dropped) });
      this.reclaimInBackground(st.snap.index + 1, snap.index);
      return { segmentsDropped: dropped, bytesDropped };
    }).then(async (r) => {
      await this.reclaimed;
      return r;
    });
  }

  /**
   * Stop accepting calls, let the queued operations finish (space reclamation
   * stops early; the next open finishes it), release the log. Idempotent.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = (async () => {
        await this.tail;
        await this.reclaimed;
        await this.tail;
        this.ctx.onClosed(this);
      })();
    }
    return this.closing;
  }

  /** True once close() was called (or the store closed or deleted the log). */
  isClosed(): boolean {
    return this.closed;
  }

  // ---- internals -------------------------------------------------------

  /** Resolves when the space-reclaiming chunks queued so far are done. */
  private reclaimed: Promise<void> = Promise.resolve();

  private check(): void {
    if (this.closed) throw new StorageError("CLOSED", `log ${this.name} is closed`);
  }

  /**
   * Run `op` after every operation queued before it. Runs it at once when the
   * queue is empty so that writes issued in one event turn share one LMDB
   * transaction. The queue is bounded by pendingOpsMax.
   */
  private enqueue<T>(op: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new StorageError("CLOSED", `log ${this.name} is closed`));
    if (this.pendingOps >= this.ctx.pendingOpsMax) {
      return Promise.reject(new StorageError("INVALID_ARGUMENT", `log ${this.name} has ${this.pendingOps} operations pending: await persist() before issuing more`));
    }
    this.pendingOps++;
    const run = (): Promise<T> => {
      try {
        return op();
      } catch (err) {
        return Promise.reject(err);
      }
    };
    const p = this.pendingOps === 1 ? run() : this.tail.then(run);
    const settled = p.then(
      () => {
        this.pendingOps--;
      },
      () => {
        this.pendingOps--;
      },
    );
    this.tail = settled;
    return p;
  }

  /** Write ops as one transaction, then make `next` the visible state. */
  private async commit(ops: readonly WriteOp[], next: LogState): Promise<void> {
    if (ops.length > 0) await this.ctx.write(ops);
    this.state = next;
  }

  private async persistOp(u: LogUpdate): Promise<void> {
    const st = this.state;
    // In order: a later op on a key wins (a removed segment record may be written anew).
    const ops: WriteOp[] = [];
    let snap = st.snap;
    let segs: readonly SegmentRecord[] = st.segs;
    let reclaim: [number, number] | undefined;
    if (u.snapshot) {
      // Install: the whole log restarts after the snapshot.
      const s = u.snapshot;
      snap = { index: s.index, term: s.term, offset: s.offset, data: s.data };
      for (const seg of st.segs) ops.push({ db: this.ctx.metaDb, key: segmentKey(this.logId, seg.firstIndex) });
      const oldFirst = st.snap.index + 1;
      const oldLast = lastIndexOf(st);
      // Entries above the new snapshot could reappear under new appends: delete them now.
      // Those at or below it are hidden and reclaimed afterwards.
      const rewrittenThrough = u.entries?.[0]?.index === s.index + 1 ? s.index + u.entries.length : s.index;
      // Scan rather than count: after an earlier install moved the snapshot back, hidden
      // entries not yet reclaimed can sit above the new snapshot too.
      for (const key of this.ctx.entriesDb.getKeys({ start: entryKey(this.logId, rewrittenThrough + 1), end: logKeyEnd(this.logId) })) {
        ops.push({ db: this.ctx.entriesDb, key: entryKey(this.logId, entryKeyIndex(key)) });
      }
      if (oldFirst <= Math.min(oldLast, s.index)) reclaim = [oldFirst, Math.min(oldLast, s.index)];
      segs = [];
      ops.push({ db: this.ctx.metaDb, key: metaKey(this.logId, MetaType.Snapshot), value: encodeSnapshot(snap) });
    }
    const entries = u.entries ?? [];
    const first = entries[0];
    if (first) {
      const base: LogState = { hs: st.hs, snap, segs };
      if (first.index <= snap.index) throw new StorageError("COMPACTED", `cannot append at ${first.index}: compacted through ${snap.index}`);
      const last = lastIndexOf(base);
      if (first.index > last + 1) throw new StorageError("INVALID_ARGUMENT", `gap: appending ${first.index} after last index ${last}`);
      const after = first.index - 1;
      if (after < last) {
        if (after < st.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot truncate after ${after}: commit index is ${st.hs.commit}`);
        segs = this.planTruncate(base, after, after + entries.length, ops);
      }
      const expectOffset = nextOffsetOf({ hs: st.hs, snap, segs });
      if (first.offset !== expectOffset) throw new StorageError("INVALID_ARGUMENT", `entry ${first.index} has offset ${first.offset}, expected ${expectOffset}`);
      segs = this.planAppend(segs, entries, ops);
    }
    const hs = u.hardState ?? st.hs;
    if (u.hardState) ops.push({ db: this.ctx.metaDb, key: metaKey(this.logId, MetaType.HardState), value: encodeHardState(hs) });
    await this.commit(ops, { hs, snap, segs });
    // Not awaited: the Raft runner waits on persist(), reclamation is background work.
    if (reclaim) this.reclaimInBackground(reclaim[0], reclaim[1]);
  }

  /**
   * Plan removing every entry after t (t >= snap.index, t < lastIndex).
   * Keys up to `overwrittenThrough` are about to be rewritten and are not removed.
   */
  private planTruncate(st: LogState, t: number, overwrittenThrough: number, ops: WriteOp[]): SegmentRecord[] {
    const last = lastIndexOf(st);
    assert(t >= st.snap.index && t < last);
    for (let i = Math.max(t, overwrittenThrough) + 1; i <= last; i++) ops.push({ db: this.ctx.entriesDb, key: entryKey(this.logId, i) });
    const segs: SegmentRecord[] = [];
    for (const s of st.segs) {
      if (s.firstIndex > t) {
        ops.push({ db: this.ctx.metaDb, key: segmentKey(this.logId, s.firstIndex) });
      } else if (s.lastIndex <= t) {
        segs.push(s);
      } else {
        const h = this.readHeader(t);
        // The running maximum covers the segment from its original first entry. When a
        // compaction cut into the segment (bytesBase > 0) it may include entries that are
        // gone, so rescan what is left (rare: needs a compaction and a truncation in one segment).
        let timestampMsMax = h.segmentTimestampMsMax;
        if (s.bytesBase > 0) {
          timestampMsMax = 0;
          for (let i = s.firstIndex; i <= t; i++) timestampMsMax = Math.max(timestampMsMax, this.readHeader(i).timestampMs);
        }
        const trimmed: SegmentRecord = {
          ...s,
          lastIndex: t,
          endOffset: h.offset + h.count,
          bytes: h.segmentBytesThrough - s.bytesBase,
          timestampMsMax,
          termRuns: runsUpTo(s.termRuns, t),
        };
        ops.push({ db: this.ctx.metaDb, key: segmentKey(this.logId, s.firstIndex), value: encodeSegment(trimmed) });
        segs.push(trimmed);
      }
    }
    return segs;
  }

  /**
   * Plan appending entries (already checked to attach at the end of `segs`),
   * rolling segments at segmentBytes / segmentMs exactly as MemoryStorage does.
   */
  private planAppend(segsIn: readonly SegmentRecord[], entries: readonly Entry[], ops: WriteOp[]): SegmentRecord[] {
    const nowMs = this.ctx.clock();
    const segs: SegmentRecord[] = segsIn.slice();
    // Every segment from here to the end gets a new catalog record.
    const firstTouched = Math.max(0, segs.length - 1);
    let active: MutableSegment | undefined;
    const prev = segs[segs.length - 1];
    if (prev) {
      active = { ...prev, termRuns: prev.termRuns.slice() };
      segs[segs.length - 1] = active;
    }
    // One allocation for every value of the batch; each put gets a view of it.
    let total = 0;
    for (const e of entries) total += entryValueBytes(e);
    const slab = Buffer.allocUnsafeSlow(total);
    const view = new DataView(slab.buffer, slab.byteOffset, slab.byteLength);
    const values: Buffer[] = new Array<Buffer>(entries.length);
    let at = 0;
    for (let k = 0; k < entries.length; k++) {
      const e = entries[k]!;
      if (!active || active.bytes >= this.settings.segmentBytes || nowMs - active.createdMs >= this.settings.segmentMs) {
        active = {
          firstIndex: e.index,
          lastIndex: e.index - 1,
          baseOffset: e.offset,
          endOffset: e.offset,
          bytes: 0,
          createdMs: nowMs,
          timestampMsMax: 0,
          bytesBase: 0,
          termRuns: [],
        };
        segs.push(active);
      }
      active.bytes += entryBytes(e);
      active.lastIndex = e.index;
      active.endOffset = e.offset + e.count;
      active.timestampMsMax = Math.max(active.timestampMsMax, e.timestampMs);
      if (active.termRuns.length === 0 || active.termRuns[active.termRuns.length - 1] !== e.term) active.termRuns.push(e.index, e.term);
      const n = entryValueBytes(e);
      writeEntryValue(slab, view, at, e, active.bytesBase + active.bytes, active.timestampMsMax);
      values[k] = slab.subarray(at, at + n);
      at += n;
    }
    ops.push({ logId: this.logId, firstIndex: entries[0]!.index, values });
    for (let k = firstTouched; k < segs.length; k++) {
      const s = segs[k]!;
      ops.push({ db: this.ctx.metaDb, key: segmentKey(this.logId, s.firstIndex), value: encodeSegment(s) });
    }
    return segs;
  }

  /** Header of the stored entry i, which the catalog says exists. */
  private readHeader(i: number): EntryHeader {
    const v = this.ctx.entriesDb.getBinaryFast(entryKey(this.logId, i));
    assert(v, `${this.name}: entry ${i} missing from LMDB`);
    const h = readEntryHeader(v, v.length);
    assert.equal(h.index, i, `${this.name}: entry stored under ${i} says index ${h.index}`);
    return h;
  }

  /** Entries lo..hi (inclusive, all held), bounded by bytesMax but at least one. */
  private readRange(lo: number, hi: number, bytesMax: number): Entry[] {
    const out: Entry[] = [];
    let bytes = 0;
    let expect = lo;
    for (const { value } of this.ctx.entriesDb.getRange({ start: entryKey(this.logId, lo), end: entryKey(this.logId, hi + 1) })) {
      const e = decodeEntry(value);
      assert.equal(e.index, expect, `${this.name}: expected entry ${expect}, found ${e.index}`);
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(e);
      expect++;
    }
    assert(out.length > 0 && (expect === hi + 1 || bytes > bytesMax), `${this.name}: entries ${expect}..${hi} missing from LMDB`);
    return out;
  }

  /** Index of the first entry whose records reach past `from` (start <= from < nextOffset). */
  private indexForOffset(st: LogState, from: number): number {
    const last = lastIndexOf(st);
    for (const h of this.offsetHints) {
      if (h.offset !== from || h.index <= st.snap.index || h.index > last) continue;
      let k = h.index;
      let head = this.readHeader(k);
      if (head.offset > from) break;
      for (let step = 0; step < HINT_WALK_MAX && head.offset + head.count <= from && k < last; step++) head = this.readHeader(++k);
      if (head.offset <= from && from < head.offset + head.count) return k;
      break;
    }
    // The segment: first whose end offset is past `from`.
    let lo = 0;
    let hi = st.segs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (st.segs[mid]!.endOffset <= from) lo = mid + 1;
      else hi = mid;
    }
    const s = st.segs[lo];
    assert(s && s.endOffset > from, `${this.name}: no segment holds offset ${from}`);
    // Inside it: first entry whose end offset is past `from`.
    let a = s.firstIndex;
    let b = s.lastIndex;
    while (a < b) {
      const mid = a + Math.floor((b - a) / 2);
      const h = this.readHeader(mid);
      if (h.offset + h.count <= from) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  private rememberHint(nextOffset: number, nextIndex: number): void {
    if (this.offsetHints.some((h) => h.offset === nextOffset)) return;
    if (this.offsetHints.length >= OFFSET_HINTS_MAX) this.offsetHints.shift();
    this.offsetHints.push({ offset: nextOffset, index: nextIndex });
  }

  /**
   * Delete the stored entries lo..hi that lie below the first index, in
   * chunks of reclaimChunkKeys, each a queued operation of its own so that
   * appends interleave. The bound is re-read at each chunk, so entries that a
   * later snapshot install made reachable again are never touched. Stops
   * early when the log closes (the next open finishes the job).
   * `reclaimed` resolves when done.
   */
  private reclaimInBackground(lo: number, hi: number): void {
    if (lo > hi) return;
    this.reclaimed = this.reclaimed.then(async () => {
      let from: number | undefined = lo;
      while (from !== undefined && !this.closed) {
        const start: number = from;
        from = await this.runQueued(() => this.reclaimChunk(start, hi));
      }
    });
  }

  /** One chunk of reclaimInBackground; returns where the next starts, or undefined when done. */
  private async reclaimChunk(from: number, hi: number): Promise<number | undefined> {
    const top = Math.min(hi, this.state.snap.index);
    if (from > top) return undefined;
    const ops: WriteOp[] = [];
    let next = top + 1;
    const keys = this.ctx.entriesDb.getKeys({ start: entryKey(this.logId, from), end: entryKey(this.logId, top + 1), limit: this.ctx.reclaimChunkKeys });
    for (const key of keys) {
      const i = entryKeyIndex(key);
      ops.push({ db: this.ctx.entriesDb, key: entryKey(this.logId, i) });
      next = i + 1;
    }
    if (ops.length === 0) return undefined;
    await this.ctx.write(ops);
    return ops.length < this.ctx.reclaimChunkKeys ? undefined : next;
  }

  /** Queue an internal operation; unlike enqueue() it is not refused while closing. */
  private runQueued<T>(op: () => Promise<T>): Promise<T> {
    this.pendingOps++;
    const p = this.tail.then(op);
    this.tail = p.then(
      () => {
        this.pendingOps--;
      },
      () => {
        this.pendingOps--;
      },
    );
    return p;
  }

  /**
   * Diagnostics (O(entries)): how many entries of this log are stored in
   * LMDB, including ones hidden below the first index and not yet reclaimed.
   */
  storedEntryCount(): number {
    this.check();
    return this.ctx.entriesDb.getKeysCount({ start: logKeyStart(this.logId), end: logKeyEnd(this.logId) });
  }

  /** Resolves once the space reclamation started so far has finished (for tests and tools). */
  whenReclaimed(): Promise<void> {
    return this.reclaimed;
  }

  /** @internal Reclaim garbage left by a crash: entries outside [firstIndex, lastIndex]. Used by LogStore at open. */
  async reclaimOutside(): Promise<void> {
    const st = this.state;
    this.reclaimInBackground(0, st.snap.index);
    await this.reclaimed;
    const last = lastIndexOf(st);
    if (last >= INDEX_MAX) return;
    for (;;) {
      const ops: WriteOp[] = [];
      for (const key of this.ctx.entriesDb.getKeys({ start: entryKey(this.logId, last + 1), end: logKeyEnd(this.logId), limit: this.ctx.reclaimChunkKeys })) {
        ops.push({ db: this.ctx.entriesDb, key: entryKey(this.logId, entryKeyIndex(key)) });
      }
      if (ops.length === 0) return;
      await this.ctx.write(ops);
    }
  }
}
