/** The producer against the fake cluster: offsets, partitioning, batching, retries, idempotence, flush/close, buffer bound. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { RlogError } from "../../broker/protocol/errors.js";
import { partitionForKey, type RecordMetadata } from "../../client/index.js";
import { delay, texts, waitFor, withCluster } from "./helpers.js";
import { batchRecords, batchStamp } from "../protocol/batches.js";
import { decodeRecordBatch } from "../../broker/protocol/batch-codec.js";
import { Compression } from "../../broker/protocol/compression.js";
import { readRecordBatchHeader } from "../../broker/protocol/record-batch.js";

const isCode = (name: Parameters<RlogError["is"]>[0]) => (err: unknown) => err instanceof RlogError && err.is(name);

test("send resolves with each message's partition and offset, in message order; bytes, headers and timestamps arrive", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer();
    const r = await producer.send({
      topic: "t",
      messages: [
        { value: "one", headers: { h: "x" }, timestampMs: 1_700_000_000_000 },
        { key: Buffer.from("k"), value: Buffer.from("two") },
        { key: new Uint8Array([1, 2]), value: new Uint8Array([3, 4]), headers: [{ key: "a", value: "1" }, { key: "a", value: "2" }] },
      ],
    });
    assert.deepEqual(r, [
      { partition: 0, offset: 0 },
      { partition: 0, offset: 1 },
      { partition: 0, offset: 2 },
    ]);
    const log = fake.state.partition("t", 0).records();
    assert.deepEqual(texts(log).slice(0, 2), ["one", "two"]);
    assert.equal(log[0]?.timestampMs, 1_700_000_000_000);
    assert.equal(Buffer.from(log[0]?.headers[0]?.value ?? []).toString(), "x");
    assert.deepEqual([...(log[2]?.key ?? [])], [1, 2]);
    assert.deepEqual(log[2]?.headers.map((h) => h.key), ["a", "a"]);
    assert.equal(log[0]?.key, undefined);
    await producer.close();
  });
});

test("a null value is sent as Kafka's null (a tombstone) and read back as null; a record without a timestamp gets the producer's clock", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ compression: "gzip" });
    const before = Date.now();
    await producer.send({ topic: "t", messages: [{ key: "gone", value: null }, { value: "" }] });
    const sent = fake.requests("produce")[0]!.request.batch;
    const head = readRecordBatchHeader(sent, true);
    assert.ok(head.ok);
    assert.equal(head.value.compression, Compression.Gzip);
    const d = await decodeRecordBatch(sent, 1 << 20);
    assert.ok(d.ok);
    assert.equal(d.value.records[0]?.value, null);
    assert.deepEqual([...(d.value.records[1]?.value ?? [1])], [], "an empty value is not null");
    assert.ok(d.value.records[0]!.timestampMs >= before && d.value.records[0]!.timestampMs <= Date.now());
    const consumer = client.consumer({ maxWaitMs: 50 });
    consumer.assign([{ topic: "t", partition: 0, from: "earliest" }]);
    const got = [];
    for await (const r of consumer.records()) {
      got.push(r);
      if (got.length === 2) break;
    }
    await consumer.stop();
    assert.equal(got[0]?.value, null);
    assert.equal(got[0]?.key?.toString(), "gone");
    assert.equal(got[1]?.value?.length, 0);
    await producer.close();
  });
});

test("records with the same key go to partitionForKey(key); keyless records spread over partitions batch by batch", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 4);
    const producer = client.producer({ lingerMs: 1, batchRecordsMax: 5 });
    const keyed = await producer.send({ topic: "t", messages: ["a", "b", "c", "a", "b", "c"].map((key) => ({ key, value: key })) });
    for (const [i, key] of ["a", "b", "c", "a", "b", "c"].entries()) assert.equal(keyed[i]?.partition, partitionForKey(Buffer.from(key), 4));
    const keyless = await producer.send({ topic: "t", messages: Array.from({ length: 40 }, (_, i) => ({ value: `v${i}` })) });
    const used = new Set(keyless.map((m) => m.partition));
    assert.equal(used.size, 4, "sticky partitioning moves on as batches close");
    // Sticky: consecutive keyless records share a partition in runs of a batch.
    assert.equal(keyless[0]?.partition, keyless[4]?.partition);
    await producer.close();
  });
});

test("records are batched by lingerMs: many sends, few requests", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ lingerMs: 20 });
    const sends = Array.from({ length: 200 }, (_, i) => producer.send({ topic: "t", messages: [{ value: `m${i}` }] }));
    const r = await Promise.all(sends);
    assert.deepEqual(
      r.map((x) => x[0]?.offset),
      Array.from({ length: 200 }, (_, i) => i),
    );
    assert.ok(fake.requests("produce").length <= 5, `${fake.requests("produce").length} produce requests`);
    await producer.close();
  });
});

test("lingerMs 0: send() calls made in one synchronous loop still share a batch", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ lingerMs: 0 });
    await producer.send({ topic: "t", messages: [{ value: "warm-up" }] });
    const before = fake.requests("produce").length;
    const sends = Array.from({ length: 50 }, (_, i) => producer.send({ topic: "t", messages: [{ value: `m${i}` }] }));
    const r = await Promise.all(sends);
    assert.deepEqual(
      r.map((x) => x[0]?.offset),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    assert.equal(fake.requests("produce").length - before, 1, "one produce request for the 50 sends");
    await producer.close();
  });
});

test("batchBytesMax closes batches by size", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ lingerMs: 50, batchBytesMax: 1_000 });
    await producer.send({ topic: "t", messages: Array.from({ length: 20 }, () => ({ value: "x".repeat(200) })) });
    const sizes = fake.requests("produce").map((s) => batchRecords(s.request.batch).length);
    assert.ok(sizes.length >= 5, `batches: ${sizes.join(",")}`);
    assert.ok(sizes.every((n) => n <= 5));
    await producer.close();
  });
});

test("retries through a leader change: NOT_LEADER with a hint, nothing lost or duplicated, order kept", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ lingerMs: 1, batchRecordsMax: 10 });
    await producer.send({ topic: "t", messages: [{ key: "k", value: "warm-up" }] });
    // Three phases of concurrent sends; between them the leader moves 1 -> 2 -> 3 (the client still believes 1, then 2).
    let i = 0;
    for (const [count, next] of [
      [20, 2],
      [15, 3],
      [15, 3],
    ] as const) {
      const sends: Promise<RecordMetadata[]>[] = [];
      for (const end = i + count; i < end; i++) sends.push(producer.send({ topic: "t", messages: [{ key: "k", value: `m${i}` }] }));
      await Promise.all(sends);
      fake.state.moveLeader("t", 0, next);
    }
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["warm-up", ...Array.from({ length: 50 }, (_, n) => `m${n}`)]);
    const brokers = fake.requests("produce").map((s) => s.brokerId);
    assert.deepEqual([...new Set(brokers)], [1, 2, 3], "followed the leader from 1 to 2 to 3");
    await producer.close();
  });
});

test("a leader whose disk is full (NOT_ENOUGH_SPACE) is left once the metadata names another: nothing lost, no retry budget used", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    // retriesMax 1: NOT_ENOUGH_SPACE is retried like a leader change, bounded by totalTimeoutMs only.
    const producer = client.producer({ lingerMs: 1, batchRecordsMax: 10, retry: { retriesMax: 1 } });
    await producer.send({ topic: "t", messages: [{ key: "k", value: "warm-up" }] });
    let refusals = 0;
    fake.intercept(({ brokerId, request }) => {
      if (request.op !== "produce" || brokerId !== 1) return undefined;
      // Broker 1's disk is full: it refuses a few times, then hands leadership to broker 2.
      if (++refusals === 4) fake.state.moveLeader("t", 0, 2);
      return { kind: "error", error: new RlogError("NOT_ENOUGH_SPACE", "t/0: disk full") };
    });
    const values = Array.from({ length: 30 }, (_, i) => `m${i}`);
    await Promise.all(values.map((value) => producer.send({ topic: "t", messages: [{ key: "k", value }] })));
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["warm-up", ...values]);
    assert.ok(refusals >= 4, `refused ${refusals} times`);
    assert.ok(fake.requests("produce").some((r) => r.brokerId === 2), "went to the new leader");
    await producer.close();
  });
});

test("same-key order survives a retriable failure with several batches in flight (later batches are resent after it, in order)", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ lingerMs: 0, batchRecordsMax: 10, inflightRequestsMax: 5 });
    await producer.send({ topic: "t", messages: [{ key: "k", value: "first" }] });
    let produces = 0;
    fake.intercept(({ request }) => {
      if (request.op !== "produce") return undefined;
      produces++;
      if (produces === 2) return { kind: "delay", delayMs: 30 }; // keeps batches 3.. in flight behind it
      if (produces === 3) return { kind: "error", error: new RlogError("NOT_ENOUGH_REPLICAS", "blip") };
      return undefined;
    });
    const values = Array.from({ length: 200 }, (_, i) => `m${i}`);
    const r = await producer.send({ topic: "t", messages: values.map((value) => ({ key: "k", value })) });
    assert.deepEqual(
      r.map((m) => m.offset),
      values.map((_, i) => i + 1),
    );
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["first", ...values]);
    assert.ok(fake.maxInflightSeen >= 2, `in flight at most ${fake.maxInflightSeen}`);
    const rejected = fake.requests("produce").length - 21;
    assert.ok(rejected >= 2, `only ${rejected} produce requests were resent`);
    await producer.close();
  });
});

/** Pauses of 500-1000 ms before every retry, so that a retry that skips them shows in the elapsed time. */
// Pauses far longer than the bounds asserted below, so the bounds hold on a loaded machine.
const SLOW_RETRY = { retriesMax: 20, initialBackoffMs: 6_000, backoffMsMax: 6_000, leaderChangeBackoffMsMax: 6_000, totalTimeoutMs: 60_000 } as const;
// For the test whose expected path has one pause: 1-2 s, while a pause per batch would be 5 s or more.
const ONE_PAUSE_RETRY = { retriesMax: 20, initialBackoffMs: 2_000, backoffMsMax: 2_000, leaderChangeBackoffMsMax: 2_000, totalTimeoutMs: 60_000 } as const;

