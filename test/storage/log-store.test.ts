/**
 * LMDB-specific behaviour of the log store: many logs in one environment,
 * group commit, deleteLog, reopen, space reclamation, limits.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LogStore, type LmdbLog, type LogStoreOptions } from "../../broker/storage/log-store.js";
import { index, nodeId, offset, term, type HardState } from "../../broker/raft/types.js";
import { assertEntriesEqual, makeEntries, ManualClock, rejectsWith, throwsWith } from "./contract.js";

const BIG = 1 << 30;
const SETTINGS = { segmentBytes: 500, segmentMs: 60_000 };
const hs = (t: number, vote: number, commit: number): HardState => ({ term: term(t), vote: nodeId(vote), commit: index(commit) });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rlog-store-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function withStore(opts: Omit<LogStoreOptions, "path">, fn: (store: LogStore, dir: string) => Promise<void>): Promise<void> {
  await withDir(async (dir) => {
    const store = await LogStore.open({ path: dir, ...opts });
    try {
      await fn(store, dir);
    } finally {
      await store.close();
    }
  });
}

/** Everything readable about a log. */
function snapshotOf(log: LmdbLog): unknown {
  const first = log.firstIndex();
  const last = log.lastIndex();
  return {
    hs: log.hardState(),
    snap: { ...log.snapshot(), data: Array.from(log.snapshot().data) },
    segments: log.segments(),
    start: log.logStartOffset(),
    next: log.nextOffset(),
    entries: last >= first ? log.entries(first, index(last + 1), BIG).map((e) => ({ ...e, data: Array.from(e.data) })) : [],
  };
}

