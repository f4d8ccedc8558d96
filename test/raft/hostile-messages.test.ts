/**
 * Well-formed messages no correct peer sends must not drive the core into
 * an assertion (which would end the process): the core drops them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { MessageType } from "../../broker/raft/messages.js";
import { index, nodeId, term } from "../../broker/raft/types.js";
import { Harness } from "./harness.js";

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
