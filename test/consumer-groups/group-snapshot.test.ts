/**
 * The group-table snapshot (broker/consumer-groups/group-snapshot.ts):
 * round trips, damaged and hostile input (refused with GroupSnapshotError,
 * never another throw), and, property-style over seeded random commit
 * sequences, that a table restored from a snapshot and fed the rest of the
 * log equals the table that applied the whole log.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Packr } from "msgpackr";
import { buildUncompressedBatch } from "../../broker/protocol/batch-codec.js";
import { AssignmentStrategy } from "../../broker/protocol/enums.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";
import { GROUP_SNAPSHOT_BYTES_MAX } from "../../broker/consumer-groups/group-limits.js";
import { groupMetadataRecord, offsetCommitRecord, type GroupMetadataValue } from "../../broker/consumer-groups/group-records.js";
import { decodeGroupSnapshot, encodeGroupSnapshot, GROUP_SNAPSHOT_VERSION, GroupSnapshotError } from "../../broker/consumer-groups/group-snapshot.js";
import { GroupTable } from "../../broker/consumer-groups/group-table.js";
import { DEFAULT_PEER_LIMITS } from "../../broker/transport/peer-limits.js";

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

/** A random log of the offsets topic: commits, generations, no-ops, and records the table must skip. */
function randomLog(seed: number, entriesCount: number): Entry[] {
  const rnd = new SeededRandom(seed);
  const groups = ["g1", "g2", "orders-app", "x".repeat(1024), "ünïcødé"];
  const topics = ["t", "events", "a\u0000b"];
  const entries: Entry[] = [];
  let next = 0;
  let t = 1;
  for (let i = 1; i <= entriesCount; i++) {
    if (rnd.chance(0.05)) t++;
    const common = { index: index(i), term: term(t), timestampMs: 1_700_000_000_000 + i };
    if (rnd.chance(0.1)) {
      entries.push({ ...common, kind: EntryKind.Noop, offset: offset(next), count: 0, data: new Uint8Array(0) });
      continue;
    }
    const records: ProduceRecord[] = [];
    const n = 1 + rnd.int(4);
    for (let r = 0; r < n; r++) {
      const group = groups[rnd.int(groups.length)]!;
      const roll = rnd.next();
      if (roll < 0.7) {
        records.push(offsetCommitRecord(group, topics[rnd.int(topics.length)]!, rnd.int(6), { offset: rnd.int(1_000_000), metadata: rnd.chance(0.2) ? `m${i}` : "", commitMs: rnd.chance(0.5) ? 1_700_000_000_000 + i : 0.5 + i }));
      } else if (roll < 0.9) {
        const value: GroupMetadataValue = {
          generation: i,
          strategy: AssignmentStrategy.Sticky,
          members: rnd.chance(0.3) ? [] : [{ memberId: `c-${i}`, clientId: "c", topics: ["t"], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 30_000, assignment: [["t", [0, 1]]] }],
          // The coordinator's monotonic clock: not an integer.
          writtenMs: 12_345.678 + i,
        };
        records.push(groupMetadataRecord(group, value));
      } else if (roll < 0.95) {
        // A client-produced record with a bad value: skipped by the table, so never in a snapshot.
        records.push({ key: packr.pack([2, group, "t", -1]), value: packr.pack({ offset: 1, metadata: "", commitMs: 1 }) });
      } else {
        records.push({ key: packr.pack([2, group, "t", 0]), value: packr.pack({ offset: "nine", metadata: "", commitMs: 1 }) });
      }
    }
    const data = buildUncompressedBatch(records, { timestampMs: common.timestampMs });
    entries.push({ ...common, kind: EntryKind.Records, offset: offset(next), count: records.length, data });
    next += records.length;
  }
  return entries;
}

function applied(entries: readonly Entry[]): GroupTable {
  const table = new GroupTable();
  table.apply(entries);
  return table;
}

test("a table round-trips through its snapshot, and an empty one too", () => {
  const table = applied(randomLog(7, 300));
  assert.ok(table.size > 0 && table.offsetCount() > 0);
  assert.deepEqual(decodeGroupSnapshot(encodeGroupSnapshot(table.groups())), table.groups());
  assert.deepEqual(decodeGroupSnapshot(encodeGroupSnapshot(new Map())), new Map());
});

test("records with bad values are skipped by the table, so its snapshot always decodes", () => {
  const table = applied(randomLog(11, 400));
  assert.ok([...table.groups().values()].some((g) => g.metadata !== undefined), "generations with a fractional writtenMs are kept");
  assert.ok(table.skippedRecords > 0, "the random log holds bad records");
  for (const g of table.groups().values()) for (const v of g.offsets.values()) assert.equal(typeof v.offset, "number");
  decodeGroupSnapshot(encodeGroupSnapshot(table.groups()));
});

