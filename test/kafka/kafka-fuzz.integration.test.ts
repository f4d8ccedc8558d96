/**
 * Hostile input against a real broker's Kafka listener (one broker process
 * with kafka: true): a size prefix above kafka.requestBytesMax, a negative
 * one, a size below a header, an unknown API key (answered UNSUPPORTED_VERSION,
 * then closed), ApiVersions v99 (answered in v0 with error 35 and the
 * version list, connection kept), a truncated body, garbage bytes, and a few
 * thousand seeded random mutations of hand-built valid requests (Metadata,
 * CreateTopics validate-only, DescribeConfigs, SaslHandshake, ApiVersions v3,
 * a Produce-like frame): bit flips, set and inserted bytes, cut and
 * duplicated slices, huge counts and lengths. Each gets a response or a
 * clean close within RESPONSE_WAIT_MS. Afterwards the broker still answers
 * (ApiVersions on the Kafka listener, metadata through the rlog SDK), its
 * RSS did not run away, no API failed with anything but a decode error
 * (its log), and a topic written before the fuzzing reads back unchanged. The seed is printed; RLOG_KAFKA_FUZZ_SEED replays another one.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { ApiKey } from "../../broker/kafka/api-keys.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { buildRecordBatch } from "../../broker/protocol/batch-codec.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { RawKafkaConnection, requestFrame } from "./kafka-raw-client.js";
import { brokerRssBytes } from "./kafka-test-helpers.js";

const SEED = Number(process.env["RLOG_KAFKA_FUZZ_SEED"] ?? 20261202);
/** Mutated requests sent, over CONNECTIONS_AT_ONCE connections at a time. */
const MUTATIONS = 3000;
const CONNECTIONS_AT_ONCE = 8;
/** kafka.requestBytesMax of the broker under test. */
const REQUEST_BYTES_MAX = 64 * 1024;
/** Every request must be answered or its connection closed within this long (generous: 2 shared cores). */
const RESPONSE_WAIT_MS = 10_000;
/** Small bounds so a mutated CreateTopics that slips through stays cheap. */
const LIMITS = { partitionsMax: 4, replicationFactorMax: 1 };
/** RSS may grow by at most this much over the fuzzing (the broker's buffers are bounded; the rest is GC slack). */
const RSS_GROWTH_BYTES_MAX = 200 * 1024 * 1024;
const DATA_TOPIC = "fuzz-data";
const RECORDS = 200;

let cluster: TestCluster;
let rlog: RlogClient;
let kafka: string;

before(async () => {
  cluster = await TestCluster.start({ size: 1, kafka: true, extra: { limits: LIMITS, kafka: { requestBytesMax: REQUEST_BYTES_MAX } } });
  kafka = cluster.kafkaBrokers()[0]!;
  rlog = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-fuzz-test" });
});

after(async () => {
  await rlog?.close();
  await cluster?.stopAll();
});

/** The broker process's resident set size. */
const rssBytes = (): number => brokerRssBytes(cluster, 1);

/** A size prefix and raw bytes after it. */
function withSize(size: number, rest: Uint8Array = new Uint8Array(0)): Buffer {
  const head = Buffer.alloc(4);
  head.writeInt32BE(size);
  return Buffer.concat([head, rest]);
}

/** Send `bytes` on a fresh connection; what came back: a response, a close, or nothing in time. */
async function probe(bytes: Uint8Array, endAfter = false): Promise<"answered" | "closed" | "silent"> {
  const c = await RawKafkaConnection.open(kafka);
  try {
    c.write(bytes);
    if (endAfter) c.end();
    const r = await c.next(RESPONSE_WAIT_MS);
    if (r !== undefined) return "answered";
    return c.closed ? "closed" : "silent";
  } finally {
    c.destroy();
  }
}

