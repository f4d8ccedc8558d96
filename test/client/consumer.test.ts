/** The consumer against the fake cluster: start positions, iterator and run loop, back-pressure, leader moves, resets, pause/seek/stop. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { ClosedError, type ConsumerRecord, type EachBatchPayload } from "../../client/index.js";
import type { FakeCluster } from "./fake-broker.js";
import { delay, texts, waitFor, withCluster } from "./helpers.js";
import { batchOf } from "../protocol/batches.js";

const isCode = (name: Parameters<RlogError["is"]>[0]) => (err: unknown) => err instanceof RlogError && err.is(name);

/** Append `values` to a partition, one batch each, straight into the fake's state. */
function append(fake: FakeCluster, topic: string, partition: number, values: readonly string[], timestampMs?: (i: number) => number): void {
  const p = fake.state.partition(topic, partition);
  values.forEach((v, i) => {
    const ts = timestampMs?.(i);
    p.produce({ op: "produce", topic, partition, acks: "all", batch: batchOf([ts === undefined ? { value: Buffer.from(v) } : { value: Buffer.from(v), timestampMs: ts }]) });
  });
}

const range = (n: number, prefix = "m"): string[] => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

/** Take `n` records from the iterator, then leave the loop (which stops the consumer). */
async function take(records: AsyncIterable<ConsumerRecord>, n: number): Promise<ConsumerRecord[]> {
  const got: ConsumerRecord[] = [];
  if (n === 0) return got;
  for await (const r of records) {
    got.push(r);
    if (got.length >= n) break;
  }
  return got;
}

test("reads from earliest, from an offset and from a timestamp", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    append(fake, "t", 0, range(10), (i) => 1_000 + i * 10);
    const a = client.consumer({ maxWaitMs: 50 });
    a.assign([{ topic: "t", partition: 0, from: "earliest" }]);
    const all = await take(a.records(), 10);
    assert.deepEqual(texts(all), range(10));
    assert.deepEqual(
      all.map((r) => r.offset),
      Array.from({ length: 10 }, (_, i) => i),
    );
    assert.equal(all[3]?.timestampMs, 1_030);
    assert.equal(all[0]?.topic, "t");
    assert.equal(all[0]?.key, undefined);
    assert.equal(all[0]?.value?.toString(), "m0");

    const b = client.consumer({ maxWaitMs: 50 });
    b.assign([{ topic: "t", partition: 0, from: { offset: 7 } }]);
    assert.deepEqual(texts(await take(b.records(), 3)), ["m7", "m8", "m9"]);

    const c = client.consumer({ maxWaitMs: 50 });
    c.assign([{ topic: "t", partition: 0, from: { timestampMs: 1_045 } }]);
    assert.deepEqual(texts(await take(c.records(), 2)), ["m5", "m6"]);
  });
});

test("reads from latest: only records written after the start", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    append(fake, "t", 0, range(5, "old"));
    const consumer = client.consumer({ maxWaitMs: 200 });
    consumer.assign([{ topic: "t", partition: 0, from: "latest" }]);
    await waitFor(() => consumer.position({ topic: "t", partition: 0 }) === 5, "the latest offset to be resolved");
    const producer = client.producer();
    const reading = take(consumer.records(), 3);
    await producer.send({ topic: "t", messages: range(3, "new").map((value) => ({ value })) });
    assert.deepEqual(texts(await reading), range(3, "new"));
    await producer.close();
  });
});

test("the async iterator merges partitions; run() with eachRecord and eachBatch", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 3);
    for (const p of [0, 1, 2]) append(fake, "t", p, range(20, `p${p}-`));
    const assignment = [0, 1, 2].map((partition) => ({ topic: "t", partition, from: "earliest" as const }));

    const it = client.consumer({ maxWaitMs: 50 });
    it.assign(assignment);
    const merged = await take(it.records(), 60);
    for (const p of [0, 1, 2]) {
      assert.deepEqual(texts(merged.filter((r) => r.partition === p)), range(20, `p${p}-`), `partition ${p} in order`);
    }

    const each = client.consumer({ maxWaitMs: 50 });
    each.assign(assignment);
    const seen: ConsumerRecord[] = [];
    await each.run({
      eachRecord: async (r) => {
        seen.push(r);
        if (seen.length === 60) void each.stop();
      },
    });
    assert.equal(seen.length, 60);
    assert.equal(each.position({ topic: "t", partition: 0 }), 20);

    const batched = client.consumer({ maxWaitMs: 50 });
    batched.assign(assignment);
    const batches: EachBatchPayload[] = [];
    let count = 0;
    await batched.run({
      eachBatch: (b) => {
        batches.push(b);
        count += b.records.length;
        if (count === 60) void batched.stop();
      },
    });
    assert.ok(batches.every((b) => b.records.every((r) => r.partition === b.partition)));
    assert.ok(batches.every((b) => b.highWatermark === 20));
    assert.deepEqual(texts(batches.filter((b) => b.partition === 1).flatMap((b) => [...b.records])), range(20, "p1-"));
  });
});

