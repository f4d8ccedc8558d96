/**
 * GroupCoordinator in process: three brokers, each with its controller
 * voter, its coordinator and the offsets-topic replicas it hosts, over
 * MemoryStorage, a loopback network and a manual tick (Raft ticks and the
 * monotonic clock advance together). The controller leader creates the
 * offsets topic; a member joins, syncs, heartbeats and commits; offsets are
 * read back; other brokers answer NOT_COORDINATOR naming the coordinator;
 * committed offsets survive a coordinator move.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Controller } from "../../broker/cluster/controller.js";
import { CONTROLLER_GROUP, partitionGroupId } from "../../broker/cluster/names.js";
import { GroupCoordinator } from "../../broker/consumer-groups/coordinator.js";
import { PartitionReplica } from "../../broker/partition/partition-replica.js";
import { GroupState } from "../../broker/protocol/enums.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { OFFSETS_TOPIC } from "../../broker/protocol/group-routing.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";
import { failOnFatal, LoopbackNet, raftConfig, rejection, silentLogger, Ticker } from "../group/in-process.js";

const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const hint = (id: NodeId) => ({ brokerId: id, url: `ws://b${id}:9092` });
const IDS = [1, 2, 3];
/** Monotonic ms per tick: the join barrier's initial delay (300 ms) takes 30 ticks. */
const TICK_MS = 10;

interface TestBroker {
  readonly id: NodeId;
  readonly controller: Controller;
  readonly coordinator: GroupCoordinator;
  readonly replicas: Map<string, PartitionReplica>;
}

/** Three brokers; the offsets topic has one partition, replicated on all three. */
function cluster() {
  const net = new LoopbackNet();
  let monoMs = 0;
  const brokers: TestBroker[] = IDS.map((n) => {
    const id = nodeId(n);
    const replicas = new Map<string, PartitionReplica>();
    let controller: Controller | undefined;
    const coordinator = new GroupCoordinator({
      brokerId: id,
      brokers: IDS.map(nodeId),
      topicPartitions: 1,
      controller: () => controller!,
      topicDefaults: () => CONFIG,
      hostedReplica: (t, p) => replicas.get(partitionGroupId(t.id, p)),
      leaderHint: hint,
      wallMs: () => 1_700_000_000_000 + monoMs,
      monotonicMs: () => monoMs,
      logger: silentLogger,
    });
    controller = new Controller({
      raft: raftConfig(n, IDS),
      log: new MemoryStorage(),
      random: new SeededRandom(n),
      send: net.sendFor(CONTROLLER_GROUP),
      logger: silentLogger,
      brokers: IDS.map(nodeId),
      liveBrokers: () => IDS.map(nodeId),
      leaderHint: hint,
      clock: () => 1_700_000_000_000 + monoMs,
      onChange: (change) => {
        // What the broker does on a new topic: open the replicas placed here (the offsets topic with the coordinator's applier).
        if (change.kind !== "topicCreated") return;
        const t = change.topic;
        t.replicas.forEach((voters, p) => {
          if (!voters.includes(id)) return;
          const applier = t.name === OFFSETS_TOPIC ? coordinator.applierFor(t.id, p) : undefined;
          const r = new PartitionReplica({
            topic: t.name,
            partition: p,
            topicId: t.id,
            raft: raftConfig(n, voters),
            log: new MemoryStorage(),
            random: new SeededRandom(100 + n),
            send: net.sendFor(partitionGroupId(t.id, p)),
            logger: silentLogger,
            leaderHint: hint,
            clock: () => 1_700_000_000_000 + monoMs,
            onFatal: failOnFatal,
            ...(applier ? { applier } : {}),
          });
          replicas.set(r.groupId, r);
          if (applier) coordinator.attach(p, r);
        });
      },
      onFatal: failOnFatal,
    });
    net.joinGroups(id, (group, m) => (group === CONTROLLER_GROUP ? controller!.runner.step(m) : replicas.get(group)?.step(m)));
    return { id, controller, coordinator, replicas };
  });
  const ticker = new Ticker(() => {
    monoMs += TICK_MS;
    for (const b of brokers) {
      b.controller.runner.tick();
      for (const r of b.replicas.values()) r.tick();
      b.coordinator.tick();
    }
  });
  /** The broker whose coordinator serves `group` (leads the offsets partition and has loaded it). */
  const coordinatorOf = (group: string): TestBroker | undefined =>
    brokers.find((b) => {
      try {
        b.coordinator.describe(group);
        return true;
      } catch (err) {
        return err instanceof RlogError && err.is("UNKNOWN_GROUP");
      }
    });
  const ready = async (group: string): Promise<TestBroker> => {
    await ticker.until(() => coordinatorOf(group) !== undefined, `a coordinator for ${group}`);
    return coordinatorOf(group)!;
  };
  return { net, brokers, ticker, ready, coordinatorOf };
}

const signal = (): AbortSignal => new AbortController().signal;

