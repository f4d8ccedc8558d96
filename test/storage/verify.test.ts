/**
 * The verification scan on stores damaged through a raw LMDB handle (as a
 * damaged page would leave them): a missing entry, a record under an unknown
 * key, a deleted log's record that fails its checksum; and what the log and
 * the store do with each.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Database } from "lmdb";
import { StorageError, type StorageErrorCode } from "../../broker/raft/log-storage.js";
import { index, nodeId, term } from "../../broker/raft/types.js";
import { encodeHardState, entryKey, metaKey, MetaType } from "../../broker/storage/codec.js";
import { openEnv } from "../../broker/storage/lmdb-env.js";
import { LogStore } from "../../broker/storage/log-store.js";
import { verifyDirectory } from "../../broker/storage/verify.js";
import { FIXTURE_ENTRIES, FIXTURE_SEGMENT_BYTES, writeFixtureStore } from "./damage-fixture.js";

const SETTINGS = { segmentBytes: FIXTURE_SEGMENT_BYTES, segmentMs: 1e12 };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rlog-verify-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Change the store through a raw handle on its databases. */
async function edit(dir: string, fn: (dbs: { meta: Database<Buffer, Buffer>; entries: Database<Buffer, Buffer> }) => Promise<void>): Promise<void> {
  const env = openEnv({ path: dir, maxDbs: 4, fsync: false });
  try {
    const open = (name: string) => env.openDB<Buffer, Buffer>({ name, keyEncoding: "binary", encoding: "binary" });
    await fn({ meta: open("meta"), entries: open("entries") });
  } finally {
    await env.close();
  }
}

function isCode(code: StorageErrorCode, details: object): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof StorageError && err.code === code, String(err));
    assert.deepEqual(err.details, details);
    return true;
  };
}

describe("verification scan", () => {
  it("a fresh store verifies clean, every entry and record counted", async () => {
    await withDir(async (dir) => {
      await writeFixtureStore(dir);
      const r = await verifyDirectory(dir);
      assert.equal(r.entriesChecked, 3 * FIXTURE_ENTRIES);
      assert.deepEqual(r.storeRecords, []);
      for (const l of r.logs) assert.deepEqual([l.damagedEntryCount, l.damagedRecords, l.entriesVerified, l.firstDamagedIndex], [0, [], true, undefined]);
    });
  });

  it("entries missing from LMDB: reads throw CORRUPT_ENTRY at the first, the scan counts the run", async () => {
    await withDir(async (dir) => {
      await writeFixtureStore(dir);
      await edit(dir, async ({ entries }) => {
        for (const i of [12, 13, 14]) await entries.remove(entryKey(2, i));
      });
      const r = await verifyDirectory(dir);
      const beta = r.logs.find((l) => l.name === "beta")!;
      assert.equal(beta.firstDamagedIndex, 12);
      assert.equal(beta.damagedEntryCount, 3);
      assert.equal(beta.damagedEntries.length, 1);
      const store = await LogStore.open({ path: dir, fsync: false });
      try {
        const log = await store.openLog("beta", SETTINGS);
        assert.throws(() => log.entries(index(10), index(20), 1 << 30), isCode("CORRUPT_ENTRY", { log: "beta", index: 12 }));
        assert.throws(() => log.entries(index(13), index(14), 1 << 30), isCode("CORRUPT_ENTRY", { log: "beta", index: 13 }));
        await log.repair(index(12));
        assert.equal(store.verify().logs.find((l) => l.name === "beta")!.damagedEntryCount, 0);
      } finally {
        await store.close();
      }
    });
  });

  it("a record under an unknown key of a log: the scan names it, openLog refuses", async () => {
    await withDir(async (dir) => {
      await writeFixtureStore(dir);
      const stray = Buffer.from([0, 0, 0, 1, 9]);
      await edit(dir, async ({ meta }) => {
        await meta.put(stray, Buffer.from([1, 2, 3]));
      });
      const r = await verifyDirectory(dir);
      const alpha = r.logs.find((l) => l.name === "alpha")!;
      assert.deepEqual(
        alpha.damagedRecords.map((d) => [d.record, d.key]),
        [["unknown", stray.toString("hex")]],
      );
      const store = await LogStore.open({ path: dir, fsync: false });
      try {
        await assert.rejects(store.openLog("alpha", SETTINGS), isCode("CORRUPT_RECORD", { log: "alpha" }));
      } finally {
        await store.close();
      }
    });
  });

  it("a deleted log's records: removed at open when intact; a failing one is reported and not removed", async () => {
    await withDir(async (dir) => {
      await writeFixtureStore(dir);
      // Intact leftovers of a deleteLog cut short (log id 7 was never registered here).
      const leftover = metaKey(7, MetaType.HardState);
      await edit(dir, async ({ meta }) => {
        await meta.put(leftover, encodeHardState({ term: term(1), vote: nodeId(0), commit: index(0) }, leftover));
      });
      assert.deepEqual((await verifyDirectory(dir)).storeRecords, []);
      await (await LogStore.open({ path: dir, fsync: false })).close();
      // A hard state of log 2 found under log 7's key: a damaged key byte.
      await edit(dir, async ({ meta }) => {
        assert.equal(meta.getBinary(leftover), undefined, "the intact leftover was removed");
        await meta.put(leftover, encodeHardState({ term: term(5), vote: nodeId(1), commit: index(3) }, metaKey(2, MetaType.HardState)));
      });
      const r = await verifyDirectory(dir);
      assert.deepEqual(
        r.storeRecords.map((d) => [d.record, d.key]),
        [["unknown", leftover.toString("hex")]],
      );
      await assert.rejects(LogStore.open({ path: dir, fsync: false }), isCode("CORRUPT_RECORD", {}));
    });
  });
});
