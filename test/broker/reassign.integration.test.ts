/**
 * Partition reassignment and broker decommission on four real brokers (one
 * cluster for the file, docs/OPERATIONS.md): a partition moves off its
 * preferred leader's broker onto the fourth while an idempotent producer
 * writes, no acknowledged record is lost or doubled and the broker left
 * behind deletes its copy; refused requests leave the metadata as it was;
 * the plan file through the real CLI; a broker decommissioned under load;
 * a throttled move whose leader is SIGKILLed midway is finished by the next
 * leader, and one whose new broker is SIGKILLed and restarted midway goes
 * on; a throttled move cancelled through the CLI goes back; a broker that
 * is down is decommissioned (its replication-factor-3 partitions move while
 * it is away, the others once it is back) and deletes its copies. The brokers run with a reassignment throttle of THROTTLE_BYTES_PER_SEC.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { RlogClient, RlogError, type TopicDescription } from "../../client/index.js";
import { TestCluster, sleep } from "./cluster-harness.js";
import { WireClient } from "./wire-client.js";
import { runCli, stderrLines } from "../cli/run-cli.js";

let cluster: TestCluster;
let admin: RlogClient;

/** reassignment.throttleBytesPerSec of every broker: the other tests move little data; the last one ~0.6 MB. */
const THROTTLE_BYTES_PER_SEC = 256 * 1024;

before(async () => {
  // catchUpLagEntriesMax 10: a learner stays one (throttled) until nearly caught up.
  cluster = await TestCluster.start({ size: 4, extra: { reassignment: { throttleBytesPerSec: THROTTLE_BYTES_PER_SEC, catchUpLagEntriesMax: 10 } } });
  admin = new RlogClient({ brokers: cluster.urls(), clientId: "reassign-admin" });
});

after(async () => {
  await admin?.close();
  await cluster?.stopAll();
});

/** Poll `check` every 100 ms until it returns a value other than undefined; fail after `timeoutMs`. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/**
 * Until no partition of `topic` moves any more and the topic, as the broker
 * the admin client asks describes it, has the `expected` replica lists (a
 * broker may apply the completing metadata a moment after the controller
 * leader, which answers listReassignments); returns that description.
 */
async function settled(topic: string, expected: ReadonlyMap<number, readonly number[]>): Promise<TopicDescription> {
  await until(`the moves of ${topic} to complete`, async () => ((await admin.admin().listReassignments()).some((r) => r.topic === topic) ? undefined : true));
  return until(`${topic} to be described with its new replica lists`, async () => {
    const d = await admin.admin().describeTopic(topic);
    return [...expected].every(([p, replicas]) => d.partitions[p]?.replicas.join(",") === replicas.join(",")) ? d : undefined;
  });
}

/**
 * Produce "<tag>-<i>" one record at a time (acks all, idempotent, retried by
 * the SDK) until stopped; returns the values acknowledged.
 */
function produceUntil(client: RlogClient, topic: string, tag: string): { stop: () => Promise<string[]> } {
  const producer = client.producer({ lingerMs: 0 });
  const acked: string[] = [];
  let running = true;
  // A send that fails is kept and thrown by stop(): never an unhandled rejection that hides why a test failed midway.
  let failure: unknown;
  const loop = (async () => {
    for (let i = 0; running; i++) {
      const value = `${tag}-${i}`;
      await producer.send({ topic, messages: [{ value }] });
      acked.push(value);
    }
  })().catch((err: unknown) => {
    failure = err;
  });
  return {
    stop: async () => {
      running = false;
      await loop;
      if (failure !== undefined) throw failure;
      await producer.flush();
      return acked;
    },
  };
}

/** Every record of the topic's partitions, read from the earliest offset until `count` were read. */
async function readAll(client: RlogClient, topic: string, partitions: number, count: number): Promise<string[]> {
  const consumer = client.consumer({ maxWaitMs: 200 });
  consumer.assign(Array.from({ length: partitions }, (_, partition) => ({ topic, partition, from: "earliest" as const })));
  const got: string[] = [];
  if (count > 0) {
    for await (const r of consumer.records()) {
      got.push(String(r.value));
      if (got.length === count) break;
    }
  }
  await consumer.stop();
  return got;
}

