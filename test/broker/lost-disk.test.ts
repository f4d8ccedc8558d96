/**
 * Issue 12, "a broker that lost its disk must not vote with a vote it has
 * forgotten", with three real brokers: SIGKILL a voter, wipe its data
 * directory, restart it. It must say in one line that it recovers, cast no
 * vote in any group before that group caught up (its log shows refusals
 * meanwhile and no grant), then vote again, and every acknowledged record
 * must survive, also once another broker is killed so that the recovered
 * one is needed for every quorum. Last, with another cluster's id in its
 * data directory, the broker refuses to start.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TestCluster, sleep } from "./cluster-harness.js";
import { PartitionWriter, Router, readAll } from "./test-producer.js";
import { LogStore } from "../../broker/storage/log-store.js";

const TOPIC = "ledger";
const PARTITIONS = 2;

interface LogLine {
  readonly msg: string;
  readonly group?: string;
  readonly component?: string;
  readonly [key: string]: unknown;
}

/** The JSON log lines of broker `id` written after the first line matching `from`. */
function logSince(cluster: TestCluster, id: number, from: (l: LogLine) => boolean): LogLine[] {
  const lines = readFileSync(cluster.member(id).logFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine);
  const start = lines.findIndex(from);
  return start < 0 ? [] : lines.slice(start);
}

async function waitFor(what: string, pred: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

test("a broker whose data directory was wiped votes in no group before it has caught up, and no acknowledged record is lost", { timeout: 90_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const router = new Router(cluster.urls());
  try {
    for (const id of [1, 2, 3]) {
      const fresh = logSince(cluster, id, (l) => l.msg === "data directory is new and so is the cluster: starting as a member");
      assert.ok(fresh.length > 0, `broker ${id} started a new cluster:\n${cluster.logTail(id)}`);
    }
    await router.retry(async () => router.to(await router.controllerUrl(), "createTopic", { op: "createTopic", name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 }));
    const { producerId } = await router.retry(async () => router.to(await router.controllerUrl(), "initProducerId", { op: "initProducerId" }));
    const writers = Array.from({ length: PARTITIONS }, (_, p) => new PartitionWriter(router, TOPIC, p, producerId));
    const produce = async (tag: string, batches: number): Promise<void> => {
      await Promise.all(writers.map(async (w) => {
        for (let b = 0; b < batches; b++) await w.write(Array.from({ length: 10 }, (_, k) => `${tag}-p${w.partition}-${b}-${k}`));
      }));
    };
    await produce("before", 20);

    // The victim: a follower of partition 0. Another broker goes down while it is empty.
    const md = await router.any("metadata", { op: "metadata", topics: [TOPIC] });
    const leader0 = md.topics[0]!.partitions[0]!.leader;
    const victim = [1, 2, 3].find((id) => id !== leader0)!;
    const [other, third] = [1, 2, 3].filter((id) => id !== victim) as [number, number];

    await cluster.kill(victim);
    cluster.wipe(victim);
    await produce("while-down", 10); // acknowledged by the two others: the victim must fetch them

    // With `other` down too, the victim is the only possible second vote for `third`: it must refuse.
    await cluster.kill(other);
    await cluster.restart(victim);
    const recovering = (l: LogLine): boolean => l.msg === "data directory is new but the cluster exists: not voting until caught up";
    await waitFor("the victim to refuse a vote", () => logSince(cluster, victim, recovering).some((l) => l.msg === "vote refused: recovering after a lost disk"));
    await sleep(1_500); // several election timeouts of `third` campaigning
    const during = logSince(cluster, victim, recovering);
    assert.equal(during.filter(recovering).length, 1, "one line says why the broker does not vote");
    assert.equal(during.filter((l) => l.msg === "vote granted").length, 0, `no vote while only \`${third}\` is up:\n${cluster.logTail(victim)}`);
    const refused = during.filter((l) => l.msg === "vote refused: recovering after a lost disk");
    console.log(`broker ${victim} refused ${refused.length} (pre-)votes while recovering with broker ${other} down`);

    // Bring `other` back: a leader forms without the victim, which then catches up in every group.
    await cluster.restart(other);
    const everyGroup = (l: LogLine): boolean => l.msg === "caught up after a lost disk in every group: this broker votes again";
    await waitFor("the victim to catch up in every group", () => logSince(cluster, victim, recovering).some(everyGroup), 30_000);

    // Per group: no vote granted before that group's "caught up" line.
    const lines = logSince(cluster, victim, recovering);
    const caughtUp = new Map<string, number>();
    lines.forEach((l, i) => {
      if (l.msg === "caught up after a lost disk: voting again" && l.group && !caughtUp.has(l.group)) caughtUp.set(l.group, i);
    });
    assert.ok(caughtUp.has("__controller"), "the controller group caught up");
    assert.ok(caughtUp.size >= 1 + PARTITIONS, `groups caught up: ${[...caughtUp.keys()].join(", ")}`);
    lines.forEach((l, i) => {
      if (l.msg !== "vote granted" || !l.group) return;
      const at = caughtUp.get(l.group);
      assert.ok(at !== undefined && i > at, `broker ${victim} granted a vote in ${l.group} before it caught up`);
    });

    // Now the victim must take part in every quorum: kill `third` and write more.
    await cluster.kill(third);
    await produce("after", 10);
    for (const w of writers) {
      const got = await readAll(router, TOPIC, w.partition);
      assert.deepEqual(got.map((r) => r.offset), got.map((_, i) => i), `partition ${w.partition} offsets are dense`);
      assert.deepEqual(got, w.acked, `partition ${w.partition} holds exactly what was acknowledged`);
    }
    // It votes again: with `third` gone, each group `third` led elects a leader with the victim's vote or the victim itself.
    const lastCaughtUp = Math.max(...caughtUp.values());
    const after = (what: (l: LogLine) => boolean): number => logSince(cluster, victim, recovering).filter((l, i) => i > lastCaughtUp && what(l)).length;
    const votedAgain = (l: LogLine): boolean => l.msg === "vote granted" || (l.msg === "raft state changed" && l.role === "leader");
    await waitFor("the recovered broker to vote or lead again", () => after(votedAgain) > 0);
    const granted = after((l) => l.msg === "vote granted");
    const led = after((l) => l.msg === "raft state changed" && l.role === "leader");
    console.log(
      `broker ${victim}: ${caughtUp.size} groups caught up; afterwards ${granted} votes granted, ${led} leaderships; ` +
        `records acknowledged: ${writers.map((w) => w.acked.length).join(", ")}`,
    );

    // Another cluster's data: the broker refuses to start, in one line, and exits 1.
    await cluster.kill(victim);
    const store = await LogStore.open({ path: cluster.member(victim).dataDir });
    try {
      await store.writeIdentity({ ...store.readIdentity()!, clusterId: "another-cluster" });
    } finally {
      await store.close();
    }
    assert.equal(await cluster.runToExit(victim), 1);
    const refusal = logSince(cluster, victim, (l) => l.msg === "broker failed to start");
    assert.equal(refusal.length > 0 && /refusing to start/.test(JSON.stringify(refusal[0])), true, cluster.logTail(victim));
  } finally {
    router.close();
    await cluster.stopAll();
  }
});
