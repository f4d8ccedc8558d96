/**
 * The producer lane's state machine, stepped by hand: each test feeds
 * events and asserts on the phase and the commands (the seeded runs are in
 * lane-sim.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { Acks } from "../../broker/protocol/enums.js";
import { RlogError } from "../../broker/protocol/errors.js";
import { LanePhase, LaneState, SequenceState, type LaneCommand, type LaneEvent } from "../../client/producer/lane-state.js";
import { retryOptions } from "../../client/retry/retry-options.js";

const retry = retryOptions({ retriesMax: 3, initialBackoffMs: 100, backoffMsMax: 1_000, totalTimeoutMs: 10_000, leaderChangeBackoffMsMax: 50 });

function lane(idempotent = true, batchRecordsMax = 1, acks: Acks = "all"): { s: LaneState; step: (e: LaneEvent, nowMs?: number) => string[] } {
  const s = new LaneState({ idempotent, acks, inflightRequestsMax: 5, batchBytesMax: 1_000, batchRecordsMax, ackTimeoutMs: 100, requestTimeoutMs: 100, retry, sequenceMax: 1_000 }, () => 0);
  const step = (e: LaneEvent, nowMs = 0): string[] => s.step(e, nowMs).filter((c) => c.type !== "willRetry" && c.type !== "batchClosed").map(describe);
  return { s, step };
}

function describe(c: LaneCommand): string {
  switch (c.type) {
    case "send":
      return `send ${c.serial}${c.stamp === undefined ? "" : ` @${c.stamp.producerId}:${c.stamp.baseSequence}`}`;
    case "pause":
      return `pause ${c.serial} ${c.kind} ${c.delayMs}`;
    case "fetchSession":
      return `session ${c.kind}`;
    case "succeed":
      return `ok ${c.serial} @${c.baseOffset}`;
    case "fail":
      return `fail ${c.serial} ${c.error instanceof RlogError ? c.error.codeName : String(c.error)}`;
    case "correctRoute":
      return `route ${c.serial} ${c.error.codeName}`;
    case "addRecord":
    case "startLinger":
      return `${c.type} ${c.serial}`;
    default:
      return c.type;
  }
}

const append: LaneEvent = { type: "append", bytes: 10, requestBytes: 14 };

/** An idempotent lane with producer id 7, its first batch (serial 0) acknowledged. */
function confirmed(acks: Acks = "all"): ReturnType<typeof lane> {
  const l = lane(true, 1, acks);
  l.step(append);
  l.step({ type: "sessionReady", producerId: 7, producerEpoch: 0 });
  l.step({ type: "sendSucceeded", serial: 0, baseOffset: 0 });
  return l;
}

test("the first batch waits for a producer id and goes alone; once acknowledged, batches are pipelined", () => {
  const { s, step } = lane();
  assert.deepEqual(step(append), ["startLinger 0", "addRecord 0", "cancelLinger", "session shared"]);
  assert.equal(s.phase, LanePhase.AwaitingSession);
  step(append);
  assert.deepEqual(step({ type: "sessionReady", producerId: 7, producerEpoch: 0 }), ["send 0 @7:0"]);
  assert.deepEqual(step({ type: "sendSucceeded", serial: 0, baseOffset: 40 }), ["ok 0 @40", "send 1 @7:1"]);
  assert.deepEqual(step(append), ["startLinger 2", "addRecord 2", "cancelLinger", "send 2 @7:2"]);
  assert.equal(s.inflightCount, 2);
});