test("bad frames: oversize, negative and undersize prefixes close; unknown API key and ApiVersions v99 are answered; truncated and garbage input close", { timeout: 60_000 }, async () => {
  assert.equal(await probe(withSize(REQUEST_BYTES_MAX + 1, new Uint8Array(100))), "closed", "size above requestBytesMax");
  assert.equal(await probe(withSize(-5)), "closed", "negative size");
  assert.equal(await probe(withSize(3, Uint8Array.of(0, 3, 0))), "closed", "size below a header");

  const unknown = await RawKafkaConnection.open(kafka);
  unknown.write(requestFrame(999, 0, 42));
  const u = await unknown.next();
  assert.equal(u?.correlationId, 42);
  assert.equal(u?.body.int16(), KafkaError.UNSUPPORTED_VERSION);
  assert.ok(await unknown.waitClosed(), "closed after the answer");

  const v99 = await RawKafkaConnection.open(kafka);
  try {
    // v3+ requests carry header v2: tagged fields after the client id.
    v99.write(requestFrame(ApiKey.ApiVersions, 99, 43, (w) => w.uvarint(0)));
    const a = await v99.next();
    assert.equal(a?.correlationId, 43);
    assert.equal(a?.body.int16(), KafkaError.UNSUPPORTED_VERSION);
    const versions = a!.body.array((r) => ({ key: r.int16(), min: r.int16(), max: r.int16() }));
    assert.ok(versions.some((v) => v.key === ApiKey.ApiVersions && v.min === 0 && v.max === 3));
    v99.write(requestFrame(ApiKey.ApiVersions, 0, 44));
    const again = await v99.next();
    assert.equal(again?.correlationId, 44, "the connection stays open");
    assert.equal(again?.body.int16(), KafkaError.NONE);
  } finally {
    v99.destroy();
  }

  const metadata = requestFrame(ApiKey.Metadata, 1, 45, (w) => w.array(["a-topic"], (x, t) => x.string(t)));
  const cut = Buffer.from(metadata.subarray(0, metadata.byteLength - 3));
  cut.writeInt32BE(cut.byteLength - 4);
  assert.equal(await probe(cut), "closed", "a body cut short, size consistent");
  const rnd = new SeededRandom(SEED);
  const garbage = Uint8Array.from({ length: 64 }, () => rnd.int(256));
  garbage.set([0, 0, 0, 60]);
  assert.notEqual(await probe(garbage), "silent", "garbage after a plausible size");
});

/** Hand-built valid requests the mutations start from (API key and version kept apart: see mutate()). */
async function seedFrames(): Promise<Buffer[]> {
  const batch = await buildRecordBatch([{ value: Buffer.from("fuzz") }, { key: Buffer.from("k"), value: Buffer.from("v") }], { timestampMs: 1_700_000_000_000 });
  const body = (f: (w: KafkaWriter) => void) => f;
  return [
    requestFrame(ApiKey.Metadata, 1, 1, body((w) => w.array([DATA_TOPIC, "other"], (x, t) => x.string(t)))),
    requestFrame(ApiKey.Metadata, 5, 2, body((w) => w.int32(-1).bool(false))),
    requestFrame(
      ApiKey.CreateTopics,
      3,
      3,
      body((w) =>
        w
          .array(["fuzz-new"], (x, t) =>
            x
              .string(t)
              .int32(1)
              .int16(1)
              .array([] as number[], () => undefined)
              .array(
                [
                  ["retention.ms", "60000"],
                  ["compression.type", "gzip"],
                ],
                (y, [n, v]) => y.string(n!).nullableString(v!),
              ),
          )
          .int32(5000)
          .bool(true),
      ),
    ),
    requestFrame(ApiKey.DescribeConfigs, 1, 4, body((w) => w.array([DATA_TOPIC], (x, t) => x.int8(2).string(t).array(["retention.ms"], (y, k) => y.string(k))).bool(false))),
    requestFrame(ApiKey.SaslHandshake, 1, 5, body((w) => w.string("SCRAM-SHA-256"))),
    requestFrame(ApiKey.ApiVersions, 3, 6, body((w) => w.uvarint(0).compactString("fuzz").compactString("1.0").uvarint(0))), // header tagged fields first
    // Produce v3 to a topic that does not exist (a mutation that still parses writes nothing that matters).
    requestFrame(ApiKey.Produce, 3, 7, body((w) => w.nullableString(null).int16(1).int32(1000).array(["fuzz-sink"], (x, t) => x.string(t).array([0], (y, p) => y.int32(p).bytes(batch))))),
  ];
}

const HUGE = [0x7f, 0xff, 0xff, 0xff];

/**
 * 1..4 mutations after the API key (so a mutation never turns a request into
 * a long poll of another API); the size prefix is then made right again,
 * unless `keepSize` (then it is mutated too, and the sender half-closes).
 */
