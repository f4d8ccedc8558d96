/**
 * Controller in process: three controller voters over MemoryStorage, a
 * loopback network and a manual tick. Topics are created, seen by every
 * voter and deleted; followers refuse with NOT_CONTROLLER naming the
 * controller; bad requests are refused the same way everywhere.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Controller } from "../../broker/cluster/controller.js";
import type { MetadataChange } from "../../broker/cluster/metadata.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";
import { failOnFatal, LoopbackNet, raftConfig, rejection, silentLogger, Ticker } from "../group/in-process.js";

const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const hint = (id: NodeId) => ({ brokerId: id, url: `ws://b${id}:9092` });

/** Three controllers (preference 1, 2, 3); `live` is what each thinks is reachable. */
function controllers(live: () => readonly number[] = () => [1, 2, 3]) {
  const net = new LoopbackNet();
  const changes = new Map<number, (MetadataChange["kind"] | "reset")[]>();
  const all = [1, 2, 3].map((id) => {
    changes.set(id, []);
    const c = new Controller({
      raft: raftConfig(id, [1, 2, 3]),
      log: new MemoryStorage(),
      random: new SeededRandom(id),
      send: net.send,
      logger: silentLogger,
      brokers: [1, 2, 3].map(nodeId),
      liveBrokers: () => live().map(nodeId),
      leaderHint: hint,
      clock: () => 5_000,
      onChange: (ch) => changes.get(id)!.push(ch.kind),
      onFatal: failOnFatal,
    });
    net.join(nodeId(id), (m) => c.runner.step(m));
    return c;
  });
  const ticker = new Ticker(() => all.forEach((c) => c.runner.tick()));
  const elected = async (): Promise<Controller> => {
    await ticker.until(() => all.some((c) => c.isLeader()) && all.every((c) => c.leader() !== 0), "a controller known to all");
    return all.find((c) => c.isLeader())!;
  };
  return { net, all, ticker, changes, elected, byId: (id: number) => all[id - 1]! };
}

test("the controller leader creates a topic: placed on the live brokers, applied on every voter, cluster named first", async () => {
  const k = controllers();
  const leader = await k.elected();
  const t = await k.ticker.settle(leader.createTopic("orders", 3, 2, CONFIG));
  assert.equal(t.name, "orders");
  assert.equal(t.replicas.length, 3);
  for (const r of t.replicas) assert.equal(new Set(r).size, 2);
  assert.deepEqual(t.config, CONFIG);
  assert.notEqual(leader.metadata.clusterId, undefined, "InitCluster rides ahead of the first change");
  await k.ticker.until(() => k.all.every((c) => c.metadata.topic("orders")?.id === t.id), "every voter applied the topic");
  for (const id of [1, 2, 3]) assert.ok(k.changes.get(id)!.includes("topicCreated"), `voter ${id} told its broker`);
  assert.equal(leader.leaderInfo().leader, leader.runner.status().id);
});

test("followers refuse admin changes with NOT_CONTROLLER naming the controller; before an election, without a hint", async () => {
  const k = controllers();
  const early = await rejection(k.byId(3).createTopic("x", 1, 1, CONFIG));
  assert.ok(early instanceof RlogError && early.is("NOT_CONTROLLER") && early.retriable && early.details === undefined, String(early));
  const leader = await k.elected();
  const follower = k.all.find((c) => c !== leader)!;
  const id = leader.runner.status().id;
  const ops: (() => Promise<unknown>)[] = [
    () => follower.createTopic("x", 1, 1, CONFIG),
    () => follower.deleteTopic("x"),
    () => follower.allocateProducerId(),
    () => follower.requestRebalance(undefined),
  ];
  for (const op of ops) {
    const err = await rejection(Promise.resolve().then(op));
    assert.ok(err instanceof RlogError);
    assert.equal(err.code, ErrorCode.NOT_CONTROLLER);
    assert.deepEqual(err.details?.leader, hint(id));
    assert.match(err.message, new RegExp(`broker ${id} is the controller`));
  }
});

test("duplicates, unknown topics and impossible replication factors are refused by the leader", async () => {
  let live = [1, 2, 3];
  const k = controllers(() => live);
  const leader = await k.elected();
  await k.ticker.settle(leader.createTopic("orders", 1, 3, CONFIG));
  const dup = await rejection(leader.createTopic("orders", 1, 1, CONFIG));
  assert.ok(dup instanceof RlogError && dup.is("TOPIC_ALREADY_EXISTS"));
  const tooMany = await rejection(leader.createTopic("big", 1, 4, CONFIG));
  assert.ok(tooMany instanceof RlogError && tooMany.is("INVALID_REPLICATION_FACTOR") && /more than the 3 brokers/.test(tooMany.message));
  live = [1, 2];
  const down = await rejection(leader.createTopic("wide", 1, 3, CONFIG));
  assert.ok(down instanceof RlogError && down.is("INVALID_REPLICATION_FACTOR") && /only 2 are reachable/.test(down.message), String(down));
  const unknown = await rejection(leader.deleteTopic("nope"));
  assert.ok(unknown instanceof RlogError && unknown.is("UNKNOWN_TOPIC"));
  const rebalanceUnknown = await rejection(leader.requestRebalance("nope"));
  assert.ok(rebalanceUnknown instanceof RlogError && rebalanceUnknown.is("UNKNOWN_TOPIC"));
});

