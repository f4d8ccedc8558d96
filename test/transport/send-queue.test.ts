import { test } from "node:test";
import assert from "node:assert/strict";
import { SendQueue } from "../../broker/transport/send-queue.js";

const drain = (q: SendQueue<number>): number[] => {
  const out: number[] = [];
  for (let x = q.shift(); x !== undefined; x = q.shift()) out.push(x);
  return out;
};

test("a queue is FIFO and drops the oldest items beyond itemsMax", () => {
  const q = new SendQueue<number>({ itemsMax: 3, bytesMax: 1000 });
  for (let i = 0; i < 10; i++) q.push(i, 1);
  assert.equal(q.length, 3);
  assert.equal(q.dropped, 7);
  assert.deepEqual(drain(q), [7, 8, 9]);
  assert.equal(q.byteLength, 0);
});

test("a queue drops the oldest items beyond bytesMax and refuses an item bigger than bytesMax", () => {
  const q = new SendQueue<number>({ itemsMax: 100, bytesMax: 10 });
  q.push(1, 4);
  q.push(2, 4);
  q.push(3, 4); // 12 > 10: drops 1
  assert.equal(q.byteLength, 8);
  assert.equal(q.dropped, 1);
  assert.equal(q.push(4, 11), false);
  assert.equal(q.dropped, 2);
  assert.equal(q.peekSize(), 4);
  assert.deepEqual(drain(q), [2, 3]);
});

test("a queue wraps around its ring many times without losing order", () => {
  const q = new SendQueue<number>({ itemsMax: 4, bytesMax: 1000 });
  const out: number[] = [];
  for (let i = 0; i < 1000; i++) {
    q.push(i, 1);
    if (i % 3 === 0) out.push(...drain(q));
  }
  out.push(...drain(q));
  assert.deepEqual(out, [...out].sort((a, b) => a - b));
  assert.equal(out.length + q.dropped, 1000);
  q.push(1, 1);
  q.clear();
  assert.equal(q.length, 0);
});
