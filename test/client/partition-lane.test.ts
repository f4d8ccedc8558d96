/**
 * One partition lane against a stub cluster whose produce attempts the test
 * answers by hand, with mocked timers: when a batch closes (lingerMs 0 at the
 * end of the tick, not on a 1 ms timer).
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
import { batchRecords } from "../protocol/batches.js";

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
  const m = prepareMessage({ value }, 0, DEFAULT_LIMITS);
  const at = lane.append(m.record, m.bytes);
  return at.baseOffset.then((base) => base + at.place);
}

function values(request: ProduceRequest | undefined): string[] {
  return (request === undefined ? [] : batchRecords(request.batch)).map((r) => Buffer.from(r.value!).toString());
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
