/**
 * Consumer-offsets snapshots on real brokers (issue 14), with
 * groupsSnapshotEntries 20 and one offsets partition: broker 3 is SIGKILLed,
 * the two others commit enough offsets to snapshot and compact their offsets
 * logs several times past all broker 3 holds; broker 3, restarted, catches up
 * by an installed snapshot carrying the group table (its log says so), is
 * made the coordinator by a leadership transfer, and serves every committed
 * offset. Then every broker is SIGKILLed and restarted: each restores its
 * stored snapshot, replays the tail after it, and the offsets are all there.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { TestCluster, sleep } from "./cluster-harness.js";
import { Router } from "./test-producer.js";
import { RAFT_DEFAULTS } from "../../broker/protocol/defaults.js";
import { OFFSETS_TOPIC } from "../../broker/protocol/group-routing.js";
import type { CommitOffset } from "../../broker/protocol/requests.js";

const SNAPSHOT_ENTRIES = 20;
const GROUPS = ["orders", "billing", "audit"];
const TOPICS = ["t1", "t2"];

interface LogLine {
  readonly msg: string;
  readonly topic?: string;
  readonly [key: string]: unknown;
}

/** Broker `id`'s JSON log lines with message `msg` (of the offsets topic when `offsetsOnly`). */
function lines(cluster: TestCluster, id: number, msg: string, offsetsOnly = true): LogLine[] {
  return readFileSync(cluster.member(id).logFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as LogLine)
    .filter((l) => l.msg === msg && (!offsetsOnly || l.topic === OFFSETS_TOPIC));
}

async function waitFor(what: string, pred: () => Promise<boolean> | boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

test("a broker far behind the offsets log installs the group table by snapshot and serves every offset as coordinator; a restart of all restores snapshot + tail", { timeout: 240_000 }, async () => {
  // No automatic preferred-leader transfers: the test moves the coordinator itself.
  const cluster = await TestCluster.start({ size: 3, extra: { groupsSnapshotEntries: SNAPSHOT_ENTRIES, groupsTopicPartitions: 1, raft: { preferredLeaderCheckTicks: 0 } } });
  const router = new Router(cluster.urls());
  /** The latest offset committed per group and topic-partition. */
  const expected = new Map<string, Map<string, number>>(GROUPS.map((g) => [g, new Map()]));
  let n = 0;
  /** One commitOffsets request (one offsets-log entry) to whichever broker coordinates. */
  const commitOne = async (): Promise<void> => {
    const i = n++;
    const group = GROUPS[i % GROUPS.length]!;
    const offsets: CommitOffset[] = [{ topic: TOPICS[i % TOPICS.length]!, partition: i % 5, offset: 1000 + i }];
    await router.retry(() => router.any("commitOffsets", { op: "commitOffsets", group, offsets }), 60_000);
    for (const o of offsets) expected.get(group)!.set(`${o.topic}/${o.partition}`, o.offset);
  };
  const commitMany = async (count: number): Promise<void> => {
    // Sequential per group keeps "latest" well defined; groups in parallel.
    for (let i = 0; i < count; i += GROUPS.length) await Promise.all(GROUPS.map(() => commitOne()));
  };
  const offsetsAt = async (url: string, group: string): Promise<Map<string, number>> => {
    const r = await router.retry(() => router.to(url, "fetchOffsets", { op: "fetchOffsets", group }), 60_000);
    return new Map(r.offsets.map((o) => [`${o.topic}/${o.partition}`, o.offset]));
  };
  const leaderOfOffsets = async (): Promise<number> => {
    const md = await router.any("metadata", { op: "metadata" });
    return md.topics.find((t) => t.name === OFFSETS_TOPIC)?.partitions[0]?.leader ?? 0;
  };
  try {
    await commitMany(GROUPS.length);
    await waitFor("broker 3 to host the offsets partition", () => lines(cluster, 3, "raft state changed").length >= 1);

    // Broker 3 down: the others commit past the in-flight window the leader keeps for it, and compact past it.
    await cluster.kill(3);
    await commitMany(RAFT_DEFAULTS.inflightAppendsMax + 4 * SNAPSHOT_ENTRIES);
    for (const id of [1, 2]) {
      await waitFor(`broker ${id} to compact its offsets log`, () => lines(cluster, id, "took a snapshot and compacted the log").length >= 3);
    }

    await cluster.restart(3);
    await waitFor("broker 3 to install an offsets snapshot", () => lines(cluster, 3, "installed snapshot from the leader").length >= 1);
    const installed = lines(cluster, 3, "installed snapshot from the leader")[0]!;
    assert.ok((installed.index as number) > RAFT_DEFAULTS.inflightAppendsMax, `installed at ${String(installed.index)}`);
    assert.ok((installed.bytes as number) > 0, "the snapshot carries the group table");
    assert.ok(lines(cluster, 3, "group table restored from a snapshot", false).length >= 1, cluster.logTail(3));

    // Broker 3 becomes the coordinator and answers from the installed table.
    await router.retry(() => router.any("transferLeader", { op: "transferLeader", topic: OFFSETS_TOPIC, partition: 0, toBrokerId: 3 }), 60_000);
    await waitFor("broker 3 to lead the offsets partition", async () => (await leaderOfOffsets()) === 3);
    for (const g of GROUPS) assert.deepEqual(await offsetsAt(cluster.url(3), g), expected.get(g), `group ${g} on broker 3`);
    // A few more commits so the log holds a tail after the last snapshot.
    await commitMany(SNAPSHOT_ENTRIES / 2 + 1);

    // Every broker SIGKILLed and restarted: snapshot + tail on each.
    const restoredBefore = [1, 2, 3].map((id) => lines(cluster, id, "group table restored from a snapshot", false).length);
    for (const id of [1, 2, 3]) await cluster.kill(id);
    for (const id of [1, 2, 3]) await cluster.restart(id);
    // A follower writes a commit index that moved alone only with its next write (GroupRunner), so a restarted
    // broker may know the offsets topic, and open its replica, only once the controller has a leader again.
    for (const id of [1, 2, 3]) {
      await waitFor(`broker ${id} to restore its offsets snapshot`, () => lines(cluster, id, "group table restored from a snapshot", false).length > restoredBefore[id - 1]!);
    }
    for (const g of GROUPS) {
      const got = await router.retry(() => router.any("fetchOffsets", { op: "fetchOffsets", group: g }), 60_000);
      assert.deepEqual(new Map(got.offsets.map((o) => [`${o.topic}/${o.partition}`, o.offset])), expected.get(g), `group ${g} after a restart of all`);
    }
    // And each broker, as coordinator in turn, has the same table.
    for (const id of [1, 2, 3]) {
      await router.retry(() => router.any("transferLeader", { op: "transferLeader", topic: OFFSETS_TOPIC, partition: 0, toBrokerId: id }), 60_000);
      await waitFor(`broker ${id} to lead the offsets partition`, async () => (await leaderOfOffsets()) === id);
      for (const g of GROUPS) assert.deepEqual(await offsetsAt(cluster.url(id), g), expected.get(g), `group ${g} on broker ${id}`);
    }
  } finally {
    router.close();
    await cluster.stopAll();
  }
});
