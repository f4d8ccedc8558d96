/**
 * The broker's start-up check of its data directory (broker/cluster/data-dir-check.ts),
 * on real LMDB files: damaged entries are cut when their log opens (with the
 * promise recorded), damage the checksums cannot confine to entries sets the
 * directory aside, and a check that cannot run lets the broker start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { DAMAGED_DIR_PREFIX, DAMAGED_MARKER, DataDirCheck, judge } from "../../broker/cluster/data-dir-check.js";
import { index } from "../../broker/raft/types.js";
import { LogStore } from "../../broker/storage/log-store.js";
import { FIXTURE_SEGMENT_BYTES, damageAtMarker, writeFixtureStore } from "../storage/damage-fixture.js";

const logger = pino({ level: "silent" });

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "rlog-dircheck-"));
  try {
    await fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a damaged entry is cut by the check's child before the store opens: the promise is recorded, the other logs are untouched", async () => {
  await withDir(async (dir) => {
    await writeFixtureStore(dir);
    damageAtMarker(dir, "beta", 12, 20); // a payload byte of beta/12
    const check = await DataDirCheck.run({ dataDir: dir, timeoutMs: 60_000, logger, clock: () => 0 });
    assert.equal(check.movedTo, undefined);
    assert.deepEqual(check.pending(), [], "cut in the child: nothing left for the broker to cut");
    const store = await LogStore.open({ path: dir, fsync: false });
    try {
      for (const name of ["alpha", "beta", "gamma"]) {
        const log = await store.openLog(name, { segmentBytes: FIXTURE_SEGMENT_BYTES, segmentMs: 1e12 });
        await check.repairOnOpen(name, log);
        if (name === "beta") {
          assert.equal(log.lastIndex(), 11);
          assert.deepEqual(log.hardState(), { term: 2, vote: 1, commit: 11, promise: { term: 2, index: 40 } });
          assert.equal(log.entries(log.firstIndex(), index(12), Infinity).length, 11, "everything before the damage reads back");
        } else {
          assert.equal(log.lastIndex(), 40);
          assert.equal(log.hardState().promise, undefined);
        }
      }
      assert.deepEqual(check.pending(), []);
    } finally {
      await store.close();
    }
    // Checked again: clean.
    const again = await DataDirCheck.run({ dataDir: dir, timeoutMs: 60_000, logger, clock: () => 0 });
    assert.deepEqual(again.pending(), []);
  });
});

test("damage beyond the entries (the store's structure overwritten) sets the directory's files aside; the broker starts empty", async () => {
  await withDir(async (dir) => {
    await writeFixtureStore(dir);
    // Both LMDB meta pages overwritten: nothing in the file can be found any more.
    const file = join(dir, "data.mdb");
    const h = openSync(file, "r+");
    writeSync(h, Buffer.alloc(2 * 4096, 0x77), 0, 2 * 4096, 0);
    closeSync(h);
    writeFileSync(join(dir, `${DAMAGED_DIR_PREFIX}old`), "an older set-aside directory is deleted");
    const check = await DataDirCheck.run({ dataDir: dir, timeoutMs: 60_000, logger, clock: () => Date.UTC(2026, 11, 2) });
    assert.ok(check.movedTo !== undefined);
    const left = readdirSync(dir);
    assert.deepEqual(left, [check.movedTo.slice(dir.length + 1)], "only the set-aside directory is left");
    assert.ok(readdirSync(check.movedTo).includes("data.mdb"));
    const store = await LogStore.open({ path: dir, fsync: false });
    assert.deepEqual(store.listLogs(), []);
    await store.close();
  });
});

test("a check that could not run or timed out lets the broker start; a crash or LMDB's own report does not", () => {
  assert.equal(judge({ ok: false, failure: "timeout", reason: "slow" }).kind, "unchecked");
  assert.equal(judge({ ok: false, failure: "exit", reason: "no node" }).kind, "unchecked");
  assert.equal(judge({ ok: false, failure: "signal", reason: "SIGSEGV" }).kind, "untrusted");
  assert.equal(judge({ ok: false, failure: "storage-engine", reason: "MDB_CORRUPTED" }).kind, "untrusted");
  const report = { logs: [], storeRecords: [], entriesChecked: 0, bytesChecked: 0, ms: 1 };
  assert.equal(judge({ ok: true, report, repaired: [] }).kind, "entries");
  assert.equal(judge({ ok: true, report: { ...report, storeRecords: [{ record: "store", message: "bad" }] }, repaired: [] }).kind, "untrusted");
});

test("damage found while running marks the directory: the next start sets it aside", async () => {
  await withDir(async (dir) => {
    await writeFixtureStore(dir);
    const first = await DataDirCheck.run({ dataDir: dir, timeoutMs: 60_000, logger, clock: () => 0 });
    assert.equal(first.movedTo, undefined);
    await first.markDamaged("beta", "entries past the log's end cannot be deleted");
    const next = await DataDirCheck.run({ dataDir: dir, timeoutMs: 60_000, logger, clock: () => 1 });
    assert.ok(next.movedTo !== undefined);
    assert.ok(readdirSync(next.movedTo).includes(DAMAGED_MARKER), "the marker goes with the files it condemns");
    assert.deepEqual(readdirSync(dir), [next.movedTo.slice(dir.length + 1)]);
  });
});
