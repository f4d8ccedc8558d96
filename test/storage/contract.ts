/**
 * The LogStorage contract: node:test tests that every implementation must
 * pass (MemoryStorage and the LMDB log). Call logContract() from a test file
 * with a factory that builds a fresh, empty log.
 *
 * Besides scripted cases, a seeded differential run drives the log under test
 * and a MemoryStorage oracle through the same random operations and compares
 * every read after every step.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StorageError, type LogStorage, type LogUpdate, type StorageErrorCode } from "../../broker/raft/log-storage.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import {
  EMPTY_HARD_STATE,
  EMPTY_SNAPSHOT,
  EntryKind,
  entryBytes,
  index,
  nodeId,
  offset,
  term,
  type Entry,
  type HardState,
  type Snapshot,
} from "../../broker/raft/types.js";

/** Settings a factory must apply to the log it builds. */
export interface ContractSettings {
  readonly segmentBytes: number;
  readonly segmentMs: number;
  /** The log's wall clock (segment creation times); tests move it. */
  readonly clock: () => number;
}

/** A log under test, as a factory returns it. */
export interface LogUnderTest {
  readonly log: LogStorage;
  /**
   * Close the log and open it again from what it made durable (what a
   * restart would find). The old object must not be used afterwards.
   */
  readonly reopen?: () => Promise<LogStorage>;
  /** Close whatever is open and remove every trace (temp dirs). */
  readonly cleanup: () => Promise<void>;
}

/** Builds a fresh, empty log with the given settings. */
export type LogFactory = (settings: ContractSettings) => Promise<LogUnderTest>;

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(public nowMs = 1_000_000) {}
  readonly now = (): number => this.nowMs;
}

const BIG = 1 << 30;

/** Deterministic payload bytes for entry `i` of term `t`. */
export function payload(i: number, t: number, bytes: number, salt = 0): Uint8Array {
  const out = new Uint8Array(bytes);
  let x = (i * 2654435761 + t * 40503 + salt * 97) >>> 0;
  for (let k = 0; k < bytes; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[k] = x >>> 24;
  }
  return out;
}

/** How makeEntries() shapes one entry; every field has a default. */
export interface EntrySpec {
  readonly term?: number;
  readonly count?: number;
  readonly bytes?: number;
  readonly kind?: EntryKind;
  readonly timestampMs?: number;
  readonly salt?: number;
}

/** `n` dense entries starting at index `from` and offset `fromOffset`. */
export function makeEntries(from: number, fromOffset: number, n: number, spec: EntrySpec | ((i: number) => EntrySpec) = {}): Entry[] {
  const out: Entry[] = [];
  let off = fromOffset;
  for (let k = 0; k < n; k++) {
    const i = from + k;
    const s = typeof spec === "function" ? spec(i) : spec;
    const kind = s.kind ?? EntryKind.Records;
    const count = s.count ?? (kind === EntryKind.Records ? 1 : 0);
    const t = s.term ?? 1;
    out.push({
      index: index(i),
      term: term(t),
      kind,
      offset: offset(off),
      count,
      timestampMs: s.timestampMs ?? 0,
      data: payload(i, t, s.bytes ?? 10, s.salt ?? 0),
    });
    off += count;
  }
  return out;
}

