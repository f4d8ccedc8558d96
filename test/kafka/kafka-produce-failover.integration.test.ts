/**
 * A partition leader SIGKILLed during a kafkajs produce loses nothing that
 * was acknowledged, and writes go on: an idempotent kafkajs producer (acks
 * -1) sends batches round robin to three partitions, recording what each
 * send() acknowledged; the leader of partition 0 is SIGKILLed mid-way;
 * sends go on until many more are acknowledged after the kill, partition 0
 * among them (availability, not only safety); the broker is restarted and
 * rlog's SDK reads every partition back: every acknowledged record is there
 * exactly once, each partition in send order, and nothing is duplicated
 * (a batch retried after its answer was lost is recognised by its producer
 * id and sequence).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import kafkajs from "kafkajs";
import { RlogClient } from "../../client/index.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";
import { leadersOf, readPartitions, until } from "./kafka-test-helpers.js";

const { Kafka, logLevel } = kafkajs;

const TOPIC = "kjs-failover";
const PARTITIONS = 3;
const PER_SEND = 20;
/** Sends acknowledged before the kill. */
const SENDS_BEFORE_KILL = 60;
/** Sends acknowledged to partition 0 (whose leader was killed) after the kill, at least. */
const PARTITION_0_SENDS_AFTER_KILL = 20;
/** How long after issuing the send to partition 0 its stopped leader is killed: time for kafkajs to write the request. */
const KILL_DELAY_MS = 200;
/** Longest the producer may take to reach that after the kill: election, metadata refresh and retries. */
const AFTER_KILL_WAIT_MS = 45_000;

/** kafkajs retries per send (at most 1 s apart): about a minute, more than AFTER_KILL_WAIT_MS. */
const RETRIES_MAX = 60;

let cluster: TestCluster;
let client: RlogClient;

before(async () => {
  cluster = await TestCluster.start({ size: 3, kafka: true });
  client = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-failover-check" });
});

after(async () => {
  await client?.close();
  await cluster?.stopAll();
});

test("a leader SIGKILLed during an idempotent kafkajs produce: every acknowledged record once, in order; writes continue after the kill", { timeout: 120_000 }, async () => {
  await client.admin().createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
  await leadersOf(client, TOPIC);
  // Retries bounded by RETRIES_MAX (a whole failover fits in it many times over), not kafkajs's unbounded idempotent default.
  const kafka = new Kafka({ clientId: "kjs-failover", brokers: cluster.kafkaBrokers(), logLevel: logLevel.NOTHING, retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: RETRIES_MAX } });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();

  /** Per partition: every value whose send() resolved, in send order. */
  const acked: string[][] = Array.from({ length: PARTITIONS }, () => []);
  const failures: string[] = [];
  const next = Array.from({ length: PARTITIONS }, () => 0);
  let sends = 0;
  let killedAt: number[] | undefined;
  let victim = 0;
  const started = performance.now();
  let killMs = 0;
  let firstAfterKillMs: number | undefined;
  try {
    for (;;) {
      if (killedAt !== undefined) {
        const after0 = (acked[0]!.length - killedAt[0]!) / PER_SEND;
        if (after0 >= PARTITION_0_SENDS_AFTER_KILL) break;
        assert.ok(performance.now() - killMs < AFTER_KILL_WAIT_MS, `partition 0 took ${after0} sends in ${AFTER_KILL_WAIT_MS} ms after the kill`);
      }
      const p = sends % PARTITIONS;
      const killNow = killedAt === undefined && sends === SENDS_BEFORE_KILL; // a send to partition 0 (SENDS_BEFORE_KILL % PARTITIONS === 0)
      if (killNow) {
        victim = (await leadersOf(client, TOPIC))[0]!;
        cluster.pause(victim); // SIGSTOP: the send below reaches its socket and is never answered
      }
      const values = Array.from({ length: PER_SEND }, () => `p${p}-${next[p]!++}`);
      const sending = producer.send({ topic: TOPIC, acks: -1, timeout: 10_000, messages: values.map((value) => ({ value, partition: p })) });
      if (killNow) {
        // While that send is in flight: kafkajs has written it to the stopped leader and waits for an
        // answer that never comes; it must resend it to the new leader.
        killedAt = acked.map((a) => a.length);
        await sleep(KILL_DELAY_MS);
        await cluster.kill(victim);
        killMs = performance.now();
        console.log(`killed broker ${victim}, the leader of partition 0, during send ${sends}`);
      }
      try {
        await sending;
        acked[p]!.push(...values);
        if (killedAt !== undefined && p === 0 && firstAfterKillMs === undefined) firstAfterKillMs = performance.now() - killMs;
      } catch (err) {
        failures.push(`${values[0]}..: ${(err as Error).message}`);
      }
      sends++;
    }
  } finally {
    await producer.disconnect();
  }
  const totalMs = performance.now() - started;
  console.log(`${sends} sends in ${Math.round(totalMs)} ms; the send in flight at the kill was acknowledged ${Math.round(firstAfterKillMs ?? -1)} ms after it; ${failures.length} sends failed`);
  assert.deepEqual(failures, [], "kafkajs retried through the failover: no send failed");
  for (let p = 0; p < PARTITIONS; p++) assert.ok(acked[p]!.length > killedAt![p]!, `partition ${p} took writes after the kill`);

  await cluster.restart(victim);
  await until(`broker ${victim} back`, async () => ((await client.admin().clusterStatus()).brokers.every((b) => b.reachable) ? true : undefined));
  const parts = await readPartitions(client, TOPIC, PARTITIONS);
  for (let p = 0; p < PARTITIONS; p++) {
    const got = parts[p]!.map((r) => String(r.value));
    assert.equal(new Set(got).size, got.length, `partition ${p}: no record twice`);
    const seqs = got.map((v) => Number(v.split("-")[1]));
    assert.ok(got.every((v) => v.startsWith(`p${p}-`)), `partition ${p}: only its own records`);
    assert.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), `partition ${p}: in send order`);
    const present = new Set(got);
    const lost = acked[p]!.filter((v) => !present.has(v));
    assert.deepEqual(lost, [], `partition ${p}: every acknowledged record is there`);
    assert.equal(got.length, acked[p]!.length, `partition ${p}: nothing but the acknowledged records (every send was answered)`);
  }
});
