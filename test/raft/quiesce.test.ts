/**
 * The core's quiescence rules (RaftNode, "Quiescence"): when a group
 * quiesces, what wakes it, and that liveness events (peerDown / peerUp)
 * elect a new leader without waiting for heartbeats that no longer come.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.js";
import { MessageType } from "../../broker/raft/messages.js";
import { Role } from "../../broker/raft/ready.js";
import { nodeId } from "../../broker/raft/types.js";

function quiet(size = 3, priority?: number[]): Harness {
  return new Harness({ size, config: { quiesce: true }, ...(priority ? { priority } : {}) });
}

/** Ticks until every live member is quiesced; returns the ticks taken. */
function untilQuiet(h: Harness, ticksMax = 50): number {
  for (let i = 0; i < ticksMax; i++) {
    if (h.ids.every((id) => h.down.has(id) || h.node(id).quiesced())) return i;
    h.tick();
  }
  throw new Error(`not quiesced within ${ticksMax} ticks: ${h.ids.map((id) => `${id}:${h.node(id).quiesced()}`).join(" ")}`);
}

/** Messages sent by every member over `ticks` ticks. */
function messagesOver(h: Harness, ticks: number): number {
  const before = h.ids.reduce((n, id) => n + h.readies.get(id)!.reduce((k, rd) => k + rd.messages.length + rd.earlyMessages.length, 0), 0);
  h.tick(ticks);
  const after = h.ids.reduce((n, id) => n + h.readies.get(id)!.reduce((k, rd) => k + rd.messages.length + rd.earlyMessages.length, 0), 0);
  return after - before;
}

test("an idle group quiesces after its leader's last heartbeat and then sends nothing", () => {
  const h = quiet();
  const leader = h.elect();
  untilQuiet(h);
  assert.equal(messagesOver(h, 500), 0);
  assert.equal(h.leader(), leader);
  for (const id of h.ids) assert.equal(h.node(id).status().leader, leader.id);
});

test("without the quiesce setting a group heartbeats for ever", () => {
  const h = new Harness({ size: 3 });
  h.elect();
  h.tick(50);
  assert.ok(h.ids.every((id) => !h.node(id).quiesced()));
  assert.ok(messagesOver(h, 20) > 0);
});

test("a proposal wakes a quiesced group; it commits and the group quiesces again", () => {
  const h = quiet();
  const leader = h.elect();
  untilQuiet(h);
  const r = h.propose(leader.id, "a");
  assert.ok(r.ok);
  assert.equal(leader.quiesced(), false);
  untilQuiet(h);
  for (const id of h.ids) assert.deepEqual(h.appliedPayloads(id), ["a"]);
});

test("a follower reported down keeps its leader awake until it is back and has answered", () => {
  const h = quiet();
  const leader = h.elect();
  untilQuiet(h);
  const f = h.ids.find((id) => id !== leader.id)!;
  h.crash(f);
  leader.peerDown(f);
  assert.equal(leader.quiesced(), false);
  h.tick(100);
  assert.equal(leader.quiesced(), false, "a leader does not quiesce while a voter is down");
  assert.equal(leader.status().role, Role.Leader, "the other follower keeps it in office");
  h.start(f);
  leader.peerUp(f);
  untilQuiet(h);
  assert.equal(h.node(f).status().leader, leader.id);
});

test("followers told their leader is down elect a new one well within an election timeout", () => {
  const h = quiet(3, [1, 2, 3]);
  const leader = h.elect();
  assert.equal(leader.id, 1);
  untilQuiet(h);
  const term = leader.status().term;
  h.crash(1);
  for (const id of [2, 3]) h.node(id).peerDown(nodeId(1));
  let ticks = 0;
  while (!h.leader() || h.leader()!.id === 1) {
    h.tick();
    assert.ok(++ticks < 10, "no new leader within the election timeout (10 ticks)");
  }
  assert.equal(h.leader()!.id, 2, "the most preferred live member wins");
  assert.ok(h.leader()!.status().term > term);
});

test("without a liveness report, a quiesced follower refuses a restarted member's pre-vote, and no term changes", () => {
  const h = quiet(3, [1, 2, 3]);
  const leader = h.elect();
  untilQuiet(h);
  const term = leader.status().term;
  // Member 3 restarts knowing nothing (its liveness edge not reported): it times out and pre-votes.
  h.crash(3);
  h.start(nodeId(3));
  h.tick(60);
  assert.equal(h.leader(), leader);
  for (const id of h.ids) assert.equal(h.node(id).status().term, term);
  assert.equal(h.node(3).status().leader, leader.id);
  untilQuiet(h);
});

test("a quiesced leader that restarts is replaced: its pre-vote wakes the followers, whose lease ends", () => {
  const h = quiet(3, [1, 2, 3]);
  const leader = h.elect();
  untilQuiet(h);
  const term = leader.status().term;
  h.crash(leader.id);
  h.start(leader.id);
  h.tick(100);
  const now = h.leader();
  assert.ok(now, "a leader after the restart");
  assert.ok(now.status().term > term);
  untilQuiet(h);
});

test("a transfer wakes a quiesced leader and completes", () => {
  const h = quiet(3, [1, 2, 3]);
  const leader = h.elect();
  untilQuiet(h);
  const r = leader.transferLeadership(nodeId(3));
  assert.ok(r.ok);
  h.tick(5);
  assert.equal(h.leader()!.id, 3);
  untilQuiet(h);
});

test("a leader owing a preferred-leader transfer does not quiesce before handing over", () => {
  const h = new Harness({ size: 3, priority: [1, 2, 3], config: { quiesce: true, preferredLeaderCheckTicks: 7 } });
  h.elect();
  untilQuiet(h);
  // Make 2 lead: 1 hands over by transfer; with preference on, 1 takes it back before anyone quiesces.
  const r = h.leader()!.transferLeadership(nodeId(2));
  assert.ok(r.ok);
  h.tick(3);
  assert.equal(h.leader()!.id, 2);
  let quietWhileNotPreferred = false;
  for (let i = 0; i < 40 && h.leader()!.id !== 1; i++) {
    h.tick();
    if (h.leader()!.id === 2 && h.leader()!.quiesced()) quietWhileNotPreferred = true;
  }
  assert.equal(h.leader()!.id, 1);
  assert.equal(quietWhileNotPreferred, false);
  untilQuiet(h);
});

test("a follower whose log is behind the quiesce heartbeat does not quiesce", () => {
  const h = quiet(3, [1, 2, 3]);
  const leader = h.elect();
  untilQuiet(h);
  // Member 3 misses an append; the leader stays awake until it has caught up.
  h.drop = (m) => m.to === 3 && m.type === MessageType.Append;
  h.propose(leader.id, "b");
  h.tick(10);
  assert.equal(leader.quiesced(), false);
  assert.equal(h.node(3).quiesced(), false);
  h.drop = undefined;
  untilQuiet(h);
  assert.deepEqual(h.appliedPayloads(3), ["b"]);
});
