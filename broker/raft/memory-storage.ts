/**
 * An in-memory LogStorage for the Raft core's tests and the simulator.
 * It keeps segments the same way the LMDB log does, so it passes the same
 * contract suite. `persist()` applies synchronously and returns a resolved
 * promise; the simulator models unsynced writes itself. Its argument and
 * placement checks are the LMDB log's: both call log-validate.ts.
 */
import { assert } from "./assert.js";
import { STORAGE_DEFAULTS } from "../protocol/defaults.js";
import type { LogStorage, LogUpdate, RetentionPolicy, RetentionResult, SegmentInfo } from "./log-storage.js";
import { StorageError } from "./log-storage.js";
import {
  checkAppendOffset,
  checkAppendPlace,
  checkBound,
  checkCompaction,
  checkCompactionCommitted,
  checkCompactionCut,
  checkEntriesRange,
  checkOffsetRead,
  checkRepair,
  checkRetentionPolicy,
  checkTruncateAfter,
  checkUpdateShape,
  repairedHardState,
} from "./log-validate.js";
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  entryBytes,
  index,
  offset,
  type Entry,
  type HardState,
  type Index,
  type Offset,
  type Snapshot,
  type SnapshotMeta,
  type Term,
} from "./types.js";

export interface MemoryStorageOptions {
  /** Roll to a new segment once the active one holds this many bytes. */
  readonly segmentBytes?: number;
  /** Roll to a new segment once the active one is this old. */
  readonly segmentMs?: number;
  /** Wall clock for segment creation times. */
  readonly clock?: () => number;
}

interface MemSegment {
  entries: Entry[];
  bytes: number;
  createdMs: number;
  timestampMsMax: number;
}

export class MemoryStorage implements LogStorage {
  private hs: HardState = EMPTY_HARD_STATE;
  private snap: Snapshot = EMPTY_SNAPSHOT;
  /** Oldest first; the last one is active. Never empty segments except the active one. */
  private segs: MemSegment[] = [];
  private closed = false;
  private segmentBytes: number;
  private segmentMs: number;
  private readonly clock: () => number;

  constructor(opts: MemoryStorageOptions = {}) {
    this.segmentBytes = opts.segmentBytes ?? STORAGE_DEFAULTS.segmentBytes;
    this.segmentMs = opts.segmentMs ?? STORAGE_DEFAULTS.segmentMs;
    this.clock = opts.clock ?? (() => 0);
  }

  /** A deep copy: what a crash-restart would find on disk. */
  clone(): MemoryStorage {
    const c = new MemoryStorage({ segmentBytes: this.segmentBytes, segmentMs: this.segmentMs, clock: this.clock });
    c.hs = this.hs;
    c.snap = this.snap;
    c.segs = this.segs.map((s) => ({ ...s, entries: s.entries.slice() }));
    return c;
  }

