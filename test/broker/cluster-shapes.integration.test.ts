/**
 * The shapes real deployments use: 3 and 5 real brokers with topics of
 * replication factor 1, 2 and 3, so most brokers host only some partitions.
 *
 * For every broker in turn, a client that knows only that broker produces
 * 10,000 keyed records to each topic and reads every topic back: each
 * record exactly once, in per-key order. Every broker's metadata names the
 * same leader for every partition. Then the bad inputs of issue 12: a
 * produce sent to a broker that hosts nothing of the partition, a transfer
 * to a broker that is not a replica, and (3 brokers, one down) a replication
 * factor above the live broker count: each a clear error at once, never a
 * timeout.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient } from "../../client/index.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { TestCluster, sleep } from "./cluster-harness.js";
import { WireClient } from "./wire-client.js";
import { batchOf } from "../protocol/batches.js";

const RECORDS_PER_CLIENT = 10_000;
const KEYS = 40;
const FACTORS = [1, 2, 3] as const;

const topicName = (rf: number): string => `shape-rf${rf}`;

/** Leaders of every partition of `topic` as broker `url` answers metadata. */
async function leadersSeenBy(url: string, topic: string): Promise<number[]> {
  const c = await WireClient.connect(url);
  try {
    const md = await c.request("metadata", { op: "metadata", topics: [topic] });
    return md.topics[0]!.partitions.map((p) => p.leader);
  } finally {
    c.close();
  }
}

/** Wait until every broker names the same, known leader for every partition of `topic`. */
async function agreedLeaders(cluster: TestCluster, topic: string): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const views = await Promise.all(cluster.members.map((m) => leadersSeenBy(cluster.url(m.id), topic)));
    const first = views[0]!;
    if (first.every((l) => l > 0) && views.every((v) => v.join() === first.join())) return first;
    if (Date.now() > deadline) assert.fail(`brokers disagree on the leaders of ${topic}: ${JSON.stringify(views)}`);
    await sleep(100);
  }
}

/** Produce RECORDS_PER_CLIENT keyed records through a client that knows only `url`. */
async function produceVia(url: string, topic: string, tag: string): Promise<void> {
  const client = new RlogClient({ brokers: [url], clientId: `shapes-${tag}` });
  try {
    const producer = client.producer({ lingerMs: 2 });
    const sends: Promise<unknown>[] = [];
    for (let i = 0; i < RECORDS_PER_CLIENT; i++) {
      const key = `${tag}-k${i % KEYS}`;
      sends.push(producer.send({ topic, messages: [{ key, value: `${key}:${Math.floor(i / KEYS)}` }] }));
    }
    await Promise.all(sends);
    await producer.flush();
  } finally {
    await client.close();
  }
}

/** Read all of `topic` through a client that knows only `url`; check every key's sequence is 0..n-1 once, in order. */
async function consumeVia(url: string, topic: string, partitions: number, tags: readonly string[]): Promise<void> {
  const client = new RlogClient({ brokers: [url], clientId: "shapes-reader" });
  const expected = tags.length * RECORDS_PER_CLIENT;
  try {
    const consumer = client.consumer({ maxWaitMs: 100 });
    consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, from: "earliest" as const })));
    const byKey = new Map<string, number[]>();
    let n = 0;
    const timer = setTimeout(() => void consumer.stop(), 60_000);
    try {
      for await (const r of consumer.records()) {
        const [key, seq] = String(r.value).split(":");
        assert.equal(r.key?.toString(), key);
        const list = byKey.get(key!) ?? [];
        list.push(Number(seq));
        byKey.set(key!, list);
        if (++n === expected) break;
      }
    } finally {
      clearTimeout(timer);
      await consumer.stop();
    }
    assert.equal(n, expected, `read ${n} of ${expected} records of ${topic} through ${url}`);
    const perKey = RECORDS_PER_CLIENT / KEYS;
    assert.equal(byKey.size, tags.length * KEYS);
    for (const [key, seqs] of byKey) assert.deepEqual(seqs, Array.from({ length: perKey }, (_, i) => i), `${topic} ${key}: every record once, in order`);
  } finally {
    await client.close();
  }
}

