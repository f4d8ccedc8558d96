/**
 * Kafka Produce and InitProducerId on three real brokers with Kafka
 * listeners (one cluster for the file):
 * - kafkajs, idempotent, sends 10,000 keyed records in sends of 100; rlog's
 *   own SDK consumer reads back exactly those records, each once, each
 *   partition in send order, at the offsets kafkajs was told (kafkajs -> rlog);
 * - kafkajs's default (not idempotent) producer, acks 1, gzip, headers;
 * - kcat -P writes lines (plain, and keyed with -K, idempotent) that rlog's
 *   SDK reads back;
 * - raw requests: InitProducerId sent to a broker that does not lead the
 *   controller is forwarded and answered with a fresh id; a transactional
 *   id, acks 2, an unknown topic and an internal one get their Kafka error codes; an
 *   idempotent batch sent twice is answered with its first offset and
 *   written once; acks 0 gets no answer; two batches in one records field.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import kafkajs from "kafkajs";
import { OFFSETS_TOPIC, RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { ApiKey } from "../../broker/kafka/api-keys.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { KafkaReader } from "../../broker/kafka/kafka-reader.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { batchOf } from "../protocol/batches.js";
import { PRODUCER_STATE_DEFAULTS } from "../../broker/protocol/defaults.js";
import { kafkaRequest, leadersOf, readPartitions } from "./kafka-test-helpers.js";

const { CompressionTypes, Kafka, Partitioners, logLevel } = kafkajs;

let cluster: TestCluster;
let client: RlogClient;

before(async () => {
  cluster = await TestCluster.start({ size: 3, kafka: true });
  client = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-produce-check" });
});

after(async () => {
  await client?.close();
  await cluster?.stopAll();
});

test("kafkajs (idempotent) sends 10,000 records; rlog's SDK reads exactly those, once each, in send order per partition", { timeout: 120_000 }, async () => {
  const topic = "kjs-10k";
  await client.admin().createTopic({ name: topic, partitions: 3, replicationFactor: 3 });
  await leadersOf(client, topic);
  const kafka = new Kafka({ clientId: "kjs-10k", brokers: cluster.kafkaBrokers(), logLevel: logLevel.WARN });
  // kafkajs keeps one produce in flight per broker for an idempotent producer (its broker lock).
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const SENDS = 100;
  const PER_SEND = 100;
  /** The offset kafkajs was told for the first record of each partition of each send, keyed "partition:offset" -> record number. */
  const told = new Map<string, number>();
  const started = performance.now();
  try {
    for (let s = 0; s < SENDS; s++) {
      const messages = Array.from({ length: PER_SEND }, (_, j) => {
        const n = s * PER_SEND + j;
        return { key: `key-${n}`, value: `value-${n}` };
      });
      const meta = await producer.send({ topic, acks: -1, messages });
      for (const m of meta) {
        assert.equal(m.errorCode, 0);
        // The first record of this send that the partitioner put on m.partition.
        const first = messages.findIndex((x) => partitionOfKey(x.key) === m.partition);
        told.set(`${m.partition}:${m.baseOffset}`, s * PER_SEND + first);
      }
    }
  } finally {
    await producer.disconnect();
  }
  const sendMs = performance.now() - started;
  console.log(`kafkajs sent ${SENDS * PER_SEND} records in ${Math.round(sendMs)} ms`);

  const parts = await readPartitions(client, topic, 3);
  const seen = new Set<number>();
  for (const [p, records] of parts.entries()) {
    let last = -1;
    for (const r of records) {
      const n = Number(String(r.value).slice("value-".length));
      assert.equal(String(r.key), `key-${n}`, "the key came through");
      assert.equal(partitionOfKey(`key-${n}`), p, `record ${n} is on the partition kafkajs's partitioner chose`);
      assert.ok(n > last, `partition ${p}: record ${n} after ${last}: send order`);
      assert.ok(!seen.has(n), `record ${n} once`);
      seen.add(n);
      last = n;
      const expected = told.get(`${p}:${r.offset}`);
      if (expected !== undefined) assert.equal(n, expected, `partition ${p} offset ${r.offset}: the record kafkajs was told is there`);
    }
  }
  assert.equal(seen.size, SENDS * PER_SEND, "every record read back");
  assert.ok(parts.every((r) => r.length > 0), "keys spread over all three partitions");
  assert.equal(told.size, [...told.keys()].length);
});