function mutate(rnd: SeededRandom, frame: Buffer): { bytes: Uint8Array; keepSize: boolean } {
  let b = Array.from(frame.subarray(4));
  const from = 2;
  const n = 1 + rnd.int(4);
  for (let k = 0; k < n; k++) {
    const at = from + rnd.int(Math.max(1, b.length - from));
    switch (rnd.int(7)) {
      case 0:
        b[at] = (b[at] ?? 0) ^ (1 << rnd.int(8));
        break;
      case 1:
        b[at] = rnd.pick([0x00, 0xff, 0x7f, 0x80, rnd.int(256)]);
        break;
      case 2:
        b.splice(at, 0, rnd.int(256));
        break;
      case 3:
        b.splice(at, 1 + rnd.int(8));
        break;
      case 4:
        b = b.slice(0, at);
        break;
      case 5: // a huge count or length where one may be
        b.splice(Math.max(from, at - (at % 2)), 4, ...(rnd.chance(0.5) ? HUGE : [0xff, 0xff, 0xff, rnd.int(256)]));
        break;
      default: {
        const len = 1 + rnd.int(32);
        b.splice(at, 0, ...b.slice(at, at + len));
      }
    }
  }
  const keepSize = rnd.chance(0.05);
  const size = keepSize ? rnd.pick([-1, 0, b.length + 1 + rnd.int(100), REQUEST_BYTES_MAX * 2]) : b.length;
  return { bytes: withSize(size, Uint8Array.from(b)), keepSize };
}

test("seeded mutations of valid requests: each is answered or closed in time; afterwards the broker answers, memory is bounded, data intact", { timeout: 120_000 }, async () => {
  console.log(`kafka fuzz seed ${SEED} (RLOG_KAFKA_FUZZ_SEED to replay another)`);
  await rlog.admin().createTopic({ name: DATA_TOPIC, partitions: 1, replicationFactor: 1 });
  const producer = rlog.producer({ lingerMs: 0 });
  const values = Array.from({ length: RECORDS }, (_, i) => `record-${i}-\u0000\u00ff\u{1F600}`);
  await producer.send({ topic: DATA_TOPIC, messages: values.map((value) => ({ value })) });
  await producer.close();

  const seeds = await seedFrames();
  // Every seed frame is valid: it is answered (Produce, not yet served here, gets UNSUPPORTED_VERSION).
  for (const f of seeds) assert.equal(await probe(f), "answered", `seed frame api ${f.readInt16BE(4)}`);

  const rssBefore = rssBytes();
  const rnd = new SeededRandom(SEED);
  const outcomes = new Map<string, number>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < MUTATIONS) {
      const i = next++;
      const { bytes, keepSize } = mutate(rnd, rnd.pick(seeds));
      const outcome = await probe(bytes, keepSize);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      assert.notEqual(outcome, "silent", `mutation ${i} (seed ${SEED}) got neither an answer nor a close within ${RESPONSE_WAIT_MS} ms: ${Buffer.from(bytes).toString("hex")}`);
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS_AT_ONCE }, worker));
  console.log(`kafka fuzz outcomes: ${JSON.stringify(Object.fromEntries(outcomes))}`);
  const rssAfter = rssBytes();
  console.log(`broker RSS ${Math.round(rssBefore / 2 ** 20)} MiB -> ${Math.round(rssAfter / 2 ** 20)} MiB`);
  assert.ok(rssAfter - rssBefore < RSS_GROWTH_BYTES_MAX, `RSS grew by ${rssAfter - rssBefore} bytes`);

  // No request made an API throw anything but a decode error (that would be a bug: logged "kafka API failed").
  const log = readFileSync(cluster.member(1).logFile, "utf8");
  assert.doesNotMatch(log, /kafka API failed/);

  // Still up, on both listeners.
  const c = await RawKafkaConnection.open(kafka);
  try {
    c.write(requestFrame(ApiKey.ApiVersions, 2, 77));
    const r = await c.next();
    assert.equal(r?.correlationId, 77);
    assert.equal(r?.body.int16(), KafkaError.NONE);
  } finally {
    c.destroy();
  }
  const meta = await rlog.admin().describeTopic(DATA_TOPIC);
  assert.equal(meta.partitions[0]?.leader, 1);

  // The data written before is intact.
  const reader = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-fuzz-reader" });
  try {
    const consumer = reader.consumer({ maxWaitMs: 200 });
    consumer.assign([{ topic: DATA_TOPIC, partition: 0, from: "earliest" }]);
    const got: string[] = [];
    for await (const rec of consumer.records()) {
      got.push(String(rec.value));
      if (got.length === RECORDS) break;
    }
    assert.deepEqual(got, values);
  } finally {
    await reader.close();
  }
});
