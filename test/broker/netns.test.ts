/**
 * Three brokers on three hosts, a client on a fourth, and a real network
 * partition: each is a Linux network namespace with its own address on one
 * bridge (netns-harness.ts). Needs root and `ip`; skips and says why without.
 *
 * 1. Brokers bind 0.0.0.0 (broker 1) or their own address (2, 3) and
 *    advertise their own address: every URL the cluster hands out is one the
 *    client namespace can reach, none is 0.0.0.0 or 127.0.0.1.
 * 2. A topic with RF 3 and one with RF 1: keyed records produced and read
 *    back from the client namespace, through the SDK and through rlog-cli.
 * 3. The leader of an RF 3 partition has its cable pulled (its bridge port
 *    goes down): the two others elect a leader and take acks=all writes;
 *    the client sees only that broker unreachable, and a client on the
 *    cut-off host itself gets no acknowledgement.
 * 4. Plugged back in, it catches up: every replica's lag goes to 0, it takes
 *    leadership of that partition by a transfer, and every acknowledged record
 *    (before and during the partition) reads back once, in order per key.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { packageRoot } from "../../config/index.js";
import { NetnsCluster, NetnsLab, netnsSkipReason, removeStaleNamespaces, type RunResult } from "./netns-harness.js";
import type { SeenRecord } from "./netns-client.js";

const CLIENT_JS = fileURLToPath(new URL("./netns-client.js", import.meta.url));
const CLI_MAIN = join(packageRoot(), "dist", "cli", "main.js");
const HOSTS = ["b1", "b2", "b3", "client"] as const;

/** Raft timing as shipped (10 ms ticks, 500 ms base election timeout); only the retention check is irrelevant here. */
const BROKER_EXTRA = { defaultPartitions: 3 };

interface StatusJson {
  brokers: { brokerId: number; clientUrl: string; reachable: boolean; error?: string }[];
  controller: { leader: number; term: number };
  partitions: {
    topic: string;
    partition: number;
    leader: number;
    term: number;
    highWatermark: number;
    replicas: { brokerId: number; lagEntries: number; reachable: boolean }[];
    fromLeader: boolean;
  }[];
}

function cleanEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("RLOG_")));
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test("brokers in their own network namespaces: advertised addresses, RF 3 and RF 1 topics, a cut-off leader, its return", { timeout: 120_000 }, async (t) => {
  const skip = netnsSkipReason();
  if (skip !== undefined) {
    t.skip(skip);
    return;
  }
  const stale = removeStaleNamespaces();
  if (stale.length > 0) t.diagnostic(`removed stale namespaces of dead test processes: ${stale.join(", ")}`);

  const started = performance.now();
  const mark = (what: string): void => t.diagnostic(`${((performance.now() - started) / 1000).toFixed(1)} s: ${what}`);
  const lab = NetnsLab.create(HOSTS);
  let cluster: NetnsCluster | undefined;
  let passed = false;
  try {
    // Broker 1 binds every interface, 2 and 3 only their own address; all advertise their own address.
    cluster = NetnsCluster.start(lab, 3, (id, address) => (id === 1 ? "0.0.0.0" : address), BROKER_EXTRA);
    const c = cluster;
    const urls = c.urls();
    const fail = (what: string, r: RunResult): never => assert.fail(`${what}: exit ${r.status ?? r.signal}\nstdout: ${r.stdout}\nstderr: ${r.stderr}\n${c.logs()}`);
    /** One SDK operation from the client namespace (netns-client.ts). */
    const sdk = async <T>(cmd: Record<string, unknown>, timeoutMs = 30_000): Promise<T> => {
      const r = await lab.run("client", process.execPath, [CLIENT_JS, JSON.stringify({ urls, ...cmd })], { timeoutMs, env: cleanEnv() });
      if (r.status !== 0) fail(`client ${String(cmd["op"])}`, r);
      return JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as T;
    };
    /** rlog-cli from the client namespace. */
    const cli = (args: readonly string[], input = ""): Promise<RunResult> =>
      lab.run("client", process.execPath, [CLI_MAIN, ...args, "--brokers", urls.join(",")], { input, timeoutMs: 30_000, env: cleanEnv() });
    const status = async (): Promise<StatusJson> => {
      const r = await cli(["cluster", "status", "--json", "--timeout-ms", "1500"]);
      if (r.status !== 0) fail("cluster status", r);
      return JSON.parse(r.stdout) as StatusJson;
    };

    await sdk({ op: "ready", timeoutMs: 30_000 }, 40_000);
    mark("3 brokers ready");

    // 1. Every URL handed out is an advertised address, whatever the broker binds.
    const s0 = await status();
    assert.deepEqual(
      s0.brokers.map((b) => [b.brokerId, b.clientUrl, b.reachable]),
      c.brokers.map((b) => [b.id, `ws://${b.address}:9092`, true]),
    );

    // 2. RF 3 and RF 1 topics, keyed records through the SDK and the CLI.
    for (const [name, rf] of [["replicated", 3], ["single", 1]] as const) {
      const r = await cli(["topic", "create", name, "--partitions", "3", "--replication-factor", String(rf)]);
      if (r.status !== 0) fail(`topic create ${name}`, r);
    }
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const before = Array.from({ length: 30 }, (_, i) => ({ key: keys[i % keys.length]!, value: `before-${i}` }));
    const acked: SeenRecord[] = (await sdk<{ acked: SeenRecord[] }>({ op: "produce", topic: "replicated", records: before })).acked;
    assert.equal(acked.length, before.length);
    const singleLines = Array.from({ length: 30 }, (_, i) => `u${i % 10}\tsingle-${i}`);
    const produced = await cli(["produce", "single", "--key-separator", "\\t", "--acks", "all"], singleLines.join("\n") + "\n");
    if (produced.status !== 0) fail("produce single", produced);
    const consumeSingle = async (): Promise<string[]> => {
      const r = await cli(["consume", "single", "--from-beginning", "--json"]);
      if (r.status !== 0) fail("consume single", r);
      return r.stdout
        .trim()
        .split("\n")
        .filter((l) => l !== "")
        .map((l) => {
          const o = JSON.parse(l) as { key: string; value: string };
          return `${o.key}\t${o.value}`;
        });
    };
    assert.deepEqual((await consumeSingle()).sort(), [...singleLines].sort(), "the RF 1 topic reads back through the CLI");
    const first = await sdk<{ records: SeenRecord[] }>({ op: "consume", topic: "replicated" });
    assert.deepEqual(sortRecords(first.records), sortRecords(acked), "the RF 3 topic reads back through the SDK");
    mark("RF 3 and RF 1 topics written and read from the client namespace");

    // Leader hints and metadata name advertised addresses too (the status merged every broker's answer).
    const s1 = await status();
    for (const b of s1.brokers) assert.doesNotMatch(b.clientUrl, /0\.0\.0\.0|127\.0\.0\.1/);

    // 3. Pull the cable of replicated/0's leader.
    const p0 = s1.partitions.find((p) => p.topic === "replicated" && p.partition === 0);
    const victim = p0 !== undefined && p0.leader !== 0 ? p0.leader : 3;
    lab.cut(`b${victim}`);
    mark(`cut broker ${victim} (leader of replicated/0) off the network`);
    const during = Array.from({ length: 30 }, (_, i) => ({ key: keys[i % keys.length]!, value: `during-${i}` }));
    const duringAcked = (await sdk<{ acked: SeenRecord[] }>({ op: "produce", topic: "replicated", records: during, timeoutMs: 30_000 }, 45_000)).acked;
    assert.equal(duringAcked.length, during.length);
    acked.push(...duringAcked);
    assert.ok(c.isRunning(victim), "the cut-off broker is still running: a partition, not a crash");
    mark(`the other two took ${during.length} acks=all records on every RF 3 partition`);
    const cutStatus = await status();
    assert.deepEqual(
      cutStatus.brokers.filter((b) => !b.reachable).map((b) => b.brokerId),
      [victim],
      "from the client namespace, only the cut-off broker is unreachable",
    );
    const newLeader = cutStatus.partitions.find((p) => p.topic === "replicated" && p.partition === 0)?.leader ?? 0;
    assert.ok(newLeader !== 0 && newLeader !== victim, `replicated/0 is led by one of the other two (leader ${newLeader})`);
    // The minority side acknowledges nothing: a client on the cut-off host itself gets an error, not an ack
    // (and, checked after the heal, nothing it sent shows up).
    const minority = await lab.run(
      `b${victim}`,
      process.execPath,
      [CLIENT_JS, JSON.stringify({ op: "produce", urls: [`ws://${c.broker(victim).address}:9092`], topic: "replicated", records: [{ key: keys[0], value: "minority-0" }], idempotent: false, timeoutMs: 3_000 })],
      { timeoutMs: 20_000, env: cleanEnv() },
    );
    assert.equal(minority.status, 1, `a write on the cut-off broker was acknowledged: ${minority.stdout}`);
    mark(`broker ${victim}, cut off, acknowledged nothing (${(JSON.parse(minority.stdout.trim()) as { error: string }).error.split(":")[0]})`);

    // 4. Plug it back in; it catches up and can lead again.
    lab.heal(`b${victim}`);
    const converged = (s: StatusJson): boolean =>
      s.brokers.every((b) => b.reachable) &&
      s.partitions
        .filter((p) => p.topic === "replicated")
        .every((p) => p.fromLeader && p.replicas.length === 3 && p.replicas.every((r) => r.reachable && r.lagEntries === 0));
    let last: StatusJson | undefined;
    const deadline = Date.now() + 30_000;
    while (!(last !== undefined && converged(last))) {
      if (Date.now() > deadline) assert.fail(`replicas did not converge after the heal: ${JSON.stringify(last)}\n${c.logs()}`);
      await sleep(250);
      last = await status();
    }
    mark(`broker ${victim} rejoined: every replica of every RF 3 partition 0 entries behind`);
    const moved = await sdk<{ leader: number }>({ op: "transfer", topic: "replicated", partition: 0, to: victim });
    assert.equal(moved.leader, victim);
    const after = await sdk<{ records: SeenRecord[] }>({ op: "consume", topic: "replicated" });
    assert.deepEqual(sortRecords(after.records), sortRecords(acked), "every acknowledged record, once, at its acknowledged offset; nothing else");
    for (const key of keys) {
      const values = after.records.filter((r) => r.key === key).sort((a, b) => a.offset - b.offset).map((r) => r.value);
      const expected = [...before, ...during].filter((r) => r.key === key).map((r) => r.value);
      assert.deepEqual(values, expected, `order of key ${key}`);
    }
    assert.deepEqual((await consumeSingle()).sort(), [...singleLines].sort(), "the RF 1 topic, including the rejoined broker's partition");
    mark(`broker ${victim} leads replicated/0 again; all ${acked.length} acknowledged records read back`);
    passed = true;
  } finally {
    // A failed run keeps the configs, data and logs for a look (the processes and namespaces go either way).
    await cluster?.stopAll(!passed);
    if (!passed && cluster !== undefined) t.diagnostic(`broker configs, data and logs kept in ${cluster.dir}`);
    await lab.destroy();
  }
  assert.deepEqual(lab.remainingNamespaces(), [], "every namespace removed");
});

function sortRecords(records: readonly SeenRecord[]): SeenRecord[] {
  return [...records].map((r) => ({ partition: r.partition, offset: r.offset, key: r.key, value: r.value })).sort((a, b) => a.partition - b.partition || a.offset - b.offset);
}
