/**
 * A kafkajs consumer group through the loss of its coordinator: two
 * kafkajs members consume and commit; the broker leading the group's
 * offsets partition (its coordinator, FindCoordinator's answer) is
 * SIGKILLed; records produced after the kill (rlog's SDK retries through
 * the leader changes) all reach the members, which find the new
 * coordinator (NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE, then
 * FindCoordinator again) and whose commits land in the new coordinator's
 * table, read back through rlog's SDK. Delivery is at least once across
 * the kill: every record arrives; a few may arrive twice.
 *
 * What takes the time: kafkajs restarts a consumer whose coordinator
 * connection fails, and the restarted consumer joins as a new member; the
 * old members, loaded by the new coordinator from the committed
 * generation, never rejoin, and rlog's coordinator removes them once both
 * their session and the rebalance deadline (rebalanceTimeout after the
 * first new join) have passed (consumer-group.ts). So the group resumes
 * about rebalanceTimeout (10 s here) after the new members join.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Kafka, logLevel, type Consumer } from "kafkajs";
import { coordinatorPartition, OFFSETS_TOPIC, RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { untilTrue } from "./kafka-test-helpers.js";

const TOPIC = "kf-events";
const GROUP = "kf-group";
const BEFORE = 1_500;
const AFTER = 1_500;

async function produce(rlog: RlogClient, from: number, count: number): Promise<void> {
  const producer = rlog.producer({ lingerMs: 5 });
  await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic: TOPIC, messages: [{ key: `k${from + i}`, value: `v${from + i}` }] })));
  await producer.flush();
}

async function committedSum(rlog: RlogClient): Promise<number> {
  return (await rlog.admin().fetchOffsets(GROUP)).filter((o) => o.topic === TOPIC).reduce((s, o) => s + o.offset, 0);
}

test("kafkajs group members survive a SIGKILLed coordinator: they find the new one, get every later record, and commit there", { timeout: 150_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3, kafka: true });
  const rlog = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-failover-test" });
  const kafka = new Kafka({ clientId: "kafka-failover-test", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 15, initialRetryTime: 100, maxRetryTime: 2000 } });
  const seen = new Map<string, number>();
  const consumers: Consumer[] = [];
  const start = async (): Promise<Consumer> => {
    const c = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 10_000, maxWaitTimeInMs: 300 });
    await c.connect();
    await c.subscribe({ topic: TOPIC, fromBeginning: true });
    await c.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => void seen.set(message.value!.toString(), (seen.get(message.value!.toString()) ?? 0) + 1) });
    return c;
  };
  try {
    await rlog.admin().createTopic({ name: TOPIC, partitions: 3, replicationFactor: 3 });
    await produce(rlog, 0, BEFORE);
    consumers.push(...(await Promise.all([start(), start()])));
    await untilTrue(`${BEFORE} records`, 60_000, () => seen.size >= BEFORE);
    await untilTrue("the commits of every record", 30_000, async () => (await committedSum(rlog)) === BEFORE);

    const offsets = await rlog.admin().describeTopic(OFFSETS_TOPIC);
    const coordinator = offsets.partitions[coordinatorPartition(GROUP, offsets.partitions.length)]!.leader;
    assert.ok(coordinator > 0, "the group has a coordinator");
    await cluster.kill(coordinator);

    await produce(rlog, BEFORE, AFTER);
    await untilTrue(`the ${AFTER} records produced after the kill`, 90_000, () => seen.size >= BEFORE + AFTER);
    for (let i = 0; i < BEFORE + AFTER; i++) assert.ok(seen.has(`v${i}`), `record v${i}`);
    await untilTrue("the commits of every record, at the new coordinator", 60_000, async () => (await committedSum(rlog).catch(() => 0)) === BEFORE + AFTER);
    const moved = await rlog.admin().describeTopic(OFFSETS_TOPIC);
    assert.notEqual(moved.partitions[coordinatorPartition(GROUP, moved.partitions.length)]!.leader, coordinator, "another broker coordinates the group");
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await rlog.close();
    await cluster.stopAll();
  }
});