test("back-pressure: with a slow handler the fetcher stays a bounded distance ahead", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    append(fake, "t", 0, range(200).map((v) => v.padEnd(100, ".")));
    // A buffered record counts ~164 bytes (64 + 100); each stored batch is ~175 bytes (61 of header).
    const consumer = client.consumer({ maxWaitMs: 50, maxBytes: 360, prefetchBytesMax: 400 });
    consumer.assign([{ topic: "t", partition: 0, from: "earliest" }]);
    let consumed = 0;
    let aheadMax = 0;
    await consumer.run({
      eachRecord: async (r) => {
        consumed++;
        const fetched = Math.max(...fake.requests("fetch").map((s) => s.request.offset));
        aheadMax = Math.max(aheadMax, fetched - (r.offset + 1));
        await delay(2);
        if (consumed === 40) void consumer.stop();
      },
    });
    assert.equal(consumed, 40);
    assert.ok(aheadMax <= 4, `the fetcher ran ${aheadMax} records ahead of the handler`);
    const fetches = fake.requests("fetch").length;
    assert.ok(fetches <= 40, `${fetches} fetches for 40 records`);
  });
});

test("a leader change during consumption is followed transparently: no gap, no duplicate", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const consumer = client.consumer({ maxWaitMs: 100 });
    consumer.assign([{ topic: "t", partition: 0, from: "earliest" }]);
    const got: ConsumerRecord[] = [];
    const run = consumer.run({
      eachRecord: (r) => {
        got.push(r);
      },
    });
    for (const [round, next] of [2, 3, 1].entries()) {
      append(fake, "t", 0, range(30, `r${round}-`));
      await waitFor(() => got.length === 30 * (round + 1), `round ${round}`);
      fake.state.moveLeader("t", 0, next);
      if (round === 1) fake.dropConnections();
    }
    append(fake, "t", 0, ["last"]);
    await waitFor(() => got.length === 91, "the last record");
    await consumer.stop();
    await run;
    assert.deepEqual(texts(got), [...range(30, "r0-"), ...range(30, "r1-"), ...range(30, "r2-"), "last"]);
    const fetchBrokers = new Set(fake.requests("fetch").map((s) => s.brokerId));
    assert.deepEqual([...fetchBrokers].sort(), [1, 2, 3]);
  });
});

test("a leader that cannot be reached: the fetcher goes to the new leader as soon as the metadata names it, not after the full pause", async () => {
  await withCluster(
    async (fake, client) => {
      fake.state.createTopic("t", 1);
      const dead = fake.state.partition("t", 0).leader;
      const consumer = client.consumer({ maxWaitMs: 100 });
      consumer.assign([{ topic: "t", partition: 0, from: { offset: 0 } }]);
      const got: ConsumerRecord[] = [];
      const run = consumer.run({
        eachRecord: (r) => {
          got.push(r);
        },
      });
      append(fake, "t", 0, ["before"]);
      await waitFor(() => got.length === 1, "the first record");
      fake.intercept(({ brokerId, request }) => (request.op === "fetch" && brokerId === dead ? { kind: "close" } : undefined));
      fake.dropConnections(dead);
      const startMs = performance.now();
      await delay(150); // an election
      fake.state.moveLeader("t", 0, (dead % 3) + 1);
      append(fake, "t", 0, ["after"]);
      await waitFor(() => got.length === 2, "the record written after the move");
      const elapsedMs = performance.now() - startMs;
      assert.ok(elapsedMs < 2_000, `read after ${elapsedMs.toFixed(0)} ms; a fetch after the pause comes at 3 s or later`);
      await consumer.stop();
      await run;
      assert.deepEqual(texts(got), ["before", "after"]);
    },
    { client: { retry: { retriesMax: 20, initialBackoffMs: 6_000, backoffMsMax: 6_000, leaderChangeBackoffMsMax: 6_000, totalTimeoutMs: 60_000 } } },
  );
});