test("a leader that cannot be reached: the retry goes to the new leader as soon as the metadata names it, not after the full pause", async () => {
  await withCluster(
    async (fake, client) => {
      fake.state.createTopic("t", 1);
      const producer = client.producer({ lingerMs: 0 });
      await producer.send({ topic: "t", messages: [{ key: "k", value: "warm-up" }] });
      const dead = fake.state.partition("t", 0).leader;
      fake.intercept(({ brokerId, request }) => (request.op === "produce" && brokerId === dead ? { kind: "close" } : undefined));
      const startMs = performance.now();
      const sending = producer.send({ topic: "t", messages: ["a", "b"].map((value) => ({ key: "k", value })) });
      await delay(150); // an election
      fake.state.moveLeader("t", 0, (dead % 3) + 1);
      const r = await sending;
      const elapsedMs = performance.now() - startMs;
      assert.ok(elapsedMs < 2_000, `acknowledged after ${elapsedMs.toFixed(0)} ms; a retry after the pause comes at 3 s or later`);
      assert.deepEqual(
        r.map((m) => m.offset),
        [1, 2],
      );
      assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["warm-up", "a", "b"]);
      await producer.close();
    },
    { client: { retry: SLOW_RETRY } },
  );
});

test("after a lost connection the failed batches are resent right behind the first one, not after a pause each", async () => {
  await withCluster(
    async (fake, client) => {
      fake.state.createTopic("t", 1);
      const producer = client.producer({ lingerMs: 0, batchRecordsMax: 10 });
      await producer.send({ topic: "t", messages: [{ key: "k", value: "warm-up" }] });
      fake.intercept(({ request }) => (request.op === "produce" ? { kind: "delay", delayMs: 40 } : undefined));
      const values = Array.from({ length: 50 }, (_, i) => `m${i}`);
      const startMs = performance.now();
      const sending = producer.send({ topic: "t", messages: values.map((value) => ({ key: "k", value })) });
      await waitFor(() => fake.maxInflightSeen >= 5, "5 batches in flight");
      fake.dropConnections(); // the batches are written anyway (like lost responses): the resends are duplicates
      const r = await sending;
      const elapsedMs = performance.now() - startMs;
      assert.ok(elapsedMs < 4_000, `${elapsedMs.toFixed(0)} ms: one pause (at most 2 s) and three round trips; a pause per batch is 5 s or more`);
      assert.deepEqual(
        r.map((m) => m.offset),
        values.map((_, i) => i + 1),
      );
      assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["warm-up", ...values]);
      await producer.close();
    },
    { client: { retry: ONE_PAUSE_RETRY } },
  );
});