/** Whether `brokerId` answers a fetch of the partition with "holds no replica" (its copy is closed and gone). */
async function holdsNoReplica(brokerId: number, topic: string, partition: number): Promise<boolean> {
  const c = await WireClient.connect(cluster.url(brokerId));
  try {
    await c.request("fetch", { op: "fetch", topic, partition, offset: 0, maxBytes: 1024, maxWaitMs: 0 });
    return false;
  } catch (err) {
    return err instanceof RlogError && /holds no replica/.test(err.message);
  } finally {
    c.close();
  }
}

test("a partition moves off its preferred leader's broker while an idempotent producer writes: every acknowledged record exactly once, the old broker deletes its copy", { timeout: 180_000 }, async (t) => {
  const created = await admin.admin().createTopic({ name: "moving", partitions: 1, replicationFactor: 3 });
  const from = created.partitions[0]!.replicas;
  const spare = [1, 2, 3, 4].find((id) => !from.includes(id))!;
  // {a,b,c} -> {b,c,spare}: the preferred leader (a) leaves, a new broker joins.
  const target = [from[1]!, from[2]!, spare];
  await until("a leader for moving/0", async () => ((await admin.admin().describeTopic("moving")).partitions[0]!.leader !== 0 ? true : undefined));

  const producing = new RlogClient({ brokers: cluster.urls(), clientId: "reassign-producer" });
  try {
    const load = produceUntil(producing, "moving", "m");
    await sleep(1_000);
    const movedAt = performance.now();
    const moves = await admin.admin().reassignPartitions([{ topic: "moving", partition: 0, replicas: target }]);
    assert.deepEqual(moves, [{ topic: "moving", partition: 0, from, target }]);
    const listed = await admin.admin().listReassignments();
    assert.ok(listed.length <= 1, JSON.stringify(listed));
    const after = await settled("moving", new Map([[0, target]]));
    assert.deepEqual(after.partitions[0]!.replicas, target, "the target is the replica list");
    const moveMs = Math.round(performance.now() - movedAt);
    await sleep(1_000); // records written after the move too
    const acked = await load.stop();
    assert.ok(acked.length > 20, `only ${acked.length} records written`);
    t.diagnostic(`moved ${from.join(",")} -> ${target.join(",")} in ${moveMs} ms under load; ${acked.length} records acknowledged`);

    const got = await readAll(producing, "moving", 1, acked.length);
    assert.deepEqual(got, acked, "every acknowledged record once, in order");
    assert.equal((await admin.admin().listOffsets({ topic: "moving", partition: 0 }, "latest")).offset, acked.length, "nothing more than what was acknowledged");
    await until(`broker ${from[0]} to drop its copy`, async () => ((await holdsNoReplica(from[0]!, "moving", 0)) ? true : undefined));
    // The new preferred leader takes leadership through the preferred-leader transfer.
    await until(`broker ${target[0]} to lead`, async () => ((await admin.admin().describeTopic("moving")).partitions[0]!.leader === target[0] ? true : undefined));
  } finally {
    await producing.close();
  }
});