test("OFFSET_OUT_OF_RANGE: reset to earliest (default) or latest, or surface the error", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    append(fake, "t", 0, range(10));
    fake.state.partition("t", 0).truncateBefore(5);

    const early = client.consumer({ maxWaitMs: 50 });
    early.assign([{ topic: "t", partition: 0, from: { offset: 2 } }]);
    assert.deepEqual(texts(await take(early.records(), 2)), ["m5", "m6"]);

    const late = client.consumer({ maxWaitMs: 50, offsetReset: "latest" });
    late.assign([{ topic: "t", partition: 0, from: { offset: 50 } }]);
    await waitFor(() => late.position({ topic: "t", partition: 0 }) === 10, "the reset to the high watermark");
    const reading = take(late.records(), 1);
    append(fake, "t", 0, ["m10"]);
    assert.deepEqual(texts(await reading), ["m10"]);

    const strict = client.consumer({ maxWaitMs: 50, offsetReset: "error" });
    strict.assign([{ topic: "t", partition: 0, from: { offset: 1 } }]);
    await assert.rejects(take(strict.records(), 1), (err: unknown) => isCode("OFFSET_OUT_OF_RANGE")(err) && (err as RlogError).details?.logStartOffset === 5);
  });
});

test("pause, resume and seek", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 2);
    append(fake, "t", 0, range(5, "a"));
    append(fake, "t", 1, range(5, "b"));
    const consumer = client.consumer({ maxWaitMs: 50 });
    consumer.assign([0, 1].map((partition) => ({ topic: "t", partition, from: "earliest" as const })));
    consumer.pause([{ topic: "t", partition: 0 }]);
    const got: ConsumerRecord[] = [];
    const run = consumer.run({
      eachRecord: (r) => {
        got.push(r);
      },
    });
    await waitFor(() => got.length === 5, "partition 1's records");
    await delay(50);
    assert.deepEqual(texts(got), range(5, "b"), "nothing from the paused partition");
    consumer.resume([{ topic: "t", partition: 0 }]);
    await waitFor(() => got.length === 10, "partition 0's records after resume");
    consumer.seek({ topic: "t", partition: 0 }, 3);
    await waitFor(() => got.length === 12, "the records after the seek");
    assert.deepEqual(texts(got.slice(10)), ["a3", "a4"]);
    await consumer.stop();
    await run;
  });
});

test("stop() ends run() and the iterator; a stopped consumer refuses to restart", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const consumer = client.consumer({ maxWaitMs: 5_000 });
    consumer.assign([{ topic: "t", partition: 0, from: "earliest" }]);
    const run = consumer.run({ eachRecord: () => undefined });
    await waitFor(() => fake.requests("fetch").length > 0, "a long poll");
    const started = performance.now();
    await consumer.stop();
    await run;
    assert.ok(performance.now() - started < 500, "stop did not wait for the long poll");
    assert.throws(() => consumer.assign([{ topic: "t", partition: 0, from: "earliest" }]), ClosedError);
    await assert.rejects(consumer.run({ eachRecord: () => undefined }), ClosedError);
  });
});

test("a handler error rejects run() and leaves the position at the failed record", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    append(fake, "t", 0, range(5));
    const consumer = client.consumer({ maxWaitMs: 50 });
    consumer.assign([{ topic: "t", partition: 0, from: "earliest" }]);
    await assert.rejects(
      consumer.run({
        eachRecord: (r) => {
          if (r.offset === 3) throw new Error("handler failed");
        },
      }),
      /handler failed/,
    );
    assert.equal(consumer.position({ topic: "t", partition: 0 }), 3);
  });
});

test("an unknown topic surfaces as UNKNOWN_TOPIC", async () => {
  await withCluster(async (_fake, client) => {
    const consumer = client.consumer({ maxWaitMs: 50 });
    consumer.assign([{ topic: "nope", partition: 0, from: "earliest" }]);
    await assert.rejects(take(consumer.records(), 1), isCode("UNKNOWN_TOPIC"));
  });
});

test("a corrupt batch surfaces as CORRUPT_RECORD_BATCH after the good records", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    append(fake, "t", 0, range(3));
    const p = fake.state.partition("t", 0);
    const bad = p.batches[2];
    assert.ok(bad !== undefined);
    const data = new Uint8Array(bad.data);
    data[data.length - 1] = (data[data.length - 1] as number) ^ 0xff;
    p.batches[2] = { ...bad, data };
    const consumer = client.consumer({ maxWaitMs: 50, maxBytes: 1 });
    consumer.assign([{ topic: "t", partition: 0, from: "earliest" }]);
    const got: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const r of consumer.records()) got.push(String(r.value));
      })(),
      isCode("CORRUPT_RECORD_BATCH"),
    );
    assert.deepEqual(got, ["m0", "m1"]);
  });
});
