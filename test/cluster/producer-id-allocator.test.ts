/**
 * The controller leader's producer-id allocator, driven with a block source
 * the test resolves by hand: one block commit at a time however many calls
 * wait, FIFO service, a new term starts with no block, errors reach every waiter.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ProducerIdAllocator } from "../../broker/cluster/producer-id-allocator.js";
import type { ProducerIdBlock } from "../../broker/cluster/metadata.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { index } from "../../broker/raft/types.js";

/** An allocator whose block commits wait until `grant()` or `fail()`. */
function harness(blockSize: number, waitersMax = 100) {
  let termNow = 1;
  let next = 1000;
  const pending: { count: number; resolve: (b: ProducerIdBlock) => void; reject: (e: unknown) => void }[] = [];
  const a = new ProducerIdAllocator({
    blockSize,
    waitersMax,
    term: () => termNow,
    commitBlock: (count) => new Promise((resolve, reject) => pending.push({ count, resolve, reject })),
  });
  const flush = () => new Promise((r) => setImmediate(r));
  return {
    a,
    pending,
    setTerm: (t: number) => (termNow = t),
    async grant(): Promise<void> {
      const p = pending.shift();
      assert.ok(p, "a block commit is in flight");
      p.resolve({ firstProducerId: next, count: p.count, index: index(next) });
      next += p.count;
      await flush();
    },
    async fail(err: unknown): Promise<void> {
      pending.shift()!.reject(err);
      await flush();
    },
    flush,
  };
}

test("many calls while a block commit is in flight wait for it: one commit per block, not one each, served in order", async () => {
  const h = harness(10);
  const calls = Array.from({ length: 25 }, () => h.a.allocate());
  await h.flush();
  assert.equal(h.pending.length, 1, "one block commit for 25 waiting calls");
  await h.grant();
  assert.equal(h.pending.length, 1, "the next block once the first ran out");
  await h.grant();
  await h.grant();
  assert.equal(h.pending.length, 0);
  const got = await Promise.all(calls);
  assert.deepEqual(got, Array.from({ length: 25 }, (_, k) => 1000 + k), "FIFO from consecutive blocks");
  assert.equal(h.a.blocksCommitted, 3);
  assert.equal(h.a.remaining(), 5);
  // Served from the block at once, no commit.
  assert.equal(await h.a.allocate(), 1025);
  assert.equal(h.pending.length, 0);
});

test("a new term starts with no block: the rest of the old one is skipped, never handed out", async () => {
  const h = harness(10);
  const first = h.a.allocate();
  await h.grant();
  assert.equal(await first, 1000);
  h.setTerm(2);
  const second = h.a.allocate();
  await h.flush();
  assert.equal(h.pending.length, 1, "a new block for the new term");
  await h.grant();
  assert.equal(await second, 1010);
});

test("a failed block commit rejects every waiter with its error; the next call commits again", async () => {
  const h = harness(10);
  const calls = Promise.allSettled([h.a.allocate(), h.a.allocate(), h.a.allocate()]);
  await h.fail(new RlogError("NOT_CONTROLLER", "lost the election"));
  for (const c of await calls) assert.ok(c.status === "rejected" && c.reason instanceof RlogError && c.reason.is("NOT_CONTROLLER"), String(c));
  const again = h.a.allocate();
  await h.grant();
  assert.equal(await again, 1000);
});

test("waiters past waitersMax are refused with TOO_MANY_REQUESTS (retriable), the others are served", async () => {
  const h = harness(10, 3);
  const calls = [h.a.allocate(), h.a.allocate(), h.a.allocate()];
  await assert.rejects(h.a.allocate(), (e: unknown) => e instanceof RlogError && e.is("TOO_MANY_REQUESTS") && e.retriable);
  await h.grant();
  assert.deepEqual(await Promise.all(calls), [1000, 1001, 1002]);
});

test("a block size that is not a positive integer is refused at construction", () => {
  for (const blockSize of [0, -5, 2.5]) {
    assert.throws(() => new ProducerIdAllocator({ blockSize, waitersMax: 1, term: () => 1, commitBlock: () => Promise.reject(new Error("unused")) }));
  }
});
