/**
 * Producer ids in blocks, on three real brokers: 2,000 initProducerId calls
 * (half before, half after the controller leader is SIGKILLed) grow the
 * controller log by a few entries only, every id is unique, and idempotent
 * produce with those ids still drops a resent batch. Then idle producer
 * state expiry (producerIdExpirationMs) on real brokers.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { TestCluster, sleep } from "./cluster-harness.js";
import { Router, readAll } from "./test-producer.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { batchOf } from "../protocol/batches.js";
import { PRODUCER_ID_DEFAULTS } from "../../broker/protocol/defaults.js";

const TOPIC = "pids";
/** initProducerId calls in flight at once (below the connection's inflightRequestsMax of 128). */
const WAVE = 100;

/** `count` producer ids from the controller, WAVE at a time, each call retried across a failover. */
async function initProducers(router: Router, count: number): Promise<number[]> {
  const ids: number[] = [];
  for (let done = 0; done < count; done += WAVE) {
    const wave = Array.from({ length: Math.min(WAVE, count - done) }, () =>
      router.retry(async () => (await router.to(await router.controllerUrl(), "initProducerId", { op: "initProducerId" })).producerId),
    );
    ids.push(...(await Promise.all(wave)));
  }
  return ids;
}

/** The controller's last index, as the controller leader reports it. */
async function controllerLastIndex(router: Router): Promise<number> {
  return router.retry(async () => {
    const s = await router.to(await router.controllerUrl(), "clusterStatus", { op: "clusterStatus" });
    assert.ok(s.controller.lastIndex !== undefined, "clusterStatus names the controller log's last index");
    return s.controller.lastIndex;
  });
}

/** The URL of partition 0's leader. */
async function partitionLeaderUrl(router: Router): Promise<string> {
  const md = await router.any("metadata", { op: "metadata", topics: [TOPIC] });
  const leader = md.topics[0]?.partitions[0]?.leader;
  const b = md.brokers.find((x) => x.brokerId === leader);
  if (!b) throw new RlogError("LEADER_NOT_AVAILABLE", "partition 0 has no leader yet");
  return b.clientUrl;
}

/** A produce request of one idempotent record, its batch stamped with `timestampMs`. */
function produceBody(value: string, producerId: number, baseSequence: number, timestampMs = Date.now()) {
  return {
    op: "produce" as const,
    topic: TOPIC,
    partition: 0,
    acks: "all" as const,
    timeoutMs: 5_000,
    batch: batchOf([{ value: new TextEncoder().encode(value) }], timestampMs, { producerId, producerEpoch: 0, baseSequence }),
  };
}

/** Produce one idempotent batch twice (a retry after a lost answer): the same offset both times. */
async function produceTwice(router: Router, producerId: number, value: string): Promise<number> {
  const body = produceBody(value, producerId, 0);
  const first = await router.retry(async () => router.to(await partitionLeaderUrl(router), "produce", body));
  const again = await router.retry(async () => router.to(await partitionLeaderUrl(router), "produce", body));
  assert.equal(again.baseOffset, first.baseOffset, `producer ${producerId}: the resent batch is answered with the first one's offset`);
  return first.baseOffset;
}

test("2,000 producers cost a few controller entries, ids stay unique across a controller failover, and idempotent produce still dedups", { timeout: 180_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const router = new Router(cluster.urls());
  try {
    await router.retry(async () => router.to(await router.controllerUrl(), "createTopic", { op: "createTopic", name: TOPIC, partitions: 1, replicationFactor: 3 }));
    const before = await controllerLastIndex(router);
    const first = await initProducers(router, 1_000);
    const afterFirst = await controllerLastIndex(router);
    console.log(`controller log: last index ${before} before 1,000 initProducerId, ${afterFirst} after`);
    assert.ok(afterFirst - before <= 2, `1,000 producers took ${afterFirst - before} controller entries (one block of ${PRODUCER_ID_DEFAULTS.producerIdBlockSize})`);

    // SIGKILL the controller leader: the new one starts its own block, past the old one's unused ids.
    const md = await router.any("metadata", { op: "metadata" });
    const killed = md.controllerId;
    assert.ok(killed > 0);
    await cluster.kill(killed);
    const second = await initProducers(router, 1_000);
    const all = [...first, ...second];
    assert.equal(new Set(all).size, all.length, "2,000 unique producer ids");
    assert.ok(Math.min(...second) >= Math.max(...first) + 1, "the new controller's ids are above the old one's");
    await cluster.restart(killed);
    const afterAll = await controllerLastIndex(router);
    console.log(`controller log: last index ${afterAll} after 2,000 initProducerId and a failover (started at ${before})`);
    // A block or two per controller, the new leader's no-op, and the rest of the old leader's term.
    assert.ok(afterAll - before <= 8, `2,000 producers and a failover took ${afterAll - before} controller entries`);

    // Idempotent produce with ids from both controllers: a resent batch is written once.
    const producers = [first[0]!, first[999]!, second[0]!, second[999]!];
    for (const [k, producerId] of producers.entries()) await produceTwice(router, producerId, `v${k}`);
    const got = await readAll(router, TOPIC, 0);
    assert.deepEqual(got.map((r) => r.value), ["v0", "v1", "v2", "v3"], "each batch once, despite the resends");
  } finally {
    router.close();
    await cluster.stopAll();
  }
});

test("an idle producer expires after producerIdExpirationMs: its next batch is taken as from an unknown producer", { timeout: 120_000 }, async () => {
  // Long enough that the four writes before the wait stay well inside it on a loaded machine.
  const expirationMs = 5_000;
  const cluster = await TestCluster.start({ size: 3, extra: { producerIdExpirationMs: expirationMs } });
  const router = new Router(cluster.urls());
  try {
    await router.retry(async () => router.to(await router.controllerUrl(), "createTopic", { op: "createTopic", name: TOPIC, partitions: 1, replicationFactor: 3 }));
    const init = async () => (await router.retry(async () => router.to(await router.controllerUrl(), "initProducerId", { op: "initProducerId" }))).producerId;
    const [a, b] = [await init(), await init()];
    const produce = (body: ReturnType<typeof produceBody>) => router.retry(async () => router.to(await partitionLeaderUrl(router), "produce", body));
    const a0 = produceBody("a0", a, 0);
    const b0 = produceBody("b0", b, 0);
    assert.equal((await produce(a0)).baseOffset, 0);
    assert.equal((await produce(a0)).baseOffset, 0, "a resend within the window is a duplicate");
    const gap = await produce(produceBody("a5", a, 5)).then(() => undefined, (e: unknown) => e);
    assert.ok(gap instanceof RlogError && gap.is("OUT_OF_ORDER_SEQUENCE"), `a known producer may not skip sequences: ${String(gap)}`);
    assert.equal((await produce(b0)).baseOffset, 1);
    // Both producers' latest batches are now older than the expiry (by their own timestamps).
    await sleep(expirationMs + 500);
    assert.equal((await produce(produceBody("a5", a, 5))).baseOffset, 2, "forgotten: any sequence is accepted, as from an unknown producer");
    assert.equal((await produce(b0)).baseOffset, 3, "forgotten: the old batch resent is written again (the documented cost of expiry)");
    const got = await readAll(router, TOPIC, 0);
    assert.deepEqual(got.map((r) => r.value), ["a0", "b0", "a5", "b0"]);
  } finally {
    router.close();
    await cluster.stopAll();
  }
});
