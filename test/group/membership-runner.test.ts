/**
 * GroupRunner's membership pass-through (RaftNode, "Membership changes"): a
 * non-member runner joins as a voter, the configuration is persisted with the
 * hard state and survives a restart of the runner, and refusals come back
 * as the core gives them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { GroupRunner } from "../../broker/group/group-runner.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { EntryKind, nodeId } from "../../broker/raft/types.js";
import { LoopbackNet, Ticker, failOnFatal, raftConfig, silentLogger } from "./in-process.js";

test("a runner changes membership: non-member 4 becomes a voter, 3 leaves; the configuration is persisted and kept across a restart", async () => {
  const net = new LoopbackNet();
  const base = [1, 2, 3];
  const storages = new Map([1, 2, 3, 4].map((id) => [id, new MemoryStorage()]));
  const runners = new Map<number, GroupRunner>();
  const open = (id: number): GroupRunner => {
    const r = new GroupRunner({
      groupId: "g",
      config: raftConfig(id, base, { preferredLeaderCheckTicks: 5 }),
      storage: storages.get(id)!,
      random: new SeededRandom(id),
      send: net.send,
      stateMachine: { apply: () => undefined },
      logger: silentLogger,
      onFatal: failOnFatal,
    });
    runners.set(id, r);
    net.join(nodeId(id), (m) => runners.get(id)!.step(m));
    return r;
  };
  for (const id of [1, 2, 3, 4]) open(id);
  const clock = new Ticker(() => [...runners.values()].forEach((r) => r.tick()));
  await clock.until(() => runners.get(1)!.isLeader(), "member 1 leads");
  const leader = runners.get(1)!;
  await clock.settle(leader.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 1, data: new Uint8Array([1]) }]).done);
  assert.equal(runners.get(4)!.voterCount, 3, "the base configuration, 4 not in it");

  const refused = runners.get(2)!.changeMembership({ voters: [nodeId(1), nodeId(2), nodeId(4)] });
  assert.ok(!refused.ok && refused.code === "NOT_LEADER");
  const invalid = leader.changeMembership({ voters: [] });
  assert.ok(!invalid.ok && invalid.code === "INVALID");

  const r = leader.changeMembership({ voters: [nodeId(1), nodeId(2), nodeId(4)] });
  assert.ok(r.ok, JSON.stringify(r));
  const done = (id: number): boolean => {
    const m = runners.get(id)!.membership();
    return !m.pending && [...m.config.voters].sort().join() === "1,2,4";
  };
  await clock.until(() => done(1) && done(2) && done(4), "every new voter has the new configuration in effect");
  const want = leader.membership();
  assert.ok(want.index > r.index, "the leave followed the joint entry");
  assert.equal(leader.status().membership.index, want.index);
  assert.deepEqual(storages.get(4)!.hardState().membership?.voters, want.config.voters);
  assert.equal(storages.get(4)!.hardState().membershipIndex, want.index);

  // Restart member 4's runner on its storage: it comes back a voter, with the configuration it had.
  await runners.get(4)!.close();
  const reopened = open(4);
  assert.equal(reopened.membership().index, want.index);
  assert.equal(reopened.voterCount, 3);
  // Move leadership by preference: 4 first.
  for (const id of [1, 2, 4]) runners.get(id)!.setPriority([nodeId(4), nodeId(1), nodeId(2)]);
  await clock.until(() => reopened.isLeader(), "member 4 leads after setPriority", 2_000);
  await clock.settle(reopened.propose([{ kind: EntryKind.Records, count: 1, timestampMs: 2, data: new Uint8Array([2]) }]).done);
  await Promise.all([...runners.values()].map((x) => x.close()));
});