test("property: snapshot at any point + the tail == replay of the whole log (seeded random commit sequences)", () => {
  for (let seed = 1; seed <= 60; seed++) {
    const rnd = new SeededRandom(seed * 7919);
    const log = randomLog(seed, 20 + rnd.int(200));
    const whole = applied(log);
    // One or two snapshots along the way, as a replica that restarts twice.
    const cut = rnd.int(log.length + 1);
    const restored = new GroupTable();
    restored.apply(log.slice(0, cut));
    let at = log[cut - 1];
    let snap = encodeGroupSnapshot(restored.groups());
    const second = new GroupTable();
    second.restore(at?.index ?? index(0), at?.term ?? term(0), decodeGroupSnapshot(snap));
    const cut2 = cut + rnd.int(log.length - cut + 1);
    second.apply(log.slice(cut, cut2));
    at = log[cut2 - 1] ?? at;
    snap = encodeGroupSnapshot(second.groups());
    const third = new GroupTable();
    third.restore(at?.index ?? index(0), at?.term ?? term(0), decodeGroupSnapshot(snap));
    // Replay overlapping what the snapshot covered, as a restart replays from the log start: already applied entries are skipped.
    third.apply(log.slice(Math.max(0, cut2 - 5)));
    assert.deepEqual(third.groups(), whole.groups(), `seed ${seed}`);
    assert.equal(third.appliedIndex, whole.appliedIndex, `seed ${seed}`);
    assert.equal(third.appliedTerm, whole.appliedTerm, `seed ${seed}`);
  }
});

test("a damaged snapshot (any truncation, flipped bytes) is refused with GroupSnapshotError or decodes to a valid table, never throws anything else", () => {
  const data = encodeGroupSnapshot(applied(randomLog(3, 40)).groups());
  for (let n = 0; n < data.byteLength; n++) {
    assert.throws(() => decodeGroupSnapshot(data.subarray(0, n)), GroupSnapshotError, `truncated to ${n} bytes`);
  }
  const rnd = new SeededRandom(99);
  for (let i = 0; i < 2000; i++) {
    const bad = data.slice();
    const flips = 1 + rnd.int(3);
    for (let f = 0; f < flips; f++) bad[rnd.int(bad.length)] = rnd.int(256);
    try {
      const groups = decodeGroupSnapshot(bad);
      // Whatever decodes is a valid table: it encodes and decodes to itself.
      assert.deepEqual(decodeGroupSnapshot(encodeGroupSnapshot(groups)), groups);
    } catch (err) {
      assert.ok(err instanceof GroupSnapshotError, `flip ${i}: ${String(err)}`);
    }
  }
});

test("hostile snapshots are refused with a reason", () => {
  const refused = (value: unknown, why: RegExp): void => {
    assert.throws(() => decodeGroupSnapshot(packr.pack(value)), (err: unknown) => err instanceof GroupSnapshotError && why.test(err.message));
  };
  const offsets = ["t", [0, 5, 1, ""]];
  refused({ version: 1 }, /\[version, groups\]/);
  refused([2, []], /version 2/);
  refused([GROUP_SNAPSHOT_VERSION, {}], /not a list/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", null, offsets], ["g", null, offsets]]], /twice/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", null, ["t", [0, 5, 1, "", 0, 6, 1, ""]]]]], /t\/0 appears twice/);
  refused([GROUP_SNAPSHOT_VERSION, [["", null, offsets]]], /not a valid name/);
  refused([GROUP_SNAPSHOT_VERSION, [["g".repeat(1025), null, offsets]]], /not a valid name/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", null, ["t", [-1, 5, 1, ""]]]]], /not valid/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", null, ["t", [0, 2 ** 60, 1, ""]]]]], /not valid/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", null, ["t", [0, 5, 1]]]]], /not \[partition/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", null, ["t"]]]], /not \[topic/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", { generation: 1, strategy: 9, members: [], writtenMs: 1 }, offsets]]], /generation record/);
  refused([GROUP_SNAPSHOT_VERSION, [["g", { generation: 1, strategy: 0, members: [{ memberId: "m" }], writtenMs: 1 }, offsets]]], /generation record/);
  refused([GROUP_SNAPSHOT_VERSION, [["__proto__", { __proto__: null }, offsets]]], /generation record/);
  // A header that claims four billion elements in five bytes.
  assert.throws(() => decodeGroupSnapshot(Uint8Array.from([0x92, 0x01, 0xdd, 0xff, 0xff, 0xff, 0xff])), GroupSnapshotError);
  assert.throws(() => decodeGroupSnapshot(Uint8Array.from([0xc1])), GroupSnapshotError);
  // Past the bound, refused before parsing.
  assert.throws(() => decodeGroupSnapshot(new Uint8Array(GROUP_SNAPSHOT_BYTES_MAX + 1)), /exceeds GROUP_SNAPSHOT_BYTES_MAX/);
});

test("the largest snapshot fits one peer frame, and holds about 3 million offsets", () => {
  assert.ok(GROUP_SNAPSHOT_BYTES_MAX <= DEFAULT_PEER_LIMITS.frameBytesMax - 1024 * 1024);
  // Bytes per committed offset of a realistic table: 1000 groups x 100 offsets.
  const table = new GroupTable();
  const records: Entry[] = [];
  for (let g = 0; g < 1000; g++) {
    const batch = [];
    for (let p = 0; p < 100; p++) batch.push(offsetCommitRecord(`group-${g}`, `topic-${p % 10}`, p, { offset: 1_000_000 + p, metadata: "", commitMs: 1_764_000_000_000 }));
    records.push({ index: index(g + 1), term: term(1), kind: EntryKind.Records, offset: offset(g * 100), count: 100, timestampMs: 0, data: buildUncompressedBatch(batch, { timestampMs: 0 }) });
  }
  table.apply(records);
  const bytes = encodeGroupSnapshot(table.groups()).byteLength;
  const perOffset = bytes / table.offsetCount();
  assert.ok(perOffset < 22, `${perOffset} bytes per offset`);
  assert.ok(GROUP_SNAPSHOT_BYTES_MAX / perOffset > 2_500_000);
});
