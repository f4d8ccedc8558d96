/**
 * An in-memory LogStorage for the Raft core's tests and the simulator.
 * It keeps segments the same way the LMDB log does, so it passes the same
 * contract suite. `persist()` applies synchronously and returns a resolved
 * promise; the simulator models unsynced writes itself.
 */
import { assert } from "./assert.js";
import type { LogStorage, LogUpdate, RetentionPolicy, RetentionResult, SegmentInfo } from "./log-storage.js";
import { StorageError } from "./log-storage.js";
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
  private readonly segmentBytes: number;
  private readonly segmentMs: number;
  private readonly clock: () => number;

  constructor(opts: MemoryStorageOptions = {}) {
    this.segmentBytes = opts.segmentBytes ?? 64 * 1024 * 1024;
    this.segmentMs = opts.segmentMs ?? 7 * 24 * 3600 * 1000;
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
    if (lo < this.firstIndex()) throw new StorageError("COMPACTED", `index ${lo} is below the first index ${this.firstIndex()}`);
    if (hi > this.lastIndex() + 1) throw new StorageError("INVALID_ARGUMENT", `index ${hi - 1} is past the last index ${this.lastIndex()}`);
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
    if (from < this.logStartOffset() || from > this.nextOffset()) {
      throw new StorageError(
        "OFFSET_OUT_OF_RANGE",
        `offset ${from} is outside [${this.logStartOffset()}, ${this.nextOffset()}]`,
      );
    }
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
    for (const e of this.all()) if (e.count > 0 && e.timestampMs >= timestampMs) return e.offset;
    return undefined;
  }

  persist(update: LogUpdate): Promise<void> {
    this.check();
    this.apply(update);
    return Promise.resolve();
  }

  /** Apply an update synchronously (the simulator's disk model uses this). */
  apply(update: LogUpdate): void {
    this.check();
    if (update.snapshot) {
      this.snap = update.snapshot;
      this.segs = [];
    }
    if (update.entries && update.entries.length > 0) {
      const first = update.entries[0]!;
      if (first.index <= this.snap.index) throw new StorageError("COMPACTED", `cannot append at ${first.index}: compacted through ${this.snap.index}`);
      if (first.index > this.lastIndex() + 1) {
        throw new StorageError("INVALID_ARGUMENT", `gap: appending ${first.index} after last index ${this.lastIndex()}`);
      }
      this.truncate(index(first.index - 1));
      let expectOffset = this.nextOffset();
      let prev = first.index - 1;
      for (const e of update.entries) {
        if (e.index !== prev + 1) throw new StorageError("INVALID_ARGUMENT", `entries not contiguous at ${e.index}`);
        if (e.offset !== expectOffset) throw new StorageError("INVALID_ARGUMENT", `entry ${e.index} has offset ${e.offset}, expected ${expectOffset}`);
        this.push(e);
        prev = e.index;
        expectOffset = offset(e.offset + e.count);
      }
    }
    if (update.hardState) this.hs = update.hardState;
  }

  truncateAfter(i: Index): Promise<void> {
    this.check();
    if (i < this.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot truncate after ${i}: commit index is ${this.hs.commit}`);
    this.truncate(i);
    return Promise.resolve();
  }

  compact(meta: SnapshotMeta, data: Uint8Array = new Uint8Array(0)): Promise<void> {
    this.check();
    if (meta.index <= this.snap.index) return Promise.resolve();
    if (meta.index > this.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot compact past the commit index ${this.hs.commit}`);
    const keep: MemSegment[] = [];
    for (const s of this.segs) {
      const rest = s.entries.filter((e) => e.index > meta.index);
      if (rest.length === 0 && s !== this.segs[this.segs.length - 1]) continue;
      keep.push({ ...s, entries: rest, bytes: rest.reduce((n, e) => n + entryBytes(e), 0) });
    }
    this.segs = keep.filter((s) => s.entries.length > 0);
    this.snap = { ...meta, data };
    return Promise.resolve();
  }

  applyRetention(policy: RetentionPolicy, nowMs: number): Promise<RetentionResult> {
    this.check();
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
    return Promise.resolve({ segmentsDropped, bytesDropped });
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
    if (after < this.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot truncate after ${after}: commit index is ${this.hs.commit}`);
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
