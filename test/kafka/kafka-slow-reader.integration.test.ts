/**
 * A Kafka client that never reads its responses (issue 19, "Bad input"; the
 * shape "a client that never reads"): it pipelines fetches of megabytes of
 * records and reads nothing. The broker holds their responses against its
 * response budget, stops reading the connection while it is over it, and
 * closes it once its unsent bytes have not moved for limits.sendStallMs:
 * its memory stays bounded, and a kafkajs consumer on another connection is
 * served all along.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { Kafka, logLevel } from "kafkajs";
import { ApiKey } from "../../broker/kafka/api-keys.js";
import { RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { requestFrame } from "./kafka-raw-client.js";
import { brokerRssBytes, untilTrue } from "./kafka-test-helpers.js";

const TOPIC = "slow-reader";
const RECORDS = 160;
const RECORD_BYTES = 100 * 1024;
const PIPELINED = 60;
const SEND_STALL_MS = 2000;

/** A Fetch v4 of partition 0 from offset 0, up to 4 MiB, answered at once. */
const fetchFrame = (correlationId: number): Buffer =>
  requestFrame(ApiKey.Fetch, 4, correlationId, (w) => {
    w.int32(-1).int32(0).int32(1).int32(4 * 1024 * 1024).int8(0);
    w.array([TOPIC], (x, t) => x.string(t).array([0], (y, p) => y.int32(p).int64(0).int32(4 * 1024 * 1024)));
  });

test("a Kafka client that pipelines fetches and never reads is closed after sendStallMs; memory stays bounded and others are served", { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 1, kafka: true, extra: { limits: { sendStallMs: SEND_STALL_MS, sendStallPressureMs: 1000 } } });
  const rlog = new RlogClient({ brokers: cluster.urls(), clientId: "slow-reader-setup" });
  const kafka = new Kafka({ clientId: "slow-reader-peer", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: "slow-reader-peers", maxWaitTimeInMs: 200 });
  let socket: Socket | undefined;
  try {
    await rlog.admin().createTopic({ name: TOPIC, partitions: 1, replicationFactor: 1 });
    const producer = rlog.producer();
    for (let i = 0; i < RECORDS; i += 8) {
      await producer.send({ topic: TOPIC, messages: Array.from({ length: 8 }, (_, j) => ({ value: Buffer.alloc(RECORD_BYTES, (i + j) % 251) })) });
    }
    const rssBefore = brokerRssBytes(cluster, 1);

    // The slow reader: connects, asks for ~PIPELINED x 4 MiB, never reads.
    const reader = connect(cluster.member(1).kafkaPort!, "127.0.0.1");
    socket = reader;
    await new Promise<void>((resolve, reject) => reader.once("connect", resolve).once("error", reject));
    reader.pause();
    reader.on("error", () => undefined);
    for (let i = 1; i <= PIPELINED; i++) reader.write(fetchFrame(i));

    // Another Kafka client is served meanwhile.
    let received = 0;
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async () => void received++ });
    await untilTrue(`${RECORDS} records for the reading consumer`, 60_000, () => received >= RECORDS);

    await untilTrue("the broker closing the reader that does not read", 30_000, () => readFileSync(cluster.member(1).logFile, "utf8").includes("kafka client does not read its responses; closing"));
    const rssAfter = brokerRssBytes(cluster, 1);
    console.log(`broker RSS ${Math.round(rssBefore / 2 ** 20)} MiB -> ${Math.round(rssAfter / 2 ** 20)} MiB with ${PIPELINED} pipelined 4 MiB fetches unread`);
    // Unbounded, the responses would hold PIPELINED x ~4 MiB = 240 MiB; the connection's budget is 16 MiB.
    assert.ok(rssAfter - rssBefore < 120 * 2 ** 20, `RSS grew by ${Math.round((rssAfter - rssBefore) / 2 ** 20)} MiB`);
  } finally {
    socket?.destroy();
    await consumer.disconnect().catch(() => undefined);
    await rlog.close();
    await cluster.stopAll();
  }
});
