/**
 * Finding records by offset and by timestamp without a secondary index.
 * Appends stay one put per entry: no offset -> index map is written. Instead:
 * - by offset: the segment from the in-memory catalog (binary search on the
 *   segments' end offsets), then a binary search on its entries reading
 *   stored headers only; a few per-log hints (where the last reads ended)
 *   make a sequential consumer O(1);
 * - by timestamp: the segment from its max timestamp, then a binary search on
 *   the running max timestamp each stored header carries (non-decreasing
 *   inside a segment).
 * Headers are read through a HeaderReader the log hands in, so this is pure
 * (test/storage/offset-index.test.ts drives it with in-memory headers).
 *
 * Invariants: a hint is only a guess, verified against the stored headers
 * before use (a truncation or compaction may have moved things since); at
 * most OFFSET_HINTS_MAX are kept; a hint is walked at most HINT_WALK_MAX
 * entries before the search falls back to binary search.
 */
import assert from "node:assert/strict";
import type { SegmentRecord } from "./codec.js";
import { lastIndexOf, type HeaderReader, type LogState } from "./segment-catalog.js";

/** Hints kept for sequential offset reads (one per recent reader position). */
export const OFFSET_HINTS_MAX = 4;
/** Entries walked forward from a hint before falling back to binary search. */
export const HINT_WALK_MAX = 8;

/** One log's offset lookups, with its hints. */
export class OffsetIndex {
  /** (offset -> index) of the entry after recent offset reads; verified before use. */
  private readonly hints: { offset: number; index: number }[] = [];

  constructor(
    /** The log's name, for assertion messages. */
    private readonly name: string,
  ) {}

  /** Index of the first entry whose records reach past `from` (startOffset <= from < nextOffset). */
  indexForOffset(st: LogState, from: number, headerAt: HeaderReader): number {
    const last = lastIndexOf(st);
    for (const h of this.hints) {
      if (h.offset !== from || h.index <= st.snap.index || h.index > last) continue;
      let k = h.index;
      let head = headerAt(k);
      if (head.offset > from) break;
      for (let step = 0; step < HINT_WALK_MAX && head.offset + head.count <= from && k < last; step++) head = headerAt(++k);
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
      const h = headerAt(mid);
      if (h.offset + h.count <= from) a = mid + 1;
      else b = mid;
    }
    return a;
  }

  /** Remember that a read ended just before `nextOffset`, which entry `nextIndex` starts (or continues). */
  remember(nextOffset: number, nextIndex: number): void {
    if (this.hints.some((h) => h.offset === nextOffset)) return;
    if (this.hints.length >= OFFSET_HINTS_MAX) this.hints.shift();
    this.hints.push({ offset: nextOffset, index: nextIndex });
  }
}

/** The offset of the first record whose entry has timestampMs >= `timestampMs`, or undefined when none does. */
export function offsetForTimestamp(segs: readonly SegmentRecord[], timestampMs: number, headerAt: HeaderReader): number | undefined {
  for (const s of segs) {
    if (s.timestampMsMax < timestampMs) continue;
    // The running maximum is non-decreasing inside a segment: every entry
    // before the first whose running maximum reaches timestampMs is older.
    let lo = s.firstIndex;
    let hi = s.lastIndex;
    while (lo < hi) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (headerAt(mid).segmentTimestampMsMax >= timestampMs) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i <= s.lastIndex; i++) {
      const h = headerAt(i);
      if (h.count > 0 && h.timestampMs >= timestampMs) return h.offset;
    }
  }
  return undefined;
}