test("the controller leader creates the offsets topic; a member joins, syncs, heartbeats, commits and reads its offsets back", async () => {
  const c = cluster();
  const coord = await c.ready("g");
  const leaderCtl = c.brokers.find((b) => b.controller.isLeader())!.controller;
  assert.equal(leaderCtl.metadata.topic(OFFSETS_TOPIC)?.replicas[0]?.length, 3, "offsets topic replicated on all three brokers");
  await c.ticker.settle(leaderCtl.createTopic("orders", 2, 1, CONFIG));
  await c.ticker.until(() => coord.controller.metadata.topic("orders") !== undefined, "the coordinator's broker applied orders");

  const joined = await c.ticker.settle(
    coord.coordinator.join({ op: "joinGroup", group: "g", memberId: "", topics: ["orders"], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 }, "client-1", signal()),
  );
  assert.equal(joined.generation, 1);
  assert.match(joined.memberId, /^client-1-/);
  const member = { group: "g", generation: joined.generation, memberId: joined.memberId };
  const synced = coord.coordinator.sync({ op: "syncGroup", ...member });
  assert.deepEqual(
    synced.assignment.flatMap((a) => a.partitions.map((p) => `${a.topic}/${p}`)).sort(),
    ["orders/0", "orders/1"],
  );
  coord.coordinator.heartbeat({ op: "heartbeat", ...member });
  const stale = await rejection(Promise.resolve().then(() => coord.coordinator.heartbeat({ op: "heartbeat", ...member, generation: 0 })));
  assert.ok(stale instanceof RlogError && stale.is("ILLEGAL_GENERATION"), String(stale));

  await c.ticker.settle(coord.coordinator.commit({ op: "commitOffsets", ...member, offsets: [{ topic: "orders", partition: 0, offset: 5 }, { topic: "orders", partition: 1, offset: 7, metadata: "m" }] }));
  const fetched = await c.ticker.settle(coord.coordinator.fetchOffsets({ op: "fetchOffsets", group: "g" }));
  assert.deepEqual(fetched.offsets, [
    { topic: "orders", partition: 0, offset: 5 },
    { topic: "orders", partition: 1, offset: 7, metadata: "m" },
  ]);
  const refused = await rejection(coord.coordinator.commit({ op: "commitOffsets", ...member, generation: 9, offsets: [{ topic: "orders", partition: 0, offset: 6 }] }));
  assert.ok(refused instanceof RlogError && refused.is("ILLEGAL_GENERATION"), String(refused));
  const d = coord.coordinator.describe("g");
  assert.deepEqual([d.state, d.generation, d.members.length], [GroupState.Stable, 1, 1]);
  assert.deepEqual(coord.coordinator.listGroups().map((x) => x.group), ["g"]);
});

test("brokers that do not coordinate the group answer NOT_COORDINATOR naming the coordinator", async () => {
  const c = cluster();
  const coord = await c.ready("g");
  for (const other of c.brokers.filter((b) => b !== coord)) {
    await c.ticker.until(() => [...other.replicas.values()].some((r) => r.leader() === coord.id), `broker ${other.id} knows the leader`);
    const join = () => other.coordinator.join({ op: "joinGroup", group: "g", memberId: "", topics: ["t"], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 }, "c", signal());
    const err = await rejection(Promise.resolve().then(join));
    assert.ok(err instanceof RlogError && err.is("NOT_COORDINATOR") && err.retriable, String(err));
    assert.deepEqual(err.details?.leader, hint(coord.id));
    const fetchErr = await rejection(other.coordinator.fetchOffsets({ op: "fetchOffsets", group: "g" }));
    assert.ok(fetchErr instanceof RlogError && fetchErr.is("NOT_COORDINATOR"));
    assert.deepEqual(c.coordinatorOf("g"), coord);
  }
});

test("committed offsets survive a coordinator move; the old coordinator's waiting joins are told to go elsewhere", async () => {
  const c = cluster();
  const coord = await c.ready("g");
  await c.ticker.settle(coord.coordinator.commit({ op: "commitOffsets", group: "g", offsets: [{ topic: "orders", partition: 0, offset: 42 }] }));
  // A join waits out the initial delay when the coordinator moves.
  const waiting = coord.coordinator.join({ op: "joinGroup", group: "g", memberId: "", topics: ["orders"], sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000 }, "c", signal());
  waiting.catch(() => undefined);
  const offsets = [...coord.replicas.values()].find((r) => r.topic === OFFSETS_TOPIC)!;
  const target = IDS.map(nodeId).find((id) => id !== coord.id)!;
  await c.ticker.settle(offsets.transferLeadership(target, 10_000, signal()));
  const err = await c.ticker.settle(waiting.then(() => assert.fail("the join cannot finish on a deposed coordinator"), (e: unknown) => e));
  assert.ok(err instanceof RlogError && err.retriable && (err.is("NOT_COORDINATOR") || err.is("COORDINATOR_NOT_AVAILABLE")), String(err));
  const next = await c.ready("g");
  assert.equal(next.id, target);
  const fetched = await c.ticker.settle(next.coordinator.fetchOffsets({ op: "fetchOffsets", group: "g" }));
  assert.deepEqual(fetched.offsets, [{ topic: "orders", partition: 0, offset: 42 }]);
});
