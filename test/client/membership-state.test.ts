/**
 * The group membership state machine, stepped by hand: each test feeds
 * events and asserts on the phase and the commands (the seeded runs are in
 * membership-sim.test.ts).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { MemberPhase, MembershipState, type MemberCommand, type MemberEvent } from "../../client/consumer/membership-state.js";
import { retryOptions } from "../../client/retry/retry-options.js";

const ASSIGNMENT = [{ topic: "t", partitions: [0] }];
const retry = retryOptions({ retriesMax: 2, initialBackoffMs: 100, backoffMsMax: 1_000, totalTimeoutMs: 1_000 });

function member(): { m: MembershipState; step: (e: MemberEvent, nowMs?: number) => string[] } {
  const m = new MembershipState({ sessionTimeoutMs: 3_000, heartbeatIntervalMs: 1_000, retry }, () => 0.5);
  const step = (e: MemberEvent, nowMs = 0): string[] => m.step(e, nowMs).filter((c) => c.type !== "log" && c.type !== "notify").map(describe);
  return { m, step };
}

function describe(c: MemberCommand): string {
  switch (c.type) {
    case "join":
      return `join(${c.memberId})`;
    case "sync":
    case "heartbeat":
      return `${c.type}(${c.memberId}, ${c.generation})`;
    case "startTimer":
      return `timer(${c.delayMs})`;
    case "leave":
      return `leave(${c.memberId})`;
    case "fail":
      return `fail(${c.error instanceof RlogError ? c.error.codeName : String(c.error)})`;
    default:
      return c.type;
  }
}

/** A member that joined as m1 in generation 1 and holds its assignment, synced at `syncedAtMs`. */
function stable(syncedAtMs = 0): ReturnType<typeof member> {
  const s = member();
  s.step({ type: "start" });
  s.step({ type: "joined", memberId: "m1", generation: 1 });
  s.step({ type: "synced", assignment: ASSIGNMENT, sentAtMs: syncedAtMs }, syncedAtMs + 10);
  s.step({ type: "assigned" }, syncedAtMs + 20);
  return s;
}

test("join, sync, assign, then heartbeats; the lease counts from the send time of the last accepted sync or heartbeat", () => {
  const { m, step } = member();
  assert.deepEqual(step({ type: "start" }), ["join()"]);
  assert.deepEqual(step({ type: "joined", memberId: "m1", generation: 1 }), ["sync(m1, 1)"]);
  assert.deepEqual(step({ type: "synced", assignment: ASSIGNMENT, sentAtMs: 100 }, 150), ["assign"]);
  assert.equal(m.mayDispatch(150), false, "not before the assignment is taken");
  assert.deepEqual(step({ type: "assigned" }, 200), ["timer(1000)"]);
  assert.equal(m.phase, MemberPhase.Stable);
  assert.ok(m.mayDispatch(3_099) && !m.mayDispatch(3_100), "lease: sync sent at 100 + session 3000");
  assert.deepEqual(step({ type: "timerFired" }, 1_200), ["heartbeat(m1, 1)"]);
  assert.deepEqual(step({ type: "heartbeatOk", sentAtMs: 1_200 }, 1_300), ["timer(1000)"]);
  assert.ok(m.mayDispatch(4_199) && !m.mayDispatch(4_200));
});

test("REBALANCE_IN_PROGRESS on a heartbeat: no more records, revoke, join again with the same id; the lease is not extended", () => {
  const { m, step } = stable();
  step({ type: "timerFired" }, 1_000);
  assert.deepEqual(step({ type: "heartbeatFailed", error: new RlogError("REBALANCE_IN_PROGRESS", "r") }, 1_100), ["revoke"]);
  assert.equal(m.mayDispatch(1_100), false);
  assert.deepEqual(step({ type: "revoked" }, 1_200), ["join(m1)"]);
  assert.deepEqual(m.commitIdentity(), { memberId: "m1", generation: 1 }, "a rebalance does not end the generation for commits");
});