/** Compare entries field by field and byte by byte. */
export function assertEntriesEqual(actual: readonly Entry[], expected: readonly Entry[], what = "entries"): void {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} entries, expected ${expected.length}`);
  for (let k = 0; k < expected.length; k++) {
    const a = actual[k]!;
    const e = expected[k]!;
    assert.deepEqual(
      { index: a.index, term: a.term, kind: a.kind, offset: a.offset, count: a.count, timestampMs: a.timestampMs },
      { index: e.index, term: e.term, kind: e.kind, offset: e.offset, count: e.count, timestampMs: e.timestampMs },
      `${what}[${k}]`,
    );
    assert.ok(a.data instanceof Uint8Array, `${what}[${k}].data is a Uint8Array`);
    assert.equal(Buffer.compare(Buffer.from(a.data), Buffer.from(e.data)), 0, `${what}[${k}] data differs`);
  }
}

function assertSnapshotEqual(actual: Snapshot, expected: Snapshot, what = "snapshot"): void {
  assert.deepEqual({ index: actual.index, term: actual.term, offset: actual.offset }, { index: expected.index, term: expected.term, offset: expected.offset }, what);
  assert.equal(Buffer.compare(Buffer.from(actual.data), Buffer.from(expected.data)), 0, `${what} data`);
}

function isCode(code: StorageErrorCode): (e: unknown) => boolean {
  return (e: unknown) => {
    assert.ok(e instanceof StorageError, `expected a StorageError ${code}, got ${String(e)}`);
    assert.equal(e.code, code, `expected ${code}, got ${e.message}`);
    return true;
  };
}

/** The call (sync throw or rejected promise) fails with a StorageError of `code`. */
export async function rejectsWith(fn: () => unknown, code: StorageErrorCode): Promise<void> {
  await assert.rejects(async () => {
    await fn();
  }, isCode(code));
}

/** The synchronous call throws a StorageError of `code`. */
export function throwsWith(fn: () => unknown, code: StorageErrorCode): void {
  assert.throws(fn, isCode(code));
}

const hs = (t: number, vote: number, commit: number): HardState => ({ term: term(t), vote: nodeId(vote), commit: index(commit) });

/** Everything readable about a log, for before/after comparisons. */
function observe(log: LogStorage): unknown {
  const first = log.firstIndex();
  const last = log.lastIndex();
  return {
    hardState: log.hardState(),
    snapshot: { ...log.snapshot(), data: Array.from(log.snapshot().data) },
    first,
    last,
    logStartOffset: log.logStartOffset(),
    nextOffset: log.nextOffset(),
    segments: log.segments(),
    entries: last >= first ? log.entries(first, index(last + 1), BIG).map((e) => ({ ...e, data: Array.from(e.data) })) : [],
  };
}

/** Define the contract tests for one implementation. */
export function logContract(name: string, make: LogFactory): void {
  const defaults = (clock = new ManualClock()): ContractSettings => ({ segmentBytes: 64 * 1024 * 1024, segmentMs: 7 * 24 * 3600 * 1000, clock: clock.now });

  async function withLog(settings: ContractSettings, fn: (t: LogUnderTest) => Promise<void>): Promise<void> {
    const t = await make(settings);
    try {
      await fn(t);
    } finally {
      await t.cleanup();
    }
  }

  describe(`LogStorage contract: ${name}`, () => {
    it("starts empty", async () => {
      await withLog(defaults(), async ({ log }) => {
        assert.deepEqual(log.hardState(), EMPTY_HARD_STATE);
        assertSnapshotEqual(log.snapshot(), EMPTY_SNAPSHOT);
        assert.equal(log.firstIndex(), 1);
        assert.equal(log.lastIndex(), 0);
        assert.equal(log.term(index(0)), 0);
        assert.equal(log.term(index(1)), undefined);
        assert.equal(log.logStartOffset(), 0);
        assert.equal(log.nextOffset(), 0);
        assert.deepEqual(log.segments(), []);
        assert.deepEqual(log.entries(index(1), index(1), BIG), []);
        assert.deepEqual(log.entriesFromOffset(offset(0), BIG, index(BIG)), []);
        assert.equal(log.offsetForTimestamp(0), undefined);
      });
    });

    it("appends and reads back by index, with byte limits", async () => {
      await withLog(defaults(), async ({ log }) => {
        const es = makeEntries(1, 0, 10, (i) => ({ count: i % 3, bytes: 10 * i, term: i < 6 ? 1 : 2 }));
        await log.persist({ entries: es.slice(0, 4) });
        await log.persist({ entries: es.slice(4) });
        assert.equal(log.firstIndex(), 1);
        assert.equal(log.lastIndex(), 10);
        assertEntriesEqual(log.entries(index(1), index(11), BIG), es);
        assertEntriesEqual(log.entries(index(3), index(7), BIG), es.slice(2, 6));
        assert.deepEqual(log.entries(index(5), index(5), BIG), []);
        // Byte limits: at least one entry, then stop before exceeding.
        assertEntriesEqual(log.entries(index(2), index(11), 0), es.slice(1, 2));
        assertEntriesEqual(log.entries(index(2), index(11), 1), es.slice(1, 2));
        const two = entryBytes(es[1]!) + entryBytes(es[2]!);
        assertEntriesEqual(log.entries(index(2), index(11), two), es.slice(1, 3));
        assertEntriesEqual(log.entries(index(2), index(11), two + entryBytes(es[3]!) - 1), es.slice(1, 3));
        for (const e of es) assert.equal(log.term(e.index), e.term);
        assert.equal(log.term(index(11)), undefined);
        assert.equal(log.term(index(0)), 0);
        const total = es.reduce((n, e) => n + e.count, 0);
        assert.equal(log.nextOffset(), total);
        assert.equal(log.logStartOffset(), 0);
        throwsWith(() => log.entries(index(1), index(12), BIG), "INVALID_ARGUMENT");
      });
    });

    it("reads by offset: the entry holding the offset first, bounded by bytes and indexMax", async () => {
      await withLog(defaults(), async ({ log }) => {
        // offsets: 1:[0,3) 2:noop@3 3:[3,8) 4:command@8 5:[8,9) 6:[9,13)
        const es = makeEntries(1, 0, 6, (i) => [{ count: 3 }, { kind: EntryKind.Noop }, { count: 5 }, { kind: EntryKind.Command }, { count: 1 }, { count: 4 }][i - 1]!);
        await log.persist({ entries: es });
        assert.equal(log.nextOffset(), 13);
        const at = (o: number, bytesMax = BIG, indexMax = BIG) => log.entriesFromOffset(offset(o), bytesMax, index(indexMax)).map((e) => e.index);
        assert.deepEqual(at(0), [1, 2, 3, 4, 5, 6]);
        assert.deepEqual(at(2), [1, 2, 3, 4, 5, 6]);
        assert.deepEqual(at(3), [3, 4, 5, 6]);
        assert.deepEqual(at(7), [3, 4, 5, 6]);
        assert.deepEqual(at(8), [5, 6]);
        assert.deepEqual(at(9), [6]);
        assert.deepEqual(at(12), [6]);
        assert.deepEqual(at(13), []);
        assert.deepEqual(at(3, 0), [3]);
        assert.deepEqual(at(3, entryBytes(es[2]!) + entryBytes(es[3]!)), [3, 4]);
        assert.deepEqual(at(3, BIG, 4), [3, 4]);
        assert.deepEqual(at(9, BIG, 5), []);
        assertEntriesEqual(log.entriesFromOffset(offset(4), BIG, index(BIG)), es.slice(2));
        throwsWith(() => log.entriesFromOffset(offset(14), BIG, index(BIG)), "OFFSET_OUT_OF_RANGE");
        throwsWith(() => log.entriesFromOffset(offset(-1), BIG, index(BIG)), "OFFSET_OUT_OF_RANGE");
        // Sequential reads (as a consumer does) see the same thing.
        let o = 0;
        const seen: number[] = [];
        while (o < 13) {
          const got = log.entriesFromOffset(offset(o), 0, index(BIG));
          assert.equal(got.length, 1);
          const e = got[0]!;
          seen.push(e.index);
          o = e.offset + e.count;
        }
        assert.deepEqual(seen, [1, 3, 5, 6]);
      });
    });

    it("round-trips the hard state, alone and with entries", async () => {
      await withLog(defaults(), async ({ log }) => {
        await log.persist({ hardState: hs(3, 2, 0) });
        assert.deepEqual(log.hardState(), hs(3, 2, 0));
        await log.persist({ entries: makeEntries(1, 0, 3, { term: 3 }), hardState: hs(3, 2, 2) });
        assert.deepEqual(log.hardState(), hs(3, 2, 2));
        await log.persist({});
        await log.persist({ entries: [] });
        assert.deepEqual(log.hardState(), hs(3, 2, 2));
        assert.equal(log.lastIndex(), 3);
      });
    });

    it("truncates a suffix exactly and appends a different one with offsets recomputed", async () => {
      await withLog({ ...defaults(), segmentBytes: 3 * entryBytes(makeEntries(1, 0, 1)[0]!) }, async ({ log }) => {
        const old = makeEntries(1, 0, 10, (i) => ({ count: 2, term: 1, timestampMs: 100 + i }));
        await log.persist({ entries: old, hardState: hs(1, 1, 4) });
        // A new leader's entries replace 6..10 with 6..7 of term 2, different sizes.
        const fresh = makeEntries(6, old[4]!.offset + old[4]!.count, 2, { count: 3, term: 2, bytes: 25, timestampMs: 50 });
        await log.persist({ entries: fresh });
        assert.equal(log.lastIndex(), 7);
        assertEntriesEqual(log.entries(index(1), index(8), BIG), [...old.slice(0, 5), ...fresh]);
        assert.equal(log.nextOffset(), 10 + 6);
        assert.equal(log.term(index(5)), 1);
        assert.equal(log.term(index(6)), 2);
        assert.equal(log.term(index(8)), undefined);
        assert.deepEqual(log.entriesFromOffset(offset(11), BIG, index(BIG)).map((e) => e.index), [6, 7]);
        // Segments follow: bytes and timestamps recomputed for the cut segment.
        const segs = log.segments();
        assert.equal(segs[segs.length - 1]!.lastIndex, 7);
        assert.equal(segs.reduce((n, s) => n + s.bytes, 0), [...old.slice(0, 5), ...fresh].reduce((n, e) => n + entryBytes(e), 0));
        // truncateAfter: exact, then append again.
        await log.truncateAfter(index(5));
        assert.equal(log.lastIndex(), 5);
        assert.equal(log.nextOffset(), 10);
        assert.equal(log.term(index(6)), undefined);
        const seg5 = log.segments().find((s) => s.firstIndex <= 5 && 5 <= s.lastIndex)!;
        assert.equal(seg5.lastIndex, 5);
        assert.equal(seg5.timestampMsMax, 105);
        await log.truncateAfter(index(9)); // beyond the end: nothing to do
        assert.equal(log.lastIndex(), 5);
        const again = makeEntries(6, 10, 3, { term: 3 });
        await log.persist({ entries: again });
        assertEntriesEqual(log.entries(index(4), index(9), BIG), [...old.slice(3, 5), ...again]);
        assert.equal(log.nextOffset(), 13);
      });
    });

    it("refuses gaps, wrong offsets and bad batches, changing nothing", async () => {
      await withLog(defaults(), async ({ log }) => {
        await log.persist({ entries: makeEntries(1, 0, 3), hardState: hs(1, 0, 1) });
        const before = observe(log);
        await rejectsWith(() => log.persist({ entries: makeEntries(5, 3, 1) }), "INVALID_ARGUMENT");
        await rejectsWith(() => log.persist({ entries: makeEntries(4, 4, 1) }), "INVALID_ARGUMENT");
        await rejectsWith(() => log.persist({ entries: makeEntries(4, 2, 1) }), "INVALID_ARGUMENT");
        // Truncating and then failing later in the batch must not truncate.
        const bad = makeEntries(2, 1, 3);
        const broken = [bad[0]!, { ...bad[1]!, offset: offset(99) }, bad[2]!];
        await rejectsWith(() => log.persist({ entries: broken, hardState: hs(9, 9, 1) }), "INVALID_ARGUMENT");
        const gap = [bad[0]!, bad[2]!];
        await rejectsWith(() => log.persist({ entries: gap }), "INVALID_ARGUMENT");
        assert.deepEqual(observe(log), before);
        // Malformed fields.
        const ok = makeEntries(4, 3, 1)[0]!;
        for (const e of [
          { ...ok, index: 4.5 },
          { ...ok, term: -1 },
          { ...ok, count: -1 },
          { ...ok, count: 1.5 },
          { ...ok, kind: 7 },
          { ...ok, offset: Number.NaN },
          { ...ok, timestampMs: Number.NaN },
          { ...ok, data: "nope" },
        ]) {
          await rejectsWith(() => log.persist({ entries: [e as unknown as Entry] }), "INVALID_ARGUMENT");
        }
        await rejectsWith(() => log.persist({ hardState: { term: term(-1), vote: nodeId(0), commit: index(0) } }), "INVALID_ARGUMENT");
        await rejectsWith(() => log.persist({ entries: [ok], hardState: { ...hs(1, 0, 1), commit: index(1.5) } }), "INVALID_ARGUMENT");
        throwsWith(() => log.entries(index(1.5), index(3), BIG), "INVALID_ARGUMENT");
        assert.deepEqual(observe(log), before);
      });
    });

    it("refuses to truncate at or below the commit index", async () => {
      await withLog(defaults(), async ({ log }) => {
        await log.persist({ entries: makeEntries(1, 0, 8), hardState: hs(1, 1, 5) });
        await rejectsWith(() => log.truncateAfter(index(3)), "INVALID_ARGUMENT");
        await rejectsWith(() => log.truncateAfter(index(4)), "INVALID_ARGUMENT");
        await rejectsWith(() => log.persist({ entries: makeEntries(4, 3, 2, { term: 2 }) }), "INVALID_ARGUMENT");
        await rejectsWith(() => log.persist({ entries: makeEntries(5, 4, 1, { term: 2 }) }), "INVALID_ARGUMENT");
        assert.equal(log.lastIndex(), 8);
        assert.equal(log.term(index(5)), 1);
        await log.truncateAfter(index(5));
        assert.equal(log.lastIndex(), 5);
        await log.persist({ entries: makeEntries(6, 5, 1, { term: 2 }) });
        assert.equal(log.term(index(6)), 2);
        // Appending right after the last index never truncates, whatever the commit.
        await log.persist({ entries: makeEntries(7, 6, 1, { term: 2 }) });
        assert.equal(log.lastIndex(), 7);
      });
    });

    it("setSegmentSettings changes when the next roll happens: the active segment fills to the new size, rolled ones keep theirs", async () => {
      const one = entryBytes(makeEntries(1, 0, 1)[0]!);
      await withLog({ ...defaults(), segmentBytes: 2 * one }, async ({ log }) => {
        const es = makeEntries(1, 0, 10);
        for (const e of es.slice(0, 4)) await log.persist({ entries: [e] });
        log.setSegmentSettings({ segmentBytes: 3 * one, segmentMs: 7 * 24 * 3600 * 1000 });
        for (const e of es.slice(4)) await log.persist({ entries: [e] });
        assert.deepEqual(
          log.segments().map((s) => [s.firstIndex, s.lastIndex]),
          [
            [1, 2],
            [3, 5],
            [6, 8],
            [9, 10],
          ],
        );
        assertEntriesEqual(log.entries(index(1), index(11), BIG), es);
      });
    });

    it("rolls segments at segmentBytes", async () => {
      const one = entryBytes(makeEntries(1, 0, 1)[0]!);
      for (const batched of [false, true]) {
        await withLog({ ...defaults(), segmentBytes: 3 * one }, async ({ log }) => {
          const es = makeEntries(1, 0, 10, (i) => ({ timestampMs: 1000 + (i % 4) * 10 }));
          if (batched) await log.persist({ entries: es });
          else for (const e of es) await log.persist({ entries: [e] });
          const segs = log.segments();
          assert.deepEqual(
            segs.map((s) => [s.firstIndex, s.lastIndex, s.baseOffset, s.bytes]),
            [
              [1, 3, 0, 3 * one],
              [4, 6, 3, 3 * one],
              [7, 9, 6, 3 * one],
              [10, 10, 9, one],
            ],
          );
          assert.deepEqual(
            segs.map((s) => s.timestampMsMax),
            [1030, 1020, 1030, 1020],
          );
          assertEntriesEqual(log.entries(index(1), index(11), BIG), es);
        });
      }
    });

    it("rolls segments at segmentMs by the injected clock", async () => {
      const clock = new ManualClock(5_000);
      await withLog({ ...defaults(clock), segmentMs: 1000 }, async ({ log }) => {
        await log.persist({ entries: makeEntries(1, 0, 2) });
        clock.nowMs += 999;
        await log.persist({ entries: makeEntries(3, 2, 2) });
        clock.nowMs += 1;
        await log.persist({ entries: makeEntries(5, 4, 1) });
        clock.nowMs += 2500;
        await log.persist({ entries: makeEntries(6, 5, 1) });
        assert.deepEqual(
          log.segments().map((s) => [s.firstIndex, s.lastIndex, s.createdMs]),
          [
            [1, 4, 5_000],
            [5, 5, 6_000],
            [6, 6, 8_500],
          ],
        );
      });
    });

    it("retention by bytes drops whole old segments, never the active one, never past commit", async () => {
      const one = entryBytes(makeEntries(1, 0, 1)[0]!);
      await withLog({ ...defaults(), segmentBytes: 3 * one }, async ({ log }) => {
        const es = makeEntries(1, 0, 10, (i) => ({ count: 2, term: i <= 4 ? 1 : 2 }));
        await log.persist({ entries: es, hardState: hs(2, 1, 5) });
        // Segments [1..3] [4..6] [7..9] [10]; commit 5 lets only the first go.
        let r = await log.applyRetention({ retentionBytes: 0, retentionMs: -1 }, 0);
        assert.deepEqual(r, { segmentsDropped: 1, bytesDropped: 3 * one });
        assert.equal(log.firstIndex(), 4);
        assert.equal(log.logStartOffset(), 6);
        assertSnapshotEqual(log.snapshot(), { index: index(3), term: term(1), offset: offset(6), data: new Uint8Array(0) });
        assert.equal(log.term(index(3)), 1);
        assert.equal(log.term(index(2)), undefined);
        await rejectsWith(() => log.entries(index(3), index(5), BIG), "COMPACTED");
        throwsWith(() => log.entriesFromOffset(offset(5), BIG, index(BIG)), "OFFSET_OUT_OF_RANGE");
        assert.deepEqual(log.entriesFromOffset(offset(6), BIG, index(BIG)).map((e) => e.index), [4, 5, 6, 7, 8, 9, 10]);
        // Under the limit: nothing to do.
        r = await log.applyRetention({ retentionBytes: 100 * one, retentionMs: -1 }, 0);
        assert.deepEqual(r, { segmentsDropped: 0, bytesDropped: 0 });
        // Commit everything: keep at most 3 entries' worth -> drop [4..6] and [7..9], never [10].
        await log.persist({ hardState: hs(2, 1, 10) });
        r = await log.applyRetention({ retentionBytes: 3 * one, retentionMs: -1 }, 0);
        assert.deepEqual(r, { segmentsDropped: 2, bytesDropped: 6 * one });
        assert.equal(log.firstIndex(), 10);
        assert.equal(log.logStartOffset(), 18);
        assert.equal(log.nextOffset(), 20);
        r = await log.applyRetention({ retentionBytes: 0, retentionMs: 0 }, 1e12);
        assert.deepEqual(r, { segmentsDropped: 0, bytesDropped: 0 }, "the active segment stays");
        assertEntriesEqual(log.entries(index(10), index(11), BIG), es.slice(9));
        assert.deepEqual(log.segments().map((s) => [s.firstIndex, s.lastIndex, s.baseOffset]), [[10, 10, 18]]);
        // Appending continues contiguously.
        await log.persist({ entries: makeEntries(11, 20, 2, { term: 2 }) });
        assert.equal(log.nextOffset(), 22);
      });
    });

    it("retention by time uses the newest of creation time and entry timestamps", async () => {
      const clock = new ManualClock(10_000);
      await withLog({ ...defaults(clock), segmentMs: 1000 }, async ({ log }) => {
        await log.persist({ entries: makeEntries(1, 0, 2, { timestampMs: 9_000 }) }); // created 10_000
        clock.nowMs = 11_000;
        await log.persist({ entries: makeEntries(3, 2, 2, { timestampMs: 30_000 }) }); // created 11_000, ts 30_000
        clock.nowMs = 12_000;
        await log.persist({ entries: makeEntries(5, 4, 2, { timestampMs: 0 }) }); // created 12_000
        clock.nowMs = 13_000;
        await log.persist({ entries: makeEntries(7, 6, 1), hardState: hs(1, 1, 7) }); // active
        assert.equal(log.segments().length, 4);
        let r = await log.applyRetention({ retentionBytes: -1, retentionMs: 5_000 }, 15_000);
        assert.equal(r.segmentsDropped, 0, "10_000 is exactly 5_000 old: kept");
        r = await log.applyRetention({ retentionBytes: -1, retentionMs: 5_000 }, 15_001);
        assert.equal(r.segmentsDropped, 1);
        // The next segment is young by its entries' timestamps, so it stops retention there.
        r = await log.applyRetention({ retentionBytes: -1, retentionMs: 5_000 }, 30_000);
        assert.equal(r.segmentsDropped, 0);
        r = await log.applyRetention({ retentionBytes: -1, retentionMs: 5_000 }, 35_001);
        assert.equal(r.segmentsDropped, 2);
        assert.equal(log.firstIndex(), 7);
        assert.equal(log.logStartOffset(), 6);
      });
    });

    it("installs a snapshot: the log restarts after it", async () => {
      await withLog(defaults(), async ({ log }) => {
        await log.persist({ entries: makeEntries(1, 0, 5, { term: 1 }), hardState: hs(1, 1, 2) });
        const snap: Snapshot = { index: index(100), term: term(7), offset: offset(1000), data: payload(1, 2, 33) };
        await log.persist({ snapshot: snap, hardState: hs(7, 0, 100) });
        assertSnapshotEqual(log.snapshot(), snap);
        assert.equal(log.firstIndex(), 101);
        assert.equal(log.lastIndex(), 100);
        assert.equal(log.term(index(100)), 7);
        assert.equal(log.term(index(3)), undefined);
        assert.equal(log.logStartOffset(), 1000);
        assert.equal(log.nextOffset(), 1000);
        assert.deepEqual(log.segments(), []);
        await rejectsWith(() => log.entries(index(3), index(4), BIG), "COMPACTED");
        await rejectsWith(() => log.persist({ entries: makeEntries(100, 999, 1) }), "COMPACTED");
        await rejectsWith(() => log.persist({ entries: makeEntries(102, 1000, 1) }), "INVALID_ARGUMENT");
        await rejectsWith(() => log.persist({ entries: makeEntries(101, 999, 1) }), "INVALID_ARGUMENT");
        const next = makeEntries(101, 1000, 3, { term: 7 });
        await log.persist({ entries: next });
        assertEntriesEqual(log.entries(index(101), index(104), BIG), next);
        // Snapshot, entries and hard state in one update.
        const snap2: Snapshot = { index: index(200), term: term(8), offset: offset(2000), data: new Uint8Array(0) };
        const after = makeEntries(201, 2000, 2, { term: 8 });
        await log.persist({ snapshot: snap2, entries: after, hardState: hs(8, 3, 201) });
        assertEntriesEqual(log.entries(index(201), index(203), BIG), after);
        assert.deepEqual(log.hardState(), hs(8, 3, 201));
        assert.equal(log.logStartOffset(), 2000);
        assert.equal(log.nextOffset(), 2002);
        assert.equal(log.term(index(150)), undefined);
      });
    });

    it("compacts up to the commit index, keeping the snapshot data", async () => {
      const one = entryBytes(makeEntries(1, 0, 1)[0]!);
      await withLog({ ...defaults(), segmentBytes: 4 * one }, async ({ log }) => {
        const es = makeEntries(1, 0, 10, (i) => ({ count: i % 2, term: i <= 5 ? 1 : 2 }));
        await log.persist({ entries: es, hardState: hs(2, 1, 7) });
        const at = (i: number) => es[i - 1]!;
        const meta = (i: number) => ({ index: index(i), term: at(i).term, offset: offset(at(i).offset + at(i).count) });
        await rejectsWith(() => log.compact(meta(8)), "INVALID_ARGUMENT");
        await rejectsWith(() => log.compact({ ...meta(5), term: term(2) }), "INVALID_ARGUMENT");
        await rejectsWith(() => log.compact({ ...meta(5), offset: offset(0) }), "INVALID_ARGUMENT");
        const state = payload(5, 5, 20);
        await log.compact(meta(6), state);
        assert.equal(log.firstIndex(), 7);
        assertSnapshotEqual(log.snapshot(), { ...meta(6), data: state });
        assert.equal(log.term(index(6)), 2);
        assert.equal(log.logStartOffset(), at(7).offset);
        await rejectsWith(() => log.entries(index(6), index(8), BIG), "COMPACTED");
        assertEntriesEqual(log.entries(index(7), index(11), BIG), es.slice(6));
        // The cut segment shrank, whole segments below it are gone.
        assert.deepEqual(
          log.segments().map((s) => [s.firstIndex, s.lastIndex, s.baseOffset, s.bytes]),
          [
            [7, 8, at(7).offset, 2 * one],
            [9, 10, at(9).offset, 2 * one],
          ],
        );
        await log.compact(meta(3)); // at or below the snapshot: nothing to do
        assert.equal(log.firstIndex(), 7);
        // Truncation after compaction still exact.
        await log.truncateAfter(index(8));
        assert.equal(log.lastIndex(), 8);
        await rejectsWith(() => log.truncateAfter(index(6)), "INVALID_ARGUMENT");
        await log.persist({ hardState: hs(2, 1, 8) });
        await log.compact(meta(8));
        assert.equal(log.firstIndex(), 9);
        assert.equal(log.lastIndex(), 8);
        assert.deepEqual(log.segments(), []);
        assert.equal(log.nextOffset(), at(8).offset + at(8).count);
        await log.persist({ entries: makeEntries(9, log.nextOffset(), 1, { term: 3 }) });
        assert.equal(log.lastIndex(), 9);
      });
    });

    it("finds offsets by timestamp", async () => {
      const one = entryBytes(makeEntries(1, 0, 1)[0]!);
      await withLog({ ...defaults(), segmentBytes: 3 * one }, async ({ log }) => {
        const ts = [100, 300, 200, 0, 500, 400, 450, 900, 600, 700];
        const es = makeEntries(1, 0, 10, (i) => (i === 4 ? { kind: EntryKind.Noop, timestampMs: 0 } : i === 7 ? { kind: EntryKind.Command, timestampMs: 800 } : { count: 2, timestampMs: ts[i - 1]! }));
        await log.persist({ entries: es });
        const off = (i: number) => es[i - 1]!.offset;
        assert.equal(log.offsetForTimestamp(0), off(1));
        assert.equal(log.offsetForTimestamp(100), off(1));
        assert.equal(log.offsetForTimestamp(101), off(2));
        assert.equal(log.offsetForTimestamp(300), off(2));
        assert.equal(log.offsetForTimestamp(301), off(5));
        assert.equal(log.offsetForTimestamp(800), off(8), "a Command entry's timestamp does not count");
        assert.equal(log.offsetForTimestamp(901), undefined);
        assert.equal(log.offsetForTimestamp(-5), off(1));
      });
    });

    it("fails every call once closed", async () => {
      await withLog(defaults(), async ({ log }) => {
        await log.persist({ entries: makeEntries(1, 0, 2) });
        await log.close();
        throwsWith(() => log.lastIndex(), "CLOSED");
        throwsWith(() => log.hardState(), "CLOSED");
        throwsWith(() => log.entries(index(1), index(2), BIG), "CLOSED");
        throwsWith(() => log.entriesFromOffset(offset(0), BIG, index(BIG)), "CLOSED");
        await rejectsWith(() => log.persist({ entries: makeEntries(3, 2, 1) }), "CLOSED");
        await rejectsWith(() => log.truncateAfter(index(1)), "CLOSED");
        await log.close();
      });
    });

    it("keeps everything across a reopen", async (t) => {
      const probe = await make(defaults());
      const canReopen = probe.reopen !== undefined;
      await probe.cleanup();
      if (!canReopen) {
        t.skip("no reopen for this implementation");
        return;
      }
      const clock = new ManualClock(50_000);
      const one = entryBytes(makeEntries(1, 0, 1)[0]!);
      await withLog({ ...defaults(clock), segmentBytes: 3 * one, segmentMs: 10_000 }, async (u) => {
        let log = u.log;
        const es = makeEntries(1, 0, 12, (i) => ({ count: i % 3, term: i < 8 ? 2 : 3, timestampMs: 1000 * i }));
        await log.persist({ entries: es.slice(0, 7), hardState: hs(2, 1, 3) });
        clock.nowMs += 20_000;
        await log.persist({ entries: es.slice(7), hardState: hs(3, 2, 9) });
        await log.applyRetention({ retentionBytes: 7 * one, retentionMs: -1 }, clock.nowMs);
        await log.compact({ index: index(7), term: term(2), offset: offset(es[6]!.offset + es[6]!.count) }, payload(9, 9, 9));
        await log.truncateAfter(index(10));
        const before = observe(log);
        log = await u.reopen!();
        assert.deepEqual(observe(log), before);
        // And it keeps working where it left off.
        await log.persist({ entries: makeEntries(11, log.nextOffset(), 2, { term: 4 }), hardState: hs(4, 0, 11) });
        const after = observe(log);
        log = await u.reopen!();
        assert.deepEqual(observe(log), after);
        assert.deepEqual(log.entriesFromOffset(log.logStartOffset(), BIG, index(BIG)).map((e) => e.index), [8, 9, 10, 11, 12]);
      });
    });

    it("keeps the hard state's membership (HardState.membership) across writes, a repair and a reopen", async () => {
      await withLog(defaults(), async (u) => {
        let log = u.log;
        const membership = { voters: [nodeId(1), nodeId(4)], votersOutgoing: [nodeId(1), nodeId(2)], learners: [nodeId(5)] };
        const withM = { ...hs(2, 1, 3), membership, membershipIndex: index(3) };
        await log.persist({ entries: makeEntries(1, 0, 5, { term: 2 }), hardState: withM });
        assert.deepEqual(log.hardState(), withM);
        // A repair below the configuration's entry keeps it: it is committed group-wide.
        await log.repair(index(3));
        assert.deepEqual(log.hardState(), { ...hs(2, 1, 2), promise: { term: term(2), index: index(5) }, membership, membershipIndex: index(3) });
        if (u.reopen !== undefined) {
          log = await u.reopen();
          assert.deepEqual(log.hardState().membership, membership);
          assert.equal(log.hardState().membershipIndex, 3);
        }
      });
    });

    it("repair cuts a damaged suffix, committed entries too, lowering commit and recording the promise", async () => {
      const one = entryBytes(makeEntries(1, 0, 1)[0]!);
      await withLog({ ...defaults(), segmentBytes: 3 * one }, async (u) => {
        let log = u.log;
        const es = makeEntries(1, 0, 10, (i) => ({ count: 2, term: i <= 5 ? 1 : 2, timestampMs: 100 + i }));
        await log.persist({ entries: es, hardState: hs(2, 1, 8) });
        // From inside a segment, below the commit index.
        await log.repair(index(6));
        assert.deepEqual(log.hardState(), { ...hs(2, 1, 5), promise: { term: term(2), index: index(10) } });
        assert.equal(log.lastIndex(), 5);
        assert.equal(log.term(index(5)), 1);
        assert.equal(log.term(index(6)), undefined);
        assert.equal(log.nextOffset(), 10);
        assertEntriesEqual(log.entries(index(1), index(6), BIG), es.slice(0, 5));
        assert.deepEqual(log.entriesFromOffset(offset(8), BIG, index(BIG)).map((e) => e.index), [5]);
        assert.equal(log.offsetForTimestamp(106), undefined);
        assert.equal(log.segments().reduce((n, s) => n + s.bytes, 0), 5 * one);
        // Appendable at `from` afterwards.
        const again = makeEntries(6, 10, 2, { count: 1, term: 2, bytes: 30 });
        await log.persist({ entries: again });
        assertEntriesEqual(log.entries(index(4), index(8), BIG), [...es.slice(3, 5), ...again]);
        // A smaller held position keeps the recorded promise; commit only ever lowered.
        await log.repair(index(7));
        assert.deepEqual(log.hardState(), { ...hs(2, 1, 5), promise: { term: term(2), index: index(10) } });
        assert.equal(log.lastIndex(), 6);
        // A larger one replaces it.
        const later = makeEntries(7, 11, 6, { term: 3 });
        await log.persist({ entries: later, hardState: { ...hs(3, 0, 5), promise: { term: term(2), index: index(10) } } });
        await log.repair(index(12));
        assert.deepEqual(log.hardState(), { ...hs(3, 0, 5), promise: { term: term(3), index: index(12) } });
        assert.equal(log.lastIndex(), 11);
        const before = observe(log);
        if (u.reopen) {
          log = await u.reopen();
          assert.deepEqual(observe(log), before, "a restart keeps the repair");
        }
        await log.persist({ entries: makeEntries(12, log.nextOffset(), 1, { term: 3 }) });
        assert.equal(log.lastIndex(), 12);
      });
    });

    it("repair refuses a cut at or below the snapshot point or past the end, changing nothing", async () => {
      await withLog(defaults(), async ({ log }) => {
        const es = makeEntries(1, 0, 6);
        await log.persist({ entries: es, hardState: hs(1, 1, 4) });
        await log.compact({ index: index(3), term: term(1), offset: offset(3) });
        const before = observe(log);
        await rejectsWith(() => log.repair(index(3)), "COMPACTED");
        await rejectsWith(() => log.repair(index(0)), "COMPACTED");
        await rejectsWith(() => log.repair(index(7)), "INVALID_ARGUMENT");
        await rejectsWith(() => log.repair(-1 as never), "INVALID_ARGUMENT");
        assert.deepEqual(observe(log), before);
        // The first entry held can be cut: the log is then empty after the snapshot.
        await log.repair(index(4));
        assert.equal(log.lastIndex(), 3);
        assert.equal(log.nextOffset(), 3);
        assert.deepEqual(log.hardState(), { ...hs(1, 1, 3), promise: { term: term(1), index: index(6) } });
        await log.persist({ entries: makeEntries(4, 3, 1, { term: 2 }) });
        assert.equal(log.term(index(4)), 2);
      });
    });

    for (const seed of [1, 2, 3]) {
      it(`matches the MemoryStorage oracle on a random run (seed ${seed})`, async () => {
        const clock = new ManualClock(0);
        const settings: ContractSettings = { segmentBytes: 700, segmentMs: 5_000, clock: clock.now };
        await withLog(settings, async (u) => {
          await differentialRun(u, new MemoryStorage({ segmentBytes: settings.segmentBytes, segmentMs: settings.segmentMs, clock: clock.now }), clock, new SeededRandom(seed), 250);
        });
      });
    }
  });
}

async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    const r = await fn();
    return `ok ${JSON.stringify(r ?? null)}`;
  } catch (e) {
    if (e instanceof StorageError) return `error ${e.code}`;
    throw e;
  }
}

function syncOutcome(fn: () => unknown): unknown {
  try {
    const r = fn();
    return Array.isArray(r) ? r.map((e: Entry) => ({ ...e, data: Array.from(e.data) })) : r;
  } catch (e) {
    if (e instanceof StorageError) return `error ${e.code}`;
    throw e;
  }
}

/** Drive `u.log` and `oracle` through the same random operations, comparing all reads after each. */
async function differentialRun(u: LogUnderTest, oracle: MemoryStorage, clock: ManualClock, rnd: SeededRandom, steps: number): Promise<void> {
  let log = u.log;
  let termNow = 1;
  const entryAt = (i: number): Entry => oracle.entries(index(i), index(i + 1), BIG)[0]!;
  const offsetAfter = (i: number): number => {
    if (i === oracle.snapshot().index) return oracle.snapshot().offset;
    const e = entryAt(i);
    return e.offset + e.count;
  };
  /** How often each kind of step succeeded: the run must exercise all of them. */
  const done = new Map<string, number>();
  const both = async (what: string, fn: (l: LogStorage) => Promise<unknown>) => {
    const want = await outcome(() => fn(oracle));
    const got = await outcome(() => fn(log));
    assert.equal(got, want, `${what}: result differs`);
    const kind = `${what.split(" ")[0]} ${want.startsWith("ok") ? (want.includes('"segmentsDropped":0') ? "noop" : "ok") : want}`;
    done.set(kind, (done.get(kind) ?? 0) + 1);
  };
  for (let step = 0; step < steps; step++) {
    clock.nowMs += rnd.int(1500);
    const first = oracle.firstIndex();
    const last = oracle.lastIndex();
    const commit = oracle.hardState().commit;
    const op = rnd.int(100);
    let what: string;
    if (op < 45) {
      // Append, sometimes replacing an uncommitted suffix (a new leader's entries).
      const lowest = Math.max(commit, first - 1) + 1;
      const from = rnd.chance(0.25) && last + 1 > lowest ? lowest + rnd.int(last + 1 - lowest) : last + 1;
      if (from <= last) termNow++;
      const n = 1 + rnd.int(6);
      const es = makeEntries(from, offsetAfter(from - 1), n, () => {
        const k = rnd.int(10);
        return {
          term: termNow,
          kind: k === 0 ? EntryKind.Noop : k === 1 ? EntryKind.Command : EntryKind.Records,
          count: k <= 1 ? 0 : 1 + rnd.int(5),
          bytes: rnd.int(200),
          timestampMs: clock.nowMs - rnd.int(3000),
          salt: step,
        };
      });
      if (from <= last) done.set("overwrite", (done.get("overwrite") ?? 0) + 1);
      const withHs = rnd.chance(0.3) ? { hardState: hs(termNow, rnd.int(4), Math.max(commit, Math.min(from + n - 1, commit + rnd.int(4)))) } : {};
      what = `append ${from}+${n}`;
      await both(what, (l) => l.persist({ entries: es, ...withHs }));
    } else if (op < 60) {
      const c = Math.min(last, commit + rnd.int(6));
      what = `commit ${c}`;
      await both(what, (l) => l.persist({ hardState: hs(termNow, 1, c) }));
    } else if (op < 67) {
      const t = Math.max(commit, first - 1) + rnd.int(Math.max(1, last - Math.max(commit, first - 1) + 2));
      what = `truncateAfter ${t}`;
      await both(what, (l) => l.truncateAfter(index(t)));
    } else if (op < 74) {
      if (commit < first) continue;
      const i = first + rnd.int(commit - first + 1);
      if (i > last) continue;
      const e = entryAt(i);
      what = `compact ${i}`;
      const data = payload(i, 0, rnd.int(40));
      await both(what, (l) => l.compact({ index: e.index, term: e.term, offset: offset(e.offset + e.count) }, data));
    } else if (op < 84) {
      const policy = { retentionBytes: rnd.chance(0.5) ? rnd.int(3000) : -1, retentionMs: rnd.chance(0.5) ? rnd.int(20_000) : -1 };
      what = `retention ${JSON.stringify(policy)}`;
      const nowMs = clock.nowMs;
      await both(what, (l) => l.applyRetention(policy, nowMs));
    } else if (op < 87) {
      const at = Math.max(last, commit) + rnd.int(5);
      termNow++;
      const snap: Snapshot = { index: index(at), term: term(termNow), offset: offset(oracle.nextOffset() + rnd.int(50)), data: payload(at, termNow, rnd.int(30)) };
      what = `install snapshot ${at}`;
      await both(what, (l) => l.persist({ snapshot: snap, hardState: hs(termNow, 0, at) }));
    } else if (op < 93) {
      // Refused writes: a gap, a wrong offset, a truncation below commit.
      const k = rnd.int(3);
      const upd: LogUpdate =
        k === 0
          ? { entries: makeEntries(last + 2, oracle.nextOffset(), 1) }
          : k === 1
            ? { entries: makeEntries(last + 1, oracle.nextOffset() + 1, 1) }
            : { entries: makeEntries(Math.max(first, 1), 0, 1, { term: 99 }) };
      what = `refused ${k}`;
      await both(what, (l) => l.persist(upd));
    } else if (u.reopen) {
      what = "reopen";
      log = await u.reopen();
      done.set("reopen", (done.get("reopen") ?? 0) + 1);
    } else {
      continue;
    }
    // Compare every read.
    const ctx = `after step ${step} (${what})`;
    assert.deepEqual(observe(log), observe(oracle), `state ${ctx}`);
    const lo = oracle.snapshot().index;
    for (let i = Math.max(0, lo - 1); i <= oracle.lastIndex() + 1; i++) assert.equal(log.term(index(i)), oracle.term(index(i)), `term(${i}) ${ctx}`);
    for (let k = 0; k < 4; k++) {
      const from = oracle.logStartOffset() - 1 + rnd.int(oracle.nextOffset() - oracle.logStartOffset() + 3);
      const bytesMax = rnd.int(600);
      const indexMax = oracle.lastIndex() - rnd.int(4);
      assert.deepEqual(
        syncOutcome(() => log.entriesFromOffset(offset(from), bytesMax, index(indexMax))),
        syncOutcome(() => oracle.entriesFromOffset(offset(from), bytesMax, index(indexMax))),
        `entriesFromOffset(${from}, ${bytesMax}, ${indexMax}) ${ctx}`,
      );
      const ts = clock.nowMs - rnd.int(8000);
      assert.equal(log.offsetForTimestamp(ts), oracle.offsetForTimestamp(ts), `offsetForTimestamp(${ts}) ${ctx}`);
      const a = oracle.firstIndex() - 1 + rnd.int(oracle.lastIndex() - oracle.firstIndex() + 3);
      const b = a + rnd.int(6);
      assert.deepEqual(syncOutcome(() => log.entries(index(a), index(b), bytesMax)), syncOutcome(() => oracle.entries(index(a), index(b), bytesMax)), `entries(${a}, ${b}) ${ctx}`);
    }
  }
  for (const kind of ["append ok", "overwrite", "commit ok", "truncateAfter ok", "compact ok", "retention ok", "install ok", "refused error INVALID_ARGUMENT", ...(u.reopen ? ["reopen"] : [])]) {
    assert.ok((done.get(kind) ?? 0) > 0, `the random run never did "${kind}": ${JSON.stringify([...done])}`);
  }
}
