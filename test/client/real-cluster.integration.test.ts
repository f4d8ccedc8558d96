/**
 * The SDK against three real brokers: keyed records keep their per-key order
 * and land exactly once while the leader of a partition is SIGKILLed in the
 * middle of producing (the producer retries through the leader change), and
 * a consumer reads them all back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient } from "../../client/index.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";

const TOPIC = "sdk-keys";
const KEYS = 12;
const PER_KEY = 150;

test("SDK: per-key order and exactly-once through a SIGKILLed partition leader", { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "sdk-real-cluster-test" });
  try {
    await client.admin().createTopic({ name: TOPIC, partitions: 3, replicationFactor: 3 });
    const producer = client.producer({ lingerMs: 2 });
    let killed = 0;
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < PER_KEY; i++) {
      for (let k = 0; k < KEYS; k++) sends.push(producer.send({ topic: TOPIC, messages: [{ key: `key-${k}`, value: `key-${k}:${i}` }] }));
      if (i === PER_KEY / 3) {
        // A third is acknowledged; then the leader of partition 0 dies while the rest is being sent.
        await Promise.all(sends);
        for (let tries = 0; killed === 0 && tries < 100; tries++) {
          killed = (await client.admin().describeTopic(TOPIC)).partitions[0]!.leader;
          if (killed === 0) await sleep(50);
        }
        assert.ok(killed > 0, "partition 0 has a leader");
        await cluster.kill(killed);
      }
      if (i % 10 === 0) await sleep(5);
    }
    await Promise.all(sends);
    await producer.flush();

    const consumer = client.consumer({ maxWaitMs: 200 });
    consumer.assign([0, 1, 2].map((partition) => ({ topic: TOPIC, partition, from: "earliest" as const })));
    const byKey = new Map<string, number[]>();
    let n = 0;
    for await (const r of consumer.records()) {
      const [key, seq] = String(r.value).split(":");
      assert.equal(r.key?.toString(), key);
      const list = byKey.get(key!) ?? [];
      list.push(Number(seq));
      byKey.set(key!, list);
      if (++n === KEYS * PER_KEY) break;
    }
    await consumer.stop();
    assert.equal(byKey.size, KEYS);
    for (const [key, seqs] of byKey) {
      assert.deepEqual(seqs, Array.from({ length: PER_KEY }, (_, i) => i), `${key}: every record once, in the order sent`);
    }
    assert.ok(killed > 0);
  } finally {
    await client.close();
    await cluster.stopAll();
  }
});
