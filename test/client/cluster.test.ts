/** Routing and retries: leader hints, metadata refresh, controller hints, unknown topics, total timeout. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { RlogClient } from "../../client/index.js";
import { FakeCluster } from "./fake-broker.js";
import { FAST_RETRY, withCluster } from "./helpers.js";

const isCode = (name: Parameters<RlogError["is"]>[0]) => (err: unknown) => err instanceof RlogError && err.is(name);

test("NOT_LEADER with a hint: the retry goes straight to the hinted leader, without a metadata refresh", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1); // led by broker 1
    const admin = client.admin();
    await admin.listOffsets({ topic: "t", partition: 0 }, "latest");
    const metadataBefore = fake.requests("metadata").length;
    fake.state.moveLeader("t", 0, 3);
    const r = await admin.listOffsets({ topic: "t", partition: 0 }, "latest");
    assert.equal(r.offset, 0);
    const routed = fake.requests("listOffsets").map((s) => s.brokerId);
    assert.deepEqual(routed, [1, 1, 3]);
    assert.equal(fake.requests("metadata").length, metadataBefore, "the hint was enough");
  });
});

test("NOT_LEADER with a hint older than the cached term (a deposed leader) is not followed: metadata is refreshed instead", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    fake.state.moveLeader("t", 0, 3); // term 2, led by broker 3: what the client's metadata will say
    const admin = client.admin();
    await admin.listOffsets({ topic: "t", partition: 0 }, "latest");
    const metadataBefore = fake.requests("metadata").length;
    let stale = true;
    fake.intercept(({ request }) => {
      if (request.op !== "listOffsets" || !stale) return undefined;
      stale = false;
      return { kind: "error", error: new RlogError("NOT_LEADER", "lagging", { leader: { ...fake.state.hint(1), term: 1 } }) };
    });
    await admin.listOffsets({ topic: "t", partition: 0 }, "latest");
    assert.deepEqual(
      fake.requests("listOffsets").map((s) => s.brokerId),
      [3, 3, 3],
      "never sent to broker 1, the leader of term 1",
    );
    assert.equal(fake.requests("metadata").length, metadataBefore + 1);
  });
});

test("NOT_LEADER without a hint: metadata is refreshed, then the new leader is used", async () => {
  await withCluster(async (fake, client) => {
    fake.hints = false;
    fake.state.createTopic("t", 1);
    const admin = client.admin();
    await admin.listOffsets({ topic: "t", partition: 0 }, "earliest");
    const metadataBefore = fake.requests("metadata").length;
    fake.state.moveLeader("t", 0, 2);
    await admin.listOffsets({ topic: "t", partition: 0 }, "earliest");
    assert.deepEqual(
      fake.requests("listOffsets").map((s) => s.brokerId),
      [1, 1, 2],
    );
    assert.equal(fake.requests("metadata").length, metadataBefore + 1);
  });
});

test("LEADER_NOT_AVAILABLE is retried with refreshes until a leader appears", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    fake.state.partition("t", 0).leader = 0;
    // The leader appears when the client asks again (not after a wall-clock delay, which a loaded
    // machine could outrun before the first metadata request, leaving nothing to retry).
    let metadataSeen = 0;
    fake.intercept(({ request }) => {
      if (request.op === "metadata" && ++metadataSeen === 2) fake.state.moveLeader("t", 0, 2);
      return undefined;
    });
    const r = await client.admin().listOffsets({ topic: "t", partition: 0 }, "latest");
    assert.equal(r.offset, 0);
    assert.equal(metadataSeen, 2, "one refresh after LEADER_NOT_AVAILABLE found the leader");
  });
});

test("UNKNOWN_TOPIC surfaces after one metadata refresh", async () => {
  await withCluster(async (fake, client) => {
    const started = performance.now();
    await assert.rejects(client.admin().listOffsets({ topic: "nope", partition: 0 }, "latest"), isCode("UNKNOWN_TOPIC"));
    assert.ok(fake.requests("metadata").length <= 2, `${fake.requests("metadata").length} metadata requests`);
    assert.ok(performance.now() - started < 1_000);
  });
});

test("a topic only the controller has applied yet: after one UNKNOWN_TOPIC the refresh asks the controller leader, and the call succeeds", async () => {
  await withCluster(async (fake, client) => {
    fake.state.controllerId = 3;
    fake.state.createTopic("fresh", 1);
    fake.laggingTopics.set(1, new Set(["fresh"]));
    fake.laggingTopics.set(2, new Set(["fresh"]));
    const r = await client.admin().listOffsets({ topic: "fresh", partition: 0 }, "latest");
    assert.equal(r.offset, 0);
    assert.ok(fake.requests("metadata").some((s) => s.brokerId === 3), "the controller leader was asked");
  });
});

test("a topic deleted under the client: the broker's UNKNOWN_TOPIC surfaces after one refresh", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const admin = client.admin();
    await admin.listOffsets({ topic: "t", partition: 0 }, "latest");
    fake.state.topics.delete("t");
    await assert.rejects(admin.listOffsets({ topic: "t", partition: 0 }, "latest"), isCode("UNKNOWN_TOPIC"));
  });
});

test("NOT_CONTROLLER with a hint: admin requests follow it to the controller", async () => {
  await withCluster(async (fake, client) => {
    const admin = client.admin();
    await admin.listTopics(); // metadata says controller 1
    await client.connect();
    fake.state.controllerId = 2;
    const t = await admin.createTopic({ name: "orders", partitions: 3, replicationFactor: 2 });
    assert.equal(t.partitions.length, 3);
    assert.deepEqual(
      fake.requests("createTopic").map((s) => s.brokerId),
      [1, 2],
    );
  });
});

test("a non-retriable error surfaces at once with its code", async () => {
  await withCluster(async (fake, client) => {
    fake.intercept(({ request }) =>
      request.op === "createTopic" ? { kind: "error", error: new RlogError("INVALID_REPLICATION_FACTOR", "only 3 brokers") } : undefined,
    );
    await assert.rejects(client.admin().createTopic({ name: "x", partitions: 1, replicationFactor: 5 }), (err: unknown) => {
      return err instanceof RlogError && err.code === 12 && err.codeName === "INVALID_REPLICATION_FACTOR" && !err.retriable;
    });
    assert.equal(fake.requests("createTopic").length, 1);
  });
});

test("the total timeout is honoured for an error that keeps coming back", async () => {
  await withCluster(
    async (fake, client) => {
      fake.state.createTopic("t", 1);
      fake.intercept(({ request }) => (request.op === "listOffsets" ? { kind: "error", error: new RlogError("NOT_ENOUGH_REPLICAS", "1 of 3") } : undefined));
      const started = performance.now();
      await assert.rejects(client.admin().listOffsets({ topic: "t", partition: 0 }, "latest"), isCode("NOT_ENOUGH_REPLICAS"));
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 3_000, `took ${elapsed} ms; 1,000 retries would take far longer`);
      assert.ok(fake.requests("listOffsets").length > 3);
    },
    { client: { retry: { ...FAST_RETRY, retriesMax: 1_000, totalTimeoutMs: 1_000 } } },
  );
});

test("the total timeout is honoured when the broker never answers (request timeouts are capped by it)", async () => {
  await withCluster(
    async (fake, client) => {
      fake.state.createTopic("t", 1);
      fake.intercept(({ request }) => (request.op === "listOffsets" ? { kind: "hang" } : undefined));
      const started = performance.now();
      await assert.rejects(client.admin().listOffsets({ topic: "t", partition: 0 }, "latest"), isCode("TIMEOUT"));
      const elapsed = performance.now() - started;
      assert.ok(elapsed >= 250 && elapsed < 3_000, `took ${elapsed} ms; the request timeout is 10 s`);
    },
    { client: { requestTimeoutMs: 10_000, retry: { ...FAST_RETRY, totalTimeoutMs: 300 } } },
  );
});

test("a request any broker can answer moves to another broker after a retriable error", async () => {
  await withCluster(async (fake, client) => {
    await client.connect();
    fake.intercept(({ brokerId, request }) =>
      request.op === "listTopics" && brokerId === 1 ? { kind: "error", error: new RlogError("SHUTTING_DOWN", "bye") } : undefined,
    );
    assert.deepEqual(await client.admin().listTopics(), []);
    const routed = fake.requests("listTopics").map((s) => s.brokerId);
    assert.equal(routed.length, 2);
    assert.equal(routed[0], 1);
    assert.notEqual(routed[1], 1);
  });
});

test("a dead bootstrap broker is skipped", async () => {
  const dead = await FakeCluster.start({ brokers: 1 });
  const deadUrl = dead.urls[0] as string;
  await dead.stop();
  const fake = await FakeCluster.start();
  const client = new RlogClient({ brokers: [deadUrl, fake.urls[1] as string], retry: FAST_RETRY });
  try {
    await client.connect();
    assert.deepEqual(await client.admin().listTopics(), []);
  } finally {
    await client.close();
    await fake.stop();
  }
});

test("requests in flight on a dropped connection are retried on a new one", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    let dropped = false;
    fake.intercept(({ request }) => {
      if (request.op !== "listOffsets" || dropped) return undefined;
      dropped = true;
      return { kind: "close" };
    });
    const r = await client.admin().listOffsets({ topic: "t", partition: 0 }, "latest");
    assert.equal(r.offset, 0);
    assert.equal(fake.requests("listOffsets").length, 2);
  });
});