test("a retriable failure: drain what is in flight, pause, resend the earliest alone, then the rest in order with their stamps", () => {
  const { s, step } = confirmed();
  for (let i = 0; i < 3; i++) step(append); // batches 1, 2, 3 in flight
  assert.deepEqual(step({ type: "sendFailed", serial: 2, error: new RlogError("NOT_ENOUGH_REPLICAS", "n") }), ["route 2 NOT_ENOUGH_REPLICAS"]);
  assert.deepEqual(step({ type: "routeCorrected", serial: 2, action: "backoff" }), []);
  assert.equal(s.phase, LanePhase.Draining);
  step(append); // batch 4 waits
  assert.deepEqual(step({ type: "sendFailed", serial: 1, error: new RlogError("NOT_ENOUGH_REPLICAS", "n") }), ["route 1 NOT_ENOUGH_REPLICAS"]);
  assert.deepEqual(step({ type: "routeCorrected", serial: 1, action: "backoff" }), []);
  assert.deepEqual(step({ type: "sendSucceeded", serial: 3, baseOffset: 9 }), ["ok 3 @9", "pause 1 sleep 50"], "the earliest failed batch pauses once nothing is in flight");
  assert.equal(s.phase, LanePhase.Pausing);
  assert.deepEqual(step({ type: "pauseEnded", serial: 1, newLeader: false }, 100), ["send 1 @7:1"]);
  assert.equal(s.phase, LanePhase.Probing);
  assert.deepEqual(step({ type: "sendSucceeded", serial: 1, baseOffset: 1 }, 110), ["ok 1 @1", "send 2 @7:2", "send 4 @7:4"], "the route works: batch 2 again, then the new one");
  assert.equal(s.phase, LanePhase.Sending);
});

test("NOT_LEADER with a hint naming another broker: resent at once, and the others follow right behind it", () => {
  const { s, step } = confirmed();
  step(append);
  step(append);
  step({ type: "sendFailed", serial: 1, error: new RlogError("NOT_LEADER", "moved") });
  assert.deepEqual(step({ type: "routeCorrected", serial: 1, action: "now" }), []);
  step({ type: "sendFailed", serial: 2, error: new RlogError("NOT_LEADER", "moved") });
  assert.deepEqual(step({ type: "routeCorrected", serial: 2, action: "now" }), ["pause 1 none 0"]);
  assert.deepEqual(step({ type: "pauseEnded", serial: 1, newLeader: true }), ["send 1 @7:1", "send 2 @7:2"]);
  assert.equal(s.phase, LanePhase.Sending);
});

test("OUT_OF_ORDER_SEQUENCE while an earlier batch is pending waits for it, then goes without a pause", () => {
  const { step } = confirmed();
  step(append);
  step(append);
  step({ type: "sendFailed", serial: 1, error: new RlogError("TIMEOUT", "t") });
  step({ type: "routeCorrected", serial: 1, action: "backoff" });
  assert.deepEqual(step({ type: "sendFailed", serial: 2, error: new RlogError("OUT_OF_ORDER_SEQUENCE", "o") }), ["pause 1 leaderChange 50"], "waits for batch 1, no routing");
  step({ type: "pauseEnded", serial: 1, newLeader: false });
  assert.deepEqual(step({ type: "sendSucceeded", serial: 1, baseOffset: 1 }), ["ok 1 @1", "send 2 @7:2"]);
});

test("OUT_OF_ORDER_SEQUENCE with every earlier batch acknowledged (an old leader answered) is retried like a leader change, not failed", () => {
  const { s, step } = confirmed();
  step(append);
  step(append);
  // Batch 1 goes to a broker that lacks batch 0, though batch 0 was acknowledged (committed): not the leader.
  assert.deepEqual(step({ type: "sendFailed", serial: 1, error: new RlogError("OUT_OF_ORDER_SEQUENCE", "o") }), ["route 1 OUT_OF_ORDER_SEQUENCE"]);
  assert.deepEqual(step({ type: "routeCorrected", serial: 1, action: "backoff" }), [], "batch 2 still in flight");
  assert.equal(s.sequenceState, SequenceState.Continuous);
  // Batch 2 reaches the same broker: it waits for batch 1.
  assert.deepEqual(step({ type: "sendFailed", serial: 2, error: new RlogError("OUT_OF_ORDER_SEQUENCE", "o") }), ["pause 1 leaderChange 50"], "a leader-change pause, at most leaderChangeBackoffMsMax");
  assert.deepEqual(step({ type: "pauseEnded", serial: 1, newLeader: true }), ["send 1 @7:1", "send 2 @7:2"]);
  assert.deepEqual(step({ type: "sendSucceeded", serial: 1, baseOffset: 1 }), ["ok 1 @1"]);
  assert.deepEqual(step({ type: "sendSucceeded", serial: 2, baseOffset: 2 }), ["ok 2 @2"]);
  assert.equal(s.phase, LanePhase.Sending);
});

