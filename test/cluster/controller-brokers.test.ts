/**
 * The broker registry through the controller, in process (three controller
 * voters over MemoryStorage): registerBroker and unregisterBroker with their
 * refusals, and a registered live broker as a candidate for new replicas.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { knownBrokers } from "../../broker/cluster/broker-registry.js";
import { Controller } from "../../broker/cluster/controller.js";
import { RlogError } from "../../broker/protocol/errors.js";
import type { TopicConfig } from "../../broker/protocol/requests.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";
import { failOnFatal, LoopbackNet, raftConfig, rejection, silentLogger, Ticker } from "../group/in-process.js";

const CONFIG: TopicConfig = { retentionBytes: -1, retentionMs: -1, segmentBytes: 1 << 20, segmentMs: 60_000, compression: "producer" };
const CONFIGURED = [1, 2, 3].map((id) => ({ id, host: "127.0.0.1", clientPort: 9091 + id, peerPort: 9191 + id }));

/** Three controllers whose known brokers are the three configured plus the registered ones; `live` is what is reachable. */
function controllers(live: () => readonly number[]) {
  const net = new LoopbackNet();
  const all: Controller[] = [];
  for (const id of [1, 2, 3]) {
    const c: Controller = new Controller({
      raft: raftConfig(id, [1, 2, 3]),
      log: new MemoryStorage(),
      random: new SeededRandom(id),
      send: net.send,
      logger: silentLogger,
      brokers: [1, 2, 3].map(nodeId),
      knownBrokers: () => knownBrokers(CONFIGURED, c.metadata.registeredBrokers()),
      liveBrokers: () => live().map(nodeId),
      leaderHint: (b: NodeId) => ({ brokerId: b }),
      clock: () => 5_000,
      onChange: () => undefined,
      onFatal: failOnFatal,
    });
    net.join(nodeId(id), (m) => c.runner.step(m));
    all.push(c);
  }
  const ticker = new Ticker(() => all.forEach((c) => c.runner.tick()));
  const elected = async (): Promise<Controller> => {
    await ticker.until(() => all.some((c) => c.isLeader()), "a controller leader");
    return all.find((c) => c.isLeader())!;
  };
  return { all, ticker, elected };
}

const codeOf = (err: unknown): string => (err instanceof RlogError ? err.codeName : String(err));

test("registerBroker: committed on every voter; a known id, configured or registered, and a taken address are refused with nothing proposed", async () => {
  const k = controllers(() => [1, 2, 3]);
  const leader = await k.elected();
  const b4 = { id: nodeId(4), host: "127.0.0.1", clientPort: 9095, peerPort: 9195 };
  assert.deepEqual(await k.ticker.settle(leader.registerBroker(b4)), b4);
  await k.ticker.until(() => k.all.every((c) => c.metadata.registeredBroker(nodeId(4)) !== undefined), "every voter applied the registration");
  const before = leader.logLastIndex();
  for (const [b, code, text] of [
    [{ ...b4, host: "10.0.0.9" }, "BROKER_ALREADY_REGISTERED", /broker 4 is already registered/],
    [{ ...b4, id: nodeId(2) }, "BROKER_ALREADY_REGISTERED", /broker 2 is already listed in the brokers config/],
    [{ ...b4, id: nodeId(5), clientPort: 9193 }, "INVALID_REQUEST", /127\.0\.0\.1:9193 is already a listener of broker 2/],
    [{ ...b4, id: nodeId(5), clientPort: 9200, peerPort: 9200 }, "INVALID_REQUEST", /clientPort and peerPort are both 9200/],
  ] as const) {
    const err = await rejection(k.ticker.settle(leader.registerBroker(b)));
    assert.equal(codeOf(err), code);
    assert.match((err as Error).message, text);
  }
  assert.equal(leader.logLastIndex(), before, "nothing proposed");
  const follower = k.all.find((c) => c !== leader)!;
  assert.equal(codeOf(await rejection(follower.registerBroker({ ...b4, id: nodeId(6) }))), "NOT_CONTROLLER");
});

test("a registered live broker gets replicas of new topics; then it cannot be unregistered until they are gone", async () => {
  let live = [1, 2, 3];
  const k = controllers(() => live);
  const leader = await k.elected();
  await k.ticker.settle(leader.registerBroker({ id: nodeId(4), host: "127.0.0.1", clientPort: 9095, peerPort: 9195 }));
  live = [1, 2, 3, 4];
  const t = await k.ticker.settle(leader.createTopic("spread", 4, 3, CONFIG));
  assert.ok(t.replicas.some((r) => r.includes(nodeId(4))), `broker 4 holds replicas: ${JSON.stringify(t.replicas)}`);
  assert.equal(new Set(t.replicas.map((r) => r[0])).size, 4, "every broker is the preferred leader of one partition");

  let err = await rejection(k.ticker.settle(leader.unregisterBroker(nodeId(4), [1, 2, 3].map(nodeId))));
  assert.equal(codeOf(err), "INVALID_REQUEST");
  assert.match((err as Error).message, /broker 4 still holds 3 partition replicas: move them to other brokers first/);
  err = await rejection(k.ticker.settle(leader.unregisterBroker(nodeId(2), [1, 2, 3].map(nodeId))));
  assert.match((err as Error).message, /broker 2 is listed in the brokers config, not registered/);
  err = await rejection(k.ticker.settle(leader.unregisterBroker(nodeId(9), [1, 2, 3].map(nodeId))));
  assert.match((err as Error).message, /broker 9 is not registered/);

  await k.ticker.settle(leader.deleteTopic("spread"));
  err = await rejection(k.ticker.settle(leader.unregisterBroker(nodeId(4), [1, 2, 4].map(nodeId))));
  assert.match((err as Error).message, /broker 4 is a controller voter \(voters 1,2,4\): change the controller voters first/);
  await k.ticker.settle(leader.unregisterBroker(nodeId(4), [1, 2, 3].map(nodeId)));
  await k.ticker.until(() => k.all.every((c) => c.metadata.registeredBrokers().length === 0), "every voter applied the removal");
});
