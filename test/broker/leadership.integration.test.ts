/**
 * Leadership moves on a live 3-broker cluster while a producer writes:
 * transfer to a named broker, rebalance back to preferred replicas, and a
 * controlled shutdown (SIGTERM) of a leader. No acknowledged record may be
 * lost or duplicated.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TestCluster, sleep } from "./cluster-harness.js";
import { PartitionWriter, Router, readAll } from "./test-producer.js";

const TOPIC = "moves";

async function setup(): Promise<{ cluster: TestCluster; router: Router; producerId: number }> {
  const cluster = await TestCluster.start({ size: 3 });
  const router = new Router(cluster.urls());
  await router.retry(async () => router.to(await router.controllerUrl(), "createTopic", { op: "createTopic", name: TOPIC, partitions: 3, replicationFactor: 3 }));
  const { producerId } = await router.retry(async () => router.to(await router.controllerUrl(), "initProducerId", { op: "initProducerId" }));
  return { cluster, router, producerId };
}

/** Write batches until `stop()` says so; returns the writer. */
function background(w: PartitionWriter, stop: () => boolean): Promise<void> {
  return (async () => {
    for (let i = 0; !stop(); i++) await w.write([`r${i}a`, `r${i}b`]);
  })();
}

async function leaderOf(router: Router, partition: number): Promise<number> {
  return router.retry(async () => {
    const statuses = await Promise.all(router.urls.map((u) => router.to(u, "clusterStatus", { op: "clusterStatus" }).catch(() => undefined)));
    const led = statuses.flatMap((s) => s?.partitions ?? []).find((p) => p.topic === TOPIC && p.partition === partition && p.replicas.length > 0);
    if (!led) throw new Error("no leader yet");
    return led.leader;
  });
}

test("transfer to a named broker and rebalance back, under load, lose nothing", { timeout: 90_000 }, async () => {
  const { cluster, router, producerId } = await setup();
  try {
    const w = new PartitionWriter(router, TOPIC, 0, producerId);
    let done = false;
    const load = background(w, () => done);
    await sleep(300);
    const from = await leaderOf(router, 0);
    const to = [1, 2, 3].find((id) => id !== from)!;
    const t0 = Date.now();
    const r = await router.retry(() => router.to(cluster.url(from), "transferLeader", { op: "transferLeader", topic: TOPIC, partition: 0, toBrokerId: to }));
    const transferMs = Date.now() - t0;
    assert.equal(r.leader, to);
    assert.equal(await leaderOf(router, 0), to, "cluster status shows the new leader");
    await sleep(300);
    // Rebalance: the controller broadcasts it, the leader hands partition 0 back to its preferred replica.
    const md = await router.any("metadata", { op: "metadata", topics: [TOPIC] });
    const preferred = md.topics[0]!.partitions[0]!.replicas[0]!;
    await router.retry(async () => router.to(await router.controllerUrl(), "rebalanceLeaders", { op: "rebalanceLeaders", topic: TOPIC }));
    await router.retry(async () => {
      if ((await leaderOf(router, 0)) !== preferred) throw new Error("not yet back on the preferred replica");
    });
    await sleep(200);
    done = true;
    await load;
    const got = await readAll(router, TOPIC, 0);
    assert.deepEqual(got, w.acked, "every acknowledged record exactly once, in order");
    console.log(`transfer took ${transferMs} ms; ${w.acked.length} records acknowledged; ${w.retries} retries`);
  } finally {
    router.close();
    await cluster.stopAll();
  }
});

test("controlled shutdown of a leader broker loses no acknowledged record", { timeout: 90_000 }, async () => {
  const { cluster, router, producerId } = await setup();
  try {
    const writers = [0, 1, 2].map((p) => new PartitionWriter(router, TOPIC, p, producerId));
    let done = false;
    const load = writers.map((w) => background(w, () => done));
    await sleep(300);
    const victim = await leaderOf(router, 0);
    const code = await cluster.terminate(victim);
    assert.equal(code, 0, `broker ${victim} did not stop cleanly:\n${cluster.logTail(victim)}`);
    assert.notEqual(await leaderOf(router, 0), victim);
    await sleep(300);
    done = true;
    await Promise.all(load);
    for (const w of writers) {
      const got = await readAll(router, TOPIC, w.partition);
      assert.deepEqual(got, w.acked, `partition ${w.partition}: every acknowledged record exactly once, in order`);
    }
  } finally {
    router.close();
    await cluster.stopAll();
  }
});
