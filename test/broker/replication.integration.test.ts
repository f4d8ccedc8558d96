/**
 * Three real brokers: a replicated topic survives a SIGKILLed leader during
 * produce, the killed broker catches up after restart, and every replica's
 * log is identical up to the high watermark (read back from the LMDB files).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readReplicaLogs } from "./replica-logs.js";
import { TestCluster, sleep } from "./cluster-harness.js";
import { PartitionWriter, Router, readAll } from "./test-producer.js";

const TOPIC = "orders";
const PARTITIONS = 3;
const RECORDS = 10_000;
const BATCH = 25;

test("3 brokers: produce through a SIGKILLed leader, restart it, replicas converge", { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const router = new Router(cluster.urls());
  try {
    await router.retry(async () => router.to(await router.controllerUrl(), "createTopic", { op: "createTopic", name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 }));
    const { producerId } = await router.retry(async () => router.to(await router.controllerUrl(), "initProducerId", { op: "initProducerId" }));
    const writers = Array.from({ length: PARTITIONS }, (_, p) => new PartitionWriter(router, TOPIC, p, producerId));
    const perPartition = RECORDS / PARTITIONS;
    let killed = 0;
    const produce = writers.map(async (w) => {
      for (let i = 0; i < perPartition; i += BATCH) {
        const n = Math.min(BATCH, Math.ceil(perPartition) - i);
        if (n <= 0) break;
        await w.write(Array.from({ length: n }, (_, k) => `p${w.partition}-${i + k}`));
      }
    });
    // Kill partition 0's leader once a third of its records are in.
    const killer = (async () => {
      while (writers[0]!.acked.length < perPartition / 3) await sleep(5);
      const md = await router.any("metadata", { op: "metadata", topics: [TOPIC] });
      killed = md.topics[0]!.partitions[0]!.leader;
      assert.ok(killed > 0);
      await cluster.kill(killed);
    })();
    await Promise.all([...produce, killer]);
    // The kill happened mid-produce: partition 0's writer had to find the new leader.
    assert.ok(writers[0]!.retries > 0, "partition 0's writer never saw its leader die");
    console.log(`killed broker ${killed}; retries per partition: ${writers.map((w) => w.retries).join(", ")}`);
    assert.ok(writers.reduce((n, w) => n + w.acked.length, 0) >= RECORDS - PARTITIONS);

    // Every acknowledged record is there exactly once, at its acknowledged offset, in order.
    for (const w of writers) {
      const got = await readAll(router, TOPIC, w.partition);
      assert.deepEqual(got.map((r) => r.offset), got.map((_, i) => i), `partition ${w.partition} offsets are dense`);
      assert.deepEqual(got, w.acked, `partition ${w.partition} holds exactly what was acknowledged`);
    }

    // Restart the killed broker; wait until every partition leader sees all replicas caught up.
    await cluster.restart(killed);
    await router.retry(async () => {
      const statuses = await Promise.all(cluster.urls().map((u) => router.to(u, "clusterStatus", { op: "clusterStatus" })));
      for (let p = 0; p < PARTITIONS; p++) {
        const led = statuses.flatMap((s) => s.partitions).find((x) => x.topic === TOPIC && x.partition === p && x.replicas.length > 0);
        if (!led || led.replicas.some((r) => r.lagEntries > 0)) throw new Error(`partition ${p} not caught up`);
      }
    });
    await sleep(300); // let followers learn the last commit index from a heartbeat
  } finally {
    router.close();
    await cluster.stopAll(true);
  }

  // Compare the replicas' logs on disk, entry by entry, up to the highest commit index.
  try {
    // Partition logs are named p/<topicId>/<partition>; the topic's are the ones with PARTITIONS logs
    // (the internal consumer-groups topic, created at start-up, has groupsTopicPartitions).
    const copies = await readReplicaLogs(cluster.members, (n) => n.startsWith("p/"));
    const perTopic = new Map<string, Set<string>>();
    for (const c of copies) perTopic.set(c.log.split("/")[1]!, (perTopic.get(c.log.split("/")[1]!) ?? new Set()).add(c.log));
    const names = [...perTopic.values()].find((ns) => ns.size === PARTITIONS) ?? new Set();
    assert.equal(names.size, PARTITIONS);
    for (const name of names) {
      const mine = copies.filter((c) => c.log === name);
      assert.equal(mine.length, 3, `${name} has three replicas`);
      for (const c of mine) {
        assert.equal(c.entries.length, c.commit, `${name} on broker ${c.broker} holds every committed entry`);
        assert.deepEqual(c.entries, mine[0]!.entries, `${name} on broker ${c.broker} equals broker ${mine[0]!.broker}'s copy`);
      }
    }
  } finally {
    await cluster.stopAll();
  }
});