  hardState(): HardState {
    this.check();
    return this.hs;
  }
  snapshot(): Snapshot {
    this.check();
    return this.snap;
  }
  firstIndex(): Index {
    this.check();
    return index(this.snap.index + 1);
  }
  lastIndex(): Index {
    this.check();
    const last = this.lastEntry();
    return last ? last.index : this.snap.index;
  }
  term(i: Index): Term | undefined {
    this.check();
    if (i === this.snap.index) return this.snap.term;
    return this.at(i)?.term;
  }
  entries(lo: Index, hi: Index, bytesMax: number): Entry[] {
    this.check();
    checkEntriesRange(lo, hi, bytesMax, this.snap.index, this.lastIndex());
    const out: Entry[] = [];
    let bytes = 0;
    for (let i = lo; i < hi; i++) {
      const e = this.at(index(i));
      assert(e, `entry ${i} missing`);
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(e);
    }
    return out;
  }
  logStartOffset(): Offset {
    this.check();
    const first = this.segs[0]?.entries[0];
    return first ? first.offset : this.snap.offset;
  }
  nextOffset(): Offset {
    this.check();
    const last = this.lastEntry();
    return last ? offset(last.offset + last.count) : this.snap.offset;
  }
  entriesFromOffset(from: Offset, bytesMax: number, indexMax: Index): Entry[] {
    this.check();
    checkOffsetRead(from, bytesMax, indexMax, this.logStartOffset(), this.nextOffset());
    const all = this.all();
    // First entry whose records reach past `from`.
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = all[mid]!;
      if (e.offset + e.count <= from) lo = mid + 1;
      else hi = mid;
    }
    const out: Entry[] = [];
    let bytes = 0;
    for (let k = lo; k < all.length; k++) {
      const e = all[k]!;
      if (e.index > indexMax) break;
      bytes += entryBytes(e);
      if (out.length > 0 && bytes > bytesMax) break;
      out.push(e);
    }
    return out;
  }
  offsetForTimestamp(timestampMs: number): Offset | undefined {
    this.check();
    checkBound(timestampMs, "timestampMs");
    for (const e of this.all()) if (e.count > 0 && e.timestampMs >= timestampMs) return e.offset;
    return undefined;
  }

  persist(update: LogUpdate): Promise<void> {
    return settle(() => this.apply(update));
  }

  /**
   * Apply an update synchronously (the simulator's disk model uses this).
   * All or nothing: a refused update (StorageError) changes nothing.
   */
  apply(update: LogUpdate): void {
    this.check();
    this.checkUpdate(update);
    if (update.snapshot) {
      const s = update.snapshot;
      this.snap = { index: s.index, term: s.term, offset: s.offset, data: s.data };
      this.segs = [];
    }
    if (update.entries && update.entries.length > 0) {
      // checkUpdate() placed them: dense, attached after the snapshot, offsets continuing the log.
      this.truncate(index(update.entries[0]!.index - 1));
      for (const e of update.entries) {
        assert(e.index === this.lastIndex() + 1 && e.offset === this.nextOffset(), `entry ${e.index} does not attach`);
        this.push(e);
      }
    }
    if (update.hardState) this.hs = update.hardState;
  }

  truncateAfter(i: Index): Promise<void> {
    return settle(() => {
      this.check();
      checkTruncateAfter(i, this.hs.commit, this.snap.index);
      this.truncate(i);
    });
  }

  repair(from: Index): Promise<void> {
    return settle(() => this.repairSync(from));
  }

  /** repair(), synchronously (the simulator's disk-damage fault uses this). */
  repairSync(from: Index): void {
    this.check();
    checkRepair(from, this.snap.index, this.lastIndex());
    const held = { term: this.term(this.lastIndex())!, index: this.lastIndex() };
    this.hs = repairedHardState(this.hs, from, held);
    this.truncate(index(from - 1));
  }

  compact(meta: SnapshotMeta, data: Uint8Array = new Uint8Array(0)): Promise<void> {
    return settle(() => this.compactSync(meta, data));
  }

  private compactSync(meta: SnapshotMeta, data: Uint8Array): void {
    this.check();
    checkCompaction(meta, data);
    if (meta.index <= this.snap.index) return;
    checkCompactionCommitted(meta, this.hs.commit);
    const cut = this.at(meta.index);
    if (cut) checkCompactionCut(meta, cut.term, cut.offset + cut.count);
    const keep: MemSegment[] = [];
    for (const s of this.segs) {
      const rest = s.entries.filter((e) => e.index > meta.index);
      if (rest.length === 0 && s !== this.segs[this.segs.length - 1]) continue;
      keep.push({ ...s, entries: rest, bytes: rest.reduce((n, e) => n + entryBytes(e), 0) });
    }
    this.segs = keep.filter((s) => s.entries.length > 0);
    this.snap = { index: meta.index, term: meta.term, offset: meta.offset, data };
  }

  applyRetention(policy: RetentionPolicy, nowMs: number): Promise<RetentionResult> {
    return settle(() => this.applyRetentionSync(policy, nowMs));
  }

  private applyRetentionSync(policy: RetentionPolicy, nowMs: number): RetentionResult {
    this.check();
    checkRetentionPolicy(policy, nowMs);
    let segmentsDropped = 0;
    let bytesDropped = 0;
    const total = () => this.segs.reduce((n, s) => n + s.bytes, 0);
    while (this.segs.length > 1) {
      const s = this.segs[0]!;
      const last = s.entries[s.entries.length - 1]!;
      if (last.index > this.hs.commit) break;
      const overBytes = policy.retentionBytes >= 0 && total() > policy.retentionBytes;
      const tooOld = policy.retentionMs >= 0 && nowMs - Math.max(s.timestampMsMax, s.createdMs) > policy.retentionMs;
      if (!overBytes && !tooOld) break;
      this.segs.shift();
      this.snap = { index: last.index, term: last.term, offset: offset(last.offset + last.count), data: new Uint8Array(0) };
      segmentsDropped++;
      bytesDropped += s.bytes;
    }
    return { segmentsDropped, bytesDropped };
  }

  setSegmentSettings(settings: { readonly segmentBytes: number; readonly segmentMs: number }): void {
    this.segmentBytes = settings.segmentBytes;
    this.segmentMs = settings.segmentMs;
  }

  segments(): SegmentInfo[] {
    this.check();
    return this.segs.map((s) => {
      const first = s.entries[0]!;
      const last = s.entries[s.entries.length - 1]!;
      return {
        firstIndex: first.index,
        lastIndex: last.index,
        baseOffset: first.offset,
        bytes: s.bytes,
        createdMs: s.createdMs,
        timestampMsMax: s.timestampMsMax,
      };
    });
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private check(): void {
    if (this.closed) throw new StorageError("CLOSED", "the log is closed");
  }

  /** Everything that can refuse an update, checked before anything changes. */
  private checkUpdate(u: LogUpdate): void {
    checkUpdateShape(u);
    const snap = u.snapshot ?? this.snap;
    const last = u.snapshot ? u.snapshot.index : this.lastIndex();
    const first = u.entries?.[0];
    if (!first) return;
    checkAppendPlace(first, snap.index, last, this.hs.commit);
    const after = first.index - 1;
    let expectOffset: number = snap.offset;
    if (after !== snap.index) {
      const prev = this.at(index(after));
      assert(prev, `entry ${after} missing`);
      expectOffset = prev.offset + prev.count;
    }
    checkAppendOffset(first, expectOffset);
  }
  private all(): Entry[] {
    return this.segs.flatMap((s) => s.entries);
  }
  private lastEntry(): Entry | undefined {
    const s = this.segs[this.segs.length - 1];
    return s ? s.entries[s.entries.length - 1] : undefined;
  }
  private at(i: Index): Entry | undefined {
    for (const s of this.segs) {
      const first = s.entries[0];
      if (!first) continue;
      const k = i - first.index;
      if (k >= 0 && k < s.entries.length) return s.entries[k];
    }
    return undefined;
  }
  private push(e: Entry): void {
    const now = this.clock();
    let active = this.segs[this.segs.length - 1];
    if (!active || active.bytes >= this.segmentBytes || now - active.createdMs >= this.segmentMs) {
      active = { entries: [], bytes: 0, createdMs: now, timestampMsMax: 0 };
      this.segs.push(active);
    }
    active.entries.push(e);
    active.bytes += entryBytes(e);
    active.timestampMsMax = Math.max(active.timestampMsMax, e.timestampMs);
  }
  private truncate(after: Index): void {
    if (after >= this.lastIndex()) return;
    assert(after >= this.hs.commit, `truncating after ${after} would drop committed entries (commit ${this.hs.commit})`);
    while (this.segs.length > 0) {
      const s = this.segs[this.segs.length - 1]!;
      const first = s.entries[0]!;
      if (first.index > after) {
        this.segs.pop();
        continue;
      }
      const keep = after - first.index + 1;
      s.entries.length = keep;
      s.bytes = s.entries.reduce((n, e) => n + entryBytes(e), 0);
      s.timestampMsMax = s.entries.reduce((n, e) => Math.max(n, e.timestampMs), 0);
      break;
    }
  }
}

/** Run a synchronous write and report its outcome as a promise, like an asynchronous store would. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}
