import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32c } from "@node-rs/crc32";
import {
  BatchField,
  RECORD_BATCH_HEADER_BYTES,
  decodeUncompressedBatch,
  patchRecordBatch,
  readRecordBatchHeader,
} from "../../broker/protocol/record-batch.js";
import { buildRecordBatch, decodeFetchedBatches, decodeRecordBatch } from "../../broker/protocol/batch-codec.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { plain } from "./helpers.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const NOW = 1_700_000_000_000;
const MAX = 1 << 24;

const RECORDS: ProduceRecord[] = [
  { value: enc("no key, producer clock") },
  { key: new Uint8Array(0), value: new Uint8Array(0), timestampMs: NOW - 5000 },
  { key: enc("k"), value: new Uint8Array(300).fill(7), headers: [{ key: "trace-id", value: enc("abc") }, { key: "ключ", value: new Uint8Array(0) }], timestampMs: NOW + 10 },
  { key: enc("tombstone"), value: null, timestampMs: NOW },
];

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const view = (d: Uint8Array): DataView => new DataView(d.buffer, d.byteOffset, d.byteLength);

/** Recompute the CRC after a deliberate mutation, so the layout checks are what gets tested. */
function reseal(data: Uint8Array): Uint8Array {
  view(data).setUint32(BatchField.crc, crc32c(data.subarray(BatchField.attributes)) >>> 0);
  return data;
}

test("a hand-computed RecordBatch v2: two records, one header, a null key and a negative timestamp delta", async () => {
  // Worked out from Kafka's DefaultRecordBatch / DefaultRecord layout (and identical to what kafkajs
  // 2.2.4 encodes for the same input: test/protocol/kafkajs-interop.test.ts).
  const data = await buildRecordBatch(
    [
      { key: enc("k1"), value: enc("v1"), headers: [{ key: "h", value: enc("x") }], timestampMs: NOW },
      { value: enc("v2"), timestampMs: NOW - 5 },
    ],
    { timestampMs: NOW },
  );
  const expected = [
    "0000000000000000", // baseOffset 0 (the leader patches it)
    "00000049", // batchLength 73 = 85 - 12
    "ffffffff", // partitionLeaderEpoch -1 (the leader patches it)
    "02", // magic 2
    "ff1e5945", // CRC-32C of bytes [21, 85)
    "0000", // attributes: no compression, create time
    "00000001", // lastOffsetDelta 1
    "0000018bcfe56800", // baseTimestamp 1_700_000_000_000 (the first record's)
    "0000018bcfe56800", // maxTimestamp
    "ffffffffffffffff", // producerId -1
    "ffff", // producerEpoch -1
    "ffffffff", // baseSequence -1
    "00000002", // recordCount 2
    // record 0: length 14, attributes 0, timestampDelta 0, offsetDelta 0, key "k1", value "v1", 1 header h=x
    "1c", "00", "00", "00", "04", "6b31", "04", "7631", "02", "02", "68", "02", "78",
    // record 1: length 8, attributes 0, timestampDelta -5 (zigzag 9), offsetDelta 1, key null (-1), value "v2", no headers
    "10", "00", "09", "02", "01", "04", "7632", "00",
  ].join("");
  assert.equal(hex(data), expected);
  assert.equal(crc32c(data.subarray(21)) >>> 0, 0xff1e5945);
});

test("a batch round-trips records: absent vs empty keys, null values, headers, timestamps before the first", async () => {
  const data = await buildRecordBatch(RECORDS, { timestampMs: NOW, producer: { producerId: 42, producerEpoch: 3, baseSequence: 1000 } });
  const d = await decodeRecordBatch(data, MAX);
  assert.ok(d.ok, d.ok ? "" : d.error.message);
  const batch = d.value;
  assert.equal(batch.recordCount, 4);
  assert.equal(batch.baseTimestampMs, NOW, "the first record's timestamp");
  assert.equal(batch.maxTimestampMs, NOW + 10);
  assert.deepEqual([batch.producerId, batch.producerEpoch, batch.baseSequence], [42, 3, 1000]);
  assert.deepEqual(
    plain(batch.records),
    plain([
      { timestampMs: NOW, key: null, value: RECORDS[0]?.value, headers: [] },
      { timestampMs: NOW - 5000, key: new Uint8Array(0), value: new Uint8Array(0), headers: [] },
      { timestampMs: NOW + 10, key: enc("k"), value: RECORDS[2]?.value, headers: RECORDS[2]?.headers },
      { timestampMs: NOW, key: enc("tombstone"), value: null, headers: [] },
    ]),
  );
  // Uncompressed values are views into the batch bytes.
  assert.equal(batch.records[2]?.value?.buffer, data.buffer);
});

