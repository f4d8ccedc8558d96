/**
 * A log's catalog and its planning: what each write does to the list of
 * segments (appends that roll segments, truncation, compaction, retention,
 * snapshot install), computed as data. The log (lmdb-log.ts) turns a plan's
 * catalog changes into LMDB writes and swaps in the new state once they are
 * durable; nothing here touches LMDB. Stored entry headers are read through a
 * HeaderReader the caller hands in, so every planner can be tested with
 * in-memory headers (test/storage/segment-catalog.test.ts).
 *
 * Invariants of a LogState (assertStateValid checks them when a log opens):
 * - segments are oldest first and never empty (firstIndex <= lastIndex);
 * - contiguous in index: the first starts at snap.index + 1, each next one at
 *   the previous lastIndex + 1;
 * - contiguous in offset: the first starts at snap.offset, each next one at
 *   the previous endOffset; endOffset >= baseOffset;
 * - each segment's term runs start at its firstIndex (term-runs.ts);
 * - bytes === segmentBytesThrough(lastIndex) - bytesBase, the running total
 *   stored in every entry header (bytesBase > 0 once a compaction cut into
 *   the segment).
 * Planners never change the state they are given: they build a new one.
 *
 * Rolls: a new segment starts before an entry when there is none, or the
 * active one holds >= segmentBytes (sum of entryBytes), or is >= segmentMs
 * old, exactly as MemoryStorage does.
 */
import assert from "node:assert/strict";
import type { RetentionPolicy, SegmentInfo } from "../raft/log-storage.js";
import { entryBytes, index, offset, term, type Entry, type HardState, type Snapshot, type SnapshotMeta } from "../raft/types.js";
import type { EntryHeader, SegmentRecord } from "./codec.js";
import { appendTerm, lastTerm, runsFrom, runsThrough, termAt } from "./term-runs.js";

/** Everything a log is, as last made durable. Immutable: writes build a new one. */
export interface LogState {
  readonly hs: HardState;
  readonly snap: Snapshot;
  /** Oldest first, never empty segments; contiguous in index and offset, starting after snap. */
  readonly segs: readonly SegmentRecord[];
}

/** When the active segment rolls. */
export interface RollSettings {
  /** Roll once the active segment holds at least this many bytes (sum of entryBytes). */
  readonly segmentBytes: number;
  /** Roll once the active segment is at least this old. */
  readonly segmentMs: number;
}

/** One change to the stored catalog: write `record` under its firstIndex, or remove the record at firstIndex. In order: a later change to the same key wins. */
export type CatalogChange = { readonly firstIndex: number; readonly record: SegmentRecord } | { readonly firstIndex: number; readonly record?: undefined };

/** The header of stored entry i (which the catalog holds). */
export type HeaderReader = (i: number) => EntryHeader;

/** A planned catalog: the segments afterwards and the catalog records to write or remove. */
export interface CatalogPlan {
  readonly segs: SegmentRecord[];
  readonly changes: CatalogChange[];
}

type MutableSegment = { -readonly [K in keyof SegmentRecord]: SegmentRecord[K] } & { termRuns: number[] };

/** Index of the last entry held; snap.index when none. */
export function lastIndexOf(st: LogState): number {
  const s = st.segs[st.segs.length - 1];
  return s ? s.lastIndex : st.snap.index;
}

/** The offset the next appended record gets. */
export function nextOffsetOf(st: LogState): number {
  const s = st.segs[st.segs.length - 1];
  return s ? s.endOffset : st.snap.offset;
}

/** The log start offset: the first offset held. */
export function startOffsetOf(st: LogState): number {
  const s = st.segs[0];
  return s ? s.baseOffset : st.snap.offset;
}

