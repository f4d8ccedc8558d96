/**
 * The group state machine and the committed table, without sockets or
 * clocks: joins and generations, the join barrier, heartbeats during a
 * rebalance, stale-generation and unknown-member refusals, session expiry,
 * standalone commits, and a new coordinator rebuilt from committed records.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ConsumerGroup, INITIAL_REBALANCE_DELAY_MS, type JoinInput, type PartitionCounts } from "../../broker/consumer-groups/consumer-group.js";
import { groupMetadataRecord, offsetCommitRecord, type GroupMetadataValue } from "../../broker/consumer-groups/group-records.js";
import { GroupTable, offsetKey } from "../../broker/consumer-groups/group-table.js";
import { AssignmentStrategy, GroupState } from "../../broker/protocol/enums.js";
import { RlogError, type ErrorName } from "../../broker/protocol/errors.js";
import type { ProduceRecord } from "../../broker/protocol/records.js";
import { batchOf } from "../protocol/batches.js";
import { EntryKind, index, offset, term, type Entry } from "../../broker/raft/types.js";

const SESSION_MS = 10_000;
const REBALANCE_MS = 30_000;
const counts: PartitionCounts = (t) => (t === "t" ? 6 : undefined);

const input = (memberId = "", topics: readonly string[] = ["t"], strategy: AssignmentStrategy = AssignmentStrategy.Sticky): JoinInput => ({
  memberId,
  clientId: "c",
  topics,
  sessionTimeoutMs: SESSION_MS,
  rebalanceTimeoutMs: REBALANCE_MS,
  strategy,
});

function refuses(name: ErrorName, f: () => unknown): void {
  assert.throws(f, (err: unknown) => err instanceof RlogError && err.is(name), `expected ${name}`);
}

/** Drive a group through its barrier and the write of its generation; returns the members the write answered. */
function settle(g: ConsumerGroup, now: number): string[] {
  g.tick(now, counts);
  const w = g.takeWrite();
  assert.ok(w !== undefined, "a generation to write");
  return g.written(w.generation, now);
}

function partitions(g: ConsumerGroup, memberId: string, now: number): number[] {
  return g.sync(memberId, g.generation, now).flatMap((a) => a.partitions);
}

test("the first member: initial delay, generation 1, every partition; joins answered only once the record is written", () => {
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  assert.equal(g.state, GroupState.PreparingRebalance);
  g.tick(INITIAL_REBALANCE_DELAY_MS - 1, counts);
  assert.equal(g.takeWrite(), undefined, "the barrier waits out the initial delay");
  g.tick(INITIAL_REBALANCE_DELAY_MS, counts);
  assert.equal(g.state, GroupState.CompletingRebalance);
  const w = g.takeWrite()!;
  assert.equal(w.generation, 1);
  assert.deepEqual(w.members.map((m) => m.memberId), ["a"]);
  refuses("REBALANCE_IN_PROGRESS", () => g.sync(a, 1, 400));
  assert.deepEqual(g.written(1, 400), ["a"]);
  assert.equal(g.state, GroupState.Stable);
  assert.deepEqual(partitions(g, a, 400), [0, 1, 2, 3, 4, 5]);
});

test("a second member: the first learns by heartbeat, rejoins, and the partitions split", () => {
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  settle(g, 1_000);
  const b = g.join(input(), "b", 2_000);
  refuses("REBALANCE_IN_PROGRESS", () => g.heartbeat(a, 1, 2_100));
  g.tick(2_200, counts);
  assert.equal(g.takeWrite(), undefined, "waits for a to rejoin");
  g.join(input(a), "unused", 2_300);
  assert.deepEqual(settle(g, 2_300).sort(), [a, b]);
  assert.equal(g.generation, 2);
  assert.deepEqual(partitions(g, a, 2_400).length, 3);
  assert.deepEqual(partitions(g, b, 2_400).length, 3);
  assert.deepEqual([...partitions(g, a, 2_400), ...partitions(g, b, 2_400)].sort(), [0, 1, 2, 3, 4, 5]);
});