test("refused requests leave the metadata as it was: unknown topic or partition, unknown broker, a list naming a broker twice, a partition named twice or already moving", { timeout: 90_000 }, async () => {
  await admin.admin().createTopic({ name: "still", partitions: 2, replicationFactor: 2 });
  const before = await admin.admin().describeTopic("still");
  const placement = (t: TopicDescription) => ({ replicas: t.partitions.map((p) => p.replicas), config: t.config });
  const r0 = before.partitions[0]!.replicas;
  const other = [1, 2, 3, 4].find((id) => !r0.includes(id))!;
  const refused = async (moves: { topic: string; partition: number; replicas: number[] }[], code: string, message: RegExp): Promise<void> => {
    const started = performance.now();
    await assert.rejects(admin.admin().reassignPartitions(moves), (err: unknown) => {
      assert.ok(err instanceof RlogError, String(err));
      assert.equal(err.codeName, code, err.message);
      assert.match(err.message, message);
      return true;
    });
    // The controller's verdict on its own metadata is not retried (UNKNOWN_TOPIC and BROKER_NOT_AVAILABLE are retriable codes).
    assert.ok(performance.now() - started < 5_000, `${code} took ${Math.round(performance.now() - started)} ms`);
  };
  await refused([{ topic: "nope", partition: 0, replicas: [1, 2] }], "UNKNOWN_TOPIC", /topic nope does not exist/);
  await refused([{ topic: "still", partition: 5, replicas: [1, 2] }], "UNKNOWN_PARTITION", /has 2 partitions/);
  await refused([{ topic: "still", partition: 0, replicas: [r0[0]!, 9] }], "BROKER_NOT_AVAILABLE", /broker 9 is not a broker of the cluster/);
  await refused([{ topic: "still", partition: 0, replicas: [1, 1] }], "INVALID_REQUEST", /twice/);
  await refused(
    [
      { topic: "still", partition: 1, replicas: [1, 2] },
      { topic: "still", partition: 1, replicas: [3, 4] },
    ],
    "INVALID_REQUEST",
    /still\/1 is named twice/,
  );
  assert.deepEqual(placement(await admin.admin().describeTopic("still")), placement(before));
  assert.deepEqual(await admin.admin().listReassignments(), []);
  // Already moving: the second request is refused whole, the first goes on to completion.
  await admin.admin().reassignPartitions([{ topic: "still", partition: 0, replicas: [r0[0]!, other] }]);
  await refused(
    [
      { topic: "still", partition: 1, replicas: [1, 2] },
      { topic: "still", partition: 0, replicas: [other, r0[0]!] },
    ],
    "REASSIGNMENT_IN_PROGRESS",
    /still\/0 is already moving/,
  );
  const after = await settled("still", new Map([[0, [r0[0]!, other]]]));
  assert.deepEqual(after.partitions[0]!.replicas, [r0[0], other]);
  assert.deepEqual(after.partitions[1]!.replicas, before.partitions[1]!.replicas, "partition 1 of the refused request did not move");
});

test("rlog-cli partition reassign --plan (Kafka's JSON) --wait moves every partition of the plan; a bad plan names its entry and sends nothing", { timeout: 120_000 }, async () => {
  const brokers = cluster.urls().join(",");
  const cli = (args: readonly string[]) => runCli([...args, "--brokers", brokers], { timeoutMs: 90_000 });
  assert.equal((await cli(["topic", "create", "planned", "-p", "2", "-r", "2"])).status, 0);
  const t = await admin.admin().describeTopic("planned");
  const flip = (r: readonly number[]): number[] => [1, 2, 3, 4].filter((id) => !r.includes(id)).slice(0, 2);
  const plan = { version: 1, partitions: t.partitions.map((p) => ({ topic: "planned", partition: p.partition, replicas: flip(p.replicas), log_dirs: ["any", "any"] })) };
  const file = join(cluster.dir, "plan.json");
  writeFileSync(file, JSON.stringify(plan));
  const r = await cli(["partition", "reassign", "--plan", file, "--wait", "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.toString().trim()) as { moves: { partition: number; target: number[] }[] };
  assert.deepEqual(out.moves.map((m) => m.target), plan.partitions.map((p) => p.replicas));
  // --wait returned once both moves completed (the controller says so; the broker describing may apply it a moment later).
  await settled("planned", new Map(plan.partitions.map((p) => [p.partition, p.replicas])));
  const list = await cli(["partition", "reassignments"]);
  assert.equal(list.stdout.toString(), "no partition is moving\n");
  const unknown = await cli(["broker", "decommission", "9"]);
  assert.equal(unknown.status, 1);
  assert.deepEqual(stderrLines(unknown), ["BROKER_NOT_AVAILABLE: broker 9 is not a broker of the cluster (brokers 1, 2, 3, 4)"]);

  writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic: "planned", partition: 0, replicas: [1, 2] }, { topic: "planned", partition: 1 }] }));
  const bad = await cli(["partition", "reassign", "--plan", file]);
  assert.equal(bad.status, 2);
  assert.deepEqual(stderrLines(bad).length, 1, bad.stderr);
  assert.match(bad.stderr, /partitions\[1\]\.replicas: expected a non-empty array/);
  assert.deepEqual((await admin.admin().describeTopic("planned")).partitions.map((p) => p.replicas), plan.partitions.map((p) => p.replicas));
});

