/**
 * kcat (librdkafka) consuming from rlog's Kafka listener (issue 19): records
 * produced with rlog's own SDK are printed by `kcat -C -e` (rlog -> Kafka
 * across protocols: Metadata, ListOffsets, Fetch), and by kcat's balanced
 * consumer `kcat -G` (librdkafka's group protocol against rlog's
 * coordinator with its server-side assignment), whose commits rlog's SDK
 * then reads. Skipped, saying so, when neither kcat nor kafkacat is
 * installed (CI installs it: .ci/run), and when the listener does not list
 * Produce v3+: librdkafka enables message format v2, and with it Fetch
 * v4+, only when the broker lists both Produce v3 and Fetch v4
 * (rdkafka_feature.c, MsgVer2); without it, it sends Fetch v2, which
 * rlog does not answer (no down-conversion of stored v2 batches).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { kafkaApis } from "../../broker/kafka/api-table.js";
import { ApiKey } from "../../broker/kafka/api-keys.js";

const TOPIC = "kcat-events";
const GROUP = "kcat-readers";
const PARTITIONS = 3;
const COUNT = 2_000;

/** The kcat binary (Debian ships it as kafkacat too), or undefined. */
function findKcat(): string | undefined {
  for (const name of ["kcat", "kafkacat"]) {
    if (spawnSync(name, ["-V"], { stdio: "ignore" }).status === 0) return name;
  }
  return undefined;
}

const KCAT = findKcat();

/** Why the test cannot run here, or false. */
function skipReason(): string | false {
  if (KCAT === undefined) return "neither kcat nor kafkacat is installed";
  if (!kafkaApis().some((a) => a.key === ApiKey.Produce && a.maxVersion >= 3)) return "the Kafka listener does not list Produce v3+, without which librdkafka does not use Fetch v4+";
  return false;
}

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run kcat to its exit; SIGKILLed (the test then fails on its output) after `timeoutMs`. */
function runKcat(args: readonly string[], timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(KCAT!, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function values(run: Run): string[] {
  return run.stdout.split("\n").filter((l) => l !== "");
}

test("kcat -C -e and kcat -G print every record produced with rlog's SDK; the group's commits are rlog's offsets", { skip: skipReason(), timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3, kafka: true });
  const rlog = new RlogClient({ brokers: cluster.urls(), clientId: "kcat-consume-test" });
  try {
    await rlog.admin().createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    const producer = rlog.producer({ lingerMs: 5 });
    await Promise.all(Array.from({ length: COUNT }, (_, i) => producer.send({ topic: TOPIC, messages: [{ key: `k${i % 31}`, value: `e${i}` }] })));
    await producer.flush();
    const expected = Array.from({ length: COUNT }, (_, i) => `e${i}`).sort();
    const brokers = cluster.kafkaBrokers().join(",");

    const plain = await runKcat(["-b", brokers, "-C", "-t", TOPIC, "-o", "beginning", "-e", "-q", "-f", "%s\\n"], 60_000);
    assert.equal(plain.code, 0, `kcat -C exits 0 at the end of every partition: ${plain.stderr}`);
    assert.deepEqual(values(plain).sort(), expected, "kcat -C printed every record once");

    // Balanced consumer: librdkafka joins, gets the coordinator's assignment, reads to the end, commits on close.
    const grouped = await runKcat(["-b", brokers, "-G", GROUP, "-o", "beginning", "-e", "-q", "-f", "%s\\n", "-X", "session.timeout.ms=10000", TOPIC], 60_000);
    assert.equal(grouped.code, 0, `kcat -G exits 0 at the end of its partitions: ${grouped.stderr}`);
    assert.deepEqual(values(grouped).sort(), expected, "kcat -G printed every record once");
    const offsets = await rlog.admin().fetchOffsets(GROUP);
    assert.equal(
      offsets.filter((o) => o.topic === TOPIC).reduce((s, o) => s + o.offset, 0),
      COUNT,
      `kcat's commits, read through rlog's SDK: ${JSON.stringify(offsets)}`,
    );
  } finally {
    await rlog.close();
    await cluster.stopAll();
  }
});
