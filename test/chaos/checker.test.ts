/**
 * The chaos checker against hand-built histories: a clean one passes, and
 * each kind of violation is reported with its count.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkHistory, type CheckCounts } from "./checker.js";
import type { CommitAck, FinalRecord, History, OffsetObservation, ProducedRecord, ReadRecord, ReplicaLog } from "./history.js";

/** Two producers over two partitions, all acknowledged, read once each; three equal replicas; commits going up. */
function cleanHistory(): {
  produced: ProducedRecord[];
  reads: ReadRecord[];
  final: Map<number, FinalRecord[]>;
  replicas: ReplicaLog[];
  commits: CommitAck[];
  observations: OffsetObservation[];
} {
  const final = new Map<number, FinalRecord[]>([
    [0, [{ producer: "a", seq: 0, offset: 0 }, { producer: "b", seq: 0, offset: 1 }, { producer: "a", seq: 2, offset: 2 }]],
    [1, [{ producer: "a", seq: 1, offset: 0 }, { producer: "b", seq: 1, offset: 1 }]],
  ]);
  const produced: ProducedRecord[] = [];
  const reads: ReadRecord[] = [];
  for (const [partition, log] of final) {
    for (const r of log) {
      produced.push({ producer: r.producer, seq: r.seq, status: "acked", partition, offset: r.offset, atMs: 10 * r.offset });
      reads.push({ consumer: "c1", producer: r.producer, seq: r.seq, partition, offset: r.offset });
    }
  }
  produced.push({ producer: "b", seq: 2, status: "failed", atMs: 50 });
  const entries = ["1/1/0/x", "2/1/1/y", "3/2/2/z"];
  const replicas = [1, 2, 3].map((broker) => ({ log: "p/1/0", broker, entries: [...entries] }));
  const commits: CommitAck[] = [
    { partition: 0, offset: 1, atMs: 100 },
    { partition: 0, offset: 3, atMs: 300 },
  ];
  const observations: OffsetObservation[] = [
    { startMs: 150, endMs: 160, offsets: new Map([[0, 1]]) },
    { startMs: 400, endMs: 410, offsets: new Map([[0, 3]]) },
  ];
  return { produced, reads, final, replicas, commits, observations };
}

function only(counts: CheckCounts, kind: keyof CheckCounts, expected: number): void {
  const violations = ["lost", "duplicated", "misplaced", "reordered", "phantomReads", "divergentReplicas", "offsetsWentBack"] as const;
  for (const k of violations) assert.equal(counts[k], k === kind ? expected : 0, `${k} count`);
}

test("a clean history passes with its counts", () => {
  const r = checkHistory(cleanHistory());
  assert.equal(r.ok, true, JSON.stringify(r.violations));
  assert.equal(r.counts.acknowledged, 5);
  assert.equal(r.counts.unacknowledged, 1);
  assert.equal(r.counts.unacknowledgedPresent, 0);
  assert.equal(r.counts.reads, 5);
  assert.deepEqual(r.violations, []);
});

test("an unacknowledged record in the log is allowed and counted", () => {
  const h = cleanHistory();
  h.final.get(1)!.push({ producer: "b", seq: 2, offset: 2 });
  const r = checkHistory(h);
  assert.equal(r.ok, true);
  assert.equal(r.counts.unacknowledgedPresent, 1);
});

