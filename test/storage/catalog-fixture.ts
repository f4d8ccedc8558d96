/**
 * An in-memory stand-in for the stored entry headers of one log, for the
 * unit tests of the pure storage parts (segment-catalog, offset-index): it
 * applies plans exactly as the LMDB log does, minus LMDB.
 */
import type { EntryHeader } from "../../broker/storage/codec.js";
import { EMPTY_HARD_STATE, EMPTY_SNAPSHOT, entryBytes, index, type Entry } from "../../broker/raft/types.js";
import { assertStateValid, planAppend, type LogState, type RollSettings } from "../../broker/storage/segment-catalog.js";

/** Headers by index, as the log would have stored them. */
export class HeaderStore {
  readonly headers = new Map<number, EntryHeader>();
  /** Reads counted, to check that a lookup stays cheap. */
  reads = 0;

  readonly at = (i: number): EntryHeader => {
    this.reads++;
    const h = this.headers.get(i);
    if (!h) throw new Error(`no header stored for ${i}`);
    return h;
  };

  /** Append entries to `st` with planAppend, storing their headers; returns the new state (checked). */
  append(st: LogState, entries: readonly Entry[], roll: RollSettings, nowMs: number): LogState {
    const plan = planAppend(st.segs, entries, roll, nowMs, (_k, e, segmentBytesThrough, segmentTimestampMsMax) => {
      this.headers.set(e.index, {
        index: e.index,
        term: e.term,
        kind: e.kind,
        offset: e.offset,
        count: e.count,
        timestampMs: e.timestampMs,
        dataBytes: e.data.byteLength,
        headerBytes: 64,
        dataCrc: 0,
        segmentBytesThrough,
        segmentTimestampMsMax,
      });
    });
    const next: LogState = { ...st, segs: plan.segs };
    assertStateValid(next, "test");
    return next;
  }
}

/** An empty log state with the given commit index. */
export function emptyState(commit = 0): LogState {
  return { hs: { ...EMPTY_HARD_STATE, commit: index(commit) }, snap: EMPTY_SNAPSHOT, segs: [] };
}

/** Sum of entryBytes. */
export function bytesOf(entries: readonly Entry[]): number {
  return entries.reduce((n, e) => n + entryBytes(e), 0);
}
