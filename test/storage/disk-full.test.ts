/**
 * A full disk under the LMDB log (broker/storage/write-errors.ts): a log on
 * a small tmpfs is appended to until a write fails with NOT_ENOUGH_SPACE.
 * The failed write changed nothing (reads and the in-memory state are as
 * before it), reads keep working, retention still runs, small writes go
 * through; once space is freed appends work again, and a reopened store
 * holds exactly what was acknowledged. Needs root to mount the tmpfs; skips
 * and says why without.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { LogStore } from "../../broker/storage/log-store.js";
import { StorageError } from "../../broker/raft/log-storage.js";
import { index, term, type Entry } from "../../broker/raft/types.js";
import { assertEntriesEqual, makeEntries } from "./contract.js";
import { Tmpfs, tmpfsSkipReason } from "./tmpfs.js";

const MiB = 1024 * 1024;
const ENTRY_BYTES = 16 * 1024;
const BATCH_ENTRIES = 8;

test("a log on a full tmpfs: NOT_ENOUGH_SPACE changes nothing, reads and retention go on, appends resume once space is back", { timeout: 60_000 }, async (t) => {
  const skip = tmpfsSkipReason();
  if (skip !== undefined) {
    t.skip(skip);
    return;
  }
  const unhandled: unknown[] = [];
  const onUnhandled = (r: unknown): void => void unhandled.push(r);
  process.on("unhandledRejection", onUnhandled);
  const fs = Tmpfs.mount(8 * MiB, "rlog-disk-full-");
  try {
    const path = fs.subdir("data");
    // 2 MiB of ballast, freed later: what "space returns" means here.
    const ballastBytes = 2 * MiB;
    {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(`${fs.dir}/ballast`, Buffer.alloc(ballastBytes, 1));
    }
    let store = await LogStore.open({ path, fsync: true, mapSizeBytes: 1 * MiB });
    let log = await store.openLog("p", { segmentBytes: 256 * 1024, segmentMs: 1e12 });
    const written: Entry[] = [];
    let failure: unknown;
    for (let b = 0; b < 10_000 && failure === undefined; b++) {
      const from = written.length + 1;
      const batch = makeEntries(from, from - 1, BATCH_ENTRIES, { bytes: ENTRY_BYTES });
      const before = { last: log.lastIndex(), next: log.nextOffset(), hs: log.hardState(), segs: log.segments().length };
      try {
        await log.persist({ entries: batch, hardState: { term: term(1), vote: 0 as never, commit: index(from + BATCH_ENTRIES - 1) } });
        written.push(...batch);
      } catch (err) {
        failure = err;
        assert.deepEqual({ last: log.lastIndex(), next: log.nextOffset(), hs: log.hardState(), segs: log.segments().length }, before, "a failed write changes nothing");
      }
    }
    assert.ok(failure instanceof StorageError, `a StorageError, got ${String(failure)}`);
    assert.equal(failure.code, "NOT_ENOUGH_SPACE", failure.message);
    t.diagnostic(`full after ${written.length} entries (${((written.length * ENTRY_BYTES) / MiB).toFixed(1)} MiB); ${fs.freeBytes()} bytes free; ${failure.message}`);
    assert.ok(written.length > 0);

    // Reads keep working.
    assertEntriesEqual(log.entries(index(1), index(written.length + 1), Number.MAX_SAFE_INTEGER), written, "every acknowledged entry");
    assert.equal(log.lastIndex(), written.length);

    // Retention still runs on the full disk (a catalog change, then chunked deletes).
    const segsBefore = log.segments().length;
    const dropped = await log.applyRetention({ retentionBytes: 512 * 1024, retentionMs: -1 }, Date.now());
    assert.ok(dropped.segmentsDropped > 0, `retention dropped ${dropped.segmentsDropped} of ${segsBefore} segments`);
    const firstKept = log.firstIndex();
    assertEntriesEqual(log.entries(firstKept, index(written.length + 1), Number.MAX_SAFE_INTEGER), written.slice(firstKept - 1), "entries after retention");

    // Space is back: appends work again.
    fs.free();
    const from = written.length + 1;
    const more = makeEntries(from, from - 1, BATCH_ENTRIES, { bytes: ENTRY_BYTES });
    await log.persist({ entries: more, hardState: { term: term(1), vote: 0 as never, commit: index(from + BATCH_ENTRIES - 1) } });
    written.push(...more);

    // Reopened: exactly what was acknowledged.
    await store.close();
    store = await LogStore.open({ path, fsync: true });
    log = await store.openLog("p", { segmentBytes: 256 * 1024, segmentMs: 1e12 });
    assert.equal(log.firstIndex(), firstKept);
    assert.equal(log.lastIndex(), written.length);
    assertEntriesEqual(log.entries(firstKept, index(written.length + 1), Number.MAX_SAFE_INTEGER), written.slice(firstKept - 1), "entries after reopening");
    await store.close();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unhandled, [], "no unhandled rejection from lmdb-js");
  } finally {
    process.off("unhandledRejection", onUnhandled);
    fs.unmount();
  }
});
