/**
 * Stored value formats: entry format 2 (checked header and payload), legacy
 * format 1 (read unchecked), and the sealed records. Every damaged value must
 * throw StorageError CORRUPT_ENTRY / CORRUPT_RECORD naming where, never an
 * assertion and never wrong bytes.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { pack } from "msgpackr";
import { StorageError, type StorageErrorCode } from "../../broker/raft/log-storage.js";
import { EntryKind, index, nodeId, offset, term, type Entry, type HardState } from "../../broker/raft/types.js";
import {
  decodeEntry,
  decodeHardState,
  decodeLogRef,
  decodeSegment,
  decodeSnapshot,
  decodeStoreRecord,
  encodeHardState,
  encodeLogRef,
  encodeSegment,
  encodeSnapshot,
  encodeStoreRecord,
  ENTRY_HEADER_BYTES,
  entryValueBytes,
  readEntryHeader,
  writeEntryValue,
  metaKey,
  MetaType,
  segmentKey,
  type SegmentRecord,
} from "../../broker/storage/codec.js";
import { decodeBrokerIdentity, encodeBrokerIdentity, IdentityState, type BrokerIdentity } from "../../broker/storage/broker-identity.js";
import { crc32c } from "../../broker/storage/checksum.js";

const entry: Entry = {
  index: index(42),
  term: term(7),
  kind: EntryKind.Records,
  offset: offset(1000),
  count: 3,
  timestampMs: 1_700_000_000_000,
  data: Uint8Array.from({ length: 100 }, (_, k) => (k * 7) & 0xff),
};

function encode(e: Entry = entry): Buffer {
  const v = Buffer.alloc(entryValueBytes(e));
  writeEntryValue(v, new DataView(v.buffer, v.byteOffset, v.byteLength), 0, e, 5000, 6000);
  return v;
}

function isCorrupt(code: StorageErrorCode, details: { log?: string; index?: number }): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof StorageError, `expected StorageError ${code}, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.deepEqual(err.details, details);
    return true;
  };
}

describe("entry values", () => {
  it("format 2 round-trips: a 64-byte header, then the payload", () => {
    const v = encode();
    assert.equal(ENTRY_HEADER_BYTES, 64);
    assert.equal(v.byteLength, 64 + 100);
    assert.equal(v[0], 2);
    const h = readEntryHeader(v, v.byteLength, "p-0", 42);
    assert.deepEqual(
      { ...h },
      { kind: EntryKind.Records, count: 3, index: 42, term: 7, offset: 1000, timestampMs: 1_700_000_000_000, segmentBytesThrough: 5000, segmentTimestampMsMax: 6000, dataBytes: 100, headerBytes: 64, dataCrc: crc32c(entry.data) },
    );
    assert.equal(v.readUInt32LE(60), crc32c(v.subarray(0, 60)));
    const e = decodeEntry(v, "p-0", 42);
    assert.deepEqual({ ...e, data: Array.from(e.data) }, { ...entry, data: Array.from(entry.data) });
  });

  it("any flipped header byte fails the header read; any flipped payload byte fails the full read only", () => {
    const good = encode();
    for (let at = 0; at < good.byteLength; at++) {
      const v = Buffer.from(good);
      v[at]! ^= 0x10;
      if (at < 64) {
        assert.throws(() => readEntryHeader(v, v.byteLength, "p-0", 42), isCorrupt("CORRUPT_ENTRY", { log: "p-0", index: 42 }), `byte ${at}`);
      } else {
        readEntryHeader(v, v.byteLength, "p-0", 42);
        assert.throws(() => decodeEntry(v, "p-0", 42), isCorrupt("CORRUPT_ENTRY", { log: "p-0", index: 42 }), `byte ${at}`);
        // The benchmark's unverified decode is the only way to get the bytes.
        assert.equal(decodeEntry(v, "p-0", 42, false).data.byteLength, 100);
      }
    }
  });

  it("short values, unknown formats and kinds, and a value under the wrong key are corrupt", () => {
    const good = encode();
    const want = isCorrupt("CORRUPT_ENTRY", { log: "p-0", index: 42 });
    for (const n of [0, 1, 55, 56, 63]) assert.throws(() => readEntryHeader(good.subarray(0, n), n, "p-0", 42), want, `${n} bytes`);
    const resealed = (patch: (v: Buffer) => void): Buffer => {
      const v = Buffer.from(good);
      patch(v);
      v.writeUInt32LE(crc32c(v.subarray(0, 60)), 60);
      return v;
    };
    assert.throws(() => readEntryHeader(resealed((v) => (v[0] = 3)), 164, "p-0", 42), want);
    assert.throws(() => readEntryHeader(resealed((v) => (v[1] = 9)), 164, "p-0", 42), want);
    assert.throws(() => readEntryHeader(good, 164, "p-0", 43), isCorrupt("CORRUPT_ENTRY", { log: "p-0", index: 43 }));
    // getBinaryFast hands a reused buffer whose length is the value's: a longer buffer is fine.
    const wide = Buffer.concat([good, Buffer.alloc(50, 0xee)]);
    assert.equal(readEntryHeader(wide, good.byteLength, "p-0", 42).dataBytes, 100);
  });

  it("reads legacy format 1 (56-byte header, no checksums) unchecked", () => {
    const v = Buffer.alloc(56 + 4);
    v[0] = 1;
    v[1] = EntryKind.Command;
    v.writeUInt32LE(0, 4);
    v.writeDoubleLE(9, 8);
    v.writeDoubleLE(2, 16);
    v.writeDoubleLE(77, 24);
    v.writeDoubleLE(123, 32);
    v.writeDoubleLE(100, 40);
    v.writeDoubleLE(123, 48);
    v.set([1, 2, 3, 4], 56);
    const e = decodeEntry(v, "p-0", 9);
    assert.deepEqual({ ...e, data: Array.from(e.data) }, { index: 9, term: 2, kind: EntryKind.Command, offset: 77, count: 0, timestampMs: 123, data: [1, 2, 3, 4] });
    assert.equal(readEntryHeader(v, v.byteLength, "p-0", 9).dataCrc, undefined);
  });
});

describe("sealed records", () => {
  const seg: SegmentRecord = { firstIndex: 5, lastIndex: 9, baseOffset: 10, endOffset: 20, bytes: 300, createdMs: 1, timestampMsMax: 2, bytesBase: 0, termRuns: [5, 1, 8, 2] };
  const hs: HardState = { term: term(4), vote: nodeId(2), commit: index(9) };
  const segKey = segmentKey(7, 5);
  const hsKey = metaKey(7, MetaType.HardState);
  const snapKey = metaKey(7, MetaType.Snapshot);
  const nameKey = Buffer.from("p-0");
  const identity: BrokerIdentity = { clusterId: "c-1", brokerId: 3, incarnation: 77, state: IdentityState.Member, createdMs: 5 };
  const cases: { what: string; value: Buffer; decode: (v: Uint8Array) => unknown; expect: unknown; legacy: Buffer; details: { log?: string } }[] = [
    { what: "segment", value: encodeSegment(seg, segKey), decode: (v) => decodeSegment(v, segKey, "p-0"), expect: seg, legacy: pack(Object.values(seg)), details: { log: "p-0" } },
    { what: "hard state", value: encodeHardState(hs, hsKey), decode: (v) => decodeHardState(v, hsKey, "p-0"), expect: hs, legacy: pack([4, 2, 9]), details: { log: "p-0" } },
    {
      what: "hard state with a promise",
      value: encodeHardState({ ...hs, promise: { term: term(3), index: index(12) } }, hsKey),
      decode: (v) => decodeHardState(v, hsKey, "p-0"),
      expect: { ...hs, promise: { term: 3, index: 12 } },
      legacy: pack([4, 2, 9, 3, 12]),
      details: { log: "p-0" },
    },
    {
      what: "hard state with a membership",
      value: encodeHardState({ ...hs, membership: { voters: [nodeId(1), nodeId(4)], votersOutgoing: [nodeId(1), nodeId(2)], learners: [nodeId(5)] }, membershipIndex: index(7) }, hsKey),
      decode: (v) => decodeHardState(v, hsKey, "p-0"),
      expect: { ...hs, membership: { voters: [1, 4], votersOutgoing: [1, 2], learners: [5] }, membershipIndex: 7 },
      legacy: pack([4, 2, 9, -1, -1, 7, [1, 4], [1, 2], [5]]),
      details: { log: "p-0" },
    },
    {
      what: "hard state with a promise and a membership",
      value: encodeHardState({ ...hs, promise: { term: term(3), index: index(12) }, membership: { voters: [nodeId(2)] }, membershipIndex: index(3) }, hsKey),
      decode: (v) => decodeHardState(v, hsKey, "p-0"),
      expect: { ...hs, promise: { term: 3, index: 12 }, membership: { voters: [2] }, membershipIndex: 3 },
      legacy: pack([4, 2, 9, 3, 12, 3, [2], [], []]),
      details: { log: "p-0" },
    },
    {
      what: "snapshot",
      value: encodeSnapshot({ index: index(3), term: term(1), offset: offset(8), data: Uint8Array.of(1, 2) }, snapKey),
      decode: (v) => {
        const s = decodeSnapshot(v, snapKey, "p-0");
        return { ...s, data: Array.from(s.data) };
      },
      expect: { index: 3, term: 1, offset: 8, data: [1, 2] },
      legacy: pack([3, 1, 8, Buffer.of(1, 2)]),
      details: { log: "p-0" },
    },
    { what: "registry", value: encodeLogRef(12, nameKey), decode: (v) => decodeLogRef(v, nameKey, "p-0"), expect: 12, legacy: pack([12]), details: { log: "p-0" } },
    { what: "store", value: encodeStoreRecord(13), decode: (v) => decodeStoreRecord(v), expect: 13, legacy: pack([13]), details: {} },
    { what: "broker identity", value: encodeBrokerIdentity(identity), decode: (v) => decodeBrokerIdentity(v), expect: identity, legacy: pack([1, "c-1", 3, 77, 2, 5]), details: {} },
  ];

  it("a record read under another key than its own fails its checksum", () => {
    assert.throws(() => decodeHardState(encodeHardState(hs, hsKey), metaKey(8, MetaType.HardState), "p-0"), isCorrupt("CORRUPT_RECORD", { log: "p-0" }));
    assert.throws(() => decodeSegment(encodeSegment(seg, segKey), segmentKey(7, 6), "p-0"), isCorrupt("CORRUPT_RECORD", { log: "p-0" }));
    assert.throws(() => decodeLogRef(encodeLogRef(12, nameKey), Buffer.from("p-1"), "p-1"), isCorrupt("CORRUPT_RECORD", { log: "p-1" }));
    // A legacy segment record under the wrong key: its first index says so.
    assert.throws(() => decodeSegment(pack(Object.values(seg)), segmentKey(7, 6), "p-0"), isCorrupt("CORRUPT_RECORD", { log: "p-0" }));
  });

  for (const c of cases) {
    it(`${c.what}: round-trips sealed, reads its legacy form, and any flipped byte is CORRUPT_RECORD`, () => {
      assert.equal(c.value[0], 0xc1);
      assert.deepEqual(c.decode(c.value), c.expect);
      assert.deepEqual(c.decode(c.legacy), c.expect);
      assert.throws(() => c.decode(new Uint8Array(0)), isCorrupt("CORRUPT_RECORD", c.details));
      for (let at = 0; at < c.value.byteLength; at++) {
        for (const mask of [0x01, 0x80, 0xff]) {
          const v = Buffer.from(c.value);
          v[at]! ^= mask;
          if (at === 0) {
            // The prefix lost: read as a legacy value, which its shape checks almost always refuse. Never another error.
            try {
              c.decode(v);
            } catch (err) {
              assert.ok(err instanceof StorageError && err.code === "CORRUPT_RECORD", `byte 0: ${String(err)}`);
            }
          } else {
            assert.throws(() => c.decode(v), isCorrupt("CORRUPT_RECORD", c.details), `byte ${at} ^ ${mask}`);
          }
        }
      }
      for (let n = 1; n < 5; n++) assert.throws(() => c.decode(c.value.subarray(0, n)), isCorrupt("CORRUPT_RECORD", c.details), `${n} bytes`);
    });
  }
});