test("a deleted topic is gone on every voter; producer ids are unique and increasing; a rebalance request is applied everywhere", async () => {
  const k = controllers();
  const leader = await k.elected();
  const first = await k.ticker.settle(leader.createTopic("orders", 2, 3, CONFIG));
  await k.ticker.settle(leader.deleteTopic("orders"));
  await k.ticker.until(() => k.all.every((c) => c.metadata.topic("orders") === undefined), "every voter applied the delete");
  for (const id of [1, 2, 3]) assert.ok(k.changes.get(id)!.includes("topicDeleted"));
  const a = await k.ticker.settle(leader.allocateProducerId());
  const b = await k.ticker.settle(leader.allocateProducerId());
  assert.ok(b > a && a > 0);
  await k.ticker.settle(leader.requestRebalance(undefined));
  await k.ticker.until(() => [1, 2, 3].every((id) => k.changes.get(id)!.includes("rebalanceRequested")), "every voter applied the rebalance request");
  // The same name again is a new incarnation: a new topic id.
  const again = await k.ticker.settle(leader.createTopic("orders", 1, 1, CONFIG));
  assert.ok(again.id > first.id);
});

test("a change in flight when the controller loses its quorum is not acknowledged; the new controller serves", async () => {
  const k = controllers();
  const leader = await k.elected();
  const id = leader.runner.status().id;
  k.net.isolate(id);
  const pending = leader.createTopic("lost", 1, 1, CONFIG);
  pending.catch(() => undefined);
  const others = k.all.filter((c) => c !== leader);
  await k.ticker.until(() => others.some((c) => c.isLeader()), "the others elect a new controller");
  const err = await k.ticker.settle(pending.then(() => assert.fail("acknowledged without a quorum"), (e: unknown) => e), 2_000);
  assert.ok(err instanceof RlogError && err.retriable && (err.is("NOT_CONTROLLER") || err.is("TIMEOUT")), String(err));
  const next = others.find((c) => c.isLeader())!;
  const t = await k.ticker.settle(next.createTopic("kept", 1, 2, CONFIG));
  assert.equal(next.metadata.topic("kept")?.id, t.id);
});

test("ACLs: the leader creates (held ones skipped) and deletes by filter, every voter applies them; followers refuse with NOT_CONTROLLER", async () => {
  const k = controllers();
  const leader = await k.elected();
  const read = { principal: "User:alice", resourceType: "topic", patternType: "literal", name: "orders", operation: "read", permission: "allow" } as const;
  const write = { ...read, operation: "write" } as const;
  assert.deepEqual(await k.ticker.settle(leader.createAcls([read, write])), [read, write]);
  assert.deepEqual(await k.ticker.settle(leader.createAcls([read])), [], "already held: nothing to commit");
  await k.ticker.until(() => k.all.every((c) => c.metadata.acls.size === 2), "every voter applied the ACLs");
  for (const id of [1, 2, 3]) assert.ok(k.changes.get(id)!.includes("aclsCreated"));
  assert.deepEqual(await k.ticker.settle(leader.deleteAcls([{ operation: "write" }, { principal: "User:nobody" }])), [write]);
  assert.deepEqual(await k.ticker.settle(leader.deleteAcls([{ principal: "User:nobody" }])), []);
  await k.ticker.until(() => k.all.every((c) => c.metadata.acls.size === 1 && c.metadata.acls.has(read)), "every voter applied the delete");
  const follower = k.all.find((c) => c !== leader)!;
  for (const op of [() => follower.createAcls([write]), () => follower.deleteAcls([{}])]) {
    const err = await rejection(Promise.resolve().then(op));
    assert.ok(err instanceof RlogError && err.is("NOT_CONTROLLER"), String(err));
  }
});

test("alterTopic adds partitions on live brokers with the topic's replication factor and changes settings; every voter applies it", async () => {
  let live = [1, 2, 3];
  const k = controllers(() => live);
  const leader = await k.elected();
  const t = await k.ticker.settle(leader.createTopic("orders", 2, 2, CONFIG));
  live = [1, 3];
  const altered = await k.ticker.settle(leader.alterTopic("orders", 4, { retentionMs: 60_000 }));
  assert.equal(altered.id, t.id);
  assert.deepEqual(altered.replicas.slice(0, 2), t.replicas, "existing partitions keep their replicas");
  for (const r of altered.replicas.slice(2)) {
    assert.equal(r.length, 2);
    assert.ok(r.every((b) => live.includes(b)), `new partition placed on a down broker: ${r.join(",")}`);
  }
  assert.deepEqual(altered.config, { ...CONFIG, retentionMs: 60_000 });
  await k.ticker.until(() => k.all.every((c) => c.metadata.topic("orders")?.replicas.length === 4), "every voter applied the alter");
  for (const id of [1, 2, 3]) assert.ok(k.changes.get(id)!.includes("topicAltered"));
  // The settings it already has: nothing committed, the topic answered.
  const count = k.changes.get(1)!.length;
  const same = await k.ticker.settle(leader.alterTopic("orders", undefined, { retentionMs: 60_000 }));
  assert.deepEqual(same, leader.metadata.topic("orders"));
  assert.equal(k.changes.get(1)!.length, count);
});

