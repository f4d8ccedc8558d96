/**
 * Raft paper Figure 8 (§5.4.2), scripted: an entry of an older term that
 * reaches a majority must not be committed by counting, because a leader of
 * a newer term that lacks it can still be elected and overwrite it. The
 * seeded sweep rarely builds this interleaving (the new leader's no-op
 * usually travels with the old entry), so it is pinned here: with the
 * counting rule broken, member 1 applies entry 3 of the old term while the
 * others later apply a different entry 3.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Harness } from "./harness.js";
import { MessageType } from "../../broker/raft/messages.js";
import { Role } from "../../broker/raft/ready.js";
import { nodeId, type NodeId } from "../../broker/raft/types.js";

const ELECTION = 10;

function leaderAmong(h: Harness, ids: readonly number[]): NodeId | undefined {
  return ids.map(nodeId).find((id) => !h.down.has(id) && h.node(id).status().role === Role.Leader);
}

test("Figure 8: an old-term entry on a majority is not committed by counting", () => {
  // One entry per Append and one Append in flight, so entries travel one at a time.
  const h = new Harness({ size: 5, priority: [1, 5, 2, 3, 4], config: { appendBytesMax: 1, inflightAppendsMax: 1 } });
  assert.equal(h.elect().id, 1);
  h.propose(nodeId(1), "x");
  h.tick(3);
  const tA = h.node(1).status().term;

  // (a) Leader 1 appends A at index 3; only member 2 gets it.
  for (const to of [3, 4, 5]) h.cut.add(`1->${to}`);
  h.propose(nodeId(1), "A");
  assert.equal(h.node(2).status().lastIndex, 3);

  // (b) 1 crashes; 5 wins a newer term with 3 and 4, but its own entry 3 reaches nobody.
  h.crash(1);
  h.heal();
  h.isolate(2);
  h.drop = (m) => m.from === 5 && m.type === MessageType.Append;
  for (let i = 0; i < ELECTION * 10 && leaderAmong(h, [5]) === undefined; i++) h.tick();
  assert.equal(leaderAmong(h, [5]), 5, "member 5 leads");
  const tB = h.node(5).status().term;
  assert.ok(tB > tA);
  h.crash(5);

  // (c) 1 restarts and wins with 2, 3, 4; A (old term) reaches 3 and 4, the new no-op does not.
  h.heal();
  // Member 2 (same log as 1) may vote but not campaign, so that 1 is the one elected.
  h.drop = (m) =>
    (m.from === 2 && (m.type === MessageType.PreVote || m.type === MessageType.Vote)) ||
    (m.from === 1 &&
      (m.to === 3 || m.to === 4) &&
      m.type === MessageType.Append &&
      m.entries.some((e) => e.term > tA) &&
      h.storages.get(m.to)!.lastIndex() >= 3); // the no-op may not follow A onto 3 and 4
  h.start(nodeId(1));
  for (let i = 0; i < ELECTION * 20 && leaderAmong(h, [1]) === undefined; i++) h.tick();
  assert.equal(leaderAmong(h, [1]), 1, "member 1 leads again");
  h.tick(6);
  for (const id of [3, 4]) assert.equal(h.storages.get(nodeId(id))!.term(3 as never), tA, `member ${id} holds A`);
  // A (old term) is on 1, 2, 3, 4 — a majority — but the no-op of the new term is only on 1 and 2.
  assert.equal(h.node(1).status().commit, 2, "an old-term entry must not be committed by counting replicas (Raft §5.4.2)");

  // (d) 1 and 2 crash; 5 restarts, wins with 3 and 4 (its last term is newer) and overwrites index 3.
  h.crash(1);
  h.crash(2);
  h.drop = undefined;
  h.start(nodeId(5));
  for (let i = 0; i < ELECTION * 30 && leaderAmong(h, [3, 4, 5]) === undefined; i++) h.tick();
  assert.ok(leaderAmong(h, [3, 4, 5]), "a leader among 3, 4, 5");
  h.tick(10);

  // State machine safety: whatever anyone applied at an index, everyone applied the same.
  const appliedAt = new Map<number, string>();
  for (const id of h.ids) {
    for (const e of h.applied.get(id)!) {
      const v = `${e.term}:${Buffer.from(e.data).toString()}`;
      const seen = appliedAt.get(e.index);
      assert.ok(seen === undefined || seen === v, `index ${e.index}: member ${id} applied ${v}, another member applied ${seen}`);
      appliedAt.set(e.index, v);
    }
  }
});
