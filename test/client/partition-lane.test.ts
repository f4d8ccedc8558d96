/**
 * One partition lane against a stub cluster whose produce attempts the test
 * answers by hand, with mocked timers: when a batch closes (lingerMs 0 at the
 * end of the tick, not on a 1 ms timer) and how closed batches that wait for
 * an in-flight slot keep taking records.
 */
import { mock, test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import type { ProduceRequest } from "../../broker/protocol/requests.js";
import type { Cluster, TopicPartitionRef } from "../../client/cluster/cluster.js";
import { silentLogger } from "../../client/logger.js";
import { ByteBudget } from "../../client/producer/byte-budget.js";
import { prepareMessage } from "../../client/producer/message.js";
import { PartitionLane } from "../../client/producer/partition-lane.js";
import { batchBounds, resolveProducerOptions, type ProducerOptions } from "../../client/producer/producer-options.js";
import { ProducerSessions } from "../../client/producer/producer-session.js";
import { DEFAULT_RETRY } from "../../client/retry/retry-options.js";

/** A produce attempt the test answers. */
interface Attempt {
  readonly request: ProduceRequest;
  readonly answer: (baseOffset: number) => void;
}

/** The part of Cluster a non-idempotent lane uses; attempts wait for the test to answer them. */
class StubCluster {
  readonly attempts: Attempt[] = [];
  readonly options = { requestTimeoutMs: 1_000 };
  readonly logger = silentLogger;

  attemptLeader(_tp: TopicPartitionRef, request: ProduceRequest): Promise<{ baseOffset: number }> {
    return new Promise((resolve) => this.attempts.push({ request, answer: (baseOffset) => resolve({ baseOffset }) }));
  }
}

function laneOf(options: ProducerOptions): { lane: PartitionLane; cluster: StubCluster; closed: number[] } {
  const cluster = new StubCluster();
  const resolved = resolveProducerOptions({ idempotent: false, ...options }, DEFAULT_RETRY);
  const closed: number[] = [];
  const asCluster = cluster as unknown as Cluster;
  const lane = new PartitionLane({ topic: "t", partition: 0 }, batchBounds(resolved, DEFAULT_LIMITS), {
    cluster: asCluster,
    options: resolved,
    sessions: new ProducerSessions(asCluster),
    budget: new ByteBudget(resolved.bufferBytesMax),
    random: () => 0.5,
    onBatchClosed: (tp) => closed.push(tp.partition),
    onFatal: (err) => assert.fail(err),
  });
  return { lane, cluster, closed };
}

function append(lane: PartitionLane, value: string): Promise<number> {
  const m = prepareMessage({ value }, "messages[0]", DEFAULT_LIMITS);
  return lane.append(m.record, m.bytes);
}

function values(request: ProduceRequest | undefined): string[] {
  return (request?.records ?? []).map((r) => Buffer.from(r.value).toString());
}

test("lingerMs 0: a batch closes at the end of the tick, not on a 1 ms timer, and takes every record appended in that tick", async (t) => {
  // Only immediates are mocked: a real timer (clamped to 1 ms by node) cannot fire inside the synchronous tick(0) below.
  mock.timers.enable({ apis: ["setImmediate"] });
  t.after(() => mock.timers.reset());
  const { lane, cluster } = laneOf({ lingerMs: 0 });
  const offsets = ["a", "b", "c"].map((v) => append(lane, v));
  assert.equal(cluster.attempts.length, 0, "nothing is sent before the tick ends");
  mock.timers.tick(0); // runs the pending immediates
  assert.equal(cluster.attempts.length, 1);
  assert.deepEqual(values(cluster.attempts[0]?.request), ["a", "b", "c"]);
  cluster.attempts[0]?.answer(10);
  assert.deepEqual(await Promise.all(offsets), [10, 11, 12]);
});

test("a closed batch waiting for an in-flight slot takes later records instead of queueing a request of its own", async (t) => {
  mock.timers.enable({ apis: ["setTimeout", "setImmediate"] });
  t.after(() => mock.timers.reset());
  const { lane, cluster, closed } = laneOf({ lingerMs: 5, inflightRequestsMax: 1 });
  const first = append(lane, "a");
  mock.timers.tick(5);
  assert.equal(cluster.attempts.length, 1, "the first batch is in flight");
  const waiting = [append(lane, "b")];
  mock.timers.tick(5); // closes the second batch; no slot is free, so it waits
  assert.equal(closed.length, 2, "the linger ended: the partitioner was told");
  waiting.push(append(lane, "c"), append(lane, "d"));
  mock.timers.tick(5);
  assert.equal(cluster.attempts.length, 1, "still one request: c and d joined the waiting batch");
  cluster.attempts[0]?.answer(0);
  assert.equal(await first, 0);
  assert.equal(cluster.attempts.length, 2);
  assert.deepEqual(values(cluster.attempts[1]?.request), ["b", "c", "d"]);
  const later = append(lane, "e"); // the batch in flight takes no more records: e starts a new one
  cluster.attempts[1]?.answer(1);
  assert.deepEqual(await Promise.all(waiting), [1, 2, 3]);
  mock.timers.tick(5);
  assert.deepEqual(values(cluster.attempts[2]?.request), ["e"]);
  cluster.attempts[2]?.answer(4);
  assert.equal(await later, 4);
});

test("a waiting batch takes records only up to batchRecordsMax; the rest start the next batch", async (t) => {
  mock.timers.enable({ apis: ["setTimeout", "setImmediate"] });
  t.after(() => mock.timers.reset());
  const { lane, cluster } = laneOf({ lingerMs: 5, inflightRequestsMax: 1, batchRecordsMax: 3 });
  const all = [append(lane, "a")];
  mock.timers.tick(5);
  all.push(append(lane, "b"));
  mock.timers.tick(5);
  for (const v of ["c", "d", "e", "f"]) all.push(append(lane, v));
  mock.timers.tick(5);
  cluster.attempts[0]?.answer(0);
  await all[0];
  cluster.attempts[1]?.answer(1);
  await all[1];
  assert.deepEqual(
    cluster.attempts.map((a) => values(a.request)),
    [["a"], ["b", "c", "d"], ["e", "f"]],
  );
  cluster.attempts[2]?.answer(4);
  assert.deepEqual(await Promise.all(all), [0, 1, 2, 3, 4, 5]);
});
