/**
 * Background reclamation (broker/storage/segment-reclaim.ts) against an
 * in-memory key set: chunked deletes through the log's queue, the bound
 * re-read at every chunk, early stop on close, and the clean-up at open.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { StorageError } from "../../broker/raft/log-storage.js";
import { OpQueue } from "../../broker/storage/op-queue.js";
import { SegmentReclaim, type ReclaimTarget } from "../../broker/storage/segment-reclaim.js";

/** Stored entry indexes of one log, a snapshot index, and the writes made. */
class FakeLog implements ReclaimTarget {
  readonly stored = new Set<number>();
  readonly deletes: number[][] = [];
  snap = 0;
  closed = false;
  readonly queue = new OpQueue("p", 100);
  /** Called before each delete, to change the log in between chunks. */
  beforeDelete: (chunk: number) => void = () => undefined;

  constructor(lo: number, hi: number) {
    for (let i = lo; i <= hi; i++) this.stored.add(i);
  }
  snapIndex(): number {
    return this.snap;
  }
  storedIndexes(from: number, to: number | undefined, limit: number): number[] {
    return [...this.stored].filter((i) => i >= from && (to === undefined || i <= to)).sort((a, b) => a - b).slice(0, limit);
  }
  /** Deletes fail while set (a full disk). */
  failing = false;
  async deleteEntries(indexes: readonly number[]): Promise<void> {
    if (this.failing) throw new Error("ENOSPC");
    this.beforeDelete(this.deletes.length);
    await Promise.resolve();
    this.deletes.push([...indexes]);
    for (const i of indexes) this.stored.delete(i);
  }
  runQueued<T>(op: () => Promise<T>): Promise<T> {
    return this.queue.runInternal(op);
  }
  isClosed(): boolean {
    return this.closed;
  }
}

describe("segment reclaim", () => {
  it("deletes hidden entries in chunks of chunkKeys, each on the log's queue", async () => {
    const log = new FakeLog(1, 25);
    log.snap = 20;
    const r = new SegmentReclaim(log, 8);
    r.reclaim(1, 20);
    await r.done();
    assert.deepEqual(log.deletes.map((d) => [d[0], d[d.length - 1], d.length]), [[1, 8, 8], [9, 16, 8], [17, 20, 4]]);
    assert.deepEqual([...log.stored].sort((a, b) => a - b), [21, 22, 23, 24, 25]);
    assert.equal(log.queue.pendingOps, 0);
  });

  it("re-reads the snapshot index at every chunk: entries made live again are never touched", async () => {
    const log = new FakeLog(1, 30);
    log.snap = 30;
    log.beforeDelete = (chunk) => {
      if (chunk === 0) log.snap = 10; // a snapshot install moved the start back after the first chunk was planned
    };
    const r = new SegmentReclaim(log, 5);
    r.reclaim(1, 30);
    await r.done();
    assert.ok(log.deletes.flat().every((i) => i <= 10 || log.deletes[0]!.includes(i)));
    for (let i = 11; i <= 30; i++) assert.ok(log.stored.has(i), `entry ${i} kept`);
  });

  it("stops early once the log closes, and reclaims nothing outside [lo, hi]", async () => {
    const log = new FakeLog(1, 40);
    log.snap = 40;
    log.beforeDelete = (chunk) => {
      if (chunk === 1) log.closed = true;
    };
    const r = new SegmentReclaim(log, 5);
    r.reclaim(3, 40);
    await r.done();
    assert.equal(log.deletes.length, 2, "the chunk under way finishes, no further one starts");
    assert.ok(log.stored.has(1) && log.stored.has(2));
    r.reclaim(1, 0);
    await r.done();
    assert.equal(log.deletes.length, 2, "an empty range is a no-op");
  });

  it("at open, removes what a crash left below the first index and after the last", async () => {
    const log = new FakeLog(1, 50);
    log.snap = 10;
    const r = new SegmentReclaim(log, 7);
    await r.reclaimOutside(10, 30, Number.MAX_SAFE_INTEGER);
    assert.deepEqual([...log.stored].sort((a, b) => a - b), Array.from({ length: 20 }, (_, k) => 11 + k));
    assert.ok(log.deletes.every((d) => d.length <= 7));
  });

  it("a failed chunk fails its reclamation only: the next one starts again from that chunk", async () => {
    const log = new FakeLog(1, 30);
    log.snap = 10;
    const r = new SegmentReclaim(log, 4);
    log.failing = true;
    r.reclaim(1, 10);
    await assert.rejects(r.done());
    assert.equal(log.stored.size, 30, "nothing deleted while writes fail");
    log.failing = false;
    log.snap = 20;
    r.reclaim(11, 20);
    await r.done();
    assert.deepEqual([...log.stored].sort((a, b) => a - b), Array.from({ length: 10 }, (_, k) => 21 + k), "the failed range 1..10 is reclaimed with 11..20");
  });

  it("at open, a key that a delete cannot remove (a damaged B-tree: out of order, or never gone) fails CORRUPT_RECORD instead of spinning", async () => {
    // Deletes that do nothing: the same keys come back every time.
    const stuck = new FakeLog(1, 10);
    stuck.deleteEntries = async () => undefined;
    await assert.rejects(new SegmentReclaim(stuck, 4).reclaimOutside(0, 5, Number.MAX_SAFE_INTEGER), (e: unknown) => e instanceof StorageError && e.code === "CORRUPT_RECORD");
    // Keys out of order, some below where the scan started (seen in a damaged data.mdb: an index flipped to 2^48).
    const disordered = new FakeLog(1, 10);
    disordered.storedIndexes = () => [277076930201650, 7, 8];
    await assert.rejects(new SegmentReclaim(disordered, 4).reclaimOutside(0, 5, Number.MAX_SAFE_INTEGER), (e: unknown) => e instanceof StorageError && e.code === "CORRUPT_RECORD");
  });
});
