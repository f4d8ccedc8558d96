/**
 * Controller snapshots on real brokers (issue 14), with controllerSnapshotEntries
 * 20: broker 3 is SIGKILLed, the two others commit enough metadata changes to
 * snapshot and compact their controller logs past all broker 3 holds, and
 * broker 3, restarted, catches up by an installed snapshot (its log says so)
 * and serves the topics created while it was down. Then the same with broker
 * 3's data directory wiped, and a restart of a broker on its compacted log,
 * which restores the stored snapshot and replays what follows it.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TestCluster, sleep } from "./cluster-harness.js";
import { Router } from "./test-producer.js";
import { RAFT_DEFAULTS } from "../../broker/protocol/defaults.js";

const SNAPSHOT_ENTRIES = 20;

interface LogLine {
  readonly msg: string;
  readonly group?: string;
  readonly [key: string]: unknown;
}

/** The controller group's JSON log lines of broker `id` with message `msg`. */
function controllerLines(cluster: TestCluster, id: number, msg: string): LogLine[] {
  return readFileSync(cluster.member(id).logFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.group === "__controller" && l.msg === msg);
}

async function waitFor(what: string, pred: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("a broker far behind the controller log gets its snapshot, with its disk kept and with its disk wiped; a restart restores and replays", { timeout: 180_000 }, async () => {
  // Blocks of one producer id: each initProducerId is then one controller entry, a cheap way to grow the log.
  const cluster = await TestCluster.start({ size: 3, extra: { controllerSnapshotEntries: SNAPSHOT_ENTRIES, producerIdBlockSize: 1 } });
  const router = new Router(cluster.urls());
  const topicsOn = async (id: number): Promise<string[]> => {
    try {
      const md = await router.to(cluster.url(id), "metadata", { op: "metadata" });
      return md.topics.map((t) => t.name);
    } catch {
      return [];
    }
  };
  const toController = async <T>(fn: (url: string) => Promise<T>): Promise<T> => router.retry(async () => fn(await router.controllerUrl()));
  /** `count` cheap controller entries (one AllocateProducerIdBlock of one id each). */
  const allocate = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) await toController((url) => router.to(url, "initProducerId", { op: "initProducerId" }));
  };
  try {
    await toController((url) => router.to(url, "createTopic", { op: "createTopic", name: "before", partitions: 1, replicationFactor: 3 }));
    await waitFor("broker 3 to know the first topic", async () => (await topicsOn(3)).includes("before"));

    // Broker 3 down: the others move on and compact past everything it holds.
    await cluster.kill(3);
    await toController((url) => router.to(url, "createTopic", { op: "createTopic", name: "while-down", partitions: 1, replicationFactor: 2 }));
    await toController((url) => router.to(url, "createTopic", { op: "createTopic", name: "deleted-while-down", partitions: 1, replicationFactor: 2 }));
    await toController((url) => router.to(url, "deleteTopic", { op: "deleteTopic", name: "deleted-while-down" }));
    // The leader keeps up to inflightAppendsMax appends in flight to the dead broker, and its peer link queues
    // them until broker 3 is back; past that window, the entries broker 3 needs must be compacted away.
    await allocate(RAFT_DEFAULTS.inflightAppendsMax + 3 * SNAPSHOT_ENTRIES + 10);
    for (const id of [1, 2]) {
      await waitFor(`broker ${id} to compact its controller log`, () => controllerLines(cluster, id, "took a snapshot and compacted the log").length >= 3);
    }

    await cluster.restart(3);
    // Broker 3 first takes the appends its peer link queued (up to the in-flight window), then needs the snapshot.
    await waitFor("broker 3 to install a snapshot", () => controllerLines(cluster, 3, "installed snapshot from the leader").length >= 1);
    await waitFor("broker 3 to serve the topic created while it was down", async () => {
      const names = await topicsOn(3);
      return names.includes("while-down") && !names.includes("deleted-while-down");
    });
    const installed = controllerLines(cluster, 3, "installed snapshot from the leader");
    assert.ok((installed[0]!.index as number) > RAFT_DEFAULTS.inflightAppendsMax, `installed at ${String(installed[0]!.index)}`);
    assert.deepEqual((await topicsOn(3)).sort(), (await topicsOn(1)).sort());

    // Lost disk: broker 3 comes back empty and is rebuilt from a snapshot too.
    await cluster.kill(3);
    cluster.wipe(3);
    await toController((url) => router.to(url, "createTopic", { op: "createTopic", name: "while-wiped", partitions: 1, replicationFactor: 2 }));
    const installedBefore = controllerLines(cluster, 3, "installed snapshot from the leader").length;
    await cluster.restart(3);
    await waitFor("the wiped broker 3 to install a snapshot", () => controllerLines(cluster, 3, "installed snapshot from the leader").length > installedBefore);
    await waitFor("the wiped broker 3 to serve every topic", async () => (await topicsOn(3)).includes("while-wiped") && (await topicsOn(3)).includes("before"));
    assert.deepEqual((await topicsOn(3)).sort(), (await topicsOn(1)).sort());

    // A restart on a compacted log: restore the stored snapshot, replay the rest.
    await cluster.kill(1);
    await cluster.restart(1);
    await waitFor("broker 1 to serve every topic after its restart", async () => (await topicsOn(1)).includes("while-wiped") && (await topicsOn(1)).includes("while-down"));
    const restored = controllerLines(cluster, 1, "restored state from the stored snapshot; replaying the log after it");
    assert.ok(restored.length >= 1, `broker 1 did not restore a snapshot:\n${cluster.logTail(1)}`);
    assert.deepEqual((await topicsOn(1)).sort(), (await topicsOn(2)).sort());
  } finally {
    router.close();
    await cluster.stopAll();
  }
});
