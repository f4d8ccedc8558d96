/**
 * Compression end to end on three real brokers (issue 16): the SDK producer
 * builds batches with each codec, the leader stores them as sent (topic
 * setting "producer") and the SDK consumer decodes them back; a topic whose
 * setting forces zstd stores an lz4 producer's batches as zstd. The stored
 * codec is read from the raw fetched batches, as a Kafka-protocol listener
 * would serve them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient, type CompressionName } from "../../client/index.js";
import { COMPRESSION_NAMES, compressionCode } from "../../broker/protocol/compression.js";
import { readRecordBatchHeader } from "../../broker/protocol/record-batch.js";
import { TestCluster } from "./cluster-harness.js";
import { WireClient } from "./wire-client.js";

const PER_CODEC = 150;

/** A compressible, JSON-like value. */
const value = (codec: string, i: number): string => JSON.stringify({ codec, i, user: `user-${i % 7}`, event: "checkout", items: [1, 2, 3], ok: true });

/** Codecs of the batches stored in topic/0, in offset order, read from a leader. */
async function storedCodecs(cluster: TestCluster, client: RlogClient, topic: string): Promise<number[]> {
  const leader = (await client.admin().describeTopic(topic)).partitions[0]!.leader;
  const wire = await WireClient.connect(cluster.url(leader));
  try {
    const codecs: number[] = [];
    let offset = 0;
    for (;;) {
      const r = await wire.request("fetch", { op: "fetch", topic, partition: 0, offset, maxBytes: 1 << 20, maxWaitMs: 0 });
      if (r.batches.length === 0) return codecs;
      for (const b of r.batches) {
        const h = readRecordBatchHeader(b.data, true);
        assert.ok(h.ok, h.ok ? "" : h.error.message);
        assert.equal(h.value.baseOffset, b.baseOffset, "the stored batch carries its own offset");
        codecs.push(h.value.compression);
        offset = b.baseOffset + h.value.recordCount;
      }
    }
  } finally {
    wire.close();
  }
}

test("each codec round-trips through three brokers; a topic forcing zstd re-encodes lz4 batches", { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "compression-test" });
  try {
    const admin = client.admin();
    await admin.createTopic({ name: "kept", partitions: 1, replicationFactor: 3 });
    const forced = await admin.createTopic({ name: "forced", partitions: 1, replicationFactor: 3, config: { compression: "zstd" } });
    assert.equal(forced.config.compression, "zstd");
    assert.equal((await admin.describeTopic("kept")).config.compression, "producer");

    for (const codec of COMPRESSION_NAMES) {
      const producer = client.producer({ compression: codec, lingerMs: 5 });
      await producer.send({
        topic: "kept",
        messages: Array.from({ length: PER_CODEC }, (_, i) => ({ key: `k${i % 5}`, value: value(codec, i), headers: { codec, n: String(i) } })),
      });
      await producer.close();
    }
    const lz4 = client.producer({ compression: "lz4" as CompressionName });
    await lz4.send({ topic: "forced", messages: Array.from({ length: PER_CODEC }, (_, i) => ({ value: value("forced", i) })) });
    await lz4.close();

    const consumer = client.consumer({ maxWaitMs: 200 });
    consumer.assign([{ topic: "kept", partition: 0, from: "earliest" }, { topic: "forced", partition: 0, from: "earliest" }]);
    const got = new Map<string, string[]>();
    let n = 0;
    for await (const r of consumer.records()) {
      const list = got.get(r.topic) ?? [];
      list.push(String(r.value));
      got.set(r.topic, list);
      if (r.topic === "kept") assert.equal(r.headers.find((h) => h.key === "n")?.value.toString(), String(JSON.parse(String(r.value)).i));
      if (++n === (COMPRESSION_NAMES.length + 1) * PER_CODEC) break;
    }
    await consumer.stop();
    assert.deepEqual(got.get("kept"), COMPRESSION_NAMES.flatMap((codec) => Array.from({ length: PER_CODEC }, (_, i) => value(codec, i))));
    assert.deepEqual(got.get("forced"), Array.from({ length: PER_CODEC }, (_, i) => value("forced", i)));

    // Stored as each producer sent it: the codecs appear in the order they were produced.
    const kept = await storedCodecs(cluster, client, "kept");
    const runs = kept.filter((c, i) => i === 0 || kept[i - 1] !== c);
    assert.deepEqual(runs, COMPRESSION_NAMES.map(compressionCode));
    const stored = await storedCodecs(cluster, client, "forced");
    assert.ok(stored.length > 0 && stored.every((c) => c === compressionCode("zstd")), `forced topic codecs: ${stored.join(",")}`);
  } finally {
    await client.close();
    await cluster.stopAll();
  }
});
