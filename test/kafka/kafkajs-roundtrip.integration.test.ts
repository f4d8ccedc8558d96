/**
 * The Kafka protocol end to end with kafkajs only (issue 19, "Must show"):
 * three brokers with Kafka listeners; kafkajs's admin creates the topic, an
 * idempotent kafkajs producer sends 10,000 records, a kafkajs consumer group
 * of two members reads them all and commits; then every broker is restarted
 * (SIGTERM, one after the other), more records are produced, and a new
 * consumer of the same group resumes exactly at the committed offsets: it
 * gets the new records and none of the old ones. The group's offsets, read
 * through rlog's own SDK, are the ones kafkajs committed (one table).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from "kafkajs";
import { RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { untilTrue } from "./kafka-test-helpers.js";

const TOPIC = "kjs-orders";
const GROUP = "kjs-billing";
const PARTITIONS = 3;
const FIRST = 10_000;
const SECOND = 600;
const SEND_BATCH = 250;

/** Records a consumer saw: value -> partition, and which member saw which partitions. */
interface Seen {
  readonly values: Map<string, number>;
  readonly duplicates: string[];
  readonly partitionsByMember: Map<string, Set<number>>;
  /** Each member's assignment from its latest group join (kafkajs's GROUP_JOIN event). */
  readonly assignedByMember: Map<string, number[]>;
}

async function startMember(kafka: Kafka, name: string, seen: Seen): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 20_000, maxWaitTimeInMs: 200 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    seen.assignedByMember.set(name, [...(e.payload.memberAssignment[TOPIC] ?? [])]);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 200,
    eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      for (const m of batch.messages) {
        const v = m.value!.toString();
        if (seen.values.has(v)) seen.duplicates.push(v);
        seen.values.set(v, batch.partition);
        resolveOffset(m.offset);
      }
      const mine = seen.partitionsByMember.get(name) ?? new Set<number>();
      mine.add(batch.partition);
      seen.partitionsByMember.set(name, mine);
      await heartbeat();
    },
  });
  return consumer;
}

async function produce(kafka: Kafka, from: number, count: number): Promise<void> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    for (let i = from; i < from + count; i += SEND_BATCH) {
      const n = Math.min(SEND_BATCH, from + count - i);
      await producer.send({ topic: TOPIC, acks: -1, messages: Array.from({ length: n }, (_, j) => ({ key: `k${(i + j) % 97}`, value: `v${i + j}` })) });
    }
  } finally {
    await producer.disconnect();
  }
}

test("kafkajs: idempotent produce of 10,000, a 2-member group consumes and commits, brokers restart, a new member resumes at the commits", { timeout: 240_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3, kafka: true });
  const kafka = new Kafka({ clientId: "roundtrip-test", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
  const rlog = new RlogClient({ brokers: cluster.urls(), clientId: "roundtrip-check" });
  const consumers: Consumer[] = [];
  try {
    const admin = kafka.admin();
    await admin.connect();
    assert.equal(await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, replicationFactor: 3 }], waitForLeaders: true }), true);
    await admin.disconnect();

    await produce(kafka, 0, FIRST);

    const seen: Seen = { values: new Map(), duplicates: [], partitionsByMember: new Map(), assignedByMember: new Map() };
    consumers.push(...(await Promise.all([startMember(kafka, "a", seen), startMember(kafka, "b", seen)])));
    await untilTrue(`${FIRST} records consumed`, 90_000, () => seen.values.size >= FIRST);
    assert.equal(seen.values.size, FIRST);
    for (let i = 0; i < FIRST; i++) assert.ok(seen.values.has(`v${i}`), `record v${i} consumed`);
    // Both members got partitions once the group settled (the first generation may have had one member);
    // together they hold every partition.
    await untilTrue("both members assigned partitions", 30_000, () => seen.assignedByMember.size === 2 && [...seen.assignedByMember.values()].every((ps) => ps.length > 0));
    assert.deepEqual([...seen.assignedByMember.values()].flat().sort(), Array.from({ length: PARTITIONS }, (_, i) => i));

    // The commits reach the offsets table: rlog's SDK sees them, summing to every record.
    await untilTrue("kafkajs commits visible through rlog", 30_000, async () => {
      const offsets = await rlog.admin().fetchOffsets(GROUP);
      return offsets.filter((o) => o.topic === TOPIC).reduce((s, o) => s + o.offset, 0) === FIRST;
    });
    for (const c of consumers.splice(0)) await c.disconnect();

    // Restart every broker, one after the other (controlled shutdown).
    for (const m of cluster.members) {
      await cluster.terminate(m.id);
      await cluster.restart(m.id);
    }

    await produce(kafka, FIRST, SECOND);
    const after: Seen = { values: new Map(), duplicates: [], partitionsByMember: new Map(), assignedByMember: new Map() };
    consumers.push(await startMember(kafka, "c", after));
    await untilTrue(`${SECOND} new records consumed`, 90_000, () => after.values.size >= SECOND);
    // A moment more: anything re-delivered from before the commits would arrive now.
    await new Promise((r) => setTimeout(r, 1500));
    const old = [...after.values.keys()].filter((v) => Number(v.slice(1)) < FIRST);
    assert.deepEqual(old, [], "no record committed before the restart is delivered again");
    assert.equal(after.values.size, SECOND);
    assert.deepEqual(after.duplicates, []);
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await rlog.close();
    await cluster.stopAll();
  }
});