/** The error a promise rejects with, and how long it took. */
async function refusal(p: Promise<unknown>): Promise<{ err: RlogError; ms: number }> {
  const started = Date.now();
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RlogError, `expected an RlogError, got ${String(err)}`);
    return { err, ms: Date.now() - started };
  }
  return assert.fail("expected a refusal");
}

for (const size of [3, 5]) {
  test(`${size} brokers, replication factors 1, 2, 3: every broker as first contact produces and reads everything; all agree on leaders`, { timeout: 240_000 }, async () => {
    const cluster = await TestCluster.start({ size });
    const admin = new RlogClient({ brokers: cluster.urls(), clientId: "shapes-admin" });
    const partitions = 2 * size;
    try {
      for (const rf of FACTORS) await admin.admin().createTopic({ name: topicName(rf), partitions, replicationFactor: rf });
      const tags = cluster.members.map((m) => `b${m.id}`);
      for (const rf of FACTORS) {
        for (const m of cluster.members) await produceVia(cluster.url(m.id), topicName(rf), `b${m.id}`);
        for (const m of cluster.members) await consumeVia(cluster.url(m.id), topicName(rf), partitions, tags);
      }

      // One picture of leadership from every broker, hosting or not.
      const leaders = await agreedLeaders(cluster, topicName(1));
      for (const rf of [2, 3]) await agreedLeaders(cluster, topicName(rf));

      // A produce sent to a broker that hosts nothing of the partition: NOT_LEADER naming the real leader.
      const d = await admin.admin().describeTopic(topicName(1));
      const p0 = d.partitions[0]!;
      const outsider = cluster.members.find((m) => !p0.replicas.includes(m.id))!;
      const wire = await WireClient.connect(cluster.url(outsider.id));
      try {
        const produced = await refusal(
          wire.request("produce", { op: "produce", topic: topicName(1), partition: 0, acks: "all", batch: batchOf([{ value: Buffer.from("x") }]) }),
        );
        assert.equal(produced.err.code, ErrorCode.NOT_LEADER, produced.err.message);
        assert.equal(produced.err.details?.leader?.brokerId, leaders[0]);
        assert.equal(produced.err.details?.leader?.url, cluster.url(leaders[0]!));

        // A transfer to a broker that is not a replica, asked of the leader and of the outsider: INVALID_REQUEST at once.
        const leaderWire = await WireClient.connect(cluster.url(leaders[0]!));
        try {
          for (const c of [leaderWire, wire]) {
            const t = await refusal(c.request("transferLeader", { op: "transferLeader", topic: topicName(1), partition: 0, toBrokerId: outsider.id }));
            assert.equal(t.err.code, ErrorCode.INVALID_REQUEST, t.err.message);
            assert.match(t.err.message, /not a replica/);
            assert.ok(t.ms < 2_000, `refused in ${t.ms} ms`);
          }
        } finally {
          leaderWire.close();
        }
      } finally {
        wire.close();
      }

      if (size === 3) {
        // One broker down (not the controller): a replication factor of 3 cannot be placed.
        const md = await controllerOf(cluster);
        const victim = cluster.members.find((m) => m.id !== md)!.id;
        await cluster.kill(victim);
        await sleep(300);
        const c = await refusal(admin.admin().createTopic({ name: "too-wide", partitions: 1, replicationFactor: 3 }));
        assert.equal(c.err.code, ErrorCode.INVALID_REPLICATION_FACTOR, c.err.message);
        assert.match(c.err.message, /only 2 are reachable/);
        assert.ok(c.ms < 5_000, `refused in ${c.ms} ms`);
        // Two replicas still fit, on the live brokers.
        const ok = await admin.admin().createTopic({ name: "fits", partitions: 3, replicationFactor: 2 });
        for (const p of ok.partitions) assert.ok(!p.replicas.includes(victim), `partition ${p.partition} placed on the dead broker ${victim}`);
      }
    } finally {
      await admin.close();
      await cluster.stopAll();
    }
  });
}

/** The controller's broker id, as broker 1 sees it. */
async function controllerOf(cluster: TestCluster): Promise<number> {
  const c = await WireClient.connect(cluster.url(cluster.members[0]!.id));
  try {
    return (await c.request("metadata", { op: "metadata" })).controllerId;
  } finally {
    c.close();
  }
}