test("lost: an acknowledged record missing from the final log", () => {
  const h = cleanHistory();
  h.final.set(1, h.final.get(1)!.slice(0, 1));
  h.reads.splice(h.reads.findIndex((x) => x.producer === "b" && x.seq === 1), 1);
  const r = checkHistory(h);
  assert.equal(r.ok, false);
  only(r.counts, "lost", 1);
  assert.match(r.violations[0]!.detail, /b#1 acknowledged at partition 1 offset 1/);
});

test("duplicated: a record twice in the final log", () => {
  const h = cleanHistory();
  h.final.get(1)!.push({ producer: "a", seq: 1, offset: 2 });
  const r = checkHistory(h);
  only(r.counts, "duplicated", 1);
});

test("misplaced: acknowledged at one offset, stored at another", () => {
  const h = cleanHistory();
  const i = h.produced.findIndex((x) => x.producer === "b" && x.seq === 0);
  h.produced[i] = { ...h.produced[i]!, offset: 7 };
  const r = checkHistory(h);
  only(r.counts, "misplaced", 1);
});

test("reordered: a producer's records out of sequence order in a partition", () => {
  const h = cleanHistory();
  // a#0 and a#2 swap places in partition 0 (and are acknowledged where they now are).
  h.final.set(0, [{ producer: "a", seq: 2, offset: 0 }, { producer: "b", seq: 0, offset: 1 }, { producer: "a", seq: 0, offset: 2 }]);
  for (const p of h.produced) if (p.producer === "a" && p.seq !== 1) Object.assign(p, { offset: p.seq === 0 ? 2 : 0 });
  for (const x of h.reads) if (x.producer === "a" && x.seq !== 1) Object.assign(x, { offset: x.seq === 0 ? 2 : 0 });
  const r = checkHistory(h);
  only(r.counts, "reordered", 1);
});

test("reordered: final offsets that do not increase", () => {
  const h = cleanHistory();
  h.final.set(1, [{ producer: "a", seq: 1, offset: 1 }, { producer: "b", seq: 1, offset: 1 }]);
  for (const p of h.produced) if (p.producer === "a" && p.seq === 1) Object.assign(p, { offset: 1 });
  h.reads.length = 0;
  const r = checkHistory(h);
  assert.equal(r.counts.reordered, 1);
  assert.equal(r.ok, false);
});

test("phantom reads: a record the final log does not hold, and one record at two offsets", () => {
  const h = cleanHistory();
  h.reads.push({ consumer: "c2", producer: "z", seq: 9, partition: 0, offset: 3 }); // beyond the final log
  h.reads.push({ consumer: "c2", producer: "b", seq: 0, partition: 0, offset: 2 }); // a#2 is there
  const r = checkHistory(h);
  only(r.counts, "phantomReads", 2);
  assert.match(r.violations.map((v) => v.detail).join("\n"), /final log has nothing there/);
});

test("phantom read: the same record read at two offsets, both in the final log", () => {
  const h = cleanHistory();
  // A duplicate in the log lets the second read match the final log; the checker still flags both.
  h.final.get(0)!.push({ producer: "a", seq: 0, offset: 3 });
  h.reads.push({ consumer: "c2", producer: "a", seq: 0, partition: 0, offset: 3 });
  const r = checkHistory(h);
  assert.equal(r.counts.phantomReads, 1);
  assert.equal(r.counts.duplicated, 1);
});

test("divergent replicas: one copy differs, one copy is short", () => {
  const h = cleanHistory();
  h.replicas[1] = { ...h.replicas[1]!, entries: ["1/1/0/x", "2/1/1/y", "3/3/2/q"] };
  h.replicas.push({ log: "p/1/1", broker: 1, entries: ["1/1/0/a"] }, { log: "p/1/1", broker: 2, entries: ["1/1/0/a"] }, { log: "p/1/1", broker: 3, entries: [] });
  const r = checkHistory(h);
  only(r.counts, "divergentReplicas", 2);
  assert.match(r.violations.map((v) => v.detail).join("\n"), /p\/1\/0 on broker 2/);
  assert.match(r.violations.map((v) => v.detail).join("\n"), /p\/1\/1 on broker 3/);
});

test("group offsets: lower than an earlier fetch, lower than an acknowledged commit, or gone", () => {
  const h = cleanHistory();
  h.observations.push({ startMs: 500, endMs: 510, offsets: new Map([[0, 2]]) }); // below 3 (fetched and committed)
  h.observations.push({ startMs: 600, endMs: 610, offsets: new Map() }); // the commit vanished
  const r = checkHistory(h);
  only(r.counts, "offsetsWentBack", 2);
});

test("group offsets: a fetch that overlaps a commit may still see the old value", () => {
  const h = cleanHistory();
  h.commits.push({ partition: 0, offset: 5, atMs: 705 });
  h.observations.push({ startMs: 700, endMs: 720, offsets: new Map([[0, 3]]) }); // started before the ack
  h.observations.push({ startMs: 800, endMs: 810, offsets: new Map([[0, 5]]) });
  const r = checkHistory(h);
  assert.equal(r.ok, true, JSON.stringify(r.violations));
});
