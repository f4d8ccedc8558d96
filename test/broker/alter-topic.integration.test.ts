/**
 * alterTopic on three real brokers (one cluster for the file): partitions
 * added to a live topic open on their brokers and a running SDK producer
 * spreads over them after its metadata refresh, a consumer reads everything
 * from all of them; retention made small drops old segments at once; and the
 * refusals, through the real CLI, with their exit code and one line each,
 * leave the topic as it was. Last, every broker is SIGKILLed and restarted:
 * what alterTopic changed (partitions, settings) and every record survive.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient } from "../../client/index.js";
import { TestCluster, sleep } from "./cluster-harness.js";
import { assertOneLineErrors, runCli } from "../cli/run-cli.js";

let cluster: TestCluster;
/** What the first test wrote to "grow" (read back after the restart in the last test). */
const growSent: string[] = [];

before(async () => {
  cluster = await TestCluster.start({ size: 3 });
});

after(async () => {
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

test("partitions 2 -> 4 (RF 2): the new partitions open, a running producer uses them after its metadata refresh, a consumer reads all 4", { timeout: 90_000 }, async () => {
  // The producer's client refreshes metadata older than 200 ms; the alter goes through another client, so the producer learns it only that way.
  const producing = new RlogClient({ brokers: cluster.urls(), clientId: "alter-producer", metadataMaxAgeMs: 200 });
  const admin = new RlogClient({ brokers: cluster.urls(), clientId: "alter-admin" });
  try {
    await admin.admin().createTopic({ name: "grow", partitions: 2, replicationFactor: 2 });
    const producer = producing.producer({ lingerMs: 0 });
    const sent = growSent;
    const send = async (value: string, partition?: number): Promise<number> => {
      const [placed] = await producer.send({ topic: "grow", messages: [{ value, ...(partition === undefined ? {} : { partition }) }] });
      sent.push(value);
      return placed!.partition;
    };
    for (let i = 0; i < 20; i++) assert.ok((await send(`before-${i}`)) < 2);

    const altered = await admin.admin().alterTopic("grow", { partitions: 4 });
    assert.equal(altered.partitions.length, 4);
    assert.equal(altered.replicationFactor, 2);
    assert.deepEqual(altered.partitions.slice(0, 2).map((p) => p.replicas), (await admin.admin().describeTopic("grow")).partitions.slice(0, 2).map((p) => p.replicas));
    for (const p of altered.partitions.slice(2)) assert.equal(new Set(p.replicas).size, 2, `partition ${p.partition}: two distinct replicas`);
    // The new partitions elect leaders (their replicas opened on the brokers assigned).
    await until("leaders for partitions 2 and 3", async () => {
      const t = await admin.admin().describeTopic("grow");
      return t.partitions.every((p) => p.leader !== 0) ? true : undefined;
    });

    // Unkeyed records spread over every partition once the producer's metadata is older than 200 ms.
    await sleep(300);
    const used = new Set<number>();
    for (let i = 0; i < 40; i++) used.add(await send(`after-${i}`));
    assert.deepEqual([...used].sort(), [0, 1, 2, 3], "the partitioner picked up the new partitions");
    // And explicitly, with acks=all (a commit on both replicas of each new partition).
    assert.equal(await send("direct-2", 2), 2);
    assert.equal(await send("direct-3", 3), 3);
    await producer.flush();

    const consumer = admin.consumer({ maxWaitMs: 200 });
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: "grow", partition, from: "earliest" as const })));
    const got: string[] = [];
    for await (const r of consumer.records()) {
      got.push(String(r.value));
      if (got.length === sent.length) break;
    }
    await consumer.stop();
    assert.deepEqual([...got].sort(), [...sent].sort(), "every record once, from all four partitions");
  } finally {
    await producing.close();
    await admin.close();
  }
});

test("retention made small by alterTopic drops old segments at once; other settings are kept", { timeout: 90_000 }, async () => {
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "alter-retention" });
  try {
    // 4 KiB segments (segmentBytesMin) and ~1 KiB records, one batch each: a segment rolls every few records.
    const created = await client.admin().createTopic({ name: "shrink", partitions: 1, replicationFactor: 2, config: { segmentBytes: 4096, compression: "none" } });
    const producer = client.producer({ lingerMs: 0 });
    const value = "v".repeat(1000);
    for (let i = 0; i < 60; i++) await producer.send({ topic: "shrink", messages: [{ value: `${i}:${value}` }] });
    const tp = { topic: "shrink", partition: 0 };
    assert.equal((await client.admin().listOffsets(tp, "earliest")).offset, 0);
    assert.equal((await client.admin().listOffsets(tp, "latest")).offset, 60);

    const bytes = await client.admin().alterTopic("shrink", { config: { retentionBytes: 16_384 } });
    assert.deepEqual(bytes.config, { ...created.config, retentionBytes: 16_384 });
    const start = await until("retentionBytes to drop segments", async () => {
      const o = (await client.admin().listOffsets(tp, "earliest")).offset;
      return o > 0 ? o : undefined;
    });
    // About 16 KiB of ~1 KiB records is left (whole segments: never less than the bound, at most a segment more).
    assert.ok(start >= 60 - 25 && start <= 60 - 12, `log start ${start}`);

    // Time: every record is older than 1 s by now; only the active segment may stay.
    await sleep(1_100);
    await client.admin().alterTopic("shrink", { config: { retentionMs: 1_000 } });
    const later = await until("retentionMs to drop segments", async () => {
      const o = (await client.admin().listOffsets(tp, "earliest")).offset;
      return o > start ? o : undefined;
    });
    assert.ok(later >= 60 - 5, `log start ${later}: only the active segment is left`);
    assert.equal((await client.admin().listOffsets(tp, "latest")).offset, 60);
    // A consumer from the earliest offset reads what is left.
    const consumer = client.consumer({ maxWaitMs: 200 });
    consumer.assign([{ ...tp, from: "earliest" as const }]);
    const first = (await consumer.records().next()).value;
    await consumer.stop();
    assert.equal(first?.offset, later);
  } finally {
    await client.close();
  }
});