test("kafkajs's default producer (not idempotent: producer id -1, epoch 0, sequence 0) with acks 1 and gzip: rlog's SDK reads every record", { timeout: 60_000 }, async () => {
  const topic = "kjs-plain";
  await client.admin().createTopic({ name: topic, partitions: 2, replicationFactor: 3 });
  await leadersOf(client, topic);
  const kafka = new Kafka({ clientId: "kjs-plain", brokers: cluster.kafkaBrokers(), logLevel: logLevel.WARN });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const sent: string[][] = [[], []];
  try {
    for (let s = 0; s < 10; s++) {
      const partition = s % 2;
      const values = Array.from({ length: 50 }, (_, j) => `plain-${s}-${j}`);
      const [meta] = await producer.send({ topic, acks: 1, compression: CompressionTypes.GZIP, messages: values.map((value) => ({ value, partition, headers: { h: `x${s}` } })) });
      assert.equal(meta!.errorCode, 0);
      sent[partition]!.push(...values);
    }
  } finally {
    await producer.disconnect();
  }
  const parts = await readPartitions(client, topic, 2);
  for (const p of [0, 1]) {
    assert.deepEqual(parts[p]!.map((r) => String(r.value)), sent[p], `partition ${p}: every record once, in order`);
    assert.ok(parts[p]!.every((r) => r.headers.length === 1 && r.headers[0]!.key === "h"), "headers came through");
  }
});

/** kafkajs's default partitioner on a string key over 3 partitions (murmur2, as rlog's SDK and Java). */
function partitionOfKey(key: string): number {
  return kafkajsPartitioner({ topic: "", partitionMetadata: [0, 1, 2].map((partitionId) => ({ partitionId, leader: 1, replicas: [], isr: [], partitionErrorCode: 0 })), message: { key, value: null } });
}
const kafkajsPartitioner = Partitioners.DefaultPartitioner();

/** The kcat binary (Debian ships it as kafkacat too), or undefined. */
const KCAT = ["/usr/bin/kcat", "/usr/bin/kafkacat"].find((p) => existsSync(p));

