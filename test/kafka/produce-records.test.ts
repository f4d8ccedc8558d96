/**
 * The pure parts of Kafka's Produce (broker/kafka/produce-records.ts):
 * splitting a partition's records field into RecordBatch v2 batches (one,
 * several back to back, truncated, lying lengths, too large, empty) and the
 * acks mapping; and the InitProducerId frame a broker forwards to the
 * controller leader (broker/kafka/init-producer-id-forward.ts), fed as bytes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { kafkaAcks, splitRecordBatches } from "../../broker/kafka/produce-records.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { KafkaDecodeError, KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { FORWARDED_CLIENT_ID, initProducerIdFrame, parseInitProducerIdResponse } from "../../broker/kafka/init-producer-id-forward.js";
import { ApiKey } from "../../broker/kafka/api-keys.js";
import { batchOf, batchRecords } from "../protocol/batches.js";
import { BatchField, readRecordBatchHeader, recordBatchChecksum } from "../../broker/protocol/record-batch.js";

const enc = new TextEncoder();
const MAX = 1 << 20;

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

test("one batch: split returns a view of the same bytes (no copy)", () => {
  const b = batchOf([{ value: enc.encode("a") }, { value: enc.encode("b") }]);
  const s = splitRecordBatches(b, MAX);
  assert.ok(s.ok);
  assert.equal(s.batches.length, 1);
  assert.equal(s.batches[0]!.buffer, b.buffer, "a view into the request, not a copy");
  assert.deepEqual(batchRecords(s.batches[0]!).map((r) => new TextDecoder().decode(r.value!)), ["a", "b"]);
});

test("three batches back to back split in order, each whole", () => {
  const parts = [batchOf([{ value: enc.encode("x") }]), batchOf([{ value: enc.encode("yy") }, { value: enc.encode("z") }]), batchOf([{ value: enc.encode("w".repeat(300)) }])];
  const s = splitRecordBatches(concat(...parts), MAX);
  assert.ok(s.ok);
  assert.deepEqual(s.batches.map((b) => b.byteLength), parts.map((p) => p.byteLength));
  assert.deepEqual(s.batches.map((b) => batchRecords(b).length), [1, 2, 1]);
});

test("null, empty, truncated, trailing bytes and lying lengths are refused with a Kafka code", () => {
  const b = batchOf([{ value: enc.encode("v") }]);
  assert.deepEqual(splitRecordBatches(null, MAX), { ok: false, errorCode: KafkaError.INVALID_RECORD, message: "the records field holds no record batch" });
  assert.equal((splitRecordBatches(new Uint8Array(0), MAX) as { errorCode: number }).errorCode, KafkaError.INVALID_RECORD);
  for (const cut of [1, 12, 60, b.byteLength - 1]) {
    const s = splitRecordBatches(b.subarray(0, cut), MAX);
    assert.equal(s.ok, false, `cut at ${cut}`);
    assert.equal((s as { errorCode: number }).errorCode, KafkaError.CORRUPT_MESSAGE);
  }
  const trailing = splitRecordBatches(concat(b, new Uint8Array(5)), MAX);
  assert.equal((trailing as { errorCode: number }).errorCode, KafkaError.CORRUPT_MESSAGE, "bytes after the last batch");
  for (const lie of [-1, 0, 48, 0x7fff_ffff]) {
    const bad = b.slice();
    new DataView(bad.buffer).setInt32(8, lie);
    assert.equal((splitRecordBatches(bad, MAX) as { errorCode: number }).errorCode, KafkaError.CORRUPT_MESSAGE, `batchLength ${lie}`);
  }
});

test("a batch over batchBytesMax is MESSAGE_TOO_LARGE", () => {
  const b = batchOf([{ value: new Uint8Array(2000) }]);
  const s = splitRecordBatches(b, 1000);
  assert.equal(s.ok, false);
  assert.equal((s as { errorCode: number }).errorCode, KafkaError.MESSAGE_TOO_LARGE);
  assert.ok(splitRecordBatches(b, b.byteLength).ok, "exactly batchBytesMax is accepted");
});

test("acks: -1 is a commit, 1 the leader's append, 0 no answer, anything else invalid", () => {
  assert.deepEqual(kafkaAcks(-1), { kind: "rlog", acks: "all" });
  assert.deepEqual(kafkaAcks(1), { kind: "rlog", acks: "leader" });
  assert.deepEqual(kafkaAcks(0), { kind: "none" });
  for (const a of [2, -2, 3, 32767, -32768]) assert.deepEqual(kafkaAcks(a), { kind: "invalid" });
});

test("the forwarded InitProducerId is a v0 request without a transactional id, marked as forwarded", () => {
  const frame = initProducerIdFrame(60_000);
  const r = new KafkaReader(frame);
  assert.equal(r.int32(), frame.byteLength - 4, "size prefix");
  assert.equal(r.int16(), ApiKey.InitProducerId);
  assert.equal(r.int16(), 0, "version 0");
  assert.equal(r.int32(), 1, "correlation id");
  assert.equal(r.nullableString(), FORWARDED_CLIENT_ID);
  assert.equal(r.nullableString(), null, "transactional_id");
  assert.equal(r.int32(), 60_000);
  r.end();
});

test("the forwarded InitProducerId's answer parses; any other shape throws KafkaDecodeError", () => {
  const answer = (size: number, correlationId: number, extra = 0): Uint8Array => {
    const b = new Uint8Array(4 + 20 + extra);
    const v = new DataView(b.buffer);
    v.setInt32(0, size);
    v.setInt32(4, correlationId);
    v.setInt32(8, 0);
    v.setInt16(12, 0);
    v.setBigInt64(14, 4242n);
    v.setInt16(22, 3);
    return b;
  };
  assert.deepEqual(parseInitProducerIdResponse(answer(20, 1)), { errorCode: 0, producerId: 4242, producerEpoch: 3 });
  assert.throws(() => parseInitProducerIdResponse(answer(6, 1)), KafkaDecodeError, "wrong size");
  assert.throws(() => parseInitProducerIdResponse(answer(20, 7)), KafkaDecodeError, "wrong correlation id");
  assert.throws(() => parseInitProducerIdResponse(answer(20, 1).subarray(0, 20)), KafkaDecodeError, "truncated");
});

test("a kafkajs non-idempotent batch (producer id -1 with epoch 0 and sequence 0) is accepted, as Kafka accepts it", () => {
  const b = batchOf([{ value: enc.encode("k") }]);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  v.setInt16(BatchField.producerEpoch, 0);
  v.setInt32(BatchField.baseSequence, 0);
  v.setUint32(BatchField.crc, recordBatchChecksum(b));
  const h = readRecordBatchHeader(b, true);
  assert.ok(h.ok, "not corrupt");
  assert.equal(h.value.producerId, -1, "not idempotent");
});
