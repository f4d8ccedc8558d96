/**
 * rlog-cli topic, leader and cluster commands end to end: the real CLI as
 * child processes against a real 3-broker cluster (one for the whole file).
 * Automatic preferred-leader transfer is off here, so a transfer away from the
 * preferred replica stays put until `leader rebalance`.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TestCluster } from "../broker/cluster-harness.js";
import type { MergedStatus } from "../../cli/admin/status-merge.js";
import { assertOneLineErrors, runCli, type CliResult } from "./run-cli.js";

let cluster: TestCluster;
let brokers: string;

before(async () => {
  cluster = await TestCluster.start({ size: 3, extra: { raft: { preferredLeaderCheckTicks: 0 } } });
  brokers = cluster.urls().join(",");
});

after(async () => {
  await cluster?.stopAll();
});

function cli(args: readonly string[]): Promise<CliResult> {
  return runCli([...args, "--brokers", brokers]);
}

function json<T>(r: CliResult): T {
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout.toString("utf8")) as T;
}

/** cluster status --json until `check` accepts it. */
async function statusUntil(what: string, check: (s: MergedStatus) => boolean, timeoutMs = 15_000): Promise<MergedStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = json<MergedStatus>(await cli(["cluster", "status", "--json"]));
    if (check(s)) return s;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const partitionOf = (s: MergedStatus, topic: string, partition: number) => s.partitions.find((p) => p.topic === topic && p.partition === partition);

test("topic create, list, describe and delete, as text and JSON", { timeout: 30_000 }, async () => {
  const created = await cli(["topic", "create", "orders", "--partitions", "3", "--replication-factor", "3", "--config", "retentionMs=86400000", "--config", "segment.bytes=1048576", "--compression", "zstd"]);
  assert.equal(created.status, 0, created.stderr);
  assert.match(created.stdout.toString(), /^created topic orders: 3 partitions, replication factor 3\nPARTITION +REPLICAS \(preferred leader first\)\n0 +\d,\d,\d\n1 +\d,\d,\d\n2 +\d,\d,\d\n$/);

  const described = json<{ name: string; replicationFactor: number; config: Record<string, number>; partitions: { partition: number; replicas: number[] }[] }>(
    await cli(["topic", "describe", "orders", "--json"]),
  );
  assert.equal(described.name, "orders");
  assert.equal(described.replicationFactor, 3);
  assert.equal(described.config["retentionMs"], 86_400_000);
  assert.equal(described.config["segmentBytes"], 1_048_576);
  assert.deepEqual(described.partitions.map((p) => p.partition), [0, 1, 2]);

  const text = await cli(["topic", "describe", "orders"]);
  assert.equal(text.status, 0, text.stderr);
  const lines = text.stdout.toString().trimEnd().split("\n");
  assert.equal(lines[0], "topic orders: 3 partitions, replication factor 3");
  assert.equal(lines[1], "settings: retentionMs=86400000 retentionBytes=-1 segmentBytes=1048576 segmentMs=604800000 compression=zstd");
  assert.match(lines[2] ?? "", /^PARTITION +LEADER +REPLICAS +TERM$/);
  assert.equal(lines.length, 6);

  await cli(["topic", "create", "audit", "-p", "1", "-r", "2"]);
  const audit = await cli(["topic", "describe", "audit"]);
  assert.match(audit.stdout.toString(), /compression=producer\n/, "the default keeps what producers send");
  const listed = await cli(["topic", "list"]);
  assert.equal(listed.status, 0, listed.stderr);
  assert.deepEqual(listed.stdout.toString().trimEnd().split("\n"), [
    "TOPIC   PARTITIONS  REPLICATION-FACTOR",
    "audit   1           2",
    "orders  3           3",
  ]);
  assert.deepEqual(json(await cli(["topic", "list", "--json"])), [
    { name: "audit", partitions: 1, replicationFactor: 2, internal: false },
    { name: "orders", partitions: 3, replicationFactor: 3, internal: false },
  ]);

  const deleted = await cli(["topic", "delete", "audit"]);
  assert.equal(deleted.status, 0, deleted.stderr);
  assert.equal(deleted.stdout.toString(), "deleted topic audit\n");
  assert.deepEqual(json<{ name: string }[]>(await cli(["topic", "list", "--json"])).map((t) => t.name), ["orders"]);
});