describe("LogStore (LMDB)", () => {
  it("keeps several logs in one environment independent", async () => {
    const clock = new ManualClock();
    await withDir(async (dir) => {
      let store = await LogStore.open({ path: dir, clock: clock.now });
      const names = ["orders-0", "orders-1", "__consumer_offsets-7", "ünïcode/päth"];
      let logs = await Promise.all(names.map((n) => store.openLog(n, SETTINGS)));
      // Interleaved, concurrent writes with different shapes per log.
      for (let round = 0; round < 5; round++) {
        await Promise.all(
          logs.map((log, k) => {
            const from = log.lastIndex() + 1;
            return log.persist({ entries: makeEntries(from, log.nextOffset(), k + 1, { count: k, term: 1 + k, bytes: 20 * (k + 1), salt: k }), hardState: hs(1 + k, k, from) });
          }),
        );
      }
      // Change one log in every way; the others must not notice.
      const before = logs.map(snapshotOf);
      const [a] = logs;
      await a!.truncateAfter(index(5));
      await a!.applyRetention({ retentionBytes: 0, retentionMs: -1 }, clock.nowMs);
      await a!.persist({ snapshot: { index: index(1000), term: term(9), offset: offset(5000), data: new Uint8Array([1, 2]) } });
      for (let k = 1; k < logs.length; k++) assert.deepEqual(snapshotOf(logs[k]!), before[k], `${names[k]} changed`);
      assert.equal(a!.firstIndex(), 1001);
      assert.deepEqual(store.listLogs().sort(), [...names].sort());
      // Reopen restores all of them: catalogs, hard states, snapshots, entries.
      const after = logs.map(snapshotOf);
      await store.close();
      store = await LogStore.open({ path: dir, clock: clock.now });
      logs = await Promise.all(names.map((n) => store.openLog(n, SETTINGS)));
      assert.deepEqual(logs.map(snapshotOf), after);
      await store.close();
    });
  });

  it("group-commits concurrent writes of different logs into one transaction", async () => {
    await withStore({}, async (store) => {
      const logs = await Promise.all(Array.from({ length: 8 }, (_, k) => store.openLog(`p-${k}`, SETTINGS)));
      const before = store.stats().lastTxnId;
      await Promise.all(logs.map((log) => log.persist({ entries: makeEntries(1, 0, 3), hardState: hs(1, 1, 0) })));
      assert.equal(store.stats().lastTxnId - before, 1, "eight logs, one commit");
      for (const log of logs) assert.equal(log.lastIndex(), 3);
    });
  });

  it("applies pipelined writes of one log in order, and bounds how many may wait", async () => {
    await withStore({ pendingOpsMax: 4 }, async (store) => {
      const log = await store.openLog("p", SETTINGS);
      const es = makeEntries(1, 0, 12);
      const writes = [0, 1, 2, 3].map((k) => log.persist({ entries: es.slice(k * 3, k * 3 + 3) }));
      await rejectsWith(() => log.persist({ hardState: hs(1, 1, 1) }), "TOO_MANY_PENDING_OPS");
      await Promise.all(writes);
      assertEntriesEqual(log.entries(index(1), index(13), BIG), es);
      // A refused write in the middle does not disturb the ones around it.
      const more = makeEntries(13, 12, 2);
      const results = await Promise.allSettled([
        log.persist({ entries: more.slice(0, 1) }),
        log.persist({ entries: makeEntries(20, 99, 1) }),
        log.persist({ entries: more.slice(1) }),
      ]);
      assert.deepEqual(
        results.map((r) => r.status),
        ["fulfilled", "rejected", "fulfilled"],
      );
      assert.equal(log.lastIndex(), 14);
    });
  });

  it("deleteLog removes every trace of a log and leaves the others alone", async () => {
    await withDir(async (dir) => {
      let store = await LogStore.open({ path: dir, reclaimChunkKeys: 7 });
      const keep = await store.openLog("keep", SETTINGS);
      const doomed = await store.openLog("doomed", SETTINGS);
      await keep.persist({ entries: makeEntries(1, 0, 10), hardState: hs(1, 1, 4) });
      await doomed.persist({ entries: makeEntries(1, 0, 50, { bytes: 100 }), hardState: hs(2, 2, 40) });
      await doomed.compact({ index: index(10), term: term(1), offset: offset(10) }, new Uint8Array([7]));
      const pending = doomed.persist({ entries: makeEntries(51, 50, 5) });
      const keepBefore = snapshotOf(keep);
      await store.deleteLog("doomed");
      await pending; // queued before the delete: it completed first
      assert.ok(doomed.isClosed());
      throwsWith(() => doomed.lastIndex(), "CLOSED");
      assert.deepEqual(store.listLogs(), ["keep"]);
      assert.deepEqual(snapshotOf(keep), keepBefore);
      await store.deleteLog("doomed"); // unknown name: nothing to do
      // A new log of the same name starts empty, with no old entries under it.
      const reborn = await store.openLog("doomed", SETTINGS);
      assert.equal(reborn.lastIndex(), 0);
      assert.deepEqual(reborn.hardState(), hs(0, 0, 0));
      assert.equal(reborn.storedEntryCount(), 0);
      await reborn.persist({ entries: makeEntries(1, 0, 2) });
      await store.close();
      store = await LogStore.open({ path: dir });
      assert.deepEqual(store.listLogs().sort(), ["doomed", "keep"]);
      const again = await store.openLog("doomed", SETTINGS);
      assert.equal(again.lastIndex(), 2);
      assert.equal(again.storedEntryCount(), 2);
      assert.deepEqual(snapshotOf(await store.openLog("keep", SETTINGS)), keepBefore);
      await store.close();
    });
  });

  it("reclaims the space of dropped segments, compactions and snapshot installs", async () => {
    await withStore({ reclaimChunkKeys: 5 }, async (store) => {
      const log = await store.openLog("p", { segmentBytes: 10 * 50, segmentMs: 60_000 });
      await log.persist({ entries: makeEntries(1, 0, 60), hardState: hs(1, 1, 60) });
      assert.equal(log.storedEntryCount(), 60);
      const r = await log.applyRetention({ retentionBytes: 25 * 50, retentionMs: -1 }, 0);
      assert.equal(r.segmentsDropped, 4);
      assert.equal(log.storedEntryCount(), 20);
      await log.compact({ index: index(45), term: term(1), offset: offset(45) });
      assert.equal(log.storedEntryCount(), 15);
      await log.persist({ snapshot: { index: index(100), term: term(2), offset: offset(100), data: new Uint8Array(0) } });
      await log.whenReclaimed();
      assert.equal(log.storedEntryCount(), 0);
    });
  });

  it("never reclaims entries that a later snapshot install made live again", async () => {
    await withStore({ reclaimChunkKeys: 3 }, async (store) => {
      const log = await store.openLog("p", SETTINGS);
      await log.persist({ entries: makeEntries(1, 0, 40), hardState: hs(1, 1, 40) });
      // Install at 30 (entries 1..30 to reclaim in the background), then at once a
      // snapshot back at 5 followed by new entries 6..20: those must survive.
      const first = log.persist({ snapshot: { index: index(30), term: term(1), offset: offset(30), data: new Uint8Array(0) } });
      const fresh = makeEntries(6, 5, 15, { term: 2, salt: 9 });
      const second = log.persist({ snapshot: { index: index(5), term: term(1), offset: offset(5), data: new Uint8Array(0) }, entries: fresh });
      await Promise.all([first, second]);
      await log.whenReclaimed();
      assertEntriesEqual(log.entries(index(6), index(21), BIG), fresh);
      assert.equal(log.storedEntryCount(), 15);
    });
  });

  it("refuses a log beyond logsOpenMax with TOO_MANY_OPEN_LOGS, and opens it once another closes", async () => {
    await withStore({ logsOpenMax: 2 }, async (store) => {
      const a = await store.openLog("a", SETTINGS);
      await store.openLog("b", SETTINGS);
      await rejectsWith(() => store.openLog("c", SETTINGS), "TOO_MANY_OPEN_LOGS");
      await a.close();
      const c = await store.openLog("c", SETTINGS);
      assert.equal(c.lastIndex(), 0);
    });
  });

  it("refuses bad names and settings, double opens, and use after close", async () => {
    await withDir(async (dir) => {
      const store = await LogStore.open({ path: dir, fsync: false });
      await rejectsWith(() => store.openLog("", SETTINGS), "INVALID_ARGUMENT");
      await rejectsWith(() => store.openLog("x".repeat(600), SETTINGS), "INVALID_ARGUMENT");
      await rejectsWith(() => store.openLog("bad\uD800", SETTINGS), "INVALID_ARGUMENT");
      await rejectsWith(() => store.openLog("p", { segmentBytes: 0, segmentMs: 1 }), "INVALID_ARGUMENT");
      await rejectsWith(() => store.openLog("p", { segmentBytes: 10, segmentMs: Number.NaN }), "INVALID_ARGUMENT");
      const log = await store.openLog("p", SETTINGS);
      await rejectsWith(() => store.openLog("p", SETTINGS), "INVALID_ARGUMENT");
      await log.persist({ entries: makeEntries(1, 0, 3) });
      await log.close();
      const reopened = await store.openLog("p", SETTINGS);
      assert.equal(reopened.lastIndex(), 3);
      await store.close();
      throwsWith(() => reopened.lastIndex(), "CLOSED");
      throwsWith(() => store.listLogs(), "CLOSED");
      await rejectsWith(() => store.openLog("q", SETTINGS), "CLOSED");
      await store.close();
    });
  });
});
