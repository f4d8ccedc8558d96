import { test } from "node:test";
import assert from "node:assert/strict";
import { LeaderAnnouncer } from "../../broker/cluster/leader-announcer.js";
import { LeaderTable, newerLeader } from "../../broker/cluster/leader-table.js";
import type { LeaderAnnouncement } from "../../broker/protocol/peer-frames.js";
import { nodeId, term, type NodeId } from "../../broker/raft/types.js";

const n = nodeId;
const t = term;

test("the newest term wins; an older or repeated announcement changes nothing", () => {
  const table = new LeaderTable(10);
  assert.equal(table.observe("p/1/0", n(2), t(3)), true);
  assert.equal(table.observe("p/1/0", n(1), t(2)), false, "older term");
  assert.equal(table.observe("p/1/0", n(2), t(3)), false, "same news");
  assert.deepEqual(table.get("p/1/0"), { leader: 2, term: 3 });
  assert.equal(table.observe("p/1/0", n(3), t(4)), true);
  assert.deepEqual(table.get("p/1/0"), { leader: 3, term: 4 });
});

test("within one term the first named leader stays: a second claim is not believed", () => {
  const table = new LeaderTable(10);
  table.observe("g", n(0), t(5)); // term known, leader not
  assert.equal(table.observe("g", n(2), t(5)), true, "a leader fills in an unknown one");
  assert.equal(table.observe("g", n(3), t(5)), false, "a conflicting claim for the same term");
  assert.equal(table.observe("g", n(0), t(5)), false, "unknown never replaces known");
  assert.deepEqual(table.get("g"), { leader: 2, term: 5 });
});

test("bounded: past entriesMax new groups are ignored, known ones still advance; retain prunes", () => {
  const table = new LeaderTable(2);
  table.observe("a", n(1), t(1));
  table.observe("b", n(1), t(1));
  assert.equal(table.observe("c", n(1), t(1)), false);
  assert.equal(table.size, 2);
  assert.equal(table.observe("a", n(2), t(2)), true);
  table.retain((g) => g !== "a");
  assert.equal(table.get("a"), undefined);
  assert.equal(table.observe("c", n(1), t(1)), true);
});

test("newerLeader: higher term, then a known leader over an unknown one", () => {
  assert.deepEqual(newerLeader({ leader: n(1), term: t(2) }, { leader: n(2), term: t(3) }), { leader: 2, term: 3 });
  assert.deepEqual(newerLeader({ leader: n(1), term: t(4) }, { leader: n(2), term: t(3) }), { leader: 1, term: 4 });
  assert.deepEqual(newerLeader({ leader: n(0), term: t(3) }, { leader: n(2), term: t(3) }), { leader: 2, term: 3 });
  assert.deepEqual(newerLeader(undefined, { leader: n(2), term: t(3) }), { leader: 2, term: 3 });
  assert.equal(newerLeader(undefined, undefined), undefined);
});

test("announcer: a win goes to every peer at once; announceAll sends every led group to one or all peers", () => {
  const sent: { to: NodeId; list: readonly LeaderAnnouncement[] }[] = [];
  const table = new LeaderTable(100);
  let led = [{ group: "p/1/0", term: t(2) }];
  const a = new LeaderAnnouncer({
    selfId: n(1),
    table,
    transport: { announce: (to, list) => sent.push({ to, list }), peerIds: () => [n(2), n(3)] },
    ledGroups: () => led,
  });
  a.won("p/1/1", t(7));
  assert.deepEqual(sent.map((s) => s.to), [2, 3]);
  assert.deepEqual(sent[0]!.list, [{ group: "p/1/1", leader: 1, term: 7 }]);
  assert.deepEqual(table.get("p/1/1"), { leader: 1, term: 7 });
  sent.length = 0;
  a.announceAll(n(3));
  assert.deepEqual(sent, [{ to: 3, list: [{ group: "p/1/0", leader: 1, term: 2 }] }]);
  sent.length = 0;
  led = [];
  a.announceAll();
  assert.deepEqual(sent, [], "nothing led, nothing sent");
  a.received([{ group: "p/9/0", leader: 2, term: 4 }]);
  assert.deepEqual(table.get("p/9/0"), { leader: 2, term: 4 });
});

test("a moving group's announcement carries its committed voters: at once when they change, with the periodic ones, and the receiver hears them", () => {
  const table = new LeaderTable(10);
  const sent: { to: NodeId; list: readonly LeaderAnnouncement[] }[] = [];
  const heard: unknown[] = [];
  const a = new LeaderAnnouncer({
    selfId: n(1),
    table,
    transport: { announce: (to, list) => sent.push({ to, list }), peerIds: () => [n(2)] },
    ledGroups: () => [{ group: "p/1/0", term: t(2), voters: [n(2), n(3), n(1)] }, { group: "p/1/1", term: t(2) }],
    onVoters: (group, leader, term, voters) => heard.push({ group, leader, term, voters }),
  });
  a.votersChanged("p/1/0", t(2), [n(2), n(3), n(4)]);
  assert.deepEqual(sent, [{ to: 2, list: [{ group: "p/1/0", leader: 1, term: 2, voters: [2, 3, 4] }] }]);
  sent.length = 0;
  a.announceAll();
  assert.deepEqual(sent[0]!.list, [{ group: "p/1/0", leader: 1, term: 2, voters: [2, 3, 1] }, { group: "p/1/1", leader: 1, term: 2 }]);
  a.received([{ group: "p/1/0", leader: 3, term: 5, voters: [2, 3, 4] }, { group: "p/1/1", leader: 3, term: 5 }]);
  assert.deepEqual(heard, [{ group: "p/1/0", leader: 3, term: 5, voters: [2, 3, 4] }]);
  assert.deepEqual(table.get("p/1/0"), { leader: 3, term: 5 });
});
