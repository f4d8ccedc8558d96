/**
 * Damage in real LMDB files: bytes flipped inside one entry's payload or
 * header in data.mdb while the store is closed. Reads of that entry throw
 * CORRUPT_ENTRY naming it, reads before it work, the verification scan (in
 * process and in a child) names exactly that log and index, and repair()
 * from it makes the log readable and appendable again.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { StorageError } from "../../broker/raft/log-storage.js";
import { index, offset, term } from "../../broker/raft/types.js";
import { entryKey, metaKey, MetaType, segmentKey } from "../../broker/storage/codec.js";
import { openEnv } from "../../broker/storage/lmdb-env.js";
import { LogStore, type LmdbLog } from "../../broker/storage/log-store.js";
import { verifyInChild } from "../../broker/storage/verify-in-child.js";
import { judge } from "../../broker/cluster/data-dir-check.js";
import { checkFreeList } from "../../broker/storage/lmdb-free-list.js";
import type { VerifyReport } from "../../broker/storage/verify.js";
import { assertEntriesEqual, makeEntries } from "./contract.js";
import { damageAtMarker, FIXTURE_ENTRIES, FIXTURE_LOGS, FIXTURE_SEGMENT_BYTES, fixtureEntry, HEADER_TERM_DELTA, writeFixtureStore } from "./damage-fixture.js";

const BIG = 1 << 30;
const SETTINGS = { segmentBytes: FIXTURE_SEGMENT_BYTES, segmentMs: 1e12 };

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), "rlog-damage-"));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function corruptAt(log: string, i: number): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof StorageError, `expected a StorageError, got ${String(err)}`);
    assert.equal(err.code, "CORRUPT_ENTRY", err.message);
    assert.deepEqual(err.details, { log, index: i });
    return true;
  };
}

/** The report names exactly `log` at `i`, every other log clean. */
function assertReportNames(report: VerifyReport, log: string, i: number): void {
  assert.deepEqual(report.storeRecords, []);
  assert.deepEqual(
    report.logs.map((l) => l.name),
    [...FIXTURE_LOGS].sort(),
  );
  for (const l of report.logs) {
    assert.deepEqual(l.damagedRecords, [], `${l.name} records`);
    assert.equal(l.entriesVerified, true);
    assert.equal(l.entriesChecked, FIXTURE_ENTRIES, `${l.name} entries checked`);
    if (l.name === log) {
      assert.equal(l.firstDamagedIndex, i);
      assert.equal(l.damagedEntryCount, 1);
      assert.deepEqual(
        l.damagedEntries.map((d) => d.index),
        [i],
      );
    } else {
      assert.equal(l.firstDamagedIndex, undefined, `${l.name} is clean`);
      assert.equal(l.damagedEntryCount, 0);
    }
  }
  assert.equal(report.entriesChecked, FIXTURE_LOGS.length * FIXTURE_ENTRIES);
  assert.ok(report.bytesChecked > report.entriesChecked * 200);
}

/** Reads of entry i throw; everything before it reads back as written. */
function assertDamagedAt(log: LmdbLog, i: number, where: "payload" | "header"): void {
  const name = log.name;
  assert.throws(() => log.entries(index(i), index(i + 1), BIG), corruptAt(name, i));
  assert.throws(() => log.entries(index(1), index(FIXTURE_ENTRIES + 1), BIG), corruptAt(name, i));
  assert.throws(() => log.entriesFromOffset(offset(i - 1), BIG, index(BIG)), corruptAt(name, i));
  const before = Array.from({ length: i - 1 }, (_, k) => fixtureEntry(name, k + 1));
  assertEntriesEqual(log.entries(index(1), index(i), BIG), before);
  assertEntriesEqual(log.entriesFromOffset(offset(0), BIG, index(i - 1)), before);
  // A byte limit that stops before the damaged entry reads its header (for its size), not its payload.
  if (where === "payload") assert.equal(log.entries(index(i - 1), index(i + 1), 1).length, 1);
  else assert.throws(() => log.entries(index(i - 1), index(i + 1), 1), corruptAt(name, i));
}

