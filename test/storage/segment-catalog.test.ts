/**
 * Catalog planning (broker/storage/segment-catalog.ts) without LMDB: rolls,
 * truncation, compaction, retention and install, each checked against the
 * catalog invariants and what the stored headers say.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { entryBytes, index, offset, term } from "../../broker/raft/types.js";
import {
  assertStateValid,
  lastIndexOf,
  nextOffsetOf,
  planAppend,
  planCompaction,
  planInstall,
  planRetention,
  planTruncate,
  startOffsetOf,
  termOf,
  type LogState,
} from "../../broker/storage/segment-catalog.js";
import { bytesOf, emptyState, HeaderStore } from "./catalog-fixture.js";
import { makeEntries } from "./contract.js";

const ENTRY = entryBytes(makeEntries(1, 0, 1, { bytes: 100 })[0]!);
/** Three entries per segment by size; age never rolls. */
const ROLL = { segmentBytes: 3 * ENTRY, segmentMs: 1_000_000 };

/** Ten 100-byte entries 1..10 (offsets 0..9, term 1 for 1..5 and term 2 after), in segments [1-3] [4-6] [7-9] [10]. */
function tenEntries(commit = 10): { st: LogState; disk: HeaderStore } {
  const disk = new HeaderStore();
  const es = makeEntries(1, 0, 10, (i) => ({ bytes: 100, term: i <= 5 ? 1 : 2, timestampMs: 1000 + i }));
  const st = disk.append(emptyState(commit), es, ROLL, 5_000);
  return { st, disk };
}

