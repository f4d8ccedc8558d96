/**
 * An in-memory LogStorage for the Raft core's tests and the simulator.
 * It keeps segments the same way the LMDB log does, so it passes the same
 * contract suite. `persist()` applies synchronously and returns a resolved
 * promise; the simulator models unsynced writes itself.
 */
import { assert } from "./assert.js";
import { STORAGE_DEFAULTS } from "../protocol/defaults.js";
import type { LogStorage, LogUpdate, RetentionPolicy, RetentionResult, SegmentInfo } from "./log-storage.js";
import { StorageError } from "./log-storage.js";
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  EntryKind,
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
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi)) throw new StorageError("INVALID_ARGUMENT", `entries(${lo}, ${hi}): bounds must be integers`);
    checkBound(bytesMax, "bytesMax");
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
    if (!Number.isSafeInteger(from)) throw new StorageError("INVALID_ARGUMENT", `offset ${from} must be an integer`);
    checkBound(bytesMax, "bytesMax");
    checkBound(indexMax, "indexMax");
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
    return settle(() => {
      this.check();
      checkNat(i, "index");
      if (i < this.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot truncate after ${i}: commit index is ${this.hs.commit}`);
      // Entries up to the snapshot are gone: truncating below it cannot be exact.
      if (i < this.snap.index) throw new StorageError("COMPACTED", `cannot truncate after ${i}: compacted through ${this.snap.index}`);
      this.truncate(i);
    });
  }

  compact(meta: SnapshotMeta, data: Uint8Array = new Uint8Array(0)): Promise<void> {
    return settle(() => this.compactSync(meta, data));
  }

  private compactSync(meta: SnapshotMeta, data: Uint8Array): void {
    this.check();
    checkSnapshotMeta(meta);
    if (!(data instanceof Uint8Array)) throw new StorageError("INVALID_ARGUMENT", "snapshot data must be a Uint8Array");
    if (meta.index <= this.snap.index) return;
    if (meta.index > this.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot compact past the commit index ${this.hs.commit}`);
    // A compaction point inside the log must be that entry's term and end offset,
    // or the log start offset and term() would lie afterwards.
    const cut = this.at(meta.index);
    if (cut && (cut.term !== meta.term || cut.offset + cut.count !== meta.offset)) {
      throw new StorageError(
        "INVALID_ARGUMENT",
        `compaction point (${meta.index}, term ${meta.term}, offset ${meta.offset}) does not match the log (term ${cut.term}, offset ${cut.offset + cut.count})`,
      );
    }
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
    if (first.index <= snap.index) throw new StorageError("COMPACTED", `cannot append at ${first.index}: compacted through ${snap.index}`);
    if (first.index > last + 1) throw new StorageError("INVALID_ARGUMENT", `gap: appending ${first.index} after last index ${last}`);
    const after = first.index - 1;
    if (after < last && after < this.hs.commit) throw new StorageError("INVALID_ARGUMENT", `cannot truncate after ${after}: commit index is ${this.hs.commit}`);
    let expectOffset: number = snap.offset;
    if (after !== snap.index) {
      const prev = this.at(index(after));
      assert(prev, `entry ${after} missing`);
      expectOffset = prev.offset + prev.count;
    }
    if (first.offset !== expectOffset) throw new StorageError("INVALID_ARGUMENT", `entry ${first.index} has offset ${first.offset}, expected ${expectOffset}`);
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

/** Run a synchronous write and report its outcome as a promise, like an asynchronous store would. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err);
  }
}

// Argument checks: the same rules as broker/storage/validate.ts (the contract
// suite holds both implementations to them). Refusals are INVALID_ARGUMENT.

function invalid(message: string): StorageError {
  return new StorageError("INVALID_ARGUMENT", message);
}

function isNat(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x) && x >= 0;
}

function checkNat(x: unknown, what: string): void {
  if (!isNat(x)) throw invalid(`${what} must be a non-negative safe integer, got ${String(x)}`);
}

function checkBound(x: unknown, what: string): void {
  if (typeof x !== "number" || Number.isNaN(x)) throw invalid(`${what} must be a number, got ${String(x)}`);
}

function checkSnapshotMeta(s: SnapshotMeta): void {
  if (typeof s !== "object" || s === null) throw invalid("snapshot must be an object");
  checkNat(s.index, "snapshot.index");
  checkNat(s.term, "snapshot.term");
  checkNat(s.offset, "snapshot.offset");
}

function checkEntryShape(e: Entry): void {
  if (typeof e !== "object" || e === null) throw invalid("entry must be an object");
  if (!isNat(e.index) || e.index < 1) throw invalid(`entry index must be a safe integer >= 1, got ${String(e.index)}`);
  if (!isNat(e.term)) throw invalid(`entry ${e.index}: term must be a non-negative safe integer`);
  if (e.kind !== EntryKind.Noop && e.kind !== EntryKind.Records && e.kind !== EntryKind.Command) throw invalid(`entry ${e.index}: unknown kind ${String(e.kind)}`);
  if (!isNat(e.offset)) throw invalid(`entry ${e.index}: offset must be a non-negative safe integer`);
  if (!isNat(e.count) || e.count > 0xffff_ffff) throw invalid(`entry ${e.index}: count must be an integer in [0, 2^32)`);
  if (!isNat(e.offset + e.count)) throw invalid(`entry ${e.index}: offset + count overflows`);
  if (typeof e.timestampMs !== "number" || !Number.isFinite(e.timestampMs)) throw invalid(`entry ${e.index}: timestampMs must be finite`);
  if (!(e.data instanceof Uint8Array)) throw invalid(`entry ${e.index}: data must be a Uint8Array`);
}

function checkUpdateShape(u: LogUpdate): void {
  if (typeof u !== "object" || u === null) throw invalid("update must be an object");
  if (u.snapshot !== undefined) {
    checkSnapshotMeta(u.snapshot);
    if (!(u.snapshot.data instanceof Uint8Array)) throw invalid("snapshot.data must be a Uint8Array");
  }
  if (u.hardState !== undefined) {
    const hs = u.hardState;
    if (typeof hs !== "object" || hs === null) throw invalid("hard state must be an object");
    checkNat(hs.term, "hardState.term");
    checkNat(hs.vote, "hardState.vote");
    checkNat(hs.commit, "hardState.commit");
  }
  if (u.entries !== undefined) {
    if (!Array.isArray(u.entries)) throw invalid("entries must be an array");
    let prev: Entry | undefined;
    for (const e of u.entries as readonly Entry[]) {
      checkEntryShape(e);
      if (prev) {
        if (e.index !== prev.index + 1) throw invalid(`entries not contiguous at ${e.index}`);
        if (e.offset !== prev.offset + prev.count) throw invalid(`entry ${e.index} has offset ${e.offset}, expected ${prev.offset + prev.count}`);
      }
      prev = e;
    }
  }
}

function checkRetentionPolicy(p: RetentionPolicy, nowMs: number): void {
  if (typeof p !== "object" || p === null) throw invalid("retention policy must be an object");
  for (const [k, v] of [
    ["retentionBytes", p.retentionBytes],
    ["retentionMs", p.retentionMs],
  ] as const) {
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < -1) throw invalid(`${k} must be an integer >= -1 (-1: no limit), got ${String(v)}`);
  }
  if (typeof nowMs !== "number" || !Number.isFinite(nowMs)) throw invalid(`nowMs must be finite, got ${String(nowMs)}`);
}