test("a batch refused OUT_OF_ORDER_SEQUENCE while an earlier one was in flight is resent once that one is written, without a pause", async () => {
  await withCluster(
    async (fake, client) => {
      fake.state.createTopic("t", 1);
      const producer = client.producer({ lingerMs: 0, batchRecordsMax: 10 });
      await producer.send({ topic: "t", messages: [{ key: "k", value: "warm-up" }] });
      let produces = 0;
      fake.intercept(({ request }) => {
        if (request.op !== "produce") return undefined;
        produces++;
        return produces === 1 ? { kind: "delay", delayMs: 50 } : undefined; // the batches behind it arrive first: OUT_OF_ORDER_SEQUENCE
      });
      const values = Array.from({ length: 50 }, (_, i) => `m${i}`);
      const startMs = performance.now();
      const r = await producer.send({ topic: "t", messages: values.map((value) => ({ key: "k", value })) });
      const elapsedMs = performance.now() - startMs;
      const refused = fake.requests("produce").length - 1 - 5;
      assert.ok(refused >= 1, "some batches were refused and resent");
      assert.ok(elapsedMs < 2_000, `${elapsedMs.toFixed(0)} ms; a pause before the resend is 3 s or more`);
      assert.deepEqual(
        r.map((m) => m.offset),
        values.map((_, i) => i + 1),
      );
      assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["warm-up", ...values]);
      await producer.close();
    },
    { client: { retry: SLOW_RETRY } },
  );
});

