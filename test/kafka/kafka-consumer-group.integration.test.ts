/**
 * The consume side of the Kafka listener with kafkajs (issue 19): three
 * brokers with Kafka listeners; 10,000 records produced with rlog's own
 * SDK are consumed through the Kafka protocol by a kafkajs consumer group
 * of two members (Fetch, ListOffsets, FindCoordinator, JoinGroup with the
 * coordinator's server-side assignment, SyncGroup, Heartbeat,
 * OffsetCommit, OffsetFetch, LeaveGroup); both members get partitions and
 * commit; a third member joining rebalances the group to one partition
 * each. After all leave, more records are produced and a new member of
 * the same group resumes exactly at the commits: it gets the new records
 * and none of the old. The offsets table is one: kafkajs's commits are what
 * rlog's SDK reads, and an rlog reset is what kafkajs's admin reads.
 * DescribeGroups and ListGroups through kafkajs's admin show the group.
 * And one coordinator for both protocols: an rlog SDK member and a kafkajs
 * member in one group split its partitions and commit to one table.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AssignerProtocol, Kafka, logLevel, type Consumer, type EachBatchPayload } from "kafkajs";
import { RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { untilTrue } from "./kafka-test-helpers.js";

const TOPIC = "kc-orders";
const GROUP = "kc-billing";
const PARTITIONS = 3;
const FIRST = 10_000;
const SECOND = 500;

/** What a consumer saw: value -> times seen, which member read which partitions, each member's last assignment. */
interface Seen {
  readonly counts: Map<string, number>;
  readonly partitionsByMember: Map<string, Set<number>>;
  readonly assigned: Map<string, number[]>;
}

function newSeen(): Seen {
  return { counts: new Map(), partitionsByMember: new Map(), assigned: new Map() };
}

