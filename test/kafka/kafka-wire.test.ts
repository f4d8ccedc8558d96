// KafkaReader / KafkaWriter primitives: round trips, and bounds on hostile input
// (negative lengths, counts past the bytes left, over-long varints, invalid UTF-8).
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARRAY_LENGTH_MAX, KafkaDecodeError, KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";

function bytesOf(w: KafkaWriter): Uint8Array {
  return Buffer.concat(w.finish());
}

function reader(bytes: number[] | Uint8Array): KafkaReader {
  return new KafkaReader(Uint8Array.from(bytes));
}

test("integers round-trip at their extremes", () => {
  const w = new KafkaWriter().int8(-128).int8(127).int16(-32768).int16(32767).int32(-2147483648).int32(2147483647).uint32(0xffffffff);
  w.int64(Number.MAX_SAFE_INTEGER).int64(-Number.MAX_SAFE_INTEGER).bool(true).bool(false);
  const r = new KafkaReader(bytesOf(w));
  assert.equal(r.int8(), -128);
  assert.equal(r.int8(), 127);
  assert.equal(r.int16(), -32768);
  assert.equal(r.int16(), 32767);
  assert.equal(r.int32(), -2147483648);
  assert.equal(r.int32(), 2147483647);
  assert.equal(r.int32() >>> 0, 0xffffffff);
  assert.equal(r.int64(), Number.MAX_SAFE_INTEGER);
  assert.equal(r.int64(), -Number.MAX_SAFE_INTEGER);
  assert.equal(r.bool(), true);
  assert.equal(r.bool(), false);
  r.end();
});

test("strings, bytes and arrays round-trip in both encodings, nulls included", () => {
  const big = new Uint8Array(4096).fill(7);
  const w = new KafkaWriter()
    .string("héllo")
    .nullableString(null)
    .compactString("ünïcode ✓")
    .compactNullableString(null)
    .bytes(Uint8Array.of(1, 2, 3))
    .nullableBytes(null)
    .int32(big.byteLength)
    .raw(big)
    .array([1, 2, 3], (x, n) => x.int32(n))
    .compactArray(["a", "b"], (x, s) => x.compactString(s))
    .emptyTaggedFields();
  const r = new KafkaReader(bytesOf(w));
  assert.equal(r.string(), "héllo");
  assert.equal(r.nullableString(), null);
  assert.equal(r.compactString(), "ünïcode ✓");
  assert.equal(r.compactNullableString(), null);
  assert.deepEqual([...r.bytes()], [1, 2, 3]);
  assert.equal(r.nullableBytes(), null);
  assert.deepEqual(Uint8Array.from(r.bytes()), big);
  assert.deepEqual(
    r.array((x) => x.int32()),
    [1, 2, 3],
  );
  assert.deepEqual(
    r.compactArray((x) => x.compactString()),
    ["a", "b"],
  );
  r.skipTaggedFields();
  r.end();
});

test("raw keeps large byte strings by reference and small ones copied", () => {
  const big = new Uint8Array(1024);
  const chunks = new KafkaWriter().int16(1).raw(big).int16(2).finish();
  assert.equal(chunks.length, 3);
  assert.equal(chunks[1], big, "the large chunk is the caller's array itself");
  const small = new Uint8Array(10);
  const one = new KafkaWriter().raw(small).finish();
  assert.equal(one.length, 1);
  assert.notEqual(one[0], small);
});

test("uvarint round-trips up to 32 bits", () => {
  for (const v of [0, 1, 127, 128, 16383, 16384, 2 ** 21, 2 ** 28, 0xffffffff]) {
    const r = new KafkaReader(bytesOf(new KafkaWriter().uvarint(v)));
    assert.equal(r.uvarint(), v);
    r.end();
  }
});

test("a varint over 5 bytes, or over 32 bits, is refused", () => {
  assert.throws(() => reader([0x80, 0x80, 0x80, 0x80, 0x80, 0x01]).uvarint(), KafkaDecodeError);
  assert.throws(() => reader([0xff, 0xff, 0xff, 0xff, 0x7f]).uvarint(), /over 32 bits/);
  assert.throws(() => reader([0x80, 0x80]).uvarint(), KafkaDecodeError, "truncated varint");
});

test("negative lengths are refused (only -1 means null)", () => {
  assert.throws(() => reader([0xff, 0xfe]).nullableString(), /negative length/);
  assert.throws(() => reader([0xff, 0xff, 0xff, 0xfe]).nullableBytes(), /negative length/);
  assert.throws(() => reader([0xff, 0xff, 0xff, 0xfe]).array((x) => x.int8()), /negative count/);
  assert.throws(() => reader([0xff, 0xff]).string(), /null where a string is required/);
  assert.throws(() => reader([0xff, 0xff, 0xff, 0xff]).bytes(), /null where bytes are required/);
  assert.deepEqual(
    reader([0xff, 0xff, 0xff, 0xff]).array((x) => x.int8()),
    [],
  );
  assert.equal(
    reader([0xff, 0xff, 0xff, 0xff]).nullableArray((x) => x.int8()),
    null,
  );
});

test("lengths and counts past the bytes left are refused before anything is allocated", () => {
  assert.throws(() => reader([0x00, 0x05, 0x61, 0x62]).string(), /needs 5 bytes/);
  assert.throws(() => reader([0x7f, 0xff, 0xff, 0xff, 1, 2]).bytes(), /needs 2147483647 bytes/);
  assert.throws(() => reader([0x00, 0x00, 0x00, 0x10, 1, 2, 3]).array((x) => x.int8()), /16 elements in 3 bytes/);
  const huge = new KafkaWriter().int32(ARRAY_LENGTH_MAX + 1);
  assert.throws(() => new KafkaReader(bytesOf(huge)).array((x) => x.int8()), new RegExp(`more than ${ARRAY_LENGTH_MAX}`));
  assert.throws(() => reader([0x0a, 1, 2]).compactArray((x) => x.int8()), /9 elements in 2 bytes/);
  assert.throws(() => reader([0x05, 0x61]).compactString(), KafkaDecodeError);
  assert.throws(() => reader([0x00, 0x00]).int32(), /needs 4 bytes/);
  assert.throws(() => reader([1, 2, 3, 4, 5, 6, 7]).int64(), /needs 8 bytes/);
});

test("an int64 outside the safe integer range is refused", () => {
  assert.throws(() => reader([0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]).int64(), /safe integer range/);
  assert.throws(() => reader([0x80, 0, 0, 0, 0, 0, 0, 0]).int64(), /safe integer range/);
});

test("invalid UTF-8 in a string is refused", () => {
  assert.throws(() => reader([0x00, 0x02, 0xc3, 0x28]).string(), /not valid UTF-8/);
  assert.throws(() => reader([0x00, 0x01, 0xff]).nullableString(), /not valid UTF-8/);
  assert.throws(() => reader([0x03, 0xed, 0xa0]).compactString(), /not valid UTF-8/);
});

test("tagged fields are skipped by their sizes; a size past the end is refused", () => {
  const r = reader([0x02, 0x00, 0x01, 0xaa, 0x05, 0x02, 0xbb, 0xcc, 0x09]);
  r.skipTaggedFields();
  assert.equal(r.int8(), 9);
  assert.throws(() => reader([0x01, 0x00, 0x10, 0xaa]).skipTaggedFields(), KafkaDecodeError);
});

test("end() refuses trailing bytes", () => {
  const r = reader([0, 1, 2]);
  r.int16();
  assert.throws(() => r.end("X"), /X: 1 unexpected trailing bytes/);
});
