/**
 * Group state on real brokers through failures:
 * - the coordinator broker is SIGKILLed: every commit acknowledged before
 *   the kill is visible from the new coordinator, which also has the group's
 *   generation and member, so the member carries on without a rebalance;
 * - a member that stops and a new one in the same group: the new one starts
 *   exactly at the committed offsets (no record handled by both, none skipped);
 * - every broker SIGKILLed and started again: the committed offsets are still there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { coordinatorPartition, GroupState, OFFSETS_TOPIC, RlogClient, type CommitOffset, type ConsumerRecord, type GroupConsumer } from "../../client/index.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";

const TOPIC = "orders";
const GROUP = "billing";
const PARTITIONS = 3;
const SESSION_TIMEOUT_MS = 4_000;

const byPartition = (offsets: readonly CommitOffset[]): Record<number, number> => Object.fromEntries(offsets.filter((o) => o.topic === TOPIC).map((o) => [o.partition, o.offset]));

async function produce(client: RlogClient, perPartition: number, tag: string): Promise<void> {
  const producer = client.producer();
  const messages = [];
  for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < perPartition; i++) messages.push({ value: `${tag}-${p}-${i}`, partition: p });
  await producer.send({ topic: TOPIC, messages });
  await producer.close();
}

/** A member of GROUP that hands every record to `onRecord` (awaited). */
function member(client: RlogClient): GroupConsumer {
  const c = client.consumer({ groupId: GROUP, sessionTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 500, autoCommitIntervalMs: 0, maxWaitMs: 200 });
  c.subscribe({ topics: [TOPIC], fromBeginning: true });
  return c;
}

async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

test("group state survives a SIGKILLed coordinator, a member restart and a full cluster restart", { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "coordinator-test" });
  const admin = client.admin();
  try {
    await admin.createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    await produce(client, 100, "a");

    // --- The coordinator dies; acknowledged commits and the generation survive.
    const first = member(client);
    const handled: ConsumerRecord[] = [];
    let acked: Record<number, number> = {};
    let gate: Promise<void> | undefined;
    let openGate = (): void => undefined;
    const running = first.run({
      eachRecord: async (r) => {
        handled.push(r);
        if (handled.length % 25 === 0) {
          await first.commit();
          acked = Object.fromEntries(first.positions().filter((p) => p.committed !== undefined).map((p) => [p.partition, p.committed!]));
        }
        if (handled.length === 150) {
          gate = new Promise((resolve) => (openGate = resolve));
          await gate;
        }
      },
    });
    await waitFor(() => gate !== undefined, "150 records handled");
    // The commit in the 150th record's handler covers the 149 records before it.
    assert.equal(Object.values(acked).reduce((a, b) => a + b, 0), 149, `acknowledged commits ${JSON.stringify(acked)}`);
    const generation = first.generation;
    const memberId = first.memberId;
    const offsetsTopic = await admin.describeTopic(OFFSETS_TOPIC);
    const coordinator = offsetsTopic.partitions[coordinatorPartition(GROUP, offsetsTopic.partitions.length)]!.leader;
    assert.ok(coordinator > 0, "the group's coordinator is known");
    await cluster.kill(coordinator);
    const killedAtMs = Date.now();

    assert.deepEqual(byPartition(await admin.fetchOffsets(GROUP)), acked, "commits acknowledged before the kill, read from the new coordinator");
    const described = await admin.describeGroup(GROUP);
    assert.equal(described.generation, generation);
    assert.deepEqual(described.members.map((m) => m.memberId), [memberId]);
    assert.deepEqual(described.members[0]!.assignment, [{ topic: TOPIC, partitions: [0, 1, 2] }]);
    console.log(`coordinator ${coordinator} killed; the new one answered after ${Date.now() - killedAtMs} ms`);

    openGate();
    await waitFor(() => first.positions().length === PARTITIONS && first.positions().every((p) => p.processed === 100), "the rest of the records after the failover");
    await first.commit();
    assert.equal(first.generation, generation, "the member kept its generation through the failover (no rebalance)");
    assert.deepEqual(byPartition(await admin.fetchOffsets(GROUP)), { 0: 100, 1: 100, 2: 100 });
    await first.stop();
    await running;
    assert.equal(new Set(handled.map((r) => `${r.partition}:${r.offset}`)).size, 300, "every record handled once");
    await cluster.restart(coordinator);

    // --- Stop in the middle, start another member: it begins exactly at the committed offsets.
    await produce(client, 20, "b");
    const second = member(client);
    const secondSaw: ConsumerRecord[] = [];
    await second.run({
      eachRecord: (r) => {
        secondSaw.push(r);
        if (secondSaw.length === 30) void second.stop();
      },
    });
    const afterSecond = byPartition(await admin.fetchOffsets(GROUP));
    const third = member(client);
    const thirdSaw: ConsumerRecord[] = [];
    await third.run({
      eachRecord: (r) => {
        thirdSaw.push(r);
        if (thirdSaw.length === 30) void third.stop();
      },
    });
    for (let p = 0; p < PARTITIONS; p++) {
      const firstOffset = thirdSaw.find((r) => r.partition === p)?.offset;
      if (firstOffset !== undefined) assert.equal(firstOffset, afterSecond[p], `partition ${p}: the new member starts at the committed offset`);
    }
    const seen = [...secondSaw, ...thirdSaw].map((r) => `${r.partition}:${r.offset}`);
    assert.equal(new Set(seen).size, 60, "no record handled by both members");
    assert.deepEqual(byPartition(await admin.fetchOffsets(GROUP)), { 0: 120, 1: 120, 2: 120 });

    // --- Every broker dies and comes back: the offsets are still committed.
    await Promise.all(cluster.members.map((m) => cluster.kill(m.id)));
    for (const m of cluster.members) await cluster.restart(m.id);
    await cluster.waitReady();
    assert.deepEqual(byPartition(await admin.fetchOffsets(GROUP)), { 0: 120, 1: 120, 2: 120 }, "offsets after a full cluster restart");
    const after = await admin.describeGroup(GROUP);
    assert.equal(after.state, GroupState.Empty);
    assert.deepEqual(after.members, []);
  } finally {
    await client.close();
    await cluster.stopAll();
  }
});
