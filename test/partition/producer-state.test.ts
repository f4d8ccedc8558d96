import { test } from "node:test";
import assert from "node:assert/strict";
import { ProducerStateTable } from "../../broker/partition/producer-state.js";
import { index, offset, term } from "../../broker/raft/types.js";

const batch = (first: number, count: number, idx: number, off = first) => ({
  firstSequence: first,
  lastSequence: first + count - 1,
  baseOffset: offset(off),
  index: index(idx),
  term: term(1),
});

test("new, duplicate, out-of-order and too-old batches are told apart", () => {
  const t = new ProducerStateTable();
  assert.equal(t.check(7, 0, 0, 3).kind, "append");
  t.record(7, 0, batch(0, 3, 10));
  const dup = t.check(7, 0, 0, 3);
  assert.equal(dup.kind, "duplicate");
  assert.ok(dup.kind === "duplicate" && dup.batch.index === 10);
  assert.equal(t.check(7, 0, 3, 2).kind, "append");
  assert.deepEqual(t.check(7, 0, 5, 2), { kind: "outOfOrder", expected: 3 });
  t.record(7, 0, batch(3, 2, 11));
  assert.deepEqual(t.check(7, 0, 1, 1), { kind: "tooOld", expected: 5 });
});

test("an older epoch is fenced, a newer one starts afresh", () => {
  const t = new ProducerStateTable();
  t.record(1, 2, batch(0, 1, 5));
  assert.deepEqual(t.check(1, 1, 1, 1), { kind: "fenced", epoch: 2 });
  assert.equal(t.check(1, 3, 0, 1).kind, "append");
});

test("truncation forgets batches whose entries are gone", () => {
  const t = new ProducerStateTable();
  t.record(1, 0, batch(0, 1, 5));
  t.record(1, 0, batch(1, 1, 6));
  t.truncateFrom(index(6));
  assert.equal(t.check(1, 0, 1, 1).kind, "append", "the truncated batch must be written again");
  assert.equal(t.check(1, 0, 0, 1).kind, "duplicate");
});

test("re-recording a batch once it is written keeps the pipelined batches proposed after it", () => {
  // The leader records batches as it proposes them, then again as each one is written to its log.
  const t = new ProducerStateTable();
  t.record(4, 0, batch(0, 10, 100));
  t.record(4, 0, batch(10, 10, 101));
  t.record(4, 0, batch(0, 10, 100)); // index 100 written
  assert.equal(t.check(4, 0, 20, 10).kind, "append", "sequence 20 follows the batch at index 101");
  assert.equal(t.check(4, 0, 10, 10).kind, "duplicate");
});

test("a batch at an index a newer term overwrote drops that index and everything after it", () => {
  const t = new ProducerStateTable();
  t.record(4, 0, batch(0, 10, 100));
  t.record(4, 0, batch(10, 10, 101));
  t.record(4, 0, batch(20, 10, 102));
  t.record(4, 0, { ...batch(10, 10, 101), term: term(2) }); // the entry at 101 was replaced in term 2
  assert.deepEqual(t.check(4, 0, 30, 10), { kind: "outOfOrder", expected: 20 });
  assert.equal(t.check(4, 0, 20, 10).kind, "append", "the batch at 102 is gone with the old 101");
});
