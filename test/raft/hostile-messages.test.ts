/**
 * Well-formed messages no correct peer sends must not drive the core into
 * an assertion (which would end the process): the core drops them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../broker/raft/messages.js";
import { index, nodeId, term } from "../../broker/raft/types.js";
import { Harness, TEST_TIMING } from "./harness.js";

test("a leader drops an AppendResponse claiming a match past its last index (it would push the commit past the log)", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  h.settle();
  const st = leader.status();
  const last = st.lastIndex;
  const commit = st.commit;
  const id = Number(st.id);
  const others = [1, 2, 3].filter((x) => x !== id);
  // Both followers "confirm" entries the leader never had: a quorum past the log.
  for (const from of others) {
    leader.step({ type: MessageType.AppendResponse, from: nodeId(from), to: nodeId(id), term: term(st.term), success: true, index: index(last + 1_000_000), hintIndex: index(0), hintTerm: term(0) });
  }
  h.settle();
  assert.equal(leader.status().commit, commit, "the commit index did not move");
  assert.equal(leader.status().lastIndex, last);
  // The group still works.
  h.propose(nodeId(id), "after");
  h.settle();
  assert.ok(h.appliedPayloads(id).includes("after"));
});

test("a follower drops leader messages from a second 'leader' of its leader's term (it would switch leaders and commit what the real one never did)", () => {
  const h = new Harness({ size: 3 });
  const leader = h.elect();
  h.settle();
  const st = leader.status();
  const id = Number(st.id);
  const [f, impostor] = [1, 2, 3].filter((x) => x !== id) as [number, number];
  const follower = h.node(f);
  const before = follower.status();
  assert.equal(before.leader, id);
  follower.step({ type: MessageType.Heartbeat, from: nodeId(impostor), to: nodeId(f), term: term(st.term), commit: index(before.lastIndex) });
  follower.step({ type: MessageType.TimeoutNow, from: nodeId(impostor), to: nodeId(f), term: term(st.term) });
  h.settle();
  assert.equal(follower.status().leader, id, "still follows the real leader");
  assert.equal(follower.status().term, st.term, "no campaign");
  h.propose(nodeId(id), "after");
  h.settle();
  h.tick(TEST_TIMING.heartbeatIntervalTicks * 2); // the commit index reaches followers with the next heartbeat
  assert.ok(h.appliedPayloads(f).includes("after"));
});
