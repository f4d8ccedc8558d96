/**
 * Fetch on a real broker with large records across many partitions: each
 * Kafka Fetch runs one rlog fetch op per partition, and each op reserves
 * about 8 MiB of the connection's 16 MiB response budget while it reads
 * (response-budget.ts). The Fetch API keeps only its records' bytes
 * reserved after each partition (ctx.keepReserved), so a 12-partition
 * fetch of 1 MiB-per-partition reads never waits on its own reservations:
 * kafkajs reads 36 MB promptly with its default limits, and a consumer
 * whose partition limit is smaller than one batch still gets every record
 * (KIP-74: the first batch passes the limits). The broker logs no API failure.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { untilTrue } from "./kafka-test-helpers.js";

const TOPIC = "kb-large";
const PARTITIONS = 12;
const PER_PARTITION = 25;
const VALUE_BYTES = 120 * 1024;

async function consumeAll(kafka: Kafka, groupId: string, options: { maxBytesPerPartition?: number }): Promise<{ ms: number; values: Set<string> }> {
  const values = new Set<string>();
  const consumer: Consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200, ...options });
  const started = Date.now();
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        assert.equal(message.value!.byteLength, VALUE_BYTES);
        values.add(message.value!.subarray(0, 16).toString().trim());
      },
    });
    await untilTrue(`${PARTITIONS * PER_PARTITION} large records`, 60_000, () => values.size >= PARTITIONS * PER_PARTITION);
    return { ms: Date.now() - started, values };
  } finally {
    await consumer.disconnect();
  }
}

test("a many-partition fetch of large records never waits on its own budget; a partition limit under one batch still makes progress", { timeout: 150_000 }, async () => {
  const cluster = await TestCluster.start({ size: 1, kafka: true });
  const rlog = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-fetch-budget-test" });
  const kafka = new Kafka({ clientId: "kafka-fetch-budget-test", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING });
  try {
    await rlog.admin().createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 1 });
    const producer = rlog.producer({ lingerMs: 5 });
    const sends: Promise<unknown>[] = [];
    for (let p = 0; p < PARTITIONS; p++) {
      for (let i = 0; i < PER_PARTITION; i++) {
        const value = Buffer.alloc(VALUE_BYTES, 0x20);
        value.write(`p${p}-${i}`);
        sends.push(producer.send({ topic: TOPIC, messages: [{ value, partition: p }] }));
      }
    }
    await Promise.all(sends);
    await producer.flush();

    const defaults = await consumeAll(kafka, "kb-defaults", {});
    assert.equal(defaults.values.size, PARTITIONS * PER_PARTITION);
    // 36 MB from one local broker: 3-5 s. Without keepReserved (each partition read keeping its 8 MiB) it took 38 s.
    assert.ok(defaults.ms < 20_000, `read in ${defaults.ms} ms`);

    const tiny = await consumeAll(kafka, "kb-tiny", { maxBytesPerPartition: 1024 });
    assert.equal(tiny.values.size, PARTITIONS * PER_PARTITION, "every record, one batch per partition per fetch");

    const log = readFileSync(cluster.member(1).logFile, "utf8");
    assert.ok(!log.includes("kafka API failed"), "no Kafka API failed on the broker");
    assert.ok(!log.includes("\"kafka API: op failed\""), "no op failed unexpectedly");
  } finally {
    await rlog.close();
    await cluster.stopAll();
  }
});