/** Repair from i: readable and appendable, verification clean, and kept across a restart. */
async function assertRepairs(dir: string, store: LogStore, log: LmdbLog, i: number): Promise<void> {
  await log.repair(index(i));
  assert.equal(log.lastIndex(), i - 1);
  assert.equal(log.hardState().commit, Math.min(30, i - 1));
  assert.deepEqual(log.hardState().promise, { term: 2, index: FIXTURE_ENTRIES });
  const again = makeEntries(i, i - 1, 3, { term: 3 });
  await log.persist({ entries: again });
  assertEntriesEqual(log.entries(index(i), index(i + 3), BIG), again);
  assertEntriesEqual(log.entries(index(1), index(i), BIG), Array.from({ length: i - 1 }, (_, k) => fixtureEntry(log.name, k + 1)));
  for (const l of store.verify().logs) assert.equal(l.damagedEntryCount, 0, `${l.name} clean after the repair`);
  await store.close();
  const reopened = await LogStore.open({ path: dir, fsync: false });
  try {
    const l2 = await reopened.openLog(log.name, SETTINGS);
    assert.equal(l2.lastIndex(), i + 2);
    assert.equal(l2.term(index(i)), term(3));
    assert.deepEqual(l2.hardState().promise, { term: 2, index: FIXTURE_ENTRIES });
  } finally {
    await reopened.close();
  }
}

