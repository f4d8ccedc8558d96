/**
 * Interoperability with a real Kafka client's codec: kafkajs (a
 * devDependency) encodes RecordBatch v2 and rlog decodes it, and the other
 * way round, uncompressed and gzip (kafkajs's built-in codec). Byte-equal
 * output for the same input is the strongest check that the layout is
 * Kafka's, bit for bit. kafkajs's internal encoder modules are loaded by
 * path: they are not part of its public API, but they are its wire code.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { buildRecordBatch, decodeRecordBatch } from "../../broker/protocol/batch-codec.js";
import { Compression } from "../../broker/protocol/compression.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";

const require = createRequire(import.meta.url);

interface KafkaLong {
  toString(): string;
}
interface KafkaRecord {
  readonly offset: string;
  readonly timestamp: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | Buffer[]>;
}
interface KafkaBatch {
  readonly firstOffset: string;
  readonly producerId: string;
  readonly producerEpoch: number;
  readonly firstSequence: number;
  readonly records: KafkaRecord[];
}
type EncodeRecord = (r: { offsetDelta: number; timestampDelta: number; key: Buffer | null; value: Buffer | null; headers?: Record<string, Buffer> }) => unknown;
type EncodeBatch = (b: Record<string, unknown>) => Promise<{ buffer: Buffer }>;

const { RecordBatch } = require("kafkajs/src/protocol/recordBatch/v0") as { RecordBatch: EncodeBatch };
const Record = require("kafkajs/src/protocol/recordBatch/record/v0") as EncodeRecord;
const Decoder = require("kafkajs/src/protocol/decoder") as new (b: Buffer) => unknown;
const decodeBatch = require("kafkajs/src/protocol/recordBatch/v0/decoder") as (d: unknown) => Promise<KafkaBatch>;
const Long = require("kafkajs/src/utils/long") as { fromValue(v: number | string): KafkaLong; fromInt(v: number): KafkaLong };

const NOW = 1_700_000_000_000;
const MAX = 1 << 24;
const b = (s: string): Buffer => Buffer.from(s);

const RECORDS: ProduceRecord[] = [
  { key: b("user-1"), value: b('{"event":"login"}'), headers: [{ key: "trace", value: b("t-1") }], timestampMs: NOW },
  { value: b("no key"), timestampMs: NOW - 250 },
  { key: b("user-2"), value: null, timestampMs: NOW + 1000 },
  { key: b(""), value: b(""), headers: [{ key: "a", value: b("1") }, { key: "b", value: b("") }], timestampMs: NOW + 3 },
];

function kafkajsRecords(): unknown[] {
  return RECORDS.map((r, i) =>
    Record({
      offsetDelta: i,
      timestampDelta: (r.timestampMs ?? NOW) - NOW,
      key: r.key === undefined ? null : Buffer.from(r.key),
      value: r.value === null ? null : Buffer.from(r.value),
      headers: Object.fromEntries((r.headers ?? []).map((h) => [h.key, Buffer.from(h.value)])),
    }),
  );
}

async function kafkajsBatch(compression: number, producer?: { id: number; epoch: number; sequence: number }): Promise<Buffer> {
  const batch = await RecordBatch({
    compression,
    firstOffset: Long.fromInt(0),
    firstTimestamp: NOW,
    maxTimestamp: NOW + 1000,
    partitionLeaderEpoch: -1,
    lastOffsetDelta: RECORDS.length - 1,
    producerId: Long.fromValue(producer?.id ?? -1),
    producerEpoch: producer?.epoch ?? -1,
    firstSequence: producer?.sequence ?? -1,
    records: kafkajsRecords(),
  });
  return batch.buffer;
}

test("rlog and kafkajs encode the same records to the same bytes (uncompressed, idempotent and not)", async () => {
  for (const producer of [undefined, { id: 4242, epoch: 7, sequence: 100 }]) {
    const theirs = await kafkajsBatch(Compression.None, producer);
    const ours = await buildRecordBatch(RECORDS, {
      timestampMs: NOW,
      ...(producer ? { producer: { producerId: producer.id, producerEpoch: producer.epoch, baseSequence: producer.sequence } } : {}),
    });
    assert.equal(Buffer.from(ours).toString("hex"), theirs.toString("hex"));
  }
});

test("rlog decodes what kafkajs encodes, uncompressed and gzip", async () => {
  for (const codec of [Compression.None, Compression.Gzip]) {
    const theirs = await kafkajsBatch(codec, { id: 9, epoch: 0, sequence: 0 });
    const d = await decodeRecordBatch(new Uint8Array(theirs), MAX);
    assert.ok(d.ok, d.ok ? "" : d.error.message);
    assert.equal(d.value.compression, codec);
    assert.deepEqual([d.value.producerId, d.value.producerEpoch, d.value.baseSequence], [9, 0, 0]);
    assert.deepEqual(
      d.value.records.map((r) => [r.timestampMs, r.key && Buffer.from(r.key).toString(), r.value && Buffer.from(r.value).toString(), r.headers.map((h) => `${h.key}=${Buffer.from(h.value).toString()}`)]),
      RECORDS.map((r) => [r.timestampMs, r.key === undefined ? null : Buffer.from(r.key).toString(), r.value === null ? null : Buffer.from(r.value).toString(), (r.headers ?? []).map((h) => `${h.key}=${Buffer.from(h.value).toString()}`)]),
    );
  }
});

test("kafkajs decodes what rlog encodes, uncompressed and gzip", async () => {
  for (const compression of ["none", "gzip"] as const) {
    const ours = await buildRecordBatch(RECORDS, { timestampMs: NOW, compression, producer: { producerId: 77, producerEpoch: 1, baseSequence: 5 } });
    const theirs = await decodeBatch(new Decoder(Buffer.from(ours)));
    assert.equal(theirs.producerId.toString(), "77");
    assert.equal(theirs.firstSequence, 5);
    assert.deepEqual(
      theirs.records.map((r) => [r.offset, r.timestamp, r.key?.toString() ?? null, r.value?.toString() ?? null, Object.keys(r.headers)]),
      RECORDS.map((r, i) => [String(i), String(r.timestampMs), r.key === undefined ? null : Buffer.from(r.key).toString(), r.value === null ? null : Buffer.from(r.value).toString(), (r.headers ?? []).map((h) => h.key)]),
    );
  }
});