describe("segment catalog planning", () => {
  it("rolls at segmentBytes and at segmentMs, and rewrites only the touched records", () => {
    const { st, disk } = tenEntries();
    assert.deepEqual(st.segs.map((s) => [s.firstIndex, s.lastIndex]), [[1, 3], [4, 6], [7, 9], [10, 10]]);
    assert.deepEqual(st.segs[1]!.termRuns, [4, 1, 6, 2]);
    assert.equal(st.segs[0]!.bytes, 3 * ENTRY);
    assert.equal(st.segs[3]!.timestampMsMax, 1010);
    assert.equal(disk.headers.get(6)!.segmentBytesThrough, 3 * ENTRY);
    assert.equal(lastIndexOf(st), 10);
    assert.equal(nextOffsetOf(st), 10);
    assert.equal(termOf(st, 5), 1);
    assert.equal(termOf(st, 6), 2);
    assert.equal(termOf(st, 11), undefined);
    // Age: the active segment [10] is 1 ms too young, then old enough.
    const young = disk.append(st, makeEntries(11, 10, 1, { bytes: 1 }), { segmentBytes: 1 << 30, segmentMs: 1000 }, 5_999);
    assert.deepEqual(young.segs.map((s) => s.firstIndex), [1, 4, 7, 10]);
    const old = disk.append(young, makeEntries(12, 11, 1, { bytes: 1 }), { segmentBytes: 1 << 30, segmentMs: 1000 }, 6_000);
    assert.deepEqual(old.segs.map((s) => s.firstIndex), [1, 4, 7, 10, 12]);
    assert.equal(old.segs[4]!.createdMs, 6_000);
  });

  it("reports the last old segment and every new one as changed, and places every entry in order", () => {
    const { st } = tenEntries();
    const placed: [number, number][] = [];
    const es = makeEntries(11, 10, 4, { bytes: 100 });
    const plan = planAppend(st.segs, es, ROLL, 5_000, (k, _e, bytesThrough) => placed.push([k, bytesThrough]));
    assert.deepEqual(plan.changes.map((c) => [c.firstIndex, c.record?.lastIndex]), [[10, 12], [13, 14]]);
    assert.deepEqual(placed, [[0, 2 * ENTRY], [1, 3 * ENTRY], [2, ENTRY], [3, 2 * ENTRY]]);
    assert.equal(st.segs[3]!.lastIndex, 10, "the state it was given is unchanged");
    assert.deepEqual(planAppend([], [], ROLL, 0, () => assert.fail("nothing to place")), { segs: [], changes: [] });
  });

  it("trims the segment holding t on truncation, from t's stored header", () => {
    const { st, disk } = tenEntries(2);
    const plan = planTruncate(st, 5, disk.at);
    assert.deepEqual(plan.changes.map((c) => [c.firstIndex, c.record ? "write" : "remove"]), [[4, "write"], [7, "remove"], [10, "remove"]]);
    const after: LogState = { ...st, segs: plan.segs };
    assertStateValid(after, "test");
    assert.equal(lastIndexOf(after), 5);
    assert.equal(nextOffsetOf(after), 5);
    const trimmed = plan.segs[1]!;
    assert.deepEqual([trimmed.firstIndex, trimmed.lastIndex, trimmed.bytes, trimmed.timestampMsMax], [4, 5, 2 * ENTRY, 1005]);
    assert.deepEqual(trimmed.termRuns, [4, 1]);
    assert.equal(st.segs.length, 4, "the state it was given is unchanged");
    // At a segment boundary, nothing is rewritten.
    assert.deepEqual(planTruncate(st, 6, disk.at).changes.map((c) => c.record === undefined), [true, true]);
    assert.throws(() => planTruncate(st, 10, disk.at), /outside/);
  });

  it("restarts a segment after the compaction point under a new key, keeping its running totals meaningful", () => {
    const { st, disk } = tenEntries();
    const meta = { index: index(5), term: term(1), offset: offset(5) };
    const plan = planCompaction(st, meta, disk.at(5));
    assert.deepEqual(plan.changes.map((c) => [c.firstIndex, c.record ? "write" : "remove"]), [[1, "remove"], [4, "remove"], [6, "write"]]);
    const after: LogState = { ...st, snap: { ...meta, data: new Uint8Array(0) }, segs: plan.segs };
    assertStateValid(after, "test");
    const cut = plan.segs[0]!;
    assert.deepEqual([cut.firstIndex, cut.lastIndex, cut.baseOffset, cut.bytes, cut.bytesBase], [6, 6, 5, ENTRY, 2 * ENTRY]);
    assert.deepEqual(cut.termRuns, [6, 2]);
    assert.equal(startOffsetOf(after), 5);
    // Appends go on in the active segment, after the cut.
    const more = disk.append(after, makeEntries(11, 10, 1, { bytes: 100, term: 2, timestampMs: 1 }), ROLL, 5_000);
    assert.equal(more.segs[more.segs.length - 1]!.lastIndex, 11);
    assert.throws(() => planCompaction(st, meta, undefined), /needs its cut entry/);
  });

  it("recomputes the max timestamp of a compacted segment on truncation", () => {
    const disk = new HeaderStore();
    const es = makeEntries(1, 0, 3, (i) => ({ bytes: 100, timestampMs: [0, 9000, 10, 20][i]! }));
    const st = disk.append(emptyState(3), es, ROLL, 0);
    const meta = { index: index(1), term: term(1), offset: offset(1) };
    const compacted: LogState = { ...st, snap: { ...meta, data: new Uint8Array(0) }, segs: planCompaction(st, meta, disk.at(1)).segs };
    const plan = planTruncate({ ...compacted, hs: { ...compacted.hs, commit: index(1) } }, 2, disk.at);
    assert.equal(plan.segs[0]!.timestampMsMax, 10, "the running max still says 9000, from the compacted entry");
    assert.equal(plan.segs[0]!.bytes, ENTRY);
  });

  it("drops whole old segments for retention, never the active one, never past the commit index", () => {
    const { st } = tenEntries(10);
    const total = 10 * ENTRY;
    assert.equal(planRetention(st, { retentionBytes: -1, retentionMs: -1 }, 1e9), undefined);
    assert.equal(planRetention(st, { retentionBytes: total, retentionMs: -1 }, 0), undefined);
    const bySize = planRetention(st, { retentionBytes: total - 1, retentionMs: -1 }, 0)!;
    assert.deepEqual([bySize.segmentsDropped, bySize.bytesDropped], [1, 3 * ENTRY]);
    assert.deepEqual([bySize.snap.index, bySize.snap.term, bySize.snap.offset], [3, 1, 3]);
    assert.deepEqual(bySize.changes, [{ firstIndex: 1 }]);
    const all = planRetention(st, { retentionBytes: 0, retentionMs: -1 }, 0)!;
    assert.equal(all.segmentsDropped, 3, "never the active segment");
    assert.deepEqual([all.snap.index, all.snap.term], [9, 2]);
    assert.equal(planRetention({ ...st, hs: { ...st.hs, commit: index(8) } }, { retentionBytes: 0, retentionMs: -1 }, 0)!.segmentsDropped, 2, "never past the commit index");
    // By age: newest timestamp of [1-3] is 1003 but it was created at 5000: the later one counts.
    assert.equal(planRetention(st, { retentionBytes: -1, retentionMs: 100 }, 5_100), undefined);
    assert.equal(planRetention(st, { retentionBytes: -1, retentionMs: 100 }, 5_101)!.segmentsDropped, 3);
    assert.equal(bytesOf(makeEntries(1, 0, 1, { bytes: 100 })), ENTRY);
  });

  it("removes every record on a snapshot install", () => {
    const { st } = tenEntries();
    const plan = planInstall(st);
    assert.deepEqual(plan.segs, []);
    assert.deepEqual(plan.changes, [{ firstIndex: 1 }, { firstIndex: 4 }, { firstIndex: 7 }, { firstIndex: 10 }]);
  });

  it("asserts on a corrupt catalog", () => {
    const { st } = tenEntries();
    const gap: LogState = { ...st, segs: [st.segs[0]!, st.segs[2]!] };
    assert.throws(() => assertStateValid(gap, "p"), /segment at 7 does not follow index 3/);
    const badRuns: LogState = { ...st, segs: [{ ...st.segs[0]!, termRuns: [2, 1] }] };
    assert.throws(() => assertStateValid(badRuns, "p"), /bad term runs/);
  });
});
