/** Admin operations against the fake cluster. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { withCluster } from "./helpers.js";

const isCode = (name: Parameters<RlogError["is"]>[0]) => (err: unknown) => err instanceof RlogError && err.is(name);

test("create, list, describe and delete topics", async () => {
  await withCluster(async (fake, client) => {
    const admin = client.admin();
    const created = await admin.createTopic({ name: "orders", partitions: 3, replicationFactor: 2, config: { retentionMs: 60_000 } });
    assert.equal(created.name, "orders");
    assert.equal(created.partitions.length, 3);
    assert.deepEqual(fake.requests("createTopic")[0]?.request.config, { retentionMs: 60_000 });
    await admin.createTopic({ name: "audit", partitions: 1, replicationFactor: 1 });
    assert.deepEqual(
      (await admin.listTopics()).map((t) => [t.name, t.partitions]),
      [
        ["audit", 1],
        ["orders", 3],
      ],
    );
    assert.equal((await admin.describeTopic("orders")).replicationFactor, 2);
    await assert.rejects(admin.createTopic({ name: "orders", partitions: 1, replicationFactor: 1 }), isCode("TOPIC_ALREADY_EXISTS"));
    await admin.deleteTopic("audit");
    assert.deepEqual(
      (await admin.listTopics()).map((t) => t.name),
      ["orders"],
    );
    await assert.rejects(admin.deleteTopic("audit"), isCode("UNKNOWN_TOPIC"));
  });
});

test("a producer can write to a topic right after createTopic", async () => {
  await withCluster(async (_fake, client) => {
    await client.admin().createTopic({ name: "fresh", partitions: 2, replicationFactor: 1 });
    const producer = client.producer();
    const r = await producer.send({ topic: "fresh", messages: [{ value: "x", partition: 1 }] });
    assert.deepEqual(r, [{ partition: 1, offset: 0 }]);
    await producer.close();
  });
});

test("createTopic whose first answer was lost: the retry's TOPIC_ALREADY_EXISTS counts as success", async () => {
  await withCluster(async (fake, client) => {
    let lost = false;
    fake.intercept(({ request }) => {
      if (request.op !== "createTopic" || lost) return undefined;
      lost = true;
      return { kind: "lose-response" };
    });
    const t = await client.admin().createTopic({ name: "once", partitions: 2, replicationFactor: 1 });
    assert.equal(t.partitions.length, 2);
    assert.equal(fake.requests("createTopic").length, 2);
  });
});

test("alterTopic goes to the controller; the same client's producer uses the new partitions at once (its cache is updated)", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("grow", 2);
    const producer = client.producer();
    await producer.send({ topic: "grow", messages: [{ value: "a" }] });
    const t = await client.admin().alterTopic("grow", { partitions: 4, config: { retentionMs: 1000 } });
    assert.equal(t.partitions.length, 4);
    assert.deepEqual(fake.requests("alterTopic")[0]?.request, { op: "alterTopic", name: "grow", partitions: 4, config: { retentionMs: 1000 } });
    assert.deepEqual(await producer.send({ topic: "grow", messages: [{ value: "x", partition: 3 }] }), [{ partition: 3, offset: 0 }]);
    await assert.rejects(client.admin().alterTopic("grow", { partitions: 4 }), isCode("INVALID_PARTITIONS"));
    await producer.close();
  });
});

test("alterTopic whose first answer was lost: the retry's INVALID_PARTITIONS counts as success when the topic has the count asked for", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("grow", 1);
    let lost = false;
    fake.intercept(({ request }) => {
      if (request.op !== "alterTopic" || lost) return undefined;
      lost = true;
      return { kind: "lose-response" };
    });
    const t = await client.admin().alterTopic("grow", { partitions: 3 });
    assert.equal(t.partitions.length, 3);
    assert.equal(fake.requests("alterTopic").length, 2);
  });
});

test("transferLeader goes to the leader and updates the cache; rebalanceLeaders moves leaders back", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 2);
    const admin = client.admin();
    const moved = await admin.transferLeader({ topic: "t", partition: 0, toBrokerId: 3 });
    assert.equal(moved.leader, 3);
    assert.equal(fake.requests("transferLeader")[0]?.brokerId, 1);
    await admin.listOffsets({ topic: "t", partition: 0 }, "latest");
    assert.deepEqual(
      fake.requests("listOffsets").map((s) => s.brokerId),
      [3],
      "no NOT_LEADER round trip after the transfer",
    );
    const moves = await admin.rebalanceLeaders();
    assert.deepEqual(moves, [{ topic: "t", partition: 0, fromBrokerId: 3, toBrokerId: 1 }]);
    await admin.listOffsets({ topic: "t", partition: 0 }, "latest");
    assert.equal(fake.requests("listOffsets").at(-1)?.brokerId, 1);
  });
});

test("listOffsets and clusterStatus", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer();
    await producer.send({ topic: "t", messages: [{ value: "a", timestampMs: 100 }, { value: "b", timestampMs: 200 }] });
    await producer.close();
    const admin = client.admin();
    const tp = { topic: "t", partition: 0 };
    assert.equal((await admin.listOffsets(tp, "earliest")).offset, 0);
    assert.equal((await admin.listOffsets(tp, "latest")).offset, 2);
    assert.deepEqual(await admin.listOffsets(tp, { timestampMs: 150 }), { offset: 1, timestampMs: 200 });
    const status = await admin.clusterStatus();
    assert.equal(status.brokers.length, 3);
    assert.equal(status.partitions[0]?.highWatermark, 2);
  });
});
