/**
 * A deposed coordinator must not answer fetchOffsets from its stale state.
 * The coordinator is paused (SIGSTOP) and cut off from both peers; the
 * others elect a new leader of its offsets partition, which acknowledges a
 * newer commit. The old coordinator is resumed, still believing it leads
 * (its Raft clock counts ticks, and none passed while it was stopped), and is
 * asked at once, on a connection opened before the pause. It must refuse
 * (it cannot confirm its leadership), never return the older offset.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient, RlogError } from "../../client/index.js";
import { OFFSETS_TOPIC, coordinatorPartition } from "../../broker/protocol/group-routing.js";
import { WireClient } from "../broker/wire-client.js";
import { sleep } from "../broker/cluster-harness.js";
import { ChaosCluster } from "./chaos-cluster.js";

const GROUP = "stale-read-group";
const TOPIC = "stale-read";

test("a deposed coordinator refuses fetchOffsets instead of answering with offsets older than an acknowledged commit", { timeout: 120_000 }, async () => {
  const cluster = await ChaosCluster.start(3);
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "stale-read" });
  let old: WireClient | undefined;
  try {
    const admin = client.admin();
    await admin.createTopic({ name: TOPIC, partitions: 1, replicationFactor: 3 });
    const producer = client.producer();
    await producer.send({ topic: TOPIC, messages: Array.from({ length: 30 }, (_, i) => ({ value: `r${i}` })) });
    await producer.close();
    await admin.resetOffsets({ group: GROUP, topic: TOPIC, to: { offset: 10 } });
    assert.deepEqual((await admin.fetchOffsets(GROUP)).map((o) => o.offset), [10]);

    const offsetsTopic = await admin.describeTopic(OFFSETS_TOPIC);
    const partition = coordinatorPartition(GROUP, offsetsTopic.partitions.length);
    const status = await admin.clusterStatus();
    const coordinator = status.partitions.find((p) => p.topic === OFFSETS_TOPIC && p.partition === partition)!.leader;
    assert.ok(coordinator > 0, "the group has a coordinator");
    old = await WireClient.connect(cluster.brokers.url(coordinator));

    cluster.pause(coordinator);
    const others = cluster.ids.filter((id) => id !== coordinator);
    cluster.partition([coordinator], others);
    // The others elect a new coordinator, which acknowledges a newer commit.
    const survivor = new RlogClient({ brokers: others.map((id) => cluster.brokers.url(id)), clientId: "stale-read-survivor" });
    try {
      await survivor.admin().resetOffsets({ group: GROUP, topic: TOPIC, to: { offset: 20 } });
      assert.deepEqual((await survivor.admin().fetchOffsets(GROUP)).map((o) => o.offset), [20]);
    } finally {
      await survivor.close();
    }

    cluster.resume(coordinator);
    const answer = await old.request("fetchOffsets", { op: "fetchOffsets", group: GROUP }, 30_000).then(
      (r) => r.offsets.map((o) => o.offset),
      (err: unknown) => (err instanceof RlogError ? err.codeName : String(err)),
    );
    console.log(`deposed coordinator answered ${JSON.stringify(answer)}`);
    assert.ok(typeof answer === "string" || answer[0] === 20, `the deposed coordinator answered ${JSON.stringify(answer)} after 20 was acknowledged`);
    assert.ok(typeof answer !== "string" || ["NOT_COORDINATOR", "COORDINATOR_NOT_AVAILABLE", "TIMEOUT"].includes(answer), `unexpected refusal ${answer}`);

    // Healed, the group's offset is the newer one everywhere.
    cluster.healLinks();
    await sleep(100);
    for (;;) {
      try {
        assert.deepEqual((await admin.fetchOffsets(GROUP)).map((o) => o.offset), [20]);
        break;
      } catch (err) {
        if (!(err instanceof RlogError && err.retriable)) throw err;
      }
    }
  } finally {
    old?.close();
    await client.close();
    await cluster.stop();
  }
});