test("idempotence: a batch whose response was lost is resent with the same sequence and written once", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer();
    let lost = false;
    fake.intercept(({ request }) => {
      if (request.op !== "produce" || lost) return undefined;
      lost = true;
      return { kind: "lose-response" };
    });
    const r = await producer.send({ topic: "t", messages: [{ value: "a" }, { value: "b" }] });
    assert.deepEqual(
      r.map((m) => m.offset),
      [0, 1],
    );
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["a", "b"]);
    const sent = fake.requests("produce").map((s) => s.request);
    assert.equal(sent.length, 2);
    const stamps = sent.map((r) => batchStamp(r.batch));
    assert.equal(stamps[0]?.producerId, stamps[1]?.producerId);
    assert.equal(stamps[0]?.baseSequence, 0);
    assert.equal(stamps[1]?.baseSequence, 0, "the retry reused the sequence");
    assert.deepEqual(sent[0]?.batch, sent[1]?.batch, "the retry resent the same bytes");
    const more = await producer.send({ topic: "t", messages: [{ value: "c" }] });
    assert.equal(more[0]?.offset, 2);
    assert.equal(batchStamp(fake.requests("produce").at(-1)!.request.batch).baseSequence, 2);
    await producer.close();
  });
});

test("without idempotence the same lost response duplicates the batch (what idempotence prevents)", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ idempotent: false });
    let lost = false;
    fake.intercept(({ request }) => {
      if (request.op !== "produce" || lost) return undefined;
      lost = true;
      return { kind: "lose-response" };
    });
    await producer.send({ topic: "t", messages: [{ value: "a" }] });
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["a", "a"]);
    assert.equal(batchStamp(fake.requests("produce")[0]!.request.batch).producerId, undefined);
    assert.equal(fake.requests("initProducerId").length, 0);
    await producer.close();
  });
});

