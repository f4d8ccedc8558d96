/**
 * Three real brokers and three group members, each in its own process, over
 * a 6-partition topic: every member gets two partitions; one member is
 * SIGKILLed while records flow; its partitions move to the other two within
 * the session timeout; every produced record is handled; the duplicates are
 * exactly records the killed member handled after its last acknowledged
 * commit (its uncommitted window), and no partition is ever handled by two
 * members in one generation.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogClient } from "../../client/index.js";
import { TestCluster, sleep } from "../broker/cluster-harness.js";
import { MemberProcess } from "./member-process.js";

const TOPIC = "work";
const GROUP = "workers";
const PARTITIONS = 6;
const SESSION_TIMEOUT_MS = 3_000;
/** Slack over the session timeout for the move: coordinator tick, heartbeat interval, rejoin and sync. */
const MOVE_SLACK_MS = 2_500;

async function waitFor(condition: () => boolean, what: string, timeoutMs: number, members: readonly MemberProcess[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) {
      const dead = members.filter((m) => m.exited).map((m) => `${m.name} exited: ${m.errors}`);
      throw new Error(`timed out waiting for ${what}${dead.length > 0 ? `\n${dead.join("\n")}` : ""}`);
    }
    await sleep(20);
  }
}

test("3 members over 6 partitions: a SIGKILLed member's partitions move within the session timeout; nothing skipped; duplicates only from its uncommitted window", { timeout: 90_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const client = new RlogClient({ brokers: cluster.urls(), clientId: "failover-test" });
  const members: MemberProcess[] = [];
  try {
    await client.admin().createTopic({ name: TOPIC, partitions: PARTITIONS, replicationFactor: 3 });
    for (const name of ["a", "b", "c"]) members.push(new MemberProcess(name, cluster.urls(), GROUP, TOPIC, SESSION_TIMEOUT_MS));

    // One generation in which all three members hold two partitions each.
    let stableGen = 0;
    await waitFor(
      () => {
        const last = members.map((m) => m.lastAssigned());
        if (last.some((a) => a === undefined)) return false;
        const gens = new Set(last.map((a) => a!.gen));
        if (gens.size !== 1) return false;
        stableGen = last[0]!.gen;
        return true;
      },
      "three members in one generation",
      20_000,
      members,
    );
    const shares = members.map((m) => m.lastAssigned()!.partitions);
    assert.deepEqual(shares.map((s) => s.length), [2, 2, 2], `generation ${stableGen}: ${JSON.stringify(shares)}`);
    assert.deepEqual(shares.flat().sort(), [0, 1, 2, 3, 4, 5]);

    // Produce while a member dies.
    const producer = client.producer({ lingerMs: 2 });
    const acked = new Set<string>();
    let producing = true;
    const produceLoop = (async () => {
      for (let round = 0; producing; round++) {
        const sent = await producer.send({ topic: TOPIC, messages: Array.from({ length: PARTITIONS }, (_, p) => ({ value: `r${round}-p${p}`, partition: p })) });
        for (const r of sent) acked.add(`${r.partition}:${r.offset}`);
        await sleep(5);
      }
    })();
    await sleep(1_500);
    const victim = members[0]!;
    const victimPartitions = victim.lastAssigned()!.partitions;
    const killedAtMs = Date.now();
    await victim.kill();

    // The survivors' next generation covers all six partitions, the victim's included.
    const survivors = members.slice(1);
    await waitFor(
      () => {
        const last = survivors.map((m) => m.lastAssigned());
        return last.every((a) => a !== undefined && a.gen > stableGen && a.gen === last[0]!.gen) && last.flatMap((a) => a!.partitions).length === PARTITIONS;
      },
      "the survivors to take over the victim's partitions",
      SESSION_TIMEOUT_MS + MOVE_SLACK_MS + 5_000,
      survivors,
    );
    const movedAtMs = Math.max(...survivors.map((m) => m.lastAssigned()!.atMs));
    const moveMs = movedAtMs - killedAtMs;
    assert.ok(moveMs <= SESSION_TIMEOUT_MS + MOVE_SLACK_MS, `partitions moved ${moveMs} ms after the kill (session timeout ${SESSION_TIMEOUT_MS} ms)`);
    assert.deepEqual(survivors.map((m) => m.lastAssigned()!.partitions.length), [3, 3]);

    await sleep(1_000);
    producing = false;
    await produceLoop;
    await producer.close();

    // Every acknowledged record gets handled by someone.
    const handled = (): Map<string, number> => {
      const counts = new Map<string, number>();
      for (const m of members) for (const e of m.events) if (e.ev === "record") counts.set(`${e.p}:${e.o}`, (counts.get(`${e.p}:${e.o}`) ?? 0) + 1);
      return counts;
    };
    await waitFor(() => [...acked].every((k) => handled().has(k)), `all ${acked.size} acknowledged records to be handled`, 20_000, survivors);
    const counts = handled();
    const skipped = [...acked].filter((k) => !counts.has(k));
    assert.deepEqual(skipped, [], "records never handled");

    // Duplicates: only records the victim handled at or after its last acknowledged commit.
    const lastCommit = new Map<number, number>();
    const lastHandled = new Map<number, number>();
    for (const e of victim.events) {
      if (e.ev === "committed") for (const [p, o] of Object.entries(e.offsets)) lastCommit.set(Number(p), o);
      if (e.ev === "record") lastHandled.set(e.p, Math.max(lastHandled.get(e.p) ?? -1, e.o));
    }
    const window = victimPartitions.reduce((n, p) => n + Math.max(0, (lastHandled.get(p) ?? -1) + 1 - (lastCommit.get(p) ?? 0)), 0);
    const duplicates = [...counts].filter(([, n]) => n > 1);
    const duplicateCount = duplicates.reduce((n, [, c]) => n + c - 1, 0);
    for (const [k] of duplicates) {
      const [p, o] = k.split(":").map(Number) as [number, number];
      assert.ok(victimPartitions.includes(p), `record ${k} handled twice, but partition ${p} was not the victim's`);
      assert.ok(o >= (lastCommit.get(p) ?? 0) && o <= (lastHandled.get(p) ?? -1), `record ${k} handled twice, outside the victim's uncommitted window`);
    }
    assert.ok(duplicateCount <= window, `${duplicateCount} duplicates, more than the victim's uncommitted window of ${window}`);

    // No partition handled by two members in the same generation.
    const owner = new Map<string, string>();
    for (const m of members) {
      for (const e of m.events) {
        if (e.ev !== "record") continue;
        const k = `${e.gen}/${e.p}`;
        const prev = owner.get(k);
        assert.ok(prev === undefined || prev === m.name, `partition ${e.p} handled by ${prev} and ${m.name} in generation ${e.gen}`);
        owner.set(k, m.name);
      }
    }
    console.log(`records ${acked.size}; moved after ${moveMs} ms; duplicates ${duplicateCount} (victim's uncommitted window ${window})`);
  } finally {
    await Promise.all(members.map((m) => m.kill()));
    await client.close();
    await cluster.stopAll();
  }
});
