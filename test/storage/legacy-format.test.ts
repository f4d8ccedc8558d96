/**
 * A data directory written before checksums: entry format 1 (56-byte header,
 * no CRCs) and msgpack records without the checksum envelope. It opens,
 * reads back, verifies clean (nothing of it can be checked), and takes
 * appends in format 2 in the same segment.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pack } from "msgpackr";
import { index, offset, term, type Entry } from "../../broker/raft/types.js";
import { entryKey, metaKey, MetaType, segmentKey } from "../../broker/storage/codec.js";
import { openEnv } from "../../broker/storage/lmdb-env.js";
import { LogStore } from "../../broker/storage/log-store.js";
import { assertEntriesEqual, makeEntries } from "./contract.js";

/** Entry `e` in format 1, with the segment's running values. */
function legacyValue(e: Entry, bytesThrough: number, timestampMsMax: number): Buffer {
  const v = Buffer.alloc(56 + e.data.byteLength);
  v[0] = 1;
  v[1] = e.kind;
  v.writeUInt32LE(e.count, 4);
  v.writeDoubleLE(e.index, 8);
  v.writeDoubleLE(e.term, 16);
  v.writeDoubleLE(e.offset, 24);
  v.writeDoubleLE(e.timestampMs, 32);
  v.writeDoubleLE(bytesThrough, 40);
  v.writeDoubleLE(timestampMsMax, 48);
  v.set(e.data, 56);
  return v;
}

test("a legacy data directory (format 1 entries, unsealed records) opens, reads, verifies and takes appends", async () => {
  const dir = await mkdtemp(join(tmpdir(), "rlog-legacy-"));
  try {
    const es = makeEntries(1, 0, 5, (i) => ({ term: 2, timestampMs: 100 * i, bytes: 30 }));
    const env = openEnv({ path: dir, maxDbs: 4, fsync: false });
    const db = (name: string) => env.openDB<Buffer, Buffer>({ name, keyEncoding: "binary", encoding: "binary" });
    const [logs, meta, entries] = [db("logs"), db("meta"), db("entries")];
    await logs.put(Buffer.from("old"), pack([1]));
    await meta.put(metaKey(0, MetaType.Store), pack([2]));
    await meta.put(metaKey(1, MetaType.HardState), pack([2, 1, 4]));
    let bytes = 0;
    for (const e of es) {
      bytes += e.data.byteLength + 40;
      await entries.put(entryKey(1, e.index), legacyValue(e, bytes, e.timestampMs));
    }
    await meta.put(segmentKey(1, 1), pack([1, 5, 0, 5, bytes, Date.now(), 500, 0, [1, 2]]));
    await env.close();

    const store = await LogStore.open({ path: dir, fsync: false });
    try {
      const report = store.verify();
      assert.deepEqual(
        report.logs.map((l) => [l.name, l.entriesChecked, l.damagedEntryCount, l.damagedRecords.length]),
        [["old", 5, 0, 0]],
      );
      assert.deepEqual(report.storeRecords, []);
      const log = await store.openLog("old", { segmentBytes: 1 << 20, segmentMs: 1e12 });
      assert.deepEqual(log.hardState(), { term: 2, vote: 1, commit: 4 });
      assertEntriesEqual(log.entries(index(1), index(6), 1 << 30), es);
      assert.equal(log.offsetForTimestamp(300), 2);
      const more = makeEntries(6, 5, 3, { term: 3, timestampMs: 900 });
      await log.persist({ entries: more, hardState: { term: term(3), vote: 1 as never, commit: index(6) } });
      assertEntriesEqual(log.entries(index(1), index(9), 1 << 30), [...es, ...more]);
      assert.equal(log.segments().length, 1, "appends continue the legacy segment");
      assert.equal(log.segments()[0]!.bytes, [...es, ...more].reduce((n, e) => n + e.data.byteLength + 40, 0));
      // Truncating into the legacy part reads its header for the running values.
      await log.truncateAfter(index(7));
      await log.repair(index(7));
      assert.equal(log.lastIndex(), 6);
      assert.deepEqual(log.entriesFromOffset(offset(4), 1 << 30, index(9)).map((e) => e.index), [5, 6]);
      assert.equal(store.verify().logs[0]!.damagedEntryCount, 0);
    } finally {
      await store.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
