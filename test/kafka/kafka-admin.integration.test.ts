/**
 * The Kafka admin APIs on three real brokers with Kafka listeners, with
 * real clients: kafkajs's admin creates a topic with configs (CreateTopics
 * on the controller, whichever broker it bootstraps from), lists it,
 * fetches its metadata, reads its configs back (DescribeConfigs) and
 * deletes it (DeleteTopics); an unknown config gets INVALID_CONFIG and an
 * existing topic TOPIC_ALREADY_EXISTS. The rlog SDK sees the same topics
 * with the same settings (one cluster behind both protocols). kcat -L -J
 * (librdkafka) lists every broker with its Kafka port and a topic's
 * partitions with their leaders. Raw CreateTopics v4 frames check the
 * broker's defaults (-1) and refused manual assignments, raw DescribeConfigs
 * a broker resource and an unknown resource type. Last, a broker registered
 * with `rlog-cli broker add --kafka-port` is advertised to Kafka clients.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import kafkajs, { type Admin } from "kafkajs";
import { RlogClient } from "../../client/index.js";
import { TestCluster, freePorts, sleep } from "../broker/cluster-harness.js";
import { runCli } from "../cli/run-cli.js";
import { kcat } from "./kcat.js";
import { createTopicsWhenLive } from "./kafkajs-helpers.js";
import { RawKafkaConnection, requestFrame } from "./kafka-raw-client.js";
import { ApiKey } from "../../broker/kafka/api-keys.js";
import type { KafkaWriter } from "../../broker/kafka/kafka-writer.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";

const { Kafka, logLevel, ConfigResourceTypes } = kafkajs;

let cluster: TestCluster;
let rlog: RlogClient;
let admin: Admin;

before(async () => {
  cluster = await TestCluster.start({ size: 3, kafka: true });
  rlog = new RlogClient({ brokers: cluster.urls(), clientId: "kafka-admin-test" });
  // Bootstrap from one broker only: CreateTopics must find the controller through Metadata.
  const kafka = new Kafka({ clientId: "kafka-admin-test", brokers: cluster.kafkaBrokers().slice(2), logLevel: logLevel.NOTHING, connectionTimeout: 10_000, requestTimeout: 30_000, retry: { retries: 8, initialRetryTime: 200 } });
  admin = kafka.admin();
  await admin.connect();
});

after(async () => {
  await admin?.disconnect();
  await rlog?.close();
  await cluster?.stopAll();
});

/** Poll `check` every 50 ms until it returns a value other than undefined; fail after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}


test("kafkajs createTopics with configs -> listTopics, fetchTopicMetadata, describeConfigs; the rlog SDK sees the same topic", { timeout: 60_000 }, async () => {
  const created = await createTopicsWhenLive(admin, {
    topics: [
      {
        topic: "k-orders",
        numPartitions: 3,
        replicationFactor: 2,
        configEntries: [
          { name: "retention.ms", value: "3600000" },
          { name: "segment.bytes", value: "1048576" },
          { name: "compression.type", value: "gzip" },
        ],
      },
    ],
    timeout: 15_000,
  });
  assert.equal(created, true);

  assert.ok((await admin.listTopics()).includes("k-orders"));
  const meta = await admin.fetchTopicMetadata({ topics: ["k-orders"] });
  const t = meta.topics[0]!;
  assert.equal(t.name, "k-orders");
  assert.deepEqual(
    t.partitions.map((p) => p.partitionId).sort(),
    [0, 1, 2],
  );
  for (const p of t.partitions) {
    assert.equal(p.replicas.length, 2);
    assert.ok(p.replicas.includes(p.leader), `partition ${p.partitionId}: leader ${p.leader} is a replica`);
  }

  const described = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: "k-orders" }], includeSynonyms: false });
  const resource = described.resources[0]!;
  assert.equal(resource.errorCode, 0);
  const entries = new Map(resource.configEntries.map((e) => [e.configName, e]));
  assert.equal(entries.get("retention.ms")?.configValue, "3600000");
  assert.equal(entries.get("retention.ms")?.isDefault, false);
  assert.equal(entries.get("segment.bytes")?.configValue, "1048576");
  assert.equal(entries.get("compression.type")?.configValue, "gzip");
  assert.equal(entries.get("cleanup.policy")?.configValue, "delete");
  assert.equal(entries.get("cleanup.policy")?.readOnly, true);
  assert.equal(entries.get("retention.bytes")?.isDefault, true);

  const viaRlog = await rlog.admin().describeTopic("k-orders");
  assert.equal(viaRlog.partitions.length, 3);
  assert.equal(viaRlog.replicationFactor, 2);
  assert.equal(viaRlog.config.retentionMs, 3_600_000);
  assert.equal(viaRlog.config.segmentBytes, 1_048_576);
  assert.equal(viaRlog.config.compression, "gzip");
});

test("createTopics: an unknown config is INVALID_CONFIG, an existing topic TOPIC_ALREADY_EXISTS; neither changes anything", { timeout: 60_000 }, async () => {
  await assert.rejects(
    admin.createTopics({ topics: [{ topic: "k-bad", numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "min.insync.replicas", value: "2" }] }] }),
    (err: { errors?: { type: string; message: string }[] }) => {
      assert.equal(err.errors?.[0]?.type, "INVALID_CONFIG", JSON.stringify(err));
      return true;
    },
  );
  await assert.rejects(
    admin.createTopics({ topics: [{ topic: "k-bad", numPartitions: 1, replicationFactor: 1, configEntries: [{ name: "segment.bytes", value: "10" }] }] }),
    (err: { errors?: { type: string }[] }) => err.errors?.[0]?.type === "INVALID_CONFIG",
    "a value below segmentBytesMin",
  );
  assert.ok(!(await admin.listTopics()).includes("k-bad"));

  await createTopicsWhenLive(admin, { topics: [{ topic: "k-twice", numPartitions: 1, replicationFactor: 1 }] });
  // kafkajs resolves false exactly when every topic's error is TOPIC_ALREADY_EXISTS.
  assert.equal(await admin.createTopics({ topics: [{ topic: "k-twice", numPartitions: 2, replicationFactor: 1 }] }), false);
  assert.equal((await rlog.admin().describeTopic("k-twice")).partitions.length, 1);

  // validateOnly: checked, not created.
  await admin.createTopics({ topics: [{ topic: "k-dry", numPartitions: 1, replicationFactor: 1 }], validateOnly: true, waitForLeaders: false });
  assert.ok(!(await admin.listTopics()).includes("k-dry"));
});

test("kafkajs deleteTopics removes the topic for both protocols", { timeout: 60_000 }, async () => {
  await createTopicsWhenLive(admin, { topics: [{ topic: "k-doomed", numPartitions: 2, replicationFactor: 2 }] });
  assert.ok((await rlog.admin().listTopics()).some((t) => t.name === "k-doomed"));
  await admin.deleteTopics({ topics: ["k-doomed"], timeout: 15_000 });
  await until("k-doomed gone", async () => ((await admin.listTopics()).includes("k-doomed") ? undefined : true));
  await rlog.admin().describeTopic("k-doomed").then(
    () => assert.fail("the rlog SDK still sees k-doomed"),
    (err: { codeName?: string }) => assert.equal(err.codeName, "UNKNOWN_TOPIC"),
  );
});

interface KcatMetadata {
  readonly brokers: { readonly id: number; readonly name: string }[];
  readonly topics: { readonly topic: string; readonly partitions: { readonly partition: number; readonly leader: number; readonly replicas: { readonly id: number }[] }[] }[];
}

test("kcat -L -J lists every broker with its Kafka port and a topic's partitions with leaders", { timeout: 60_000 }, async () => {
  // Retried while a broker looks down for a moment (INVALID_REPLICATION_FACTOR; see createTopicsWhenLive).
  await until("k-listed created", () =>
    rlog
      .admin()
      .createTopic({ name: "k-listed", partitions: 2, replicationFactor: 3 })
      .then(
        () => true,
        (err: { codeName?: string }) => {
          if (err.codeName === "INVALID_REPLICATION_FACTOR") return undefined;
          throw err;
        },
      ),
  );
  const listed = await until(
    "kcat to see k-listed with leaders",
    async () => {
      const md = JSON.parse(await kcat(["-b", cluster.kafkaBrokers()[0]!, "-L", "-J", "-t", "k-listed", "-m", "10"])) as KcatMetadata;
      const t = md.topics.find((x) => x.topic === "k-listed");
      return t !== undefined && t.partitions.length === 2 && t.partitions.every((p) => p.leader > 0) ? { md, t } : undefined;
    },
    30_000,
  );
  assert.deepEqual(
    listed.md.brokers.map((b) => `${b.id} ${b.name}`).sort(),
    cluster.kafkaBrokers().map((hostPort, i) => `${i + 1} ${hostPort}`).sort(),
  );
  for (const p of listed.t.partitions) {
    assert.deepEqual(
      p.replicas.map((r) => r.id).sort(),
      [1, 2, 3],
    );
    assert.ok([1, 2, 3].includes(p.leader));
  }
});

/** The controller's id and Kafka listener ("host:port"), from a Metadata v1 answer. */
async function controllerKafka(): Promise<{ id: number; hostPort: string }> {
  const c = await RawKafkaConnection.open(cluster.kafkaBrokers()[0]!);
  try {
    c.write(requestFrame(ApiKey.Metadata, 1, 1, (w) => w.array([] as string[], () => undefined)));
    const r = (await c.next())!;
    const brokers = r.body.array((x) => {
      const b = { id: x.int32(), host: x.string(), port: x.int32() };
      x.nullableString();
      return b;
    });
    const controller = brokers.find((b) => b.id === r.body.int32());
    assert.ok(controller !== undefined, "Metadata names a controller");
    return { id: controller.id, hostPort: `${controller.host}:${controller.port}` };
  } finally {
    c.destroy();
  }
}