test("a broker decommissioned under load holds no replica afterwards; every acknowledged record is read exactly once", { timeout: 180_000 }, async () => {
  await admin.admin().createTopic({ name: "busy", partitions: 3, replicationFactor: 2 });
  const t = await admin.admin().describeTopic("busy");
  // The broker with most replicas of "busy" (any broker would do).
  const counts = [1, 2, 3, 4].map((id) => ({ id, n: t.partitions.filter((p) => p.replicas.includes(id)).length }));
  const victim = counts.sort((a, b) => b.n - a.n)[0]!.id;
  await until("leaders for busy", async () => ((await admin.admin().describeTopic("busy")).partitions.every((p) => p.leader !== 0) ? true : undefined));
  const producing = new RlogClient({ brokers: cluster.urls(), clientId: "decommission-producer" });
  try {
    const load = produceUntil(producing, "busy", "d");
    await sleep(500);
    const moves = await admin.admin().decommissionBroker(victim);
    assert.ok(moves.length > 0);
    for (const m of moves) {
      assert.ok(!m.target.includes(victim), JSON.stringify(m));
      assert.equal(m.target.length, m.from.length, "the replication factor stays");
    }
    await until("the decommission to complete", async () => ((await admin.admin().listReassignments()).length === 0 ? true : undefined), 120_000);
    const acked = await load.stop();
    // The controller says every move completed; the broker describing may apply that a moment later.
    for (const topic of ["busy", "moving", "still", "planned"]) {
      await until(`no partition of ${topic} on broker ${victim}`, async () => ((await admin.admin().describeTopic(topic)).partitions.every((p) => !p.replicas.includes(victim)) ? true : undefined));
    }
    const got = await readAll(producing, "busy", 3, acked.length);
    assert.deepEqual([...got].sort(), [...acked].sort(), "every acknowledged record once");
    // A second decommission of the now empty broker moves nothing.
    assert.deepEqual(await admin.admin().decommissionBroker(victim), []);
  } finally {
    await producing.close();
  }
});

test("a throttled move shows its learner's lag, survives the leader's SIGKILL midway (the next leader finishes it), and loses no record", { timeout: 180_000 }, async (t) => {
  const created = await admin.admin().createTopic({ name: "slow", partitions: 1, replicationFactor: 3, config: { compression: "none" } });
  const from = created.partitions[0]!.replicas;
  const spare = [1, 2, 3, 4].find((id) => !from.includes(id))!;
  const target = [from[0]!, from[1]!, spare];
  await until("a leader for slow/0", async () => ((await admin.admin().describeTopic("slow")).partitions[0]!.leader !== 0 ? true : undefined));
  const producing = new RlogClient({ brokers: cluster.urls(), clientId: "slow-producer" });
  try {
    // One small entry per record (the throttle lets at least one entry out per tick, so entries must be small against
    // THROTTLE_BYTES_PER_SEC x raftTickMs for it to bound the rate).
    const producer = producing.producer({ lingerMs: 0 });
    const sent: string[] = [];
    const payload = "x".repeat(500);
    for (let i = 0; i < 1200; i++) {
      const value = `s-${i}-${payload}`;
      await producer.send({ topic: "slow", messages: [{ value }] });
      sent.push(value);
    }
    const bytes = sent.length * payload.length;

    const startedAt = performance.now();
    await admin.admin().reassignPartitions([{ topic: "slow", partition: 0, replicas: target }]);
    // The leader reports its learner's lag while the throttle holds it back.
    const seen = await until("the learner's lag to show", async () => {
      const r = (await admin.admin().listReassignments()).find((x) => x.topic === "slow");
      return r?.phase === "learners" && r.learners.some((l) => l.brokerId === spare && l.lagEntries > 0) ? r : undefined;
    });
    const leader = seen.leader;
    assert.ok(from.includes(leader), `leader ${leader}`);
    await cluster.kill(leader);
    t.diagnostic(`killed leader ${leader} while learner ${spare} lagged ${seen.learners[0]?.lagEntries} entries`);

    const after = await until("the move to complete without the old leader", async () => {
      const d = await admin.admin().describeTopic("slow");
      return d.partitions[0]!.replicas.join() === target.join() ? d : undefined;
    }, 120_000);
    const moveMs = Math.round(performance.now() - startedAt);
    t.diagnostic(`moved ${(bytes / 1e6).toFixed(1)} MB ${from.join(",")} -> ${target.join(",")} in ${moveMs} ms at ${THROTTLE_BYTES_PER_SEC} B/s (leader killed midway)`);
    // The throttle held: copying at most THROTTLE_BYTES_PER_SEC, the learner needed most of bytes / throttle.
    assert.ok(moveMs >= (0.5 * bytes * 1000) / THROTTLE_BYTES_PER_SEC, `moved in ${moveMs} ms: faster than the throttle allows`);
    assert.deepEqual(after.partitions[0]!.replicas, target);
    await cluster.restart(leader);
    const got = await readAll(producing, "slow", 1, sent.length);
    assert.deepEqual([...got].sort(), [...sent].sort(), "every acknowledged record once");
  } finally {
    await producing.close();
  }
});