test("non-retriable errors surface with their code: from the broker, and a record over recordBytesMax before sending", async () => {
  await withCluster(
    async (fake, client) => {
      fake.state.createTopic("t", 1);
      const producer = client.producer();
      await assert.rejects(producer.send({ topic: "t", messages: [{ value: "x".repeat(600) }] }), isCode("RECORD_TOO_LARGE"));
      assert.equal(fake.requests("produce").length, 0);
      const stop = fake.intercept(({ request }) => (request.op === "produce" ? { kind: "error", error: new RlogError("INVALID_REQUEST", "records[0]: nope", { field: "records[0]" }) } : undefined));
      await assert.rejects(producer.send({ topic: "t", messages: [{ value: "ok" }] }), (err: unknown) => isCode("INVALID_REQUEST")(err) && (err as RlogError).details?.field === "records[0]");
      assert.equal(fake.requests("produce").length, 1, "not retried");
      stop();
      const r = await producer.send({ topic: "t", messages: [{ value: "fine" }] });
      assert.equal(r[0]?.offset, 0);
      await assert.rejects(producer.send({ topic: "t", messages: [{ value: "p", partition: 3 }] }), isCode("UNKNOWN_PARTITION"));
      await assert.rejects(producer.send({ topic: "missing", messages: [{ value: "p" }] }), isCode("UNKNOWN_TOPIC"));
      await producer.close();
    },
    { fake: { limits: { recordBytesMax: 500 } } },
  );
});

test("a partition without a leader for longer than retriesMax quick retries: the send waits it out within totalTimeoutMs", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ retry: { retriesMax: 2, leaderChangeBackoffMsMax: 5, totalTimeoutMs: 5_000 } });
    await producer.send({ topic: "t", messages: [{ value: "before" }] });
    let refused = 0;
    const stop = fake.intercept(({ request }) => (request.op === "produce" && refused++ < 20 ? { kind: "error", error: new RlogError("LEADER_NOT_AVAILABLE", "electing") } : undefined));
    const r = await producer.send({ topic: "t", messages: [{ value: "after" }] });
    stop();
    assert.equal(refused, 21, "20 refusals, far more than retriesMax, then written");
    assert.equal(r[0]?.offset, 1);
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["before", "after"]);
    await producer.close();
  });
});

test("a batch that keeps failing gives up at the total timeout; the next send continues on a fresh producer id", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ retry: { totalTimeoutMs: 300, retriesMax: 1_000 } });
    await producer.send({ topic: "t", messages: [{ value: "before" }] });
    const stop = fake.intercept(({ request }) => (request.op === "produce" ? { kind: "error", error: new RlogError("NOT_ENOUGH_REPLICAS", "down") } : undefined));
    const started = performance.now();
    await assert.rejects(producer.send({ topic: "t", messages: [{ value: "lost" }] }), isCode("NOT_ENOUGH_REPLICAS"));
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 250 && elapsed < 3_000, `gave up after ${elapsed} ms; 1,000 retries would take far longer`);
    stop();
    const r = await producer.send({ topic: "t", messages: [{ value: "after" }] });
    assert.equal(r[0]?.offset, 1);
    assert.equal(fake.requests("initProducerId").length, 2);
    const last = fake.requests("produce").at(-1)?.request;
    assert.equal(batchStamp(last!.batch).baseSequence, 0);
    assert.deepEqual(texts(fake.state.partition("t", 0).records()), ["before", "after"]);
    await producer.close();
  });
});