describe("damaged LMDB files", () => {
  for (const where of ["payload", "header"] as const) {
    for (const [log, i] of [
      ["beta", 17],
      ["gamma", FIXTURE_ENTRIES],
    ] as const) {
      it(`a flipped byte in the ${where} of ${log}/${i} is CORRUPT_ENTRY there, verified, and repaired`, async () => {
        await withDir(async (dir) => {
          await writeFixtureStore(dir);
          damageAtMarker(dir, log, i, where === "payload" ? 100 : HEADER_TERM_DELTA);
          // The child's scan first: the broker runs it before opening the store.
          const outcome = await verifyInChild(dir, { timeoutMs: 20_000 });
          assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.failure}: ${outcome.reason}`);
          assertReportNames(outcome.report, log, i);
          const store = await LogStore.open({ path: dir, fsync: false });
          let closed = false;
          try {
            assertReportNames(store.verify(), log, i);
            const damaged = await store.openLog(log, SETTINGS);
            assertDamagedAt(damaged, i, where);
            if (where === "header") {
              // Header reads (the offset search, timestamps) verify the header too.
              assert.throws(() => damaged.offsetForTimestamp(1000 + i), corruptAt(log, i));
            } else {
              assert.equal(damaged.offsetForTimestamp(1000 + i), i - 1);
            }
            for (const other of FIXTURE_LOGS.filter((n) => n !== log)) {
              const l = await store.openLog(other, SETTINGS);
              assertEntriesEqual(l.entries(index(1), index(FIXTURE_ENTRIES + 1), BIG), Array.from({ length: FIXTURE_ENTRIES }, (_, k) => fixtureEntry(other, k + 1)));
            }
            closed = true;
            await assertRepairs(dir, store, damaged, i);
          } finally {
            if (!closed) await store.close();
          }
        });
      });
    }
  }

  it("verifyInChild reports an empty directory as an empty store, and a damaged file header as a failure, not a crash", async () => {
    await withDir(async (dir) => {
      const empty = await verifyInChild(dir, { timeoutMs: 20_000 });
      assert.ok(empty.ok);
      assert.deepEqual(empty.report.logs, []);
      await writeFixtureStore(dir);
      // Both meta pages (pages 0 and 1 of the file) overwritten: LMDB cannot open it.
      const { readFileSync, writeFileSync } = await import("node:fs");
      const file = join(dir, "data.mdb");
      const bytes = readFileSync(file);
      bytes.fill(0xab, 0, 8192);
      writeFileSync(file, bytes);
      const broken = await verifyInChild(dir, { timeoutMs: 20_000 });
      assert.equal(broken.ok, false);
      if (!broken.ok) assert.ok(broken.failure === "storage-engine" || broken.failure === "signal", `${broken.failure}: ${broken.reason}`);
    });
  });

  it("verifyInChild kills a child that runs past timeoutMs", async () => {
    await withDir(async (dir) => {
      await writeFixtureStore(dir);
      const outcome = await verifyInChild(dir, { timeoutMs: 1 });
      assert.equal(outcome.ok, false);
      if (!outcome.ok) assert.equal(outcome.failure, "timeout");
    });
  });
});

describe("damaged records", () => {
  /** Flip one bit of the value stored under `key` in meta (as a damaged page would), through a raw handle. */
  async function flipMetaValue(dir: string, key: Buffer, at: number): Promise<void> {
    const env = openEnv({ path: dir, maxDbs: 4, fsync: false });
    try {
      const meta = env.openDB<Buffer, Buffer>({ name: "meta", keyEncoding: "binary", encoding: "binary" });
      const v = meta.getBinary(key);
      assert.ok(v, `no value under ${key.toString("hex")}`);
      const damaged = Buffer.from(v);
      damaged[at]! ^= 0x04;
      await meta.put(key, damaged);
    } finally {
      await env.close();
    }
  }

  for (const [what, record, key] of [
    ["hard state", "hard state", metaKey(2, MetaType.HardState)],
    ["catalog record", "segment", segmentKey(2, 9)],
  ] as const) {
    it(`a damaged ${what}: openLog refuses with CORRUPT_RECORD, the scan names it, other logs are unaffected`, async () => {
      await withDir(async (dir) => {
        await writeFixtureStore(dir);
        // Log ids follow creation order: alpha 1, beta 2, gamma 3.
        await flipMetaValue(dir, key, 7);
        const outcome = await verifyInChild(dir, { timeoutMs: 20_000 });
        assert.ok(outcome.ok);
        const beta = outcome.report.logs.find((l) => l.name === "beta")!;
        assert.deepEqual(
          beta.damagedRecords.map((r) => [r.record, r.key]),
          [[record, key.toString("hex")]],
        );
        assert.equal(beta.entriesVerified, record === "hard state", "a damaged catalog leaves the entries unchecked");
        for (const l of outcome.report.logs.filter((x) => x.name !== "beta")) assert.deepEqual([l.damagedRecords, l.damagedEntryCount], [[], 0]);
        const store = await LogStore.open({ path: dir, fsync: false });
        try {
          await assert.rejects(store.openLog("beta", SETTINGS), (err: unknown) => {
            assert.ok(err instanceof StorageError && err.code === "CORRUPT_RECORD", String(err));
            assert.deepEqual(err.details, { log: "beta" });
            return true;
          });
          const alpha = await store.openLog("alpha", SETTINGS);
          assert.equal(alpha.lastIndex(), FIXTURE_ENTRIES);
        } finally {
          await store.close();
        }
      });
    });
  }
});

/**
 * Write the fixture store, let `damage` edit every copy of entry 17's key of
 * log "beta" in data.mdb (it returns whether it changed the copy at `at`),
 * then check that the verification child reports exactly one structure
 * damage whose message matches `message`, and that the directory is not trusted.
 */
async function expectKeyDamageIsStoreDamage(damage: (bytes: Buffer, at: number, key: Buffer) => boolean, message: RegExp): Promise<void> {
  await withDir(async (dir) => {
    await writeFixtureStore(dir);
    const store = await LogStore.open({ path: dir, fsync: false });
    const logId = (await store.openLog("beta", SETTINGS)).logId;
    await store.close();
    const file = join(dir, "data.mdb");
    const bytes = readFileSync(file);
    const key = entryKey(logId, 17);
    let found = 0;
    for (let at = bytes.indexOf(key); at >= 0; at = bytes.indexOf(key, at + 1)) if (damage(bytes, at, key)) found++;
    assert.ok(found > 0, "the key is in data.mdb");
    writeFileSync(file, bytes);
    const outcome = await verifyInChild(dir, { timeoutMs: 20_000 });
    assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.failure}: ${outcome.reason}`);
    const structure = outcome.report.storeRecords.filter((d) => d.record === "structure");
    assert.equal(structure.length, 1, JSON.stringify(outcome.report.storeRecords));
    assert.match(structure[0]!.message, message);
    assert.equal(judge(outcome).kind, "untrusted");
  });
}

describe("a damaged key in LMDB's B-tree", () => {
  it("an entry key out of order is store damage (the directory is set aside), not entry damage a cut could mend", async () => {
    // The high byte of entry 17's index, in every copy of its key: the key now sorts far after its neighbours.
    await expectKeyDamageIsStoreDamage((bytes, at) => {
      bytes[at + 4]! ^= 0x8a;
      return true;
    }, /entries database: .*keys out of order/);
  });

  it("an entry key of the wrong length (its node's key size damaged, in order all the same) is store damage too", async () => {
    // An LMDB leaf node: [data size u32][flags u16][key size u16][key][value]. Entry 17's key size 12 -> 44.
    await expectKeyDamageIsStoreDamage((bytes, at, key) => {
      if (bytes.readUInt16LE(at - 2) !== key.byteLength) return false; // a branch page's copy
      bytes.writeUInt16LE(44, at - 2);
      return true;
    }, /entries database: a key of 44 bytes/);
  });
});

describe("a damaged LMDB free list", () => {
  it("a free page number past the last page is store damage (the next write that took it would fail, every time)", async () => {
    await withDir(async (dir) => {
      await writeFixtureStore(dir); // several transactions: pages were freed
      const file = join(dir, "data.mdb");
      const positions: number[] = [];
      assert.equal(checkFreeList(file, (_, at) => positions.push(at)), undefined, "intact");
      assert.ok(positions.length > 0, "the fixture has free pages");
      const clean = await verifyInChild(dir, { timeoutMs: 20_000 });
      assert.ok(clean.ok && clean.report.storeRecords.length === 0, "an intact store reports no structure damage");
      // The corruption test's case: one byte of a free page number flipped (0x7d00000bcd was seen).
      const bytes = readFileSync(file);
      bytes[positions[0]! + 4]! ^= 0x7d;
      writeFileSync(file, bytes);
      const outcome = await verifyInChild(dir, { timeoutMs: 20_000 });
      assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.failure}: ${outcome.reason}`);
      assert.deepEqual(outcome.report.storeRecords.map((d) => d.record), ["structure"]);
      assert.match(outcome.report.storeRecords[0]!.message, /LMDB free list: .*free page: page 0x7d.* is outside the pages 2\.\.\d+/);
      assert.equal(judge(outcome).kind, "untrusted");
      for (const l of outcome.report.logs) assert.equal(l.damagedEntryCount, 0, "no entry is damaged: only LMDB's own structure");
    });
  });

  it("a page listed twice in the free list is store damage (LMDB would refuse to commit it: every write fails)", async () => {
    await withDir(async (dir) => {
      await writeFixtureStore(dir);
      const file = join(dir, "data.mdb");
      const positions: number[] = [];
      assert.equal(checkFreeList(file, (_, at) => positions.push(at)), undefined, "intact");
      assert.ok(positions.length > 1, "the fixture has two free pages");
      const bytes = readFileSync(file);
      bytes.copy(bytes, positions[1]!, positions[0]!, positions[0]! + 8);
      writeFileSync(file, bytes);
      const outcome = await verifyInChild(dir, { timeoutMs: 20_000 });
      assert.ok(outcome.ok, outcome.ok ? "" : `${outcome.failure}: ${outcome.reason}`);
      assert.deepEqual(outcome.report.storeRecords.map((d) => d.record), ["structure"]);
      assert.match(outcome.report.storeRecords[0]!.message, /LMDB free list: free pages .* overlap/);
      assert.equal(judge(outcome).kind, "untrusted");
    });
  });
});
