import { test } from "node:test";
import assert from "node:assert/strict";
import { PRODUCER_ID_EXPIRATION_MS, ProducerStateTable } from "../../broker/partition/producer-state.js";
import { index, offset, term } from "../../broker/raft/types.js";

/** The replica's clock in these tests, and the batches' timestamps unless a test says otherwise. */
const NOW = 1_700_000_000_000;

const batch = (first: number, count: number, idx: number, off = first) => ({
  firstSequence: first,
  lastSequence: first + count - 1,
  baseOffset: offset(off),
  index: index(idx),
  term: term(1),
});

test("new, duplicate, out-of-order and too-old batches are told apart", () => {
  const t = new ProducerStateTable();
  assert.equal(t.check(7, 0, 0, 3, NOW).kind, "append");
  t.record(7, 0, batch(0, 3, 10), NOW, NOW);
  const dup = t.check(7, 0, 0, 3, NOW);
  assert.equal(dup.kind, "duplicate");
  assert.ok(dup.kind === "duplicate" && dup.batch.index === 10);
  assert.equal(t.check(7, 0, 3, 2, NOW).kind, "append");
  assert.deepEqual(t.check(7, 0, 5, 2, NOW), { kind: "outOfOrder", expected: 3 });
  t.record(7, 0, batch(3, 2, 11), NOW, NOW);
  assert.deepEqual(t.check(7, 0, 1, 1, NOW), { kind: "tooOld", expected: 5 });
});

test("an older epoch is fenced, a newer one starts afresh", () => {
  const t = new ProducerStateTable();
  t.record(1, 2, batch(0, 1, 5), NOW, NOW);
  assert.deepEqual(t.check(1, 1, 1, 1, NOW), { kind: "fenced", epoch: 2 });
  assert.equal(t.check(1, 3, 0, 1, NOW).kind, "append");
});

test("truncation forgets batches whose entries are gone", () => {
  const t = new ProducerStateTable();
  t.record(1, 0, batch(0, 1, 5), NOW, NOW);
  t.record(1, 0, batch(1, 1, 6), NOW, NOW);
  t.truncateFrom(index(6));
  assert.equal(t.check(1, 0, 1, 1, NOW).kind, "append", "the truncated batch must be written again");
  assert.equal(t.check(1, 0, 0, 1, NOW).kind, "duplicate");
});

test("re-recording a batch once it is written keeps the pipelined batches proposed after it", () => {
  // The leader records batches as it proposes them, then again as each one is written to its log.
  const t = new ProducerStateTable();
  t.record(4, 0, batch(0, 10, 100), NOW, NOW);
  t.record(4, 0, batch(10, 10, 101), NOW, NOW);
  t.record(4, 0, batch(0, 10, 100), NOW, NOW); // index 100 written
  assert.equal(t.check(4, 0, 20, 10, NOW).kind, "append", "sequence 20 follows the batch at index 101");
  assert.equal(t.check(4, 0, 10, 10, NOW).kind, "duplicate");
});

test("a batch at an index a newer term overwrote drops that index and everything after it", () => {
  const t = new ProducerStateTable();
  t.record(4, 0, batch(0, 10, 100), NOW, NOW);
  t.record(4, 0, batch(10, 10, 101), NOW, NOW);
  t.record(4, 0, batch(20, 10, 102), NOW, NOW);
  t.record(4, 0, { ...batch(10, 10, 101), term: term(2) }, NOW, NOW); // the entry at 101 was replaced in term 2
  assert.deepEqual(t.check(4, 0, 30, 10, NOW), { kind: "outOfOrder", expected: 20 });
  assert.equal(t.check(4, 0, 20, 10, NOW).kind, "append", "the batch at 102 is gone with the old 101");
});

test("a producer idle for producerIdExpirationMs is forgotten: its next batch is taken as from an unknown producer", () => {
  const expirationMs = 60_000;
  const t = new ProducerStateTable({ expirationMs });
  t.record(7, 0, batch(0, 3, 10), NOW, NOW);
  assert.equal(t.check(7, 0, 0, 3, NOW + expirationMs - 1).kind, "duplicate", "still remembered just before expiry");
  assert.deepEqual(t.check(7, 0, 9, 1, NOW + expirationMs - 1), { kind: "outOfOrder", expected: 3 });
  // At expiry: forgotten, so any sequence is accepted (as from a producer never seen) and the old batch is no longer a duplicate.
  assert.equal(t.check(7, 0, 9, 1, NOW + expirationMs).kind, "append");
  assert.equal(t.size(), 0);
  assert.equal(t.check(7, 0, 0, 3, NOW + expirationMs).kind, "append");
});