test("stale generations and unknown members are refused; commits of the current generation pass, also while a rebalance prepares", () => {
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  settle(g, 1_000);
  g.checkCommit(a, 1);
  refuses("ILLEGAL_GENERATION", () => g.checkCommit(a, 0));
  refuses("UNKNOWN_MEMBER", () => g.checkCommit("nobody", 1));
  refuses("UNKNOWN_MEMBER", () => g.heartbeat("nobody", 1, 1_000));
  refuses("UNKNOWN_MEMBER", () => g.join(input("nobody"), "x", 1_000));
  refuses("GROUP_NOT_EMPTY", () => g.checkCommit(undefined, undefined));
  refuses("ILLEGAL_GENERATION", () => g.heartbeat(a, 7, 1_000));
  const b = g.join(input(), "b", 2_000);
  g.checkCommit(a, 1); // revoking: a commits what it processed under generation 1
  g.join(input(a), "unused", 2_100);
  settle(g, 2_100);
  refuses("ILLEGAL_GENERATION", () => g.checkCommit(a, 1));
  refuses("ILLEGAL_GENERATION", () => g.sync(b, 1, 2_200));
  g.checkCommit(b, 2);
});

test("session expiry: a silent member is removed in a stable group and the rest rebalance; heartbeats keep the others", () => {
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  const b = g.join(input(), "b", 10);
  settle(g, 1_000);
  assert.equal(g.members.size, 2);
  for (let now = 2_000; now < 10_500; now += 2_000) g.heartbeat(a, 1, now);
  assert.deepEqual(g.tick(1_000 + SESSION_MS - 1, counts), []);
  assert.deepEqual(g.tick(1_000 + SESSION_MS, counts), [b]);
  assert.equal(g.state, GroupState.PreparingRebalance);
  refuses("REBALANCE_IN_PROGRESS", () => g.heartbeat(a, 1, 11_100));
  g.join(input(a), "unused", 11_200);
  settle(g, 11_200);
  assert.equal(g.generation, 2);
  assert.deepEqual(partitions(g, a, 11_300), [0, 1, 2, 3, 4, 5]);
});

test("during a rebalance heartbeats extend nothing; a member that does not rejoin goes once its session and the rebalance deadline passed", () => {
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  const b = g.join(input(), "b", 0);
  settle(g, 1_000);
  g.join(input(a), "unused", 2_000); // a rejoins (say, after a restart of its loop): b must rejoin too
  refuses("REBALANCE_IN_PROGRESS", () => g.heartbeat(b, 1, 5_000));
  // b's session (from the write at 1 000) is over at 11 000, but the rebalance deadline is 2 000 + 30 000.
  assert.deepEqual(g.tick(20_000, counts), []);
  assert.deepEqual(g.tick(2_000 + REBALANCE_MS, counts), [b]);
  assert.equal(g.state, GroupState.CompletingRebalance);
  const w = g.takeWrite()!;
  assert.deepEqual(w.members.map((m) => m.memberId), [a]);
  assert.deepEqual(g.written(w.generation, 32_000), [a]);
  refuses("UNKNOWN_MEMBER", () => g.heartbeat(b, 1, 32_100));
});

test("leaving: the rest rebalance at once; the last one out empties the group with a new generation", () => {
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  const b = g.join(input(), "b", 0);
  settle(g, 1_000);
  g.leave(b, 2_000);
  assert.equal(g.state, GroupState.PreparingRebalance);
  g.join(input(a), "unused", 2_100);
  settle(g, 2_100);
  g.leave(a, 3_000);
  assert.equal(g.state, GroupState.Empty);
  const w = g.takeWrite()!;
  assert.equal(w.generation, 3);
  assert.deepEqual(w.members, []);
  g.checkCommit(undefined, undefined); // standalone commits (offset resets) are allowed now
  refuses("UNKNOWN_MEMBER", () => g.leave(a, 3_100));
});

test("a join while the generation is being written waits for the next generation", () => {
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  g.tick(1_000, counts);
  const w1 = g.takeWrite()!;
  const b = g.join(input(), "b", 1_100); // CompletingRebalance
  assert.deepEqual(g.written(w1.generation, 1_200), [a]);
  assert.equal(g.state, GroupState.PreparingRebalance, "rebalances again for b");
  refuses("REBALANCE_IN_PROGRESS", () => g.heartbeat(a, 1, 1_300));
  g.join(input(a), "unused", 1_400);
  assert.deepEqual(settle(g, 1_400).sort(), [a, b]);
  assert.equal(g.generation, 2);
});

test("strategies: the group keeps the first member's; a different one is refused while others are in", () => {
  const g = new ConsumerGroup("g");
  g.join(input("", ["t"], AssignmentStrategy.Range), "a", 0);
  refuses("INCONSISTENT_GROUP_PROTOCOL", () => g.join(input("", ["t"], AssignmentStrategy.RoundRobin), "b", 10));
  settle(g, 1_000);
  assert.equal(g.strategy, AssignmentStrategy.Range);
});

