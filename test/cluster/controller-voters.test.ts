/**
 * ControllerVoters in process: three controller voters and a fourth broker
 * that opens the controller as a non-member, over MemoryStorage and a
 * loopback network. The leader makes broker 4 a learner, so it applies the
 * metadata; the voters become 1,2,4 by joint consensus; with broker 3 cut
 * off the controller still commits. Every broker's leader preference follows.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { knownBrokers } from "../../broker/cluster/broker-registry.js";
import { Controller } from "../../broker/cluster/controller.js";
import { ControllerVoters } from "../../broker/cluster/controller-voters.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";
import { failOnFatal, LoopbackNet, raftConfig, rejection, silentLogger, Ticker } from "../group/in-process.js";
import { RlogError } from "../../broker/protocol/errors.js";

const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const ALL = [1, 2, 3, 4].map((id) => ({ id, host: "127.0.0.1", clientPort: 9091 + id, peerPort: 9191 + id }));

/** Brokers 1..4 all configured; controller voters 1,2,3 (base); every ControllerVoters checked on each tick. */
function cluster() {
  const net = new LoopbackNet();
  const controllers: Controller[] = [];
  const voters: ControllerVoters[] = [];
  let live = [1, 2, 3, 4];
  for (const id of [1, 2, 3, 4]) {
    const c: Controller = new Controller({
      raft: raftConfig(id, [1, 2, 3]),
      log: new MemoryStorage(),
      random: new SeededRandom(id),
      send: net.send,
      logger: silentLogger,
      brokers: [1, 2, 3, 4].map(nodeId),
      knownBrokers: () => knownBrokers(ALL, c.metadata.registeredBrokers()),
      liveBrokers: () => live.map(nodeId),
      leaderHint: (b: NodeId) => ({ brokerId: b }),
      clock: () => 5_000,
      onChange: () => undefined,
      onFatal: failOnFatal,
    });
    net.join(nodeId(id), (m) => c.runner.step(m));
    controllers.push(c);
    voters.push(new ControllerVoters({ controller: () => c, knownBrokers: () => knownBrokers(ALL, []), logger: silentLogger }));
  }
  const ticker = new Ticker(() => {
    controllers.forEach((c) => c.runner.tick());
    voters.forEach((v) => v.check());
  });
  const leader = async (): Promise<number> => {
    await ticker.until(() => controllers.some((c) => c.isLeader()), "a controller leader");
    return controllers.findIndex((c) => c.isLeader());
  };
  return { net, controllers, voters, ticker, leader, setLive: (l: number[]) => (live = l) };
}

test("a broker left out of the voters becomes a controller learner and applies the metadata; the voters then change to 1,2,4", async () => {
  const k = cluster();
  let li = await k.leader();
  await k.ticker.until(() => k.voters.every((v) => v.membership().learners.join() === "4" && !v.membership().changing), "broker 4 a learner on every broker");
  assert.deepEqual(k.voters[3]!.membership(), { voters: [1, 2, 3], learners: [4], changing: false });
  const t = await k.ticker.settle(k.controllers[li]!.createTopic("orders", 2, 3, CONFIG));
  await k.ticker.until(() => k.controllers[3]!.metadata.topic("orders")?.id === t.id, "the learner applied the topic");
  assert.equal(k.controllers[3]!.isLeader(), false);

  // A follower refuses the change; the leader makes it.
  const follower = k.voters.findIndex((_v, i) => i !== li && i !== 3);
  const refused = await rejection(k.voters[follower]!.alter([1, 2, 4].map(nodeId)));
  assert.ok(refused instanceof RlogError && refused.is("NOT_CONTROLLER"), String(refused));
  li = await k.leader();
  const m = await k.ticker.settle(k.voters[li]!.alter([1, 2, 4].map(nodeId)), 3_000);
  assert.deepEqual(m, { voters: [1, 2, 4], learners: [3], changing: false });
  await k.ticker.until(() => k.voters.every((v) => v.membership().voters.join() === "1,2,4" && !v.membership().changing), "every broker holds the new voters");

  // Broker 3 cut off: the controller (1, 2, 4) still elects and commits.
  k.net.isolate(nodeId(3));
  k.setLive([1, 2, 4]);
  li = await k.leader();
  if (li === 2) {
    await k.ticker.until(() => k.controllers.some((c, i) => i !== 2 && c.isLeader()), "a leader among 1, 2, 4", 3_000);
    li = k.controllers.findIndex((c, i) => i !== 2 && c.isLeader());
  }
  const after = await k.ticker.settle(k.controllers[li]!.createTopic("without-3", 1, 2, CONFIG), 3_000);
  await k.ticker.until(() => [0, 1, 3].every((i) => k.controllers[i]!.metadata.topic("without-3")?.id === after.id), "1, 2 and 4 applied it");
  // Asking again for the voters in effect changes nothing.
  assert.deepEqual(await k.ticker.settle(k.voters[li]!.alter([4, 2, 1].map(nodeId))), { voters: [1, 2, 4], learners: [3], changing: false });
});