async function startMember(kafka: Kafka, name: string, seen: Seen): Promise<Consumer> {
  const consumer = kafka.consumer({ groupId: GROUP, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 20_000, maxWaitTimeInMs: 300 });
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    seen.assigned.set(name, e.payload.memberAssignment[TOPIC] ?? []);
  });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    autoCommit: true,
    autoCommitInterval: 200,
    eachBatch: async ({ batch, resolveOffset, heartbeat }: EachBatchPayload) => {
      for (const m of batch.messages) {
        const v = m.value!.toString();
        seen.counts.set(v, (seen.counts.get(v) ?? 0) + 1);
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

async function produce(rlog: RlogClient, from: number, count: number): Promise<void> {
  const producer = rlog.producer({ lingerMs: 5 });
  const sends: Promise<unknown>[] = [];
  for (let i = from; i < from + count; i++) sends.push(producer.send({ topic: TOPIC, messages: [{ key: `k${i % 97}`, value: `v${i}` }] }));
  await Promise.all(sends);
  await producer.flush();
}

/** The group's committed offsets of TOPIC through rlog's SDK, by partition. */
async function rlogOffsets(rlog: RlogClient): Promise<Map<number, number>> {
  const offsets = await rlog.admin().fetchOffsets(GROUP);
  return new Map(offsets.filter((o) => o.topic === TOPIC).map((o) => [o.partition, o.offset]));
}

function sum(m: Map<number, number>): number {
  return [...m.values()].reduce((s, n) => s + n, 0);
}

test("kafkajs consumer group over rlog: 2 members read 10,000 SDK records and commit; a new member resumes at the commits; one offsets table", { timeout: 150_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3, kafka: true });
  const rlog = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-consume-test" });
  const kafka = new Kafka({ clientId: "kafka-consume-test", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
  const admin = kafka.admin();
  const consumers: Consumer[] = [];
  try {
    await rlog.admin().createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    await produce(rlog, 0, FIRST);

    const seen = newSeen();
    // Started together: the coordinator's initial rebalance delay puts both in the first generation.
    consumers.push(...(await Promise.all([startMember(kafka, "a", seen), startMember(kafka, "b", seen)])));
    await untilTrue(`${FIRST} records consumed`, 60_000, () => seen.counts.size >= FIRST);
    for (let i = 0; i < FIRST; i++) assert.ok(seen.counts.has(`v${i}`), `record v${i} consumed`);
    // The coordinator's assignment, as kafkajs decoded it from SyncGroup: both members hold partitions, all 3 between them.
    await untilTrue("both members assigned", 30_000, () => seen.assigned.size === 2 && [...seen.assigned.values()].every((ps) => ps.length > 0));
    assert.deepEqual([...seen.assigned.values()].flat().sort(), [0, 1, 2]);
    assert.equal(seen.partitionsByMember.size, 2, `both members read records: ${JSON.stringify([...seen.partitionsByMember].map(([m, ps]) => [m, [...ps]]))}`);

    // kafkajs's commits are in rlog's offsets table, summing to every record.
    await untilTrue("kafkajs commits visible through rlog's SDK", 30_000, async () => sum(await rlogOffsets(rlog)) === FIRST);

    // A third member joins the running group: the others hear REBALANCE_IN_PROGRESS, rejoin, and get one partition each.
    consumers.push(await startMember(kafka, "x", seen));
    await untilTrue("three members with one partition each", 30_000, () => seen.assigned.size === 3 && [...seen.assigned.values()].every((ps) => ps.length === 1));
    assert.deepEqual([...seen.assigned.values()].flat().sort(), [0, 1, 2]);

    // The group as kafkajs's admin sees it (DescribeGroups, ListGroups).
    await admin.connect();
    const listed = await admin.listGroups();
    assert.ok(
      listed.groups.some((g) => g.groupId === GROUP && g.protocolType === "consumer"),
      `ListGroups shows ${GROUP}: ${JSON.stringify(listed.groups)}`,
    );
    await untilTrue("the group stable with 3 members", 30_000, async () => {
      const d = (await admin.describeGroups([GROUP])).groups[0];
      return d?.state === "Stable" && d.members.length === 3;
    });
    const described = (await admin.describeGroups([GROUP])).groups[0]!;
    assert.equal(described.protocolType, "consumer");
    const decoded = described.members.map((m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment[TOPIC] ?? []);
    assert.deepEqual(decoded.flat().sort(), [0, 1, 2], "each member's assignment, as DescribeGroups shows it");

    for (const c of consumers.splice(0)) await c.disconnect();
    const committed = await rlogOffsets(rlog);
    assert.equal(sum(committed), FIRST, "nothing consumed after the last commit");

    // More records; a new member of the same group starts at the commits (fromBeginning applies only without them).
    await produce(rlog, FIRST, SECOND);
    const after = newSeen();
    consumers.push(await startMember(kafka, "c", after));
    await untilTrue(`${SECOND} new records consumed`, 60_000, () => after.counts.size >= SECOND);
    const old = [...after.counts.keys()].filter((v) => Number(v.slice(1)) < FIRST);
    assert.deepEqual(old, [], "no record before the commits is delivered again");
    assert.equal(after.counts.size, SECOND);
    assert.ok([...after.counts.values()].every((n) => n === 1), "each new record once");
    await untilTrue("the new member's commits", 30_000, async () => sum(await rlogOffsets(rlog)) === FIRST + SECOND);
    for (const c of consumers.splice(0)) await c.disconnect();

    // The other way round: rlog resets the empty group's offsets; kafkajs's admin (OffsetFetch) reads them.
    await rlog.admin().resetOffsets({ group: GROUP, topic: TOPIC, to: { offset: 7 } });
    const fetched = await admin.fetchOffsets({ groupId: GROUP, topics: [TOPIC] });
    assert.deepEqual(
      fetched[0]!.partitions.map((p) => [p.partition, p.offset]).sort((x, y) => Number(x[0]) - Number(y[0])),
      [0, 1, 2].map((p) => [p, "7"]),
    );
  } finally {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await rlog.close();
    await cluster.stopAll();
  }
});

test("one coordinator for both protocols: an rlog SDK member and a kafkajs member share a group, its partitions and its offsets", { timeout: 120_000 }, async () => {
  const topic = "kc-mixed";
  const group = "kc-mixed-group";
  const count = 2_000;
  const cluster = await TestCluster.start({ size: 3, kafka: true });
  const rlog = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-mixed-test" });
  const kafka = new Kafka({ clientId: "kafka-mixed-test", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 2000 } });
  const kjs = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 500, rebalanceTimeout: 20_000, maxWaitTimeInMs: 300 });
  // kafkajs offers RoundRobinAssigner: the SDK member asks for the same strategy, as every member of a group must.
  const sdk = rlog.consumer({ groupId: group, sessionTimeoutMs: 10_000, autoCommitIntervalMs: 200, assignmentStrategy: "round-robin" });
  const values = new Set<string>();
  let kafkajsAssigned: number[] = [];
  let sdkRun: Promise<void> | undefined;
  try {
    await rlog.admin().createTopic({ name: topic, partitions: 4, replicationFactor: 3 });
    const producer = rlog.producer({ lingerMs: 5 });
    await Promise.all(Array.from({ length: count }, (_, i) => producer.send({ topic, messages: [{ key: `k${i}`, value: `m${i}` }] })));
    await producer.flush();

    kjs.on(kjs.events.GROUP_JOIN, (e) => {
      kafkajsAssigned = e.payload.memberAssignment[topic] ?? [];
    });
    sdk.subscribe({ topics: [topic], fromBeginning: true });
    sdkRun = sdk.run({ eachRecord: (r) => void values.add(r.value!.toString()) });
    await kjs.connect();
    await kjs.subscribe({ topic, fromBeginning: true });
    await kjs.run({ eachMessage: async ({ message }) => void values.add(message.value!.toString()) });

    await untilTrue("each member holding two partitions", 30_000, () => kafkajsAssigned.length === 2 && sdk.assignment().length === 2);
    const sdkAssigned = sdk.assignment().map((p) => p.partition);
    assert.deepEqual([...kafkajsAssigned, ...sdkAssigned].sort(), [0, 1, 2, 3], `disjoint shares: kafkajs ${kafkajsAssigned}, SDK ${sdkAssigned}`);
    await untilTrue(`${count} records between the two members`, 60_000, () => values.size >= count);
    await untilTrue("both members' commits in the one offsets table", 30_000, async () => {
      const offsets = (await rlog.admin().fetchOffsets(group)).filter((o) => o.topic === topic);
      return offsets.length === 4 && offsets.reduce((s, o) => s + o.offset, 0) === count;
    });
  } finally {
    await kjs.disconnect().catch(() => undefined);
    await sdk.stop().catch(() => undefined);
    await sdkRun?.catch(() => undefined);
    await rlog.close();
    await cluster.stopAll();
  }
});