test("expiry goes by the batches' timestamps, not by when the replica recorded them", () => {
  const expirationMs = 60_000;
  // A follower that appends (or a replica that rebuilds from its log) an hour later than the batch was written.
  const t = new ProducerStateTable({ expirationMs });
  t.record(1, 0, batch(0, 1, 5), NOW, NOW + 3_600_000);
  assert.equal(t.check(1, 0, 0, 1, NOW + 3_600_000).kind, "append", "the batch's timestamp is an hour old: expired");
  // The latest timestamp of a producer's batches counts; an older-stamped batch after it does not pull it back.
  const u = new ProducerStateTable({ expirationMs });
  u.record(2, 0, batch(0, 1, 5), NOW + 30_000, NOW);
  u.record(2, 0, batch(1, 1, 6), NOW, NOW);
  assert.equal(u.check(2, 0, 1, 1, NOW + 30_000 + expirationMs - 1).kind, "duplicate");
});

test("expire() forgets every expired producer wherever it stands, and only those", () => {
  const expirationMs = 1_000;
  const t = new ProducerStateTable({ expirationMs });
  // Written in this order, but stamped out of order: an old-stamped producer sits behind fresh ones.
  t.record(1, 0, batch(0, 1, 1), NOW + 500, NOW);
  t.record(2, 0, batch(0, 1, 2), NOW, NOW);
  t.record(3, 0, batch(0, 1, 3), NOW + 900, NOW);
  t.record(4, 0, batch(0, 1, 4), NOW + 100, NOW);
  assert.equal(t.expire(NOW + 999), 0);
  assert.equal(t.size(), 4);
  // At NOW + 1100: producers 2 (stamped NOW) and 4 (NOW + 100) have been idle for 1 s; 1 and 3 have not.
  assert.equal(t.expire(NOW + 1_100), 2);
  assert.equal(t.size(), 2);
  assert.equal(t.check(1, 0, 0, 1, NOW + 1_100).kind, "duplicate", "producer 1 is still remembered");
  assert.equal(t.check(3, 0, 0, 1, NOW + 1_100).kind, "duplicate", "producer 3 is still remembered");
  assert.equal(t.check(2, 0, 5, 1, NOW + 1_100).kind, "append", "producer 2 was forgotten: any sequence is accepted");
  assert.equal(t.expire(NOW + 10_000), 2);
  assert.equal(t.size(), 0);
  assert.equal(t.expire(NOW + 20_000), 0, "an empty table has nothing to forget");
});

test("recording sweeps expired producers from the least recently written end", () => {
  const expirationMs = 1_000;
  const t = new ProducerStateTable({ expirationMs });
  for (let id = 0; id < 100; id++) t.record(id, 0, batch(0, 1, id + 1), NOW + id, NOW + id);
  assert.equal(t.size(), 100);
  // 50 ms past the expiry of the first 50: they go when the next batch is recorded, the others stay.
  t.record(1000, 0, batch(0, 1, 200), NOW + 1_049, NOW + 1_049);
  assert.equal(t.size(), 51);
  assert.equal(t.check(60, 0, 0, 1, NOW + 1_049).kind, "duplicate");
});

test("the default expiry is one day, as Kafka's producer.id.expiration.ms", () => {
  assert.equal(PRODUCER_ID_EXPIRATION_MS, 24 * 60 * 60 * 1000);
  const t = new ProducerStateTable();
  t.record(1, 0, batch(0, 1, 5), NOW, NOW);
  assert.equal(t.check(1, 0, 0, 1, NOW + PRODUCER_ID_EXPIRATION_MS - 1).kind, "duplicate");
  assert.equal(t.check(1, 0, 0, 1, NOW + PRODUCER_ID_EXPIRATION_MS).kind, "append");
});