test("rlog-cli partition cancel-reassign: a throttled move cancelled while its learner copies goes back; the learner's broker deletes its copy; nothing is lost", { timeout: 180_000 }, async () => {
  const created = await admin.admin().createTopic({ name: "undo", partitions: 1, replicationFactor: 2, config: { compression: "none" } });
  const from = created.partitions[0]!.replicas;
  const spare = [1, 2, 3, 4].find((id) => !from.includes(id))!;
  await until("a leader for undo/0", async () => ((await admin.admin().describeTopic("undo")).partitions[0]!.leader !== 0 ? true : undefined));
  const producing = new RlogClient({ brokers: cluster.urls(), clientId: "undo-producer" });
  try {
    const producer = producing.producer({ lingerMs: 0 });
    const sent: string[] = [];
    for (let i = 0; i < 1200; i++) {
      // ~1.8 MB: several seconds of copying at the throttle, so the cancel (a CLI process) lands while the learner copies.
      const value = `u-${i}-${"y".repeat(1500)}`;
      await producer.send({ topic: "undo", messages: [{ value }] });
      sent.push(value);
    }
    await admin.admin().reassignPartitions([{ topic: "undo", partition: 0, replicas: [from[0]!, spare] }]);
    await until("the learner to start copying", async () => {
      const r = (await admin.admin().listReassignments()).find((x) => x.topic === "undo");
      return r?.phase === "learners" && r.learners.some((l) => l.lagEntries > 0) ? true : undefined;
    });
    const brokers = cluster.urls().join(",");
    const r = await runCli(["partition", "cancel-reassign", "undo", "0", "--wait", "--json", "--brokers", brokers], { timeoutMs: 90_000 });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout.toString().trim()), { cancelled: [{ topic: "undo", partition: 0, cancelledTarget: [from[0], spare], replicas: from }] });
    assert.deepEqual((await admin.admin().listReassignments()).filter((x) => x.topic === "undo"), []);
    await settled("undo", new Map([[0, from]]));
    await until(`broker ${spare} to drop its copy`, async () => ((await holdsNoReplica(spare, "undo", 0)) ? true : undefined));
    const got = await readAll(producing, "undo", 1, sent.length);
    assert.deepEqual(got, sent, "every record once, in order");

    // Nothing moves any more: a second cancel is refused with one line.
    const again = await runCli(["partition", "cancel-reassign", "undo", "0", "--brokers", brokers]);
    assert.equal(again.status, 1);
    assert.deepEqual(stderrLines(again).length, 1, again.stderr);
    assert.match(again.stderr, /^NO_REASSIGNMENT_IN_PROGRESS: partitions\[0\]: undo\/0 is not moving/);
  } finally {
    await producing.close();
  }
});

