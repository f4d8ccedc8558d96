/**
 * Back-pressure by bytes (RaftConfig.uncommittedBytesMax): a leader that
 * cannot commit (its quorum is cut off) refuses proposals with BUSY once its
 * uncommitted proposals reach the bound, so a group's memory for writes it
 * cannot commit stays bounded whatever clients send; it takes proposals
 * again once they commit, and one proposal larger than the bound goes through
 * when nothing is uncommitted.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { entryBytes, nodeId } from "../../broker/raft/types.js";
import { Harness } from "./harness.js";

const PAYLOAD = "x".repeat(100);
const ENTRY = entryBytes({ data: new TextEncoder().encode(PAYLOAD) }); // 140 bytes as counted

function cluster(): Harness {
  return new Harness({ size: 3, seed: 7, config: { uncommittedBytesMax: 2 * ENTRY + 20 } });
}

test("uncommitted bytes: a leader cut off from its quorum refuses proposals past the bound with BUSY", () => {
  const h = cluster();
  const leader = h.elect();
  const id = leader.status().id;
  h.tick(5); // the no-op of the new term commits
  h.isolate(id);
  assert.equal(h.propose(id, PAYLOAD).ok, true, "nothing uncommitted: taken");
  assert.equal(h.propose(id, PAYLOAD).ok, true, "two entries fit in the bound");
  const third = h.propose(id, PAYLOAD);
  assert.equal(third.ok, false);
  assert.equal(!third.ok && third.code, "BUSY");
  assert.match(!third.ok ? third.message : "", /too many uncommitted bytes \(280 of 300\)/);
  assert.equal(leader.status().lastIndex - leader.status().commit, 2, "the refused proposal was not appended");
});

test("uncommitted bytes: once the proposals commit, the leader takes new ones again", () => {
  const h = cluster();
  const leader = h.elect();
  const id = leader.status().id;
  h.tick(5);
  h.isolate(id);
  h.propose(id, PAYLOAD);
  h.propose(id, PAYLOAD);
  assert.equal(h.propose(id, PAYLOAD).ok, false);
  h.heal();
  h.tick(5); // the followers catch up, both entries commit
  assert.equal(h.leader()?.status().id, id, "still the leader (pre-vote kept the followers from campaigning)");
  assert.equal(leader.status().commit, leader.status().lastIndex);
  assert.equal(h.propose(id, PAYLOAD).ok, true, "taken again after the commit");
  h.tick(2);
  for (const other of [1, 2, 3]) assert.equal(h.appliedPayloads(other).length, 3, `member ${other} applied all three`);
  assert.equal(h.node(nodeId(id)).status().commit, h.node(nodeId(id)).status().lastIndex);
});

test("uncommitted bytes: one proposal larger than the bound goes through when nothing is uncommitted", () => {
  const h = cluster();
  const leader = h.elect();
  const id = leader.status().id;
  h.tick(5);
  const big = "y".repeat(1000);
  assert.equal(h.propose(id, big).ok, true);
  h.tick(2);
  assert.deepEqual(h.appliedPayloads(id), [big]);
});