test("leader transfer moves a leader and cluster status shows it; leader rebalance moves it back", { timeout: 40_000 }, async () => {
  await cli(["topic", "create", "moves", "-p", "2", "-r", "3"]);
  const before = await statusUntil("moves/0 to have a leader", (s) => (partitionOf(s, "moves", 0)?.leader ?? 0) !== 0 && partitionOf(s, "moves", 0)?.fromLeader === true);
  const p0 = partitionOf(before, "moves", 0)!;
  // Neither the leader nor the preferred replica, so that rebalance has something to move back.
  const target = [1, 2, 3].find((id) => id !== p0.leader && id !== p0.preferredLeader)!;

  const moved = json<{ leader: number; term: number; fromBrokerId: number }>(await cli(["leader", "transfer", "moves", "0", "--to", String(target), "--json"]));
  assert.equal(moved.leader, target);
  assert.equal(moved.fromBrokerId, p0.leader);
  assert.ok(moved.term > p0.term);

  const after = await statusUntil("the leader's own answer for moves/0", (s) => partitionOf(s, "moves", 0)?.fromLeader === true && partitionOf(s, "moves", 0)?.leader === target);
  const q0 = partitionOf(after, "moves", 0)!;
  assert.equal(q0.term, moved.term);
  assert.equal(q0.preferredLeader, p0.preferredLeader);
  assert.deepEqual(q0.replicas.map((r) => r.brokerId).sort(), [1, 2, 3], "the leader reports every replica's lag");
  assert.deepEqual(after.brokers.map((b) => [b.brokerId, b.reachable]), [[1, true], [2, true], [3, true]]);
  assert.ok(after.controller.leader > 0);

  const text = await cli(["cluster", "status"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout.toString(), new RegExp(`\\nmoves +0 +${target} +${p0.preferredLeader} +${moved.term} +\\d+ +0 +\\d:\\d+ \\d:\\d+ \\d:\\d+\\n`));
  assert.match(text.stdout.toString(), /^BROKER +URL +REACHABLE\n1 +ws:\/\/127\.0\.0\.1:\d+ +yes\n/);

  const rebalanced = await cli(["leader", "rebalance", "--topic", "moves"]);
  assert.equal(rebalanced.status, 0, rebalanced.stderr);
  assert.match(rebalanced.stdout.toString(), new RegExp(`^started \\d+ leadership transfers? .*\\nTOPIC +PARTITION +FROM +TO\\n(.*\\n)*moves +0 +${target} +${p0.preferredLeader}\\n`));
  // Every partition of the topic on its preferred replica (partition 1 too, should its first election have gone elsewhere).
  await statusUntil("moves on its preferred replicas", (s) =>
    [0, 1].every((p) => partitionOf(s, "moves", p)?.leader === partitionOf(s, "moves", p)?.preferredLeader && partitionOf(s, "moves", p)?.fromLeader === true),
  );
  const again = await cli(["leader", "rebalance", "--topic", "moves", "--json"]);
  assert.deepEqual(json(again), { moves: [] });
});

test("errors: duplicate topic, unknown topic, bad flags, bad transfer target: one line each and a non-zero status", { timeout: 30_000 }, async () => {
  await cli(["topic", "create", "dup", "-p", "1", "-r", "1"]);
  const cases: { args: string[]; status: number; line: string | RegExp }[] = [
    { args: ["topic", "create", "dup", "-p", "1", "-r", "1"], status: 1, line: 'TOPIC_ALREADY_EXISTS: topic "dup" already exists; see it with: rlog-cli topic describe dup' },
    { args: ["topic", "describe", "nope"], status: 1, line: 'UNKNOWN_TOPIC: topic "nope" does not exist; list topics with: rlog-cli topic list' },
    { args: ["topic", "delete", "nope"], status: 1, line: 'UNKNOWN_TOPIC: topic "nope" does not exist; list topics with: rlog-cli topic list' },
    { args: ["leader", "transfer", "nope", "0"], status: 1, line: 'UNKNOWN_TOPIC: topic "nope" does not exist; list topics with: rlog-cli topic list' },
    { args: ["leader", "rebalance", "--topic", "nope"], status: 1, line: 'UNKNOWN_TOPIC: topic "nope" does not exist; list topics with: rlog-cli topic list' },
    { args: ["topic", "create", "big", "-p", "1", "-r", "5"], status: 1, line: /^INVALID_REPLICATION_FACTOR: \S/ },
    { args: ["topic", "create", "__x", "-p", "1", "-r", "1"], status: 1, line: /^INVALID_TOPIC: \S/ },
    { args: ["leader", "transfer", "dup", "3"], status: 1, line: 'UNKNOWN_PARTITION: topic "dup" has no partition 3 (it has 1: 0 to 0)' },
    { args: ["leader", "transfer", "dup", "0", "--to", "7"], status: 2, line: /^INVALID_ARGUMENT: --to 7: broker 7 holds no replica of dup\/0 \(replicas: \d\)/ },
  ];
  const results = await Promise.all(cases.map((c) => cli(c.args)));
  assertOneLineErrors(cases, results);
});

test("cluster status with a broker down: it shows as unreachable, the rest still answer", { timeout: 30_000 }, async () => {
  await cluster.kill(3);
  const s = await statusUntil("broker 3 unreachable", (x) => x.brokers.find((b) => b.brokerId === 3)?.reachable === false);
  assert.deepEqual(s.brokers.map((b) => [b.brokerId, b.reachable]), [[1, true], [2, true], [3, false]]);
  const text = await cli(["cluster", "status"]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout.toString(), /\n3 +ws:\/\/127\.0\.0\.1:\d+ +no \(BROKER_NOT_AVAILABLE: /);
});