test("alterTopic refusals leave the metadata as it was: unknown topic, fewer or equal partitions, internal topic, too few live brokers, follower", async () => {
  let live = [1, 2, 3];
  const k = controllers(() => live);
  const leader = await k.elected();
  await k.ticker.settle(leader.createTopic("orders", 2, 3, CONFIG));
  await k.ticker.settle(leader.createTopic("__consumer_offsets", 2, 3, CONFIG));
  const before = leader.metadata.encode();
  const cases: [() => Promise<unknown>, string, RegExp][] = [
    [() => leader.alterTopic("nope", 3, undefined), "UNKNOWN_TOPIC", /nope does not exist/],
    [() => leader.alterTopic("orders", 2, undefined), "INVALID_PARTITIONS", /has 2 partitions; partitions can only be added/],
    [() => leader.alterTopic("orders", 1, { retentionMs: 5 }), "INVALID_PARTITIONS", /asked for 1/],
    [() => leader.alterTopic("__consumer_offsets", 4, undefined), "INVALID_TOPIC", /partition count of internal topic/],
    [() => leader.alterTopic("__consumer_offsets", undefined, { retentionBytes: 10 }), "INVALID_TOPIC", /retention of internal topic/],
  ];
  for (const [op, code, message] of cases) {
    const err = await rejection(Promise.resolve().then(op));
    assert.ok(err instanceof RlogError && err.codeName === code && message.test(err.message), `${code}: ${String(err)}`);
  }
  live = [1, 2];
  const down = await rejection(leader.alterTopic("orders", 3, undefined));
  assert.ok(down instanceof RlogError && down.is("INVALID_REPLICATION_FACTOR") && /replication factor 3, but only 2 brokers are reachable/.test(down.message), String(down));
  const follower = k.all.find((c) => c !== leader)!;
  const notController = await rejection(follower.alterTopic("orders", 3, undefined));
  assert.ok(notController instanceof RlogError && notController.is("NOT_CONTROLLER"), String(notController));
  assert.deepEqual(leader.metadata.encode(), before);
  // Settings of an internal topic other than retention may change.
  const offsets = await k.ticker.settle(leader.alterTopic("__consumer_offsets", undefined, { segmentBytes: 1 << 16 }));
  assert.equal(offsets.config.segmentBytes, 1 << 16);
});

test("producer ids come in blocks: 2,500 at once cost 3 controller entries; after a failover the new controller's block is above the old one's, and every id is unique", async () => {
  const k = controllers();
  const leader = await k.elected();
  await k.ticker.settle(leader.createTopic("warm", 1, 1, CONFIG)); // the cluster id and a first entry out of the way
  const lastBefore = leader.runner.status().lastIndex;
  const first = await k.ticker.settle(Promise.all(Array.from({ length: 2_500 }, () => leader.allocateProducerId())));
  assert.equal(new Set(first).size, first.length, "unique");
  assert.equal(leader.runner.status().lastIndex - lastBefore, 3, "three blocks of 1000, not 2,500 entries");
  assert.equal(leader.producerIds.remaining(), 500);
  // Failover: the old controller's unused 500 ids are skipped, never handed out by the new one.
  k.net.isolate(leader.runner.status().id);
  const others = k.all.filter((c) => c !== leader);
  await k.ticker.until(() => others.some((c) => c.isLeader()), "the others elect a new controller");
  const next = others.find((c) => c.isLeader())!;
  const second = await k.ticker.settle(Promise.all(Array.from({ length: 10 }, () => next.allocateProducerId())));
  const all = [...first, ...second];
  assert.equal(new Set(all).size, all.length, "unique across the failover");
  assert.ok(Math.min(...second) > Math.max(...first) + 500, "the new block starts past the old leader's whole block");
  // The old controller, back as a follower, refuses and holds the same nextProducerId once caught up.
  k.net.heal(leader.runner.status().id);
  await k.ticker.until(() => leader.metadata.nextProducerId === next.metadata.nextProducerId && !leader.isLeader(), "the old controller caught up");
  const refused = await rejection(Promise.resolve().then(() => leader.allocateProducerId()));
  assert.ok(refused instanceof RlogError && refused.is("NOT_CONTROLLER"), String(refused));
});