/** Index into `segs` of the segment holding index i, or -1. */
export function segmentFor(segs: readonly SegmentRecord[], i: number): number {
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

/** Term of index i: the snapshot's at snap.index, from the term runs inside the log, undefined outside. */
export function termOf(st: LogState, i: number): number | undefined {
  if (i === st.snap.index) return st.snap.term;
  if (!Number.isInteger(i)) return undefined;
  const k = segmentFor(st.segs, i);
  return k < 0 ? undefined : termAt(st.segs[k]!.termRuns, i);
}

/** The LogStorage view of a catalog record. */
export function toSegmentInfo(s: SegmentRecord): SegmentInfo {
  return {
    firstIndex: index(s.firstIndex),
    lastIndex: index(s.lastIndex),
    baseOffset: offset(s.baseOffset),
    bytes: s.bytes,
    createdMs: s.createdMs,
    timestampMsMax: s.timestampMsMax,
  };
}

/**
 * The first broken catalog invariant of a state loaded from storage, as a
 * message, or undefined when it holds. A stored state that breaks one is
 * corrupt (the loader reports it as CORRUPT_RECORD, never an assertion).
 */
export function stateProblem(st: LogState): string | undefined {
  let prevLast: number = st.snap.index;
  let prevEnd: number = st.snap.offset;
  for (const s of st.segs) {
    if (s.firstIndex !== prevLast + 1) return `segment at ${s.firstIndex} does not follow index ${prevLast}`;
    if (!(s.lastIndex >= s.firstIndex)) return `empty segment at ${s.firstIndex}`;
    if (s.baseOffset !== prevEnd) return `segment at ${s.firstIndex} starts at offset ${s.baseOffset}, expected ${prevEnd}`;
    if (!(s.endOffset >= s.baseOffset)) return `segment at ${s.firstIndex} ends before it starts`;
    if (!(s.termRuns.length >= 2 && s.termRuns[0] === s.firstIndex)) return `segment at ${s.firstIndex} has bad term runs`;
    for (let k = 2; k < s.termRuns.length; k += 2) {
      if (!(s.termRuns[k]! > s.termRuns[k - 2]! && s.termRuns[k]! <= s.lastIndex)) return `segment at ${s.firstIndex} has term runs out of order`;
    }
    prevLast = s.lastIndex;
    prevEnd = s.endOffset;
  }
  return undefined;
}

/** Assert the catalog invariants (of a state this code built: a failure is a bug). */
export function assertStateValid(st: LogState, name: string): void {
  const problem = stateProblem(st);
  assert(problem === undefined, `${name}: ${problem}`);
}

/**
 * Append `entries` (already checked to attach right after the last segment of
 * `segsIn`), rolling segments per `roll` at `nowMs`. `place(k, e, bytesThrough,
 * timestampMsMax)` is called for each entry, in order, with the running totals
 * its stored header records: the segment's bytes through this entry (counted
 * from the segment's original first entry) and its largest timestamp so far.
 * Every segment from the last old one on gets a new catalog record.
 */
export function planAppend(
  segsIn: readonly SegmentRecord[],
  entries: readonly Entry[],
  roll: RollSettings,
  nowMs: number,
  place: (k: number, e: Entry, segmentBytesThrough: number, segmentTimestampMsMax: number) => void,
): CatalogPlan {
  const segs: SegmentRecord[] = segsIn.slice();
  const firstTouched = Math.max(0, segs.length - 1);
  let active: MutableSegment | undefined;
  const prev = segs[segs.length - 1];
  if (prev) {
    active = { ...prev, termRuns: prev.termRuns.slice() };
    segs[segs.length - 1] = active;
  }
  for (let k = 0; k < entries.length; k++) {
    const e = entries[k]!;
    if (!active || active.bytes >= roll.segmentBytes || nowMs - active.createdMs >= roll.segmentMs) {
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
    appendTerm(active.termRuns, e.index, e.term);
    place(k, e, active.bytesBase + active.bytes, active.timestampMsMax);
  }
  const changes: CatalogChange[] = [];
  for (let k = firstTouched; k < segs.length; k++) changes.push({ firstIndex: segs[k]!.firstIndex, record: segs[k]! });
  return { segs, changes };
}

/**
 * Remove every entry after t (snap.index <= t < lastIndex) from the catalog:
 * segments starting after t go, the one holding t is trimmed to end at t
 * (its totals from t's stored header). Removing the entries themselves is
 * the caller's part.
 */
export function planTruncate(st: LogState, t: number, headerAt: HeaderReader): CatalogPlan {
  assert(t >= st.snap.index && t < lastIndexOf(st), `truncation after ${t} outside [${st.snap.index}, ${lastIndexOf(st)})`);
  const segs: SegmentRecord[] = [];
  const changes: CatalogChange[] = [];
  for (const s of st.segs) {
    if (s.firstIndex > t) {
      changes.push({ firstIndex: s.firstIndex });
    } else if (s.lastIndex <= t) {
      segs.push(s);
    } else {
      const h = headerAt(t);
      // The running maximum covers the segment from its original first entry. When a
      // compaction cut into the segment (bytesBase > 0) it may include entries that are
      // gone, so rescan what is left (rare: needs a compaction and a truncation in one segment).
      let timestampMsMax = h.segmentTimestampMsMax;
      if (s.bytesBase > 0) {
        timestampMsMax = 0;
        for (let i = s.firstIndex; i <= t; i++) timestampMsMax = Math.max(timestampMsMax, headerAt(i).timestampMs);
      }
      const trimmed: SegmentRecord = {
        ...s,
        lastIndex: t,
        endOffset: h.offset + h.count,
        bytes: h.segmentBytesThrough - s.bytesBase,
        timestampMsMax,
        termRuns: runsThrough(s.termRuns, t),
      };
      changes.push({ firstIndex: s.firstIndex, record: trimmed });
      segs.push(trimmed);
    }
  }
  return { segs, changes };
}

/**
 * Move the log start to after meta.index (snap.index < meta.index <= commit,
 * already checked): segments ending at or before it go, a segment holding it
 * restarts at meta.index + 1 under a new key. `cut` is the stored header of
 * entry meta.index, required when meta.index is inside the log.
 */
export function planCompaction(st: LogState, meta: SnapshotMeta, cut: EntryHeader | undefined): CatalogPlan {
  const segs: SegmentRecord[] = [];
  const changes: CatalogChange[] = [];
  for (const s of st.segs) {
    if (s.lastIndex <= meta.index) {
      changes.push({ firstIndex: s.firstIndex });
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
      changes.push({ firstIndex: s.firstIndex });
      changes.push({ firstIndex: trimmed.firstIndex, record: trimmed });
      segs.push(trimmed);
    } else {
      segs.push(s);
    }
  }
  return { segs, changes };
}

/** What applying a retention policy does, when it drops anything. */
export interface RetentionPlan extends CatalogPlan {
  readonly segmentsDropped: number;
  readonly bytesDropped: number;
  /** The new snapshot point: the end of the last dropped segment (no data). */
  readonly snap: Snapshot;
}

/**
 * Drop the oldest whole segments while the log holds more than
 * retentionBytes, or while the oldest one's newest timestamp (or its
 * creation time, if later) is more than retentionMs before nowMs (-1: no
 * limit). Never the active (last) segment, never a segment holding an entry
 * past the commit index. Undefined when nothing is dropped.
 */
export function planRetention(st: LogState, policy: RetentionPolicy, nowMs: number): RetentionPlan | undefined {
  let totalBytes = st.segs.reduce((n, s) => n + s.bytes, 0);
  let dropped = 0;
  let bytesDropped = 0;
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
  if (dropped === 0) return undefined;
  const lastDropped = st.segs[dropped - 1]!;
  const snap: Snapshot = {
    index: index(lastDropped.lastIndex),
    term: term(lastTerm(lastDropped.termRuns)),
    offset: offset(lastDropped.endOffset),
    data: new Uint8Array(0),
  };
  const changes: CatalogChange[] = st.segs.slice(0, dropped).map((s) => ({ firstIndex: s.firstIndex }));
  return { segmentsDropped: dropped, bytesDropped, snap, segs: st.segs.slice(dropped), changes };
}

/** A snapshot install restarts the log after the snapshot: every catalog record goes. */
export function planInstall(st: LogState): CatalogPlan {
  return { segs: [], changes: st.segs.map((s) => ({ firstIndex: s.firstIndex })) };
}
