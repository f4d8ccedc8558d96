/** The response budget alone: grants, the two FIFOs, timeouts, aborts, closes and stalls (broker/server/response-budget.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FETCH_ENVELOPE_BYTES, fetchReservationBytes, ResponseBudget, type Stall } from "../../broker/server/response-budget.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";

const limits = { brokerResponseBytesMax: 100, connectionResponseBytesMax: 60, sendStallMs: 400, sendStallPressureMs: 100 };

function budget(): { broker: ResponseBudget; stalls: Stall[][]; open: () => ReturnType<ResponseBudget["connection"]> } {
  const broker = new ResponseBudget(limits);
  const stalls: Stall[][] = [];
  return {
    broker,
    stalls,
    open: () => {
      const mine: Stall[] = [];
      stalls.push(mine);
      return broker.connection((s) => mine.push(s));
    },
  };
}

const holder = (): { reservedBytes: number } => ({ reservedBytes: 0 });

test("a fetch reserves its records twice (as read, and in the frame with the envelope), records at least a batch, the frame at most frameBytesMax", () => {
  const l = DEFAULT_LIMITS;
  assert.equal(fetchReservationBytes(1, l), 2 * l.batchBytesMax + FETCH_ENVELOPE_BYTES, "a small maxBytes still gets a whole first batch");
  const records = Math.max(l.fetchBytesMax, l.batchBytesMax);
  assert.equal(fetchReservationBytes(l.fetchBytesMax * 10, l), 2 * records + FETCH_ENVELOPE_BYTES);
  assert.ok(fetchReservationBytes(l.fetchBytesMax, l) <= 2 * l.frameBytesMax);
  assert.equal(fetchReservationBytes(1 << 30, { fetchBytesMax: 1 << 30, batchBytesMax: 1024, frameBytesMax: 4096 }), 8192);
});

test("grants at once while there is room; frames hold their real size until written; close releases everything", () => {
  const { broker, open } = budget();
  const a = open();
  const h = holder();
  assert.equal(a.reserve(40, 0, h), true);
  assert.equal(h.reservedBytes, 40);
  assert.equal(broker.heldBytes, 40);
  // The response came out at 30 bytes: 10 released at once, 30 held until ws wrote it.
  a.sent(30, 40);
  assert.equal(a.heldBytes, 30);
  assert.equal(a.unsentBytes, 30);
  a.sent(5, 0); // a produce acknowledgement: charged, no reservation
  assert.equal(broker.heldBytes, 35);
  a.onWritten();
  assert.equal(broker.heldBytes, 5);
  a.onWritten();
  assert.deepEqual([broker.heldBytes, a.heldBytes, a.unsentBytes], [0, 0, 0]);
  assert.equal(a.reserve(50, 0, holder()), true);
  a.sent(20, 0);
  a.close();
  assert.equal(broker.heldBytes, 0);
  a.onWritten(); // a late ws callback after the close changes nothing
  assert.equal(broker.heldBytes, 0);
  assert.equal(a.reserve(1, 1000, holder()), false, "a closed connection gets nothing");
  broker.stop();
});

test("the broker FIFO: a later, smaller reservation never passes a waiting one; each is granted as bytes are written", async () => {
  const { broker, open } = budget();
  const a = open();
  const b = open();
  const c = open();
  a.sent(55, 0);
  a.sent(35, 0); // 90 of 100 held, unsent
  const hb = holder();
  const hc = holder();
  const order: string[] = [];
  const pb = Promise.resolve(b.reserve(50, 2000, hb)).then((ok) => order.push(`b:${ok}`));
  const pc = Promise.resolve(c.reserve(10, 2000, hc)).then((ok) => order.push(`c:${ok}`));
  assert.equal(broker.waitingCount, 2, "c's 10 bytes would fit, but b is ahead of it");
  a.onWritten(); // 55 written: 35 held, b's 50 fits, then c's 10
  await Promise.all([pb, pc]);
  assert.deepEqual(order, ["b:true", "c:true"]);
  assert.deepEqual([hb.reservedBytes, hc.reservedBytes, broker.heldBytes], [50, 10, 95]);
  for (const x of [a, b, c]) x.close();
  broker.stop();
});

test("a connection over its own budget waits in its own FIFO and does not hold up other connections", async () => {
  const { broker, open } = budget();
  const a = open();
  const b = open();
  a.sent(50, 0); // a holds 50 of its 60
  const pa = a.reserve(20, 2000, holder());
  assert.ok(pa instanceof Promise);
  assert.equal(broker.waitingCount, 0, "a waits for its own room, not the broker's");
  assert.equal(b.reserve(40, 0, holder()), true, "b is granted at once");
  let aGranted: boolean | undefined;
  void pa.then((ok) => (aGranted = ok));
  a.onWritten();
  assert.equal(await pa, true);
  assert.equal(aGranted, true);
  a.close();
  b.close();
  broker.stop();
});

test("no grant within the wait answers false and counts it; an abort or a close ends a wait at once", async () => {
  const { broker, open } = budget();
  const a = open();
  const b = open();
  a.sent(60, 0);
  b.sent(30, 0);
  const started = performance.now();
  assert.equal(await b.reserve(20, 50, holder()), false);
  assert.ok(performance.now() - started >= 45);
  assert.equal(broker.deniedCount, 1);
  assert.equal(b.reserve(20, 0, holder()), false, "no wait allowed: refused at once");
  assert.equal(broker.deniedCount, 2);
  const controller = new AbortController();
  const aborted = b.reserve(20, 5000, holder(), controller.signal);
  controller.abort();
  assert.equal(await aborted, false);
  const closing = b.reserve(20, 5000, holder());
  b.close();
  assert.equal(await closing, false);
  assert.equal(broker.waitingCount, 0);
  assert.equal(broker.heldBytes, 60, "only a's unsent bytes are left");
  a.close();
  broker.stop();
});

test("a connection whose unsent bytes do not move is reported after sendStallMs, sooner while fetches wait", async () => {
  const { broker, open, stalls } = budget();
  const slow = open();
  const moving = open();
  slow.sent(30, 0);
  moving.sent(10, 0);
  // Keep `moving` moving: a frame written and a new one sent every 20 ms.
  const ticker = setInterval(() => {
    moving.onWritten();
    moving.sent(10, 0);
  }, 20);
  await new Promise((r) => setTimeout(r, 250));
  assert.equal(stalls[0]!.length + stalls[1]!.length, 0, "250 ms: below sendStallMs, and nobody waits");
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(stalls[0]!.length, 1, "slow is reported after sendStallMs 400");
  assert.equal(stalls[0]![0]!.underPressure, false);
  assert.equal(stalls[1]!.length, 0, "moving never is");
  slow.close();

  // Under pressure: a fetch waits for the broker's budget, so 100 ms of no progress is enough.
  const hog = open();
  hog.sent(60, 0);
  hog.sent(20, 0);
  const waiter = open();
  const started = performance.now();
  const waiting = waiter.reserve(50, 3000, holder());
  while (stalls[2]!.length === 0 && performance.now() - started < 1000) await new Promise((r) => setTimeout(r, 10));
  assert.equal(stalls[2]!.length, 1);
  assert.equal(stalls[2]![0]!.underPressure, true);
  assert.ok(performance.now() - started < 350, "reported within sendStallPressureMs and a sweep");
  hog.close(); // what the session does on a stall: its bytes are released, the waiter is granted
  assert.equal(await waiting, true);
  clearInterval(ticker);
  moving.close();
  waiter.close();
  broker.stop();
});

test("reading is blocked over the connection's budget, and over the broker's only for connections that hold part of it", () => {
  const { broker, open } = budget();
  const heavy = open();
  const light = open();
  heavy.sent(55, 0);
  assert.equal(heavy.readingBlocked, false, "55 of its 60");
  heavy.holdRequest(10);
  assert.equal(heavy.readingBlocked, true, "65 of its 60");
  heavy.releaseRequest(10);
  assert.equal(heavy.readingBlocked, false);
  const other = open();
  other.sent(50, 0); // the broker holds 105 of its 100
  light.holdRequest(20); // a long poll's request: light
  assert.equal(light.readingBlocked, false, "no unsent bytes, a small request running: still read");
  assert.equal(heavy.readingBlocked, true, "unsent bytes while the broker is over");
  heavy.onWritten(); // heavy's 55 written: the broker holds 70
  assert.equal(heavy.readingBlocked, false);
  for (const c of [heavy, light, other]) c.close();
  assert.equal(broker.heldBytes, 0);
  broker.stop();
});
