/**
 * Reads by offset and by timestamp (broker/storage/offset-index.ts) over
 * in-memory headers: the right entry for every offset (entries of several
 * records, entries of none), hints that make sequential reads cheap and are
 * never trusted blindly, and the timestamp search.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { EntryKind, index, offset, term } from "../../broker/raft/types.js";
import { HINT_WALK_MAX, OFFSET_HINTS_MAX, OffsetIndex, offsetForTimestamp } from "../../broker/storage/offset-index.js";
import { planCompaction, type LogState } from "../../broker/storage/segment-catalog.js";
import { emptyState, HeaderStore } from "./catalog-fixture.js";
import { makeEntries } from "./contract.js";

const ROLL = { segmentBytes: 400, segmentMs: 1e12 };

/** 60 entries: every fifth a no-op (no records), the others 1 to 3 records; timestamps rise with jitter. */
function log(): { st: LogState; disk: HeaderStore } {
  const disk = new HeaderStore();
  const es = makeEntries(1, 0, 60, (i) => (i % 5 === 0 ? { kind: EntryKind.Noop, count: 0, bytes: 0, timestampMs: i * 10 } : { count: (i % 3) + 1, bytes: 50, timestampMs: i * 10 - (i % 4) * 7 }));
  return { st: disk.append(emptyState(60), es, ROLL, 0), disk };
}

/** The expected answer, by a linear scan of the headers. */
function slowIndexFor(disk: HeaderStore, st: LogState, from: number): number {
  for (let i = st.snap.index + 1; ; i++) {
    const h = disk.headers.get(i)!;
    if (h.offset + h.count > from) return i;
  }
}

describe("offset index", () => {
  it("finds the entry holding every offset, across segments", () => {
    const { st, disk } = log();
    assert.ok(st.segs.length > 5, `several segments (${st.segs.length})`);
    const ix = new OffsetIndex("p");
    const end = st.segs[st.segs.length - 1]!.endOffset;
    for (let from = 0; from < end; from++) assert.equal(ix.indexForOffset(st, from, disk.at), slowIndexFor(disk, st, from), `offset ${from}`);
  });

  it("answers a sequential reader from its hint with a read or two", () => {
    const { st, disk } = log();
    const ix = new OffsetIndex("p");
    const h = disk.headers.get(31)!;
    ix.remember(h.offset, 31);
    disk.reads = 0;
    assert.equal(ix.indexForOffset(st, h.offset, disk.at), 31);
    assert.equal(disk.reads, 1);
    // A hint a few entries short walks forward (bounded by HINT_WALK_MAX).
    const later = disk.headers.get(33)!;
    ix.remember(later.offset, 31);
    disk.reads = 0;
    assert.equal(ix.indexForOffset(st, later.offset, disk.at), 33);
    assert.ok(disk.reads <= HINT_WALK_MAX + 1);
  });

  it("never trusts a stale hint", () => {
    const { st, disk } = log();
    const ix = new OffsetIndex("p");
    const h = disk.headers.get(42)!;
    ix.remember(h.offset, 12); // far behind: the walk gives up and searches
    assert.equal(ix.indexForOffset(st, h.offset, disk.at), 42);
    const ix2 = new OffsetIndex("p");
    ix2.remember(h.offset, 50); // ahead of the offset: ignored
    assert.equal(ix2.indexForOffset(st, h.offset, disk.at), 42);
    // Below the first index after a compaction: ignored.
    const meta = { index: index(20), term: term(1), offset: offset(disk.headers.get(20)!.offset + disk.headers.get(20)!.count) };
    const compacted: LogState = { ...st, snap: { ...meta, data: new Uint8Array(0) }, segs: planCompaction(st, meta, disk.at(20)).segs };
    const ix3 = new OffsetIndex("p");
    ix3.remember(meta.offset, 5);
    assert.equal(ix3.indexForOffset(compacted, meta.offset, disk.at), slowIndexFor(disk, compacted, meta.offset));
  });

  it("keeps at most OFFSET_HINTS_MAX hints, the newest", () => {
    const { st, disk } = log();
    const ix = new OffsetIndex("p");
    for (let i = 2; i <= 2 + OFFSET_HINTS_MAX; i++) ix.remember(disk.headers.get(i * 5 + 1)!.offset, i * 5 + 1);
    disk.reads = 0;
    ix.indexForOffset(st, disk.headers.get(11)!.offset, disk.at);
    assert.ok(disk.reads > 1, "the oldest hint was dropped: binary search");
    disk.reads = 0;
    ix.indexForOffset(st, disk.headers.get(31)!.offset, disk.at);
    assert.equal(disk.reads, 1);
  });

  it("finds the first record at or after a timestamp, skipping entries without records", () => {
    const { st, disk } = log();
    const slow = (ts: number): number | undefined => {
      for (let i = 1; i <= 60; i++) {
        const h = disk.headers.get(i)!;
        if (h.count > 0 && h.timestampMs >= ts) return h.offset;
      }
      return undefined;
    };
    for (let ts = -5; ts <= 610; ts += 3) assert.equal(offsetForTimestamp(st.segs, ts, disk.at), slow(ts), `timestamp ${ts}`);
    assert.equal(offsetForTimestamp(st.segs, 10_000, disk.at), undefined);
    assert.equal(offsetForTimestamp([], 0, disk.at), undefined);
  });
});