test("OUT_OF_ORDER_SEQUENCE after a real gap fails for good; past its deadline too", () => {
  const { s, step } = confirmed();
  step(append);
  step(append);
  assert.deepEqual(step({ type: "sendFailed", serial: 1, error: new RlogError("INVALID_REQUEST", "bad") }), ["fail 1 INVALID_REQUEST"]);
  assert.equal(s.sequenceState, SequenceState.Gap);
  assert.deepEqual(step({ type: "sendFailed", serial: 2, error: new RlogError("OUT_OF_ORDER_SEQUENCE", "o") }), ["fail 2 OUT_OF_ORDER_SEQUENCE"]);
  const late = confirmed();
  late.step(append);
  assert.deepEqual(late.step({ type: "sendFailed", serial: 1, error: new RlogError("OUT_OF_ORDER_SEQUENCE", "o") }, 20_000), ["fail 1 OUT_OF_ORDER_SEQUENCE"]);
  // With acks "leader" an acknowledged batch may have been lost with its leader: a gap, as before.
  const leaderAcks = confirmed("leader");
  leaderAcks.step(append);
  assert.deepEqual(leaderAcks.step({ type: "sendFailed", serial: 1, error: new RlogError("OUT_OF_ORDER_SEQUENCE", "o") }), ["fail 1 OUT_OF_ORDER_SEQUENCE"]);
  assert.equal(leaderAcks.s.sequenceState, SequenceState.Gap);
});

test("a stamped batch that fails for good: the others pending under that id fail too, and the next batch goes on a fresh id from 0", () => {
  const { s, step } = confirmed();
  step(append);
  step(append);
  assert.deepEqual(step({ type: "sendFailed", serial: 1, error: new RlogError("INVALID_REQUEST", "bad") }), ["fail 1 INVALID_REQUEST"]);
  assert.deepEqual(step({ type: "sendFailed", serial: 2, error: new RlogError("NOT_ENOUGH_REPLICAS", "n") }), ["fail 2 NOT_ENOUGH_REPLICAS"]);
  assert.deepEqual(step(append), ["startLinger 3", "addRecord 3", "cancelLinger", "session fresh"]);
  assert.deepEqual(step({ type: "sessionReady", producerId: 8, producerEpoch: 0 }), ["send 3 @8:0"]);
  assert.equal(s.sequenceState, SequenceState.Continuous);
});

test("DUPLICATE_SEQUENCE with the original offset is success; PRODUCER_FENCED fails everything waiting and every later record", () => {
  const { s, step } = confirmed();
  step(append);
  assert.deepEqual(step({ type: "sendFailed", serial: 1, error: new RlogError("DUPLICATE_SEQUENCE", "d", { baseOffset: 5 }) }), ["ok 1 @5"]);
  step(append);
  step(append);
  assert.deepEqual(step({ type: "sendFailed", serial: 2, error: new RlogError("PRODUCER_FENCED", "f") }), ["fail 2 PRODUCER_FENCED", "fatal"]);
  assert.equal(s.phase, LanePhase.Fenced);
  assert.deepEqual(step({ type: "sendFailed", serial: 3, error: new RlogError("NOT_LEADER", "moved") }), ["fail 3 PRODUCER_FENCED"], "in flight at the fencing: no resend");
  assert.deepEqual(step(append), ["refuseRecord"]);
});

test("a batch past its deadline is not sent: it fails TIMEOUT", () => {
  const { step } = lane(false, 2);
  step(append, 0);
  assert.deepEqual(step({ type: "lingerExpired", serial: 0 }, 10_000), ["cancelLinger", "fail 0 TIMEOUT"]);
});