test("PRODUCER_FENCED is fatal: pending and later sends fail with it", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer();
    fake.intercept(({ request }) => (request.op === "produce" ? { kind: "error", error: new RlogError("PRODUCER_FENCED", "newer epoch") } : undefined));
    await assert.rejects(producer.send({ topic: "t", messages: [{ value: "a" }] }), isCode("PRODUCER_FENCED"));
    await assert.rejects(producer.send({ topic: "t", messages: [{ value: "b" }] }), isCode("PRODUCER_FENCED"));
    await producer.close();
  });
});

test("flush() and close() lose nothing already accepted, across a leader move and dropped connections", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 3);
    const producer = client.producer({ lingerMs: 10 });
    const accepted: Promise<RecordMetadata[]>[] = [];
    for (let i = 0; i < 300; i++) {
      accepted.push(producer.send({ topic: "t", messages: [{ key: `k${i % 7}`, value: `m${i}` }] }));
      if (i === 100) fake.state.moveLeader("t", 1, 3);
      if (i === 200) fake.dropConnections();
    }
    await producer.flush();
    const settled = await Promise.allSettled(accepted);
    assert.ok(settled.every((s) => s.status === "fulfilled"), "every send resolved by the end of flush()");
    for (let i = 300; i < 400; i++) accepted.push(producer.send({ topic: "t", messages: [{ key: `k${i % 7}`, value: `m${i}` }] }));
    await producer.close();
    await assert.rejects(producer.send({ topic: "t", messages: [{ value: "late" }] }), /closed/);
    const all = [0, 1, 2].flatMap((p) => texts(fake.state.partition("t", p).records()));
    assert.equal(all.length, 400);
    assert.equal(new Set(all).size, 400);
    // Per key, the order of the sends.
    for (let k = 0; k < 7; k++) {
      const p = partitionForKey(Buffer.from(`k${k}`), 3);
      const got = texts(fake.state.partition("t", p).records()).filter((v) => Number(v.slice(1)) % 7 === k);
      const want = Array.from({ length: 400 }, (_, i) => i).filter((i) => i % 7 === k).map((i) => `m${i}`);
      assert.deepEqual(got, want);
    }
  });
});

test("the buffer is bounded: send() waits for space instead of queueing without limit", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ bufferBytesMax: 1_500, lingerMs: 0 });
    await producer.send({ topic: "t", messages: [{ value: "warm" }] });
    fake.intercept(({ request }) => (request.op === "produce" ? { kind: "delay", delayMs: 80 } : undefined));
    const value = "v".repeat(1_000);
    const started = performance.now();
    const done: number[] = [];
    const a = producer.send({ topic: "t", messages: [{ value }] }).then(() => done.push(performance.now() - started));
    const b = producer.send({ topic: "t", messages: [{ value }] }).then(() => done.push(performance.now() - started));
    await Promise.all([a, b]);
    const arrivals = fake.requests("produce").slice(1);
    assert.equal(arrivals.length, 2, "the second record could not join the first one's batch: no room");
    assert.ok((done[1] as number) >= 150, `second send finished after ${done[1]} ms: it waited for the first to free the buffer`);
    await producer.close();
  });
});

test("acks=leader is passed through", async () => {
  await withCluster(async (fake, client) => {
    fake.state.createTopic("t", 1);
    const producer = client.producer({ acks: "leader" });
    await producer.send({ topic: "t", messages: [{ value: "x" }] });
    assert.equal(fake.requests("produce")[0]?.request.acks, "leader");
    await producer.close();
  });
});

test("bad producer options are refused", async () => {
  await withCluster(async (_fake, client) => {
    assert.throws(() => client.producer({ inflightRequestsMax: 6 }), RangeError);
    assert.throws(() => client.producer({ lingerMs: -1 }), RangeError);
    assert.throws(() => client.producer({ acks: "none" as never }), RangeError);
  });
});