/** Run kcat with `args`, feeding `input` on stdin; resolves with its exit code and stderr. */
function runKcat(args: readonly string[], input: string, timeoutMs = 30_000): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT!, args, { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`kcat ${args.join(" ")} did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
    child.stdin.end(input);
  });
}

/** The highest version of `apiKey` the listener at hostPort answers (ApiVersions v0), or undefined. */
async function apiVersionMax(hostPort: string, apiKey: number): Promise<number | undefined> {
  const r = await kafkaRequest(hostPort, ApiKey.ApiVersions, 0, () => {});
  assert.equal(r.int16(), KafkaError.NONE);
  const apis = r.array((x) => ({ key: x.int16(), min: x.int16(), max: x.int16() }));
  return apis.find((a) => a.key === apiKey)?.max;
}

test("kcat -P writes lines (plain to partition 0, keyed with -K and idempotence to partition 1); rlog's SDK reads them back", { timeout: 90_000, skip: KCAT === undefined ? "neither /usr/bin/kcat nor /usr/bin/kafkacat is installed (apt-get install kafkacat)" : false }, async (t) => {
  // librdkafka writes RecordBatch v2 only when the broker lists Produce v3+ AND Fetch v4+ (its MsgVer2
  // feature); without Fetch it falls back to MessageSet v0, which rlog does not store.
  const fetchMax = await apiVersionMax(cluster.kafkaBrokers()[0]!, ApiKey.Fetch);
  if (fetchMax === undefined || fetchMax < 4) {
    t.skip("this build's Kafka listener has no Fetch v4+, without which librdkafka sends MessageSet v0 instead of RecordBatch v2");
    return;
  }
  const topic = "kcat-p";
  await client.admin().createTopic({ name: topic, partitions: 2, replicationFactor: 3 });
  await leadersOf(client, topic);
  const brokers = cluster.kafkaBrokers().join(",");
  const plain = Array.from({ length: 200 }, (_, i) => `line ${i}`);
  const first = await runKcat(["-b", brokers, "-P", "-t", topic, "-p", "0"], plain.join("\n") + "\n");
  assert.equal(first.code, 0, `kcat -P exit code; stderr: ${first.stderr}`);
  assert.doesNotMatch(first.stderr, /error|fail/i, "kcat reports no error");
  const keyed = Array.from({ length: 100 }, (_, i) => `k${i % 7}:v${i}`);
  const second = await runKcat(["-b", brokers, "-P", "-t", topic, "-p", "1", "-K", ":", "-X", "enable.idempotence=true"], keyed.join("\n") + "\n");
  assert.equal(second.code, 0, `kcat -P -K exit code; stderr: ${second.stderr}`);
  assert.doesNotMatch(second.stderr, /error|fail/i, "kcat reports no error");

  const [p0, p1] = await readPartitions(client, topic, 2);
  assert.deepEqual(p0!.map((r) => String(r.value)), plain, "partition 0: every line once, in order");
  assert.ok(p0!.every((r) => r.key === undefined), "no keys without -K");
  assert.deepEqual(p1!.map((r) => `${String(r.key)}:${String(r.value)}`), keyed, "partition 1: every keyed line once, in order");
});

test("InitProducerId from a broker that does not lead the controller is forwarded and answered with a fresh id", { timeout: 60_000 }, async () => {
  const controller = (await client.admin().clusterStatus()).controller.leader;
  assert.notEqual(controller, 0, "a controller leader");
  const ids = new Set<number>();
  for (const [i, hostPort] of cluster.kafkaBrokers().entries()) {
    const r = await kafkaRequest(hostPort, ApiKey.InitProducerId, 1, (w) => w.nullableString(null).int32(60_000));
    assert.equal(r.int32(), 0, "throttle_time_ms");
    assert.equal(r.int16(), KafkaError.NONE, `broker ${i + 1} (controller ${controller}) answers without error`);
    const id = r.int64();
    assert.equal(r.int16(), 0, "epoch 0");
    r.end();
    assert.ok(id >= 0 && !ids.has(id), `a fresh id from broker ${i + 1}`);
    ids.add(id);
  }
});

test("a transactional id, acks 2, an unknown topic and an internal topic get Kafka's error codes; a produce with a transactional id writes nothing", { timeout: 60_000 }, async () => {
  const topic = "kafka-refusals";
  await client.admin().createTopic({ name: topic, partitions: 1, replicationFactor: 3 });
  const [leader] = await leadersOf(client, topic);
  const leaderKafka = cluster.kafkaBrokers()[leader! - 1]!;

  const txn = await kafkaRequest(leaderKafka, ApiKey.InitProducerId, 0, (w) => w.nullableString("txn-1").int32(60_000));
  txn.int32();
  assert.equal(txn.int16(), KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, "InitProducerId with a transactional id");

  const batch = batchOf([{ value: new TextEncoder().encode("never") }]);
  const produce = (transactionalId: string | null, acks: number, name: string) =>
    kafkaRequest(leaderKafka, ApiKey.Produce, 8, (w) =>
      w
        .nullableString(transactionalId)
        .int16(acks)
        .int32(10_000)
        .array([name], (x, t) => x.string(t).array([0], (y, p) => y.int32(p).nullableBytes(batch))),
    );
  const answer = async (transactionalId: string | null, acks: number, name: string): Promise<{ code: number; offset: number; message: string | null }> => {
    const r = await produce(transactionalId, acks, name);
    assert.equal(r.int32(), 1);
    assert.equal(r.string(), name);
    assert.equal(r.int32(), 1);
    assert.equal(r.int32(), 0, "partition index");
    const code = r.int16();
    const offset = r.int64();
    assert.equal(r.int64(), -1, "log_append_time_ms");
    r.int64(); // log_start_offset
    assert.equal(r.int32(), 0, "record_errors");
    const message = r.nullableString();
    assert.equal(r.int32(), 0, "throttle_time_ms");
    r.end();
    return { code, offset, message };
  };
  const t = await answer("txn-1", -1, topic);
  assert.equal(t.code, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
  assert.match(t.message ?? "", /no transactions/);
  assert.equal((await answer(null, 2, topic)).code, KafkaError.INVALID_REQUIRED_ACKS);
  assert.equal((await answer(null, -1, "no-such-topic")).code, KafkaError.UNKNOWN_TOPIC_OR_PARTITION);
  // rlog's request validator runs on Kafka requests too: no client writes into the consumer groups' log.
  const internal = await answer(null, -1, OFFSETS_TOPIC);
  assert.equal(internal.code, KafkaError.INVALID_TOPIC_EXCEPTION, `produce to ${OFFSETS_TOPIC}: ${internal.message}`);
  assert.equal((await client.admin().listOffsets({ topic, partition: 0 }, "latest")).offset, 0, "nothing was written");
  const ok = await answer(null, -1, topic);
  assert.deepEqual([ok.code, ok.offset, ok.message], [KafkaError.NONE, 0, null], "the same batch without them is written at offset 0");
});

test("an idempotent batch sent twice (a retry after a lost answer) is answered NONE with the first copy's offset and written once", { timeout: 60_000 }, async () => {
  const topic = "kafka-dup";
  await client.admin().createTopic({ name: topic, partitions: 1, replicationFactor: 3 });
  const [leader] = await leadersOf(client, topic);
  const leaderKafka = cluster.kafkaBrokers()[leader! - 1]!;
  const init = await kafkaRequest(leaderKafka, ApiKey.InitProducerId, 1, (w) => w.nullableString(null).int32(60_000));
  init.int32();
  assert.equal(init.int16(), KafkaError.NONE);
  const producerId = init.int64();
  const producerEpoch = init.int16();
  const enc = new TextEncoder();
  const batch = (seq: number, values: string[]) => batchOf(values.map((v) => ({ value: enc.encode(v) })), Date.now(), { producerId, producerEpoch, baseSequence: seq });
  const produce = async (b: Uint8Array): Promise<{ code: number; offset: number }> => {
    const r = await kafkaRequest(leaderKafka, ApiKey.Produce, 7, (w) =>
      w
        .nullableString(null)
        .int16(-1)
        .int32(10_000)
        .array([topic], (x, t) => x.string(t).array([0], (y, p) => y.int32(p).nullableBytes(b))),
    );
    r.int32();
    r.string();
    r.int32();
    r.int32();
    return { code: r.int16(), offset: r.int64() };
  };
  const first = batch(0, ["a", "b", "c"]);
  assert.deepEqual(await produce(first), { code: KafkaError.NONE, offset: 0 });
  assert.deepEqual(await produce(batch(3, ["d"])), { code: KafkaError.NONE, offset: 3 });
  assert.deepEqual(await produce(first), { code: KafkaError.NONE, offset: 0 }, "the resent first batch: NONE, its original offset");
  assert.deepEqual(await produce(batch(5, ["f"])), { code: KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER, offset: -1 }, "a gap in the sequence");
  // Past the batches the leader remembers per producer, a resent batch is DUPLICATE_SEQUENCE_NUMBER
  // (Kafka's Java client and librdkafka count it as written): it is not written again either.
  const later = Array.from({ length: PRODUCER_STATE_DEFAULTS.batchesPerProducerMax }, (_, i) => `e${i}`);
  for (const [i, v] of later.entries()) assert.equal((await produce(batch(4 + i, [v]))).code, KafkaError.NONE);
  assert.deepEqual(await produce(first), { code: KafkaError.DUPLICATE_SEQUENCE_NUMBER, offset: -1 }, "a batch older than the producer state");
  const [records] = await readPartitions(client, topic, 1);
  assert.deepEqual(records!.map((r) => String(r.value)), ["a", "b", "c", "d", ...later], "each written once");
});

test("acks 0 is answered with nothing (the next request's answer comes first) and written; two batches in one records field are both written", { timeout: 60_000 }, async () => {
  const topic = "kafka-acks0";
  await client.admin().createTopic({ name: topic, partitions: 1, replicationFactor: 3 });
  const [leader] = await leadersOf(client, topic);
  const leaderKafka = cluster.kafkaBrokers()[leader! - 1]!;
  const enc = new TextEncoder();
  const produceFrame = (correlationId: number, acks: number, records: Uint8Array): Buffer => {
    const w = new KafkaWriter().int16(ApiKey.Produce).int16(7).int32(correlationId).string("rlog-test");
    w.nullableString(null).int16(acks).int32(10_000).array([topic], (x, t) => x.string(t).array([0], (y, p) => y.int32(p).nullableBytes(records)));
    const body = Buffer.concat(w.finish());
    const head = Buffer.alloc(4);
    head.writeInt32BE(body.byteLength);
    return Buffer.concat([head, body]);
  };
  const two = Buffer.concat([batchOf([{ value: enc.encode("b1") }]), batchOf([{ value: enc.encode("b2") }, { value: enc.encode("b3") }])]);
  // On one connection: an acks-0 produce (correlation 1), then an acks -1 produce of two batches (correlation 2).
  const answers = await new Promise<Buffer>((resolve, reject) => {
    const [host, port] = leaderKafka.split(":");
    const socket = connect({ host: host!, port: Number(port) });
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no answer within 15 s"));
    }, 15_000);
    socket.on("connect", () => socket.write(Buffer.concat([produceFrame(1, 0, batchOf([{ value: enc.encode("a0") }])), produceFrame(2, -1, two)])));
    socket.on("data", (d: Buffer) => {
      got.push(d);
      const all = Buffer.concat(got);
      if (all.byteLength < 4 || all.byteLength < 4 + all.readInt32BE(0)) return;
      clearTimeout(timer);
      // Anything more (an answer to the acks-0 request) would arrive before this one, since answers keep request order.
      socket.destroy();
      resolve(all);
    });
    socket.on("error", reject);
  });
  const r = new KafkaReader(answers.subarray(4, 4 + answers.readInt32BE(0)));
  assert.equal(r.int32(), 2, "the first answer is the second request's: acks 0 got none");
  r.int32();
  r.string();
  r.int32();
  r.int32();
  assert.equal(r.int16(), KafkaError.NONE);
  assert.equal(r.int64(), 1, "the first batch's base offset (the acks-0 record is at 0)");
  const [records] = await readPartitions(client, topic, 1);
  assert.deepEqual(records!.map((x) => `${x.offset}:${String(x.value)}`), ["0:a0", "1:b1", "2:b2", "3:b3"]);
});