test("raw CreateTopics v4: -1 takes the broker's defaults, manual assignments are refused; DescribeConfigs answers brokers and refuses unknown resource types", { timeout: 60_000 }, async () => {
  const controller = await controllerKafka();
  const c = await RawKafkaConnection.open(controller.hostPort);
  try {
    const topic = (name: string, assignments: number[][]) => (w: KafkaWriter) =>
      w
        .string(name)
        .int32(-1)
        .int16(-1)
        .array(assignments, (x, brokers) => x.int32(0).array(brokers, (y, id) => y.int32(id)))
        .array([] as string[], () => undefined);
    c.write(
      requestFrame(ApiKey.CreateTopics, 4, 2, (w) => {
        w.int32(2);
        topic("k-defaults", [])(w);
        topic("k-assigned", [[1, 2]])(w);
        w.int32(10_000).bool(false);
      }),
    );
    const r = (await c.next())!;
    assert.equal(r.body.int32(), 0, "throttle_time_ms");
    const answers = r.body.array((x) => ({ name: x.string(), code: x.int16(), message: x.nullableString() }));
    assert.deepEqual(
      answers.map((a) => [a.name, a.code]),
      [
        ["k-defaults", KafkaError.NONE],
        ["k-assigned", KafkaError.INVALID_REPLICA_ASSIGNMENT],
      ],
    );
    assert.match(answers[1]!.message ?? "", /manual replica assignment/);
    const created = await rlog.admin().describeTopic("k-defaults");
    assert.equal(created.partitions.length, 1, "defaultPartitions");
    assert.equal(created.replicationFactor, 3, "defaultReplicationFactor: min(3, brokers)");

    c.write(
      requestFrame(ApiKey.DescribeConfigs, 1, 3, (w) =>
        w
          .array(
            [
              [4, String(controller.id)],
              [99, "x"],
              [2, "no-such-topic"],
            ] as const,
            (x, [type, name]) => x.int8(type).string(name).int32(-1),
          )
          .bool(false),
      ),
    );
    const d = (await c.next())!;
    d.body.int32();
    const resources = d.body.array((x) => ({
      code: x.int16(),
      message: x.nullableString(),
      type: x.int8(),
      name: x.string(),
      configs: x.array((y) => {
        const e = { name: y.string(), value: y.nullableString(), readOnly: y.bool(), source: y.int8(), sensitive: y.bool() };
        y.array(() => undefined);
        return e;
      }),
    }));
    assert.deepEqual(
      resources.map((x) => [x.type, x.name, x.code]),
      [
        [4, String(controller.id), KafkaError.NONE],
        [99, "x", KafkaError.INVALID_REQUEST],
        [2, "no-such-topic", KafkaError.UNKNOWN_TOPIC_OR_PARTITION],
      ],
    );
    const broker = new Map(resources[0]!.configs.map((e) => [e.name, e]));
    assert.equal(broker.get("num.partitions")?.value, "1");
    assert.equal(broker.get("default.replication.factor")?.value, "3");
    assert.equal(broker.get("broker.id")?.value, String(controller.id));
  } finally {
    c.destroy();
  }
});

test("rlog-cli broker add --kafka-port: Kafka clients find the registered broker's Kafka port in Metadata (last: it changes the broker list)", { timeout: 60_000 }, async () => {
  const [clientPort, peerPort, kafkaPort] = await freePorts(3);
  const cli = (args: readonly string[]) => runCli([...args, "--brokers", cluster.urls().join(",")]);
  const added = await cli(["broker", "add", "4", "--host", "127.0.0.1", "--client-port", String(clientPort), "--peer-port", String(peerPort), "--kafka-port", String(kafkaPort)]);
  assert.equal(added.status, 0, added.stderr);
  assert.match(added.stdout.toString(), new RegExp(`kafka 127\\.0\\.0\\.1:${kafkaPort}`));
  const seen = await until("broker 4 in Kafka Metadata", async () => {
    const md = JSON.parse(await kcat(["-b", cluster.kafkaBrokers()[0]!, "-L", "-J", "-m", "10"])) as KcatMetadata;
    return md.brokers.find((b) => b.id === 4);
  });
  assert.equal(seen.name, `127.0.0.1:${kafkaPort}`);
  const removed = await cli(["broker", "remove", "4"]);
  assert.equal(removed.status, 0, removed.stderr);
});
