/**
 * The admin listener on a real 3-broker cluster (docs/METRICS.md): /metrics
 * parses as Prometheus text on every broker while records are produced and
 * after, its counters move (records produced across brokers at least what
 * was acknowledged; each partition led by exactly one broker), /health and
 * /ready answer JSON, /ready answers 503 (listing what is missing) and then
 * 200 on a broker restarted after missing records, and unknown paths and
 * methods get 404 and 405.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { RlogClient } from "../../client/index.js";
import { freePorts, sleep, TestCluster } from "../broker/cluster-harness.js";
import { parsePrometheusText, sampleValue, type Family } from "./prometheus-text.js";

const TOPIC = "observed";
const PARTITIONS = 3;
const RECORDS_PER_ROUND = 600;

interface Answer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/** One HTTP request to 127.0.0.1:port (no keep-alive). */
function http(port: number, path: string, method = "GET"): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}

async function scrape(port: number): Promise<Map<string, Family>> {
  const a = await http(port, "/metrics");
  assert.equal(a.status, 200, a.body);
  assert.match(String(a.headers["content-type"]), /^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(a.body);
}

/** Sum of a sample over brokers, 0 where absent. */
const sum = (scrapes: readonly Map<string, Family>[], name: string, labels: Record<string, string> = {}): number => scrapes.reduce((acc, f) => acc + (sampleValue(f, name, labels) ?? 0), 0);

test("admin listener: /metrics on every broker during and after produce, /health, /ready through a restart, 404 and 405", { timeout: 120_000 }, async () => {
  const adminPorts = await freePorts(3);
  const adminPort = (id: number): number => adminPorts[id - 1]!;
  const cluster = await TestCluster.start({ size: 3, extraFor: (id) => ({ adminPort: adminPort(id), adminReadyLagEntriesMax: 10 }) });
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "admin-listener-test" });
  try {
    for (const id of [1, 2, 3]) {
      const h = await http(adminPort(id), "/health");
      assert.equal(h.status, 200);
      assert.match(String(h.headers["content-type"]), /^application\/json/);
      const body = JSON.parse(h.body) as { status: string; brokerId: number; uptimeSeconds: number };
      assert.equal(body.status, "ok");
      assert.equal(body.brokerId, id);
      assert.ok(body.uptimeSeconds >= 0);
    }

    await client.admin().createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    const producer = client.producer({ lingerMs: 2 });
    const produce = async (round: number): Promise<void> => {
      for (let i = 0; i < RECORDS_PER_ROUND; i += 50) {
        await producer.send({ topic: TOPIC, messages: Array.from({ length: 50 }, (_, j) => ({ key: `k${(i + j) % 17}`, value: `round ${round} record ${i + j}` })) });
      }
    };

    // Scrape all three while the first round is produced: every scrape must parse.
    const producing = produce(1);
    let during = 0;
    let done = false;
    void producing.finally(() => (done = true));
    while (!done) {
      for (const id of [1, 2, 3]) await scrape(adminPort(id));
      during++;
      await sleep(20);
    }
    await producing;
    assert.ok(during >= 1, "scraped while producing");

    // After: records counted across the brokers, one leader per partition, histograms consistent (the parser checks).
    const deadline = Date.now() + 15_000;
    let after: Map<string, Family>[];
    for (;;) {
      after = await Promise.all([1, 2, 3].map((id) => scrape(adminPort(id))));
      const leaders = [...Array(PARTITIONS).keys()].map((p) => sum(after, "rlog_partition_leader", { topic: TOPIC, partition: String(p) }));
      if (leaders.every((l) => l === 1)) break;
      if (Date.now() > deadline) assert.fail(`leader gauges per partition: ${leaders.join(",")}`);
      await sleep(100);
    }
    assert.ok(sum(after, "rlog_produce_records_total") >= RECORDS_PER_ROUND, `produce records total ${sum(after, "rlog_produce_records_total")}`);
    assert.ok(sum(after, "rlog_produce_bytes_total") > 0);
    assert.ok(sum(after, "rlog_produce_requests_total") >= 1);
    assert.equal(sum(after, "rlog_produce_request_duration_seconds_count"), sum(after, "rlog_produce_requests_total"));
    assert.ok(sum(after, "rlog_log_write_duration_seconds_count") > 0, "log writes observed");
    for (let p = 0; p < PARTITIONS; p++) {
      const hws = after.map((f) => sampleValue(f, "rlog_partition_high_watermark", { topic: TOPIC, partition: String(p) }));
      assert.ok(hws.every((hw) => hw !== undefined), `every broker hosts ${TOPIC}/${p}`);
    }
    const committed = [...Array(PARTITIONS).keys()].reduce((acc, p) => acc + Math.max(...after.map((f) => sampleValue(f, "rlog_partition_high_watermark", { topic: TOPIC, partition: String(p) }) ?? 0)), 0);
    assert.equal(committed, RECORDS_PER_ROUND, "the leaders' high watermarks add up to the records produced");
    for (const f of after) {
      assert.equal(f.get("rlog_produce_records_total")?.type, "counter");
      assert.equal(f.get("rlog_produce_request_duration_seconds")?.type, "histogram");
      assert.equal(f.get("nodejs_gc_duration_seconds")?.type, "histogram");
      assert.ok(f.has("nodejs_eventloop_lag_seconds"));
      assert.equal(sampleValue(f, "rlog_metrics_partitions_dropped"), 0);
    }

    // Every broker ready; then broker 3 misses a round, restarts, and is 503 until it has caught up.
    for (const id of [1, 2, 3]) {
      const r = await http(adminPort(id), "/ready");
      assert.equal(r.status, 200, r.body);
      assert.deepEqual(JSON.parse(r.body), { ready: true, brokerId: id, notReady: [], notReadyCount: 0 });
    }
    await cluster.kill(3);
    await produce(2);
    const seen: { status: number; notReady: string[] }[] = [];
    const restarting = cluster.restart(3);
    const readyDeadline = Date.now() + 30_000;
    for (;;) {
      const r = await http(adminPort(3), "/ready").catch(() => undefined); // refused until the listener is up
      if (r !== undefined) {
        const body = JSON.parse(r.body) as { ready: boolean; notReady: string[] };
        assert.equal(body.ready, r.status === 200);
        seen.push({ status: r.status, notReady: body.notReady });
        if (r.status === 200) break;
        assert.equal(r.status, 503);
        assert.ok(body.notReady.length > 0, "a 503 says what is not ready");
      }
      if (Date.now() > readyDeadline) assert.fail(`broker 3 never ready: ${JSON.stringify(seen.slice(-3))}`);
      await sleep(10);
    }
    await restarting;
    assert.ok(seen.some((s) => s.status === 503), `a 503 before the 200: ${JSON.stringify(seen.slice(0, 3))}`);
    const restarted = await scrape(adminPort(3));
    for (let p = 0; p < PARTITIONS; p++) assert.ok(sampleValue(restarted, "rlog_partition_term", { topic: TOPIC, partition: String(p) }) !== undefined);

    // Unknown path, wrong method, HEAD.
    const missing = await http(adminPort(1), "/nope");
    assert.equal(missing.status, 404);
    assert.equal((JSON.parse(missing.body) as { error: string }).error, "NOT_FOUND");
    const post = await http(adminPort(1), "/metrics", "POST");
    assert.equal(post.status, 405);
    assert.equal(post.headers["allow"], "GET, HEAD");
    assert.equal((JSON.parse(post.body) as { error: string }).error, "METHOD_NOT_ALLOWED");
    const head = await http(adminPort(1), "/health", "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body, "");
  } finally {
    await client.close();
    await cluster.stopAll();
  }
});
