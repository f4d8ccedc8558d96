import { test } from "node:test";
import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import {
  RECORD_BATCH_HEADER_BYTES,
  decodeFetchedBatches,
  decodeRecordBatch,
  encodeRecordBatch,
  readRecordBatchHeader,
} from "../../broker/protocol/record-batch.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { plain } from "./helpers.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const NOW = 1_700_000_000_000;

const RECORDS: ProduceRecord[] = [
  { value: enc("no key, leader timestamp") },
  { key: new Uint8Array(0), value: new Uint8Array(0), timestampMs: NOW - 5000 },
  { key: enc("k"), value: new Uint8Array(300).fill(7), headers: [{ key: "trace-id", value: enc("abc") }, { key: "ключ", value: new Uint8Array(0) }], timestampMs: NOW + 10 },
];

/** Recompute the checksum after a deliberate mutation, so the layout checks are what gets tested. */
function reseal(data: Uint8Array): Uint8Array {
  new DataView(data.buffer, data.byteOffset, data.byteLength).setUint32(1, crc32(data.subarray(5)));
  return data;
}

test("a batch round-trips records, keys (absent vs empty), headers and timestamps", () => {
  const b = encodeRecordBatch(RECORDS, NOW, { producerId: 42, producerEpoch: 3, baseSequence: 1000 });
  assert.equal(b.count, 3);
  assert.equal(b.maxTimestampMs, NOW + 10);
  const d = decodeRecordBatch(b.data);
  assert.ok(d.ok, d.ok ? "" : d.error.message);
  const batch = d.value;
  assert.equal(batch.recordCount, 3);
  assert.equal(batch.baseTimestampMs, NOW - 5000);
  assert.equal(batch.maxTimestampMs, NOW + 10);
  assert.deepEqual([batch.producerId, batch.producerEpoch, batch.baseSequence], [42, 3, 1000]);
  assert.deepEqual(plain(batch.records), plain([
    { timestampMs: NOW, value: RECORDS[0]?.value, headers: [] },
    { timestampMs: NOW - 5000, key: new Uint8Array(0), value: new Uint8Array(0), headers: [] },
    { timestampMs: NOW + 10, key: enc("k"), value: RECORDS[2]?.value, headers: RECORDS[2]?.headers },
  ]));
  assert.equal("key" in (batch.records[0] ?? {}), false, "absent key stays absent");
  // values are views into the batch bytes
  assert.equal(batch.records[2]?.value.buffer, b.data.buffer);
});

test("a batch without a producer stamp has -1 producer fields; the header reads alone", () => {
  const b = encodeRecordBatch([{ value: enc("x") }], NOW);
  const h = readRecordBatchHeader(b.data, false);
  assert.ok(h.ok);
  assert.deepEqual(h.value, { recordCount: 1, baseTimestampMs: NOW, maxTimestampMs: NOW, producerId: -1, producerEpoch: -1, baseSequence: -1 });
});

test("every single-byte flip and every truncation is detected", () => {
  const { data } = encodeRecordBatch(RECORDS, NOW);
  for (let i = 0; i < data.byteLength; i++) {
    for (const bit of [0x01, 0x80]) {
      const copy = new Uint8Array(data);
      copy[i] = (copy[i] as number) ^ bit;
      const d = decodeRecordBatch(copy);
      assert.ok(!d.ok, `flip at ${i} undetected`);
      assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
    }
  }
  for (let n = 0; n < data.byteLength; n++) {
    const d = decodeRecordBatch(data.subarray(0, n));
    assert.ok(!d.ok, `truncation to ${n} undetected`);
  }
});

test("layout damage behind a valid checksum is reported, not thrown", () => {
  const fresh = (): Uint8Array => new Uint8Array(encodeRecordBatch([{ key: enc("k"), value: enc("v"), headers: [{ key: "h", value: enc("x") }] }], NOW).data);
  const view = (d: Uint8Array): DataView => new DataView(d.buffer, d.byteOffset, d.byteLength);
  const cases: [string, (d: Uint8Array) => Uint8Array, RegExp][] = [
    ["format", (d) => ((d[0] = 9), d), /format 9/],
    ["flags", (d) => ((d[5] = 1), reseal(d)), /flags/],
    ["record count 0", (d) => (view(d).setUint32(8, 0), reseal(d)), /record count/],
    ["record count huge", (d) => (view(d).setUint32(8, 0xffffffff), reseal(d)), /record count/],
    ["timestamp NaN", (d) => (view(d).setFloat64(16, Number.NaN), reseal(d)), /timestamps/],
    ["max below base", (d) => (view(d).setFloat64(24, 5), reseal(d)), /timestamps/],
    ["producer id fraction", (d) => (view(d).setFloat64(32, 1.5), reseal(d)), /producer/],
    ["key past end", (d) => ((d[RECORD_BATCH_HEADER_BYTES + 1] = 100), reseal(d)), /key runs past/],
    ["trailing bytes", (d) => reseal(new Uint8Array([...d, 0])), /after the last record/],
    ["header key not utf-8", (d) => ((d[d.byteLength - 3] = 0xff), reseal(d)), /not UTF-8/],
    ["varint too long", (d) => (d.fill(0xff, RECORD_BATCH_HEADER_BYTES), reseal(d)), /timestamp/],
  ];
  for (const [name, damage, message] of cases) {
    const d = decodeRecordBatch(damage(fresh()));
    assert.ok(!d.ok, name);
    assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH, name);
    assert.match(d.error.message, message, name);
  }
});

test("seeded fuzz: random bodies behind a valid header and checksum never throw", () => {
  const rnd = new SeededRandom(7);
  let decoded = 0;
  for (let i = 0; i < 3000; i++) {
    const { data } = encodeRecordBatch(RECORDS.slice(0, 1 + rnd.int(3)), NOW);
    const copy = new Uint8Array(Math.max(RECORD_BATCH_HEADER_BYTES + 1, data.byteLength + rnd.int(9) - 4));
    copy.set(data.subarray(0, Math.min(data.byteLength, copy.byteLength)));
    const mutations = 1 + rnd.int(4);
    for (let m = 0; m < mutations; m++) {
      const at = RECORD_BATCH_HEADER_BYTES + rnd.int(copy.byteLength - RECORD_BATCH_HEADER_BYTES);
      copy[at] = rnd.int(256);
    }
    if (rnd.chance(0.3)) new DataView(copy.buffer).setUint32(8, rnd.int(200));
    const d = decodeRecordBatch(reseal(copy));
    if (d.ok) decoded++;
    else assert.equal(d.error.code, ErrorCode.CORRUPT_RECORD_BATCH);
  }
  assert.ok(decoded < 3000);
});

test("fetched batches decode to records with offsets, skipping those below the offset asked for", () => {
  const a = encodeRecordBatch([{ value: enc("a0") }, { value: enc("a1") }, { value: enc("a2") }], NOW).data;
  const b = encodeRecordBatch([{ value: enc("b0") }], NOW).data;
  const d = decodeFetchedBatches([{ baseOffset: 10, data: a }, { baseOffset: 13, data: b }], 11);
  assert.ok(d.ok);
  assert.deepEqual(d.value.map((r) => [r.offset, new TextDecoder().decode(r.value)]), [[11, "a1"], [12, "a2"], [13, "b0"]]);
  const bad = decodeFetchedBatches([{ baseOffset: 0, data: new Uint8Array(3) }]);
  assert.ok(!bad.ok);
});