test("a batch without a producer stamp has -1 producer fields; the header reads alone; patching keeps the CRC", async () => {
  const data = await buildRecordBatch([{ value: enc("x") }], { timestampMs: NOW });
  const h = readRecordBatchHeader(data, true);
  assert.ok(h.ok);
  assert.deepEqual(h.value, {
    baseOffset: 0,
    partitionLeaderEpoch: -1,
    attributes: 0,
    compression: 0,
    recordCount: 1,
    baseTimestampMs: NOW,
    maxTimestampMs: NOW,
    producerId: -1,
    producerEpoch: -1,
    baseSequence: -1,
  });
  patchRecordBatch(data, 2 ** 40 + 7, 12);
  const p = readRecordBatchHeader(data, true);
  assert.ok(p.ok, "the CRC does not cover base offset and leader epoch");
  assert.equal(p.value.baseOffset, 2 ** 40 + 7);
  assert.equal(p.value.partitionLeaderEpoch, 12);
});

test("every bit flip the CRC covers, and every truncation, is CORRUPT_RECORD_BATCH; base offset flips are caught by the fetch's offset", async () => {
  const data = await buildRecordBatch(RECORDS, { timestampMs: NOW });
  patchRecordBatch(data, 100, 3);
  for (let i = 0; i < data.byteLength; i++) {
    if (i >= BatchField.partitionLeaderEpoch && i < BatchField.magic) continue; // not covered, as in Kafka
    for (const bit of [0x01, 0x80]) {
      const copy = new Uint8Array(data);
      copy[i] = copy[i]! ^ bit;
      const d = await decodeFetchedBatches([{ baseOffset: 100, data: copy }], 0, MAX);
      assert.ok(!d.ok, `flip at ${i} undetected`);
      assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
    }
  }
  for (let n = 0; n < data.byteLength; n++) {
    const d = await decodeRecordBatch(data.subarray(0, n), MAX);
    assert.ok(!d.ok, `truncation to ${n} undetected`);
    assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
  }
});

test("an entry in the old v1 layout (format byte 1) reads as an unknown format, never a crash", () => {
  // v1: format 1, zlib CRC-32, flags, epoch, count, sequence, float64 timestamps and producer id, records.
  const v1 = new Uint8Array(48);
  const v = view(v1);
  v.setUint8(0, 1);
  v.setUint32(8, 1);
  v.setFloat64(16, NOW);
  v.setFloat64(24, NOW);
  v.setFloat64(32, -1);
  const h = readRecordBatchHeader(v1, true);
  assert.ok(!h.ok);
  assert.equal(h.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
  const d = decodeUncompressedBatch(v1);
  assert.ok(!d.ok);
  assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
});

test("layout damage behind a valid checksum is reported, not thrown", async () => {
  const fresh = async (): Promise<Uint8Array> =>
    new Uint8Array(await buildRecordBatch([{ key: enc("k"), value: enc("v"), headers: [{ key: "h", value: enc("x") }] }], { timestampMs: NOW }));
  const R = RECORD_BATCH_HEADER_BYTES;
  const cases: [string, (d: Uint8Array) => Uint8Array, RegExp][] = [
    ["magic", (d) => ((d[BatchField.magic] = 1), d), /magic 1/],
    ["batch length", (d) => (view(d).setInt32(BatchField.batchLength, 5), d), /batchLength/],
    ["unknown attribute bit", (d) => (view(d).setInt16(BatchField.attributes, 0x40), reseal(d)), /attribute/],
    ["codec 5", (d) => (view(d).setInt16(BatchField.attributes, 5), reseal(d)), /codec 5/],
    ["record count 0", (d) => (view(d).setInt32(BatchField.recordCount, 0), reseal(d)), /record count/],
    ["record count vs lastOffsetDelta", (d) => (view(d).setInt32(BatchField.recordCount, 2), reseal(d)), /lastOffsetDelta/],
    ["record count huge", (d) => (view(d).setInt32(BatchField.recordCount, 0x7fffffff), view(d).setInt32(BatchField.lastOffsetDelta, 0x7ffffffe), reseal(d)), /record count/],
    ["negative timestamp", (d) => (view(d).setInt32(BatchField.baseTimestamp, -1), reseal(d)), /timestamps/],
    ["max below base", (d) => (view(d).setUint32(BatchField.maxTimestamp + 4, 5), view(d).setUint32(BatchField.maxTimestamp, 0), reseal(d)), /timestamps/],
    ["producer without sequence", (d) => (view(d).setInt32(BatchField.producerId + 4, 9), view(d).setInt32(BatchField.producerId, 0), reseal(d)), /producer/],
    ["record length", (d) => ((d[R] = 0x7e), reseal(d)), /bad length/],
    ["offset delta", (d) => ((d[R + 3] = 2), reseal(d)), /offset delta/],
    ["key past end", (d) => ((d[R + 4] = 100), reseal(d)), /key runs past/],
    ["trailing bytes", (d) => reseal(new Uint8Array([...d.subarray(0, 8), ...new Uint8Array([0, 0, 0, d.byteLength - 11]), ...d.subarray(12), 0])), /after the last record/],
    ["header key not utf-8", (d) => ((d[d.byteLength - 3] = 0xff), reseal(d)), /not UTF-8/],
    ["varint too long", (d) => (d.fill(0xff, R), reseal(d)), /bad length/],
  ];
  for (const [name, damage, message] of cases) {
    const d = await decodeRecordBatch(damage(await fresh()), MAX);
    assert.ok(!d.ok, name);
    assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH, name);
    assert.match(d.error.message, message, name);
  }
});