test("a topic that grows triggers a rebalance", () => {
  let n = 2;
  const varying: PartitionCounts = (t) => (t === "t" ? n : undefined);
  const g = new ConsumerGroup("g");
  const a = g.join(input(), "a", 0);
  g.tick(1_000, varying);
  g.written(g.takeWrite()!.generation, 1_000);
  g.tick(1_100, varying);
  assert.equal(g.state, GroupState.Stable);
  n = 4;
  g.tick(1_200, varying);
  assert.equal(g.state, GroupState.PreparingRebalance);
  g.join(input(a), "unused", 1_300);
  g.tick(1_300, varying);
  g.written(g.takeWrite()!.generation, 1_300);
  assert.deepEqual(g.sync(a, 2, 1_400)[0]!.partitions, [0, 1, 2, 3]);
});

/** An entry of the offsets topic holding these records. */
function entry(i: number, t: number, records: readonly ProduceRecord[]): Entry {
  const data = batchOf(records, 1_000);
  return { index: index(i), term: term(t), kind: EntryKind.Records, offset: offset(i), count: records.length, timestampMs: 1_000, data };
}

test("the committed table: the latest record per key wins; a new coordinator resumes the last generation with fresh sessions", () => {
  const gen = (generation: number, ids: readonly string[]): GroupMetadataValue => ({
    generation,
    strategy: AssignmentStrategy.Sticky,
    writtenMs: 1,
    members: ids.map((memberId, i) => ({ memberId, clientId: "c", topics: ["t"], sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS, assignment: [["t", [i]]] as const })),
  });
  const table = new GroupTable();
  table.apply([
    { index: index(1), term: term(1), kind: EntryKind.Noop, offset: offset(0), count: 0, timestampMs: 0, data: new Uint8Array(0) },
    entry(2, 1, [groupMetadataRecord("g", gen(1, ["a"])), offsetCommitRecord("g", "t", 0, { offset: 5, metadata: "", commitMs: 1 })]),
    entry(3, 2, [offsetCommitRecord("g", "t", 0, { offset: 9, metadata: "m", commitMs: 2 }), groupMetadataRecord("g", gen(2, ["a", "b"]))]),
    entry(4, 2, [{ key: new Uint8Array([1, 2, 3]), value: new Uint8Array([4]) }]),
  ]);
  assert.equal(table.appliedTerm, 2);
  assert.equal(table.skippedRecords, 1, "an undecodable record is skipped, not fatal");
  const committed = table.group("g")!;
  assert.equal(committed.offsets.get(offsetKey("t", 0))?.offset, 9);
  assert.equal(committed.metadata?.generation, 2);
  table.apply([entry(3, 2, [offsetCommitRecord("g", "t", 0, { offset: 1, metadata: "", commitMs: 3 })])]);
  assert.equal(table.group("g")!.offsets.get(offsetKey("t", 0))?.offset, 9, "an entry applied twice changes nothing");

  const g = ConsumerGroup.fromCommitted("g", committed.metadata, 50_000, counts);
  assert.equal(g.state, GroupState.Stable);
  assert.equal(g.generation, 2);
  assert.deepEqual(g.sync("b", 2, 50_000)[0]!.partitions, [1]);
  g.heartbeat("a", 2, 55_000);
  assert.deepEqual(g.tick(50_000 + SESSION_MS, counts), ["b"], "b never reached the new coordinator: one session, then out");
  assert.equal(g.state, GroupState.PreparingRebalance);
});

test("a generation as the coordinator writes it (monotonic, fractional clock) decodes from its record and is kept by the table", () => {
  const g = new ConsumerGroup("g");
  const t0 = 1234.5678; // performance.now() is fractional
  g.join(input(), "a", t0);
  g.join(input(), "b", t0 + 0.25);
  g.tick(t0 + INITIAL_REBALANCE_DELAY_MS + 0.5, counts);
  const w = g.takeWrite()!;
  assert.ok(!Number.isInteger(w.writtenMs), "the test needs a fractional writtenMs");
  const record = groupMetadataRecord("g", w);
  const table = new GroupTable();
  table.apply([{ index: index(1), term: term(1), kind: EntryKind.Records, offset: offset(0), count: 1, timestampMs: 0, data: batchOf([record]) }]);
  assert.equal(table.skippedRecords, 0);
  assert.deepEqual(table.group("g")?.metadata, w);
});