test("a throttled move whose new broker is SIGKILLed while copying goes on once it restarts", { timeout: 180_000 }, async () => {
  const created = await admin.admin().createTopic({ name: "restarted", partitions: 1, replicationFactor: 2, config: { compression: "none" } });
  const from = created.partitions[0]!.replicas;
  const spare = [1, 2, 3, 4].find((id) => !from.includes(id))!;
  await until("a leader for restarted/0", async () => ((await admin.admin().describeTopic("restarted")).partitions[0]!.leader !== 0 ? true : undefined));
  const producing = new RlogClient({ brokers: cluster.urls(), clientId: "restarted-producer" });
  try {
    const producer = producing.producer({ lingerMs: 0 });
    const sent: string[] = [];
    for (let i = 0; i < 1200; i++) {
      const value = `r-${i}-${"z".repeat(500)}`;
      await producer.send({ topic: "restarted", messages: [{ value }] });
      sent.push(value);
    }
    const target = [spare, from[0]!];
    await admin.admin().reassignPartitions([{ topic: "restarted", partition: 0, replicas: target }]);
    await until("the learner to be partway", async () => {
      const r = (await admin.admin().listReassignments()).find((x) => x.topic === "restarted");
      const lag = r?.learners.find((l) => l.brokerId === spare)?.lagEntries;
      return lag !== undefined && lag > 0 && lag < 1100 ? true : undefined;
    });
    await cluster.kill(spare);
    await sleep(500);
    await cluster.restart(spare);
    const after = await until("the move to complete", async () => {
      const d = await admin.admin().describeTopic("restarted");
      return d.partitions[0]!.replicas.join() === target.join() ? d : undefined;
    }, 120_000);
    assert.deepEqual(after.partitions[0]!.replicas, target);
    // The restarted broker is the preferred leader now: it takes leadership and serves every record.
    await until(`broker ${spare} to lead`, async () => ((await admin.admin().describeTopic("restarted")).partitions[0]!.leader === spare ? true : undefined));
    const got = await readAll(producing, "restarted", 1, sent.length);
    assert.deepEqual(got, sent, "every record once, in order");
  } finally {
    await producing.close();
  }
});

test("a broker that is down can be decommissioned: partitions whose other replicas are a majority move while it is away, the others once it is back; then it holds nothing", { timeout: 240_000 }, async () => {
  await admin.admin().createTopic({ name: "away", partitions: 2, replicationFactor: 3 });
  await until("leaders for away", async () => ((await admin.admin().describeTopic("away")).partitions.every((p) => p.leader !== 0) ? true : undefined));
  const producer = admin.producer({ lingerMs: 0 });
  const sent: string[] = [];
  for (let i = 0; i < 50; i++) {
    const value = `a-${i}`;
    await producer.send({ topic: "away", messages: [{ value, partition: i % 2 }] });
    sent.push(value);
  }
  const t = await admin.admin().describeTopic("away");
  const gone = t.partitions[0]!.replicas[1]!;
  await cluster.kill(gone);
  // The controller must see it down before it plans: a down broker is no target.
  const moves = await until("a decommission plan without the down broker", async () => {
    try {
      return await admin.admin().decommissionBroker(gone);
    } catch (err) {
      if (err instanceof RlogError && err.codeName === "BROKER_NOT_AVAILABLE") return undefined;
      throw err;
    }
  });
  assert.ok(moves.some((m) => m.topic === "away"));
  // Replication factor 3: the two other replicas are a majority of the old voters, so the move commits without it.
  await until("away to move while the broker is down", async () => ((await admin.admin().listReassignments()).some((r) => r.topic === "away") ? undefined : true), 120_000);
  for (const p of (await admin.admin().describeTopic("away")).partitions) assert.ok(!p.replicas.includes(gone), `away/${p.partition}: ${p.replicas.join(",")}`);
  // Replication factor 3 elsewhere moves too (slow/0 through the throttle); replication factor 2 (the earlier topics)
  // cannot: one voter of two is no majority, so those moves wait for the broker.
  const waiting = await until("every replication-factor-3 move to complete", async () => {
    const left = await admin.admin().listReassignments();
    return left.every((r) => r.from.length <= 2) ? left : undefined;
  }, 120_000);
  for (const r of waiting) assert.ok(r.from.includes(gone), `${r.topic}/${r.partition} from ${r.from.join(",")} waits`);
  await cluster.restart(gone);
  await until("every move to complete once the broker is back", async () => ((await admin.admin().listReassignments()).length === 0 ? true : undefined), 120_000);
  for (const name of (await admin.admin().listTopics({ includeInternal: true })).map((x) => x.name)) {
    for (const p of (await admin.admin().describeTopic(name)).partitions) {
      assert.ok(!p.replicas.includes(gone), `${name}/${p.partition} still on ${gone}`);
      await until(`broker ${gone} to delete ${name}/${p.partition}`, async () => ((await holdsNoReplica(gone, name, p.partition)) ? true : undefined));
    }
  }
  const got = await readAll(admin, "away", 2, sent.length);
  assert.deepEqual([...got].sort(), [...sent].sort());
});