test("seeded fuzz: random record bytes behind a valid header and checksum never throw", async () => {
  const rnd = new SeededRandom(7);
  let decoded = 0;
  const samples = [];
  for (let n = 1; n <= RECORDS.length; n++) samples.push(await buildRecordBatch(RECORDS.slice(0, n), { timestampMs: NOW }));
  for (let i = 0; i < 3000; i++) {
    const data = samples[rnd.int(samples.length)]!;
    const copy = new Uint8Array(Math.max(RECORD_BATCH_HEADER_BYTES + 1, data.byteLength + rnd.int(9) - 4));
    copy.set(data.subarray(0, Math.min(data.byteLength, copy.byteLength)));
    view(copy).setInt32(BatchField.batchLength, copy.byteLength - 12);
    const mutations = 1 + rnd.int(4);
    for (let m = 0; m < mutations; m++) {
      const at = RECORD_BATCH_HEADER_BYTES + rnd.int(copy.byteLength - RECORD_BATCH_HEADER_BYTES);
      copy[at] = rnd.int(256);
    }
    if (rnd.chance(0.3)) {
      const count = 1 + rnd.int(200);
      view(copy).setInt32(BatchField.recordCount, count);
      view(copy).setInt32(BatchField.lastOffsetDelta, count - 1);
    }
    const d = await decodeRecordBatch(reseal(copy), MAX);
    if (d.ok) decoded++;
    else assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
  }
  assert.ok(decoded < 3000);
});

test("fetched batches decode to records with offsets, skipping those below the offset asked for", async () => {
  const a = await buildRecordBatch([{ value: enc("a0") }, { value: enc("a1") }, { value: enc("a2") }], { timestampMs: NOW });
  const b = await buildRecordBatch([{ value: enc("b0") }], { timestampMs: NOW });
  patchRecordBatch(a, 10, 1);
  patchRecordBatch(b, 13, 1);
  const d = await decodeFetchedBatches([{ baseOffset: 10, data: a }, { baseOffset: 13, data: b }], 11, MAX);
  assert.ok(d.ok);
  assert.deepEqual(d.value.map((r) => [r.offset, new TextDecoder().decode(r.value!)]), [[11, "a1"], [12, "a2"], [13, "b0"]]);
  const bad = await decodeFetchedBatches([{ baseOffset: 0, data: new Uint8Array(3) }], 0, MAX);
  assert.ok(!bad.ok);
  const moved = await decodeFetchedBatches([{ baseOffset: 11, data: a }], 0, MAX);
  assert.ok(!moved.ok, "a batch whose own base offset differs from the fetch's");
  assert.match(moved.error.message, /base offset/);
});