test("rlog-cli topic alter: grows and changes settings; refusals get one line, a non-zero status, and change nothing", { timeout: 90_000 }, async () => {
  const brokers = cluster.urls().join(",");
  const cli = (args: readonly string[]) => runCli([...args, "--brokers", brokers]);
  const created = await cli(["topic", "create", "cli-alter", "-p", "2", "-r", "2"]);
  assert.equal(created.status, 0, created.stderr);
  const grown = await cli(["topic", "alter", "cli-alter", "--partitions", "3", "--config", "retention.ms=86400000", "--compression", "zstd"]);
  assert.equal(grown.status, 0, grown.stderr);
  const lines = grown.stdout.toString().split("\n");
  assert.equal(lines[0], "altered topic cli-alter");
  assert.equal(lines[1], "topic cli-alter: 3 partitions, replication factor 2");
  assert.match(lines[2] ?? "", /^settings: retentionMs=86400000 retentionBytes=-1 segmentBytes=\d+ segmentMs=\d+ compression=zstd$/);

  // The offsets topic is created by the controller soon after start.
  await until("__consumer_offsets", async () => ((await cli(["topic", "describe", "__consumer_offsets"])).status === 0 ? true : undefined));
  // Placement and settings (leaders may move meanwhile).
  const shape = async (): Promise<unknown> => {
    const t = JSON.parse((await cli(["topic", "describe", "cli-alter", "--json"])).stdout.toString()) as { partitions: { replicas: number[] }[]; config: unknown };
    return { replicas: t.partitions.map((p) => p.replicas), config: t.config };
  };
  const before = await shape();
  const cases = [
    { args: ["topic", "alter", "cli-alter", "--partitions", "2"], status: 1, line: "INVALID_PARTITIONS: topic cli-alter has 3 partitions; partitions can only be added (asked for 2, more than 3 needed)" },
    { args: ["topic", "alter", "cli-alter", "--partitions", "3"], status: 1, line: /^INVALID_PARTITIONS: topic cli-alter has 3 partitions; partitions can only be added/ },
    { args: ["topic", "alter", "cli-alter", "--partitions", "1025"], status: 1, line: /^INVALID_PARTITIONS: partitions: .*1024/ },
    { args: ["topic", "alter", "nope", "--partitions", "4"], status: 1, line: 'UNKNOWN_TOPIC: topic "nope" does not exist; list topics with: rlog-cli topic list' },
    { args: ["topic", "alter", "cli-alter", "--config", "segmentBytes=10"], status: 1, line: /^INVALID_REQUEST: config\.segmentBytes: / },
    { args: ["topic", "alter", "cli-alter", "--config", "retentionMs=-5"], status: 2, line: /^INVALID_ARGUMENT: --config retentionMs/ },
    { args: ["topic", "alter", "cli-alter", "--config", "colour=blue"], status: 2, line: /^INVALID_ARGUMENT: --config colour: unknown topic setting/ },
    { args: ["topic", "alter", "cli-alter"], status: 2, line: /^INVALID_ARGUMENT: topic alter: give --partitions, --config or --compression/ },
    { args: ["topic", "alter", "__consumer_offsets", "--partitions", "20"], status: 1, line: /^INVALID_TOPIC: the partition count of internal topic __consumer_offsets cannot change/ },
    { args: ["topic", "alter", "__consumer_offsets", "--config", "retentionMs=1000"], status: 1, line: /^INVALID_TOPIC: the retention of internal topic __consumer_offsets cannot change/ },
  ];
  const results = await Promise.all(cases.map((c) => cli(c.args)));
  assertOneLineErrors(cases, results);
  assert.deepEqual(await shape(), before, "refusals changed nothing");
});

test("a restart of every broker keeps what alterTopic changed: the grown topic's partitions and records, and the new settings", { timeout: 120_000 }, async () => {
  assert.ok(growSent.length > 0, "the first test wrote to the grown topic");
  for (const id of [1, 2, 3]) await cluster.kill(id);
  for (const id of [1, 2, 3]) await cluster.restart(id);
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "alter-restart" });
  try {
    const grown = await until(
      "leaders of every partition of the grown topic after the restart",
      async () => {
        const t = await client.admin().describeTopic("grow").catch(() => undefined);
        return t !== undefined && t.partitions.every((p) => p.leader !== 0) ? t : undefined;
      },
      30_000,
    );
    assert.equal(grown.partitions.length, 4);
    const consumer = client.consumer({ maxWaitMs: 200 });
    consumer.assign([0, 1, 2, 3].map((partition) => ({ topic: "grow", partition, from: "earliest" as const })));
    const got: string[] = [];
    for await (const r of consumer.records()) {
      got.push(String(r.value));
      if (got.length === growSent.length) break;
    }
    await consumer.stop();
    assert.deepEqual([...got].sort(), [...growSent].sort(), "every record of the grown topic, once");
    const shrink = await client.admin().describeTopic("shrink");
    assert.equal(shrink.config.retentionBytes, 16_384);
    assert.equal(shrink.config.retentionMs, 1_000);
  } finally {
    await client.close();
  }
});