test("UNKNOWN_MEMBER forgets the member id; ILLEGAL_GENERATION makes commits of that generation fail without being sent", () => {
  const a = stable();
  a.step({ type: "timerFired" }, 1_000);
  assert.deepEqual(a.step({ type: "heartbeatFailed", error: new RlogError("UNKNOWN_MEMBER", "u") }), ["revoke"]);
  assert.deepEqual(a.step({ type: "revoked" }), ["join()"]);
  const b = stable();
  b.step({ type: "timerFired" }, 1_000);
  b.step({ type: "heartbeatFailed", error: new RlogError("ILLEGAL_GENERATION", "g") });
  const id = b.m.commitIdentity();
  assert.ok(id instanceof RlogError && id.is("ILLEGAL_GENERATION"));
});

test("a retriable heartbeat failure retries sooner and keeps the assignment", () => {
  const { m, step } = stable();
  step({ type: "timerFired" }, 1_000);
  assert.deepEqual(step({ type: "heartbeatFailed", error: new RlogError("NOT_COORDINATOR", "moved") }, 1_050), ["timer(200)"]);
  assert.equal(m.phase, MemberPhase.Stable);
});

test("a commit refused for the current generation: revoke at once, or after the heartbeat in flight; an older generation's refusal changes nothing", () => {
  const a = stable();
  assert.deepEqual(a.step({ type: "commitRejected", generation: 0, error: new RlogError("ILLEGAL_GENERATION", "old") }), []);
  assert.deepEqual(a.step({ type: "commitRejected", generation: 1, error: new RlogError("ILLEGAL_GENERATION", "g") }), ["cancelTimer", "revoke"]);
  const b = stable();
  b.step({ type: "timerFired" }, 1_000);
  assert.deepEqual(b.step({ type: "commitRejected", generation: 1, error: new RlogError("ILLEGAL_GENERATION", "g") }), []);
  assert.equal(b.m.phase, MemberPhase.Rebalancing);
  assert.equal(b.m.mayDispatch(1_000), false);
  assert.deepEqual(b.step({ type: "heartbeatOk", sentAtMs: 1_000 }), ["revoke"]);
});

test("a join whose retries ran out: back off (the retry backoff, growing), then join again; a non-retriable error fails the membership", () => {
  const { m, step } = member();
  step({ type: "start" });
  assert.deepEqual(step({ type: "joinFailed", error: new RlogError("COORDINATOR_NOT_AVAILABLE", "c") }), ["timer(75)"]);
  assert.equal(m.phase, MemberPhase.Backoff);
  assert.deepEqual(step({ type: "timerFired" }), ["join()"]);
  assert.deepEqual(step({ type: "joinFailed", error: new RlogError("COORDINATOR_NOT_AVAILABLE", "c") }), ["timer(150)"]);
  step({ type: "timerFired" });
  assert.deepEqual(step({ type: "joinFailed", error: new RlogError("INVALID_REQUEST", "bad") }), ["fail(INVALID_REQUEST)"]);
  assert.equal(m.phase, MemberPhase.Failed);
  assert.deepEqual(step({ type: "stop" }), ["stopped"]);
});

test("an assignment half taken when its offsets could not be fetched is revoked before the next join", () => {
  const { step } = member();
  step({ type: "start" });
  step({ type: "joined", memberId: "m1", generation: 1 });
  step({ type: "synced", assignment: ASSIGNMENT, sentAtMs: 0 });
  assert.deepEqual(step({ type: "assignFailed", error: new RlogError("COORDINATOR_NOT_AVAILABLE", "c") }), ["revoke"]);
  assert.deepEqual(step({ type: "revoked" }), ["join(m1)"]);
});

test("stop: the operation in flight ends, then revoke, leave, stopped; a join answered after the abort is left under its id", () => {
  const a = stable();
  a.step({ type: "timerFired" }, 1_000);
  assert.deepEqual(a.step({ type: "stop" }), []);
  assert.deepEqual(a.step({ type: "heartbeatFailed", error: new Error("consumer is closed") }), ["revoke"]);
  assert.deepEqual(a.step({ type: "revoked" }), ["leave(m1)"]);
  assert.deepEqual(a.step({ type: "left" }), ["stopped"]);
  assert.equal(a.m.phase, MemberPhase.Stopped);
  const b = member();
  b.step({ type: "start" });
  b.step({ type: "stop" });
  assert.deepEqual(b.step({ type: "joined", memberId: "m7", generation: 3 }), ["leave(m7)"]);
  const c = member();
  assert.deepEqual(c.step({ type: "stop" }), ["stopped"], "never started: nothing to leave");
});
