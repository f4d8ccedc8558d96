/**
 * One cluster behind both protocols, seen from the user's tools (issue 19,
 * "Cross-protocol"): records a kafkajs producer sends (keys, headers, three
 * partitions) are printed by `rlog-cli consume`, each once, in offset order
 * per partition, at the offsets kafkajs was told; records `rlog-cli produce`
 * writes (gzip-compressed batches, a codec kafkajs decodes without a
 * plug-in) are read by a kafkajs consumer group; and that group's commits
 * are the offsets `rlog-cli consume --group` continues from, one offsets table.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CompressionTypes, Kafka, logLevel } from "kafkajs";
import { TestCluster } from "../broker/cluster-harness.js";
import { untilTrue } from "./kafka-test-helpers.js";
import { runCli } from "../cli/run-cli.js";

const COUNT = 300;

interface CliRecord {
  readonly partition: number;
  readonly offset: number;
  readonly key: string | null;
  readonly value: string;
}

test("kafkajs -> rlog-cli, rlog-cli -> kafkajs, and one table of group offsets", { timeout: 180_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3, kafka: true });
  const brokers = cluster.urls().join(",");
  const kafka = new Kafka({ clientId: "cross-protocol", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
  const consumer = kafka.consumer({ groupId: "xp-group", sessionTimeout: 10_000, heartbeatInterval: 500, maxWaitTimeInMs: 200 });
  try {
    for (const topic of ["xp-from-kafka", "xp-from-rlog"]) {
      const r = await runCli(["topic", "create", topic, "--partitions", "3", "--replication-factor", "3", "--brokers", brokers]);
      assert.equal(r.status, 0, r.stderr);
    }

    // kafkajs -> rlog-cli.
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const told = new Map<string, { partition: number; offset: number }>();
    for (let i = 0; i < COUNT; i += 50) {
      const messages = Array.from({ length: 50 }, (_, j) => ({ key: `key-${(i + j) % 11}`, value: `kafkajs-${i + j}`, headers: { source: "kafkajs" } }));
      const acks = await producer.send({ topic: "xp-from-kafka", acks: -1, compression: CompressionTypes.GZIP, messages });
      for (const a of acks) told.set(`${a.partition}:${a.baseOffset}`, { partition: a.partition, offset: Number(a.baseOffset) });
    }
    await producer.disconnect();
    const read = await runCli(["consume", "xp-from-kafka", "--json", "--brokers", brokers], { timeoutMs: 60_000 });
    assert.equal(read.status, 0, read.stderr);
    const records = read.stdout.toString("utf8").trim().split("\n").map((l) => JSON.parse(l) as CliRecord);
    assert.equal(records.length, COUNT);
    assert.deepEqual(new Set(records.map((r) => r.value)), new Set(Array.from({ length: COUNT }, (_, i) => `kafkajs-${i}`)));
    for (const r of records) assert.equal(r.key, `key-${Number(r.value.slice("kafkajs-".length)) % 11}`);
    for (const p of [0, 1, 2]) {
      const mine = records.filter((r) => r.partition === p);
      assert.deepEqual(mine.map((r) => r.offset), mine.map((_, i) => i), `partition ${p}: dense offsets from 0`);
      const order = mine.map((r) => Number(r.value.slice("kafkajs-".length)));
      assert.deepEqual(order, [...order].sort((a, b) => a - b), `partition ${p}: in send order`);
    }
    // Every base offset kafkajs was told is the offset of a record rlog-cli printed on that partition.
    for (const { partition, offset } of told.values()) assert.ok(records.some((r) => r.partition === partition && r.offset === offset));

    // rlog-cli -> kafkajs.
    const lines = Array.from({ length: COUNT }, (_, i) => `k${i % 7}\trlog-${i}`).join("\n") + "\n";
    const wrote = await runCli(["produce", "xp-from-rlog", "--key-separator", "\t", "--compression", "gzip", "--brokers", brokers], { input: lines });
    assert.equal(wrote.status, 0, wrote.stderr);
    const seen = new Map<string, string>();
    await consumer.connect();
    await consumer.subscribe({ topic: "xp-from-rlog", fromBeginning: true });
    await consumer.run({
      autoCommitInterval: 100,
      eachMessage: async ({ message }) => {
        seen.set(message.value!.toString(), message.key!.toString());
      },
    });
    await untilTrue(`${COUNT} records in kafkajs`, 60_000, () => seen.size >= COUNT);
    for (let i = 0; i < COUNT; i++) assert.equal(seen.get(`rlog-${i}`), `k${i % 7}`);
    await consumer.disconnect(); // commits what it consumed

    // The group's kafkajs commits are where rlog-cli continues: only records written after them.
    const more = await runCli(["produce", "xp-from-rlog", "--brokers", brokers], { input: "after-1\nafter-2\nafter-3\n" });
    assert.equal(more.status, 0, more.stderr);
    const resumed = await runCli(["consume", "xp-from-rlog", "--group", "xp-group", "-n", "3", "--brokers", brokers], { timeoutMs: 60_000 });
    assert.equal(resumed.status, 0, resumed.stderr);
    assert.deepEqual(resumed.stdout.toString("utf8").trim().split("\n").sort(), ["after-1", "after-2", "after-3"]);
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await cluster.stopAll();
  }
});
