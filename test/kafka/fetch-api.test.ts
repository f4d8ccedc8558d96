/**
 * Fetch (broker/kafka/apis/fetch.ts) against a fake context, with kafkajs's
 * own Fetch v11 (and v4) codec: the stored batches reach kafkajs as
 * records; KIP-74's byte limits (the response's first batch whatever its
 * size, later ones only when they fit); one fetch reservation kept at a
 * time; errors per partition answered at once; the long poll ends when
 * any partition gets data, aborting the other waits; fetch sessions refused.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { fetchApi } from "../../broker/kafka/apis/fetch.js";
import { KafkaError } from "../../broker/kafka/kafka-errors.js";
import { buildUncompressedBatch } from "../../broker/protocol/batch-codec.js";
import { RlogError } from "../../broker/protocol/errors.js";
import type { FetchRequest } from "../../broker/protocol/requests.js";
import type { FetchResult } from "../../broker/protocol/results.js";
import { fakeContext, roundTrip } from "./kafkajs-codec.js";

const enc = new TextEncoder();

/** A stored batch: `count` records "<prefix>-<i>" of `valueBytes` bytes each, base offset patched to `baseOffset`. */
function batch(baseOffset: number, count: number, prefix: string, valueBytes = 10): { baseOffset: number; data: Uint8Array } {
  const records = Array.from({ length: count }, (_, i) => ({ value: enc.encode(`${prefix}-${i}-`.padEnd(valueBytes, "x")) }));
  const data = buildUncompressedBatch(records, { timestampMs: 1_700_000_000_000 });
  new DataView(data.buffer, data.byteOffset).setBigInt64(0, BigInt(baseOffset));
  return { baseOffset, data };
}

/** A partition log for the fake fetch op: batches, and waiters for new ones. */
class FakeLog {
  readonly batches: { baseOffset: number; count: number; data: Uint8Array }[] = [];
  private hw = 0;
  private readonly waiters = new Set<() => void>();
  constructor(readonly logStart = 0) {
    this.hw = logStart;
  }
  append(count: number, prefix: string, valueBytes = 10): void {
    this.batches.push({ ...batch(this.hw, count, prefix, valueBytes), count });
    this.hw += count;
    for (const w of [...this.waiters]) w();
  }
  get highWatermark(): number {
    return this.hw;
  }
  async fetch(req: FetchRequest, signal: AbortSignal): Promise<FetchResult> {
    if (req.offset < this.logStart || req.offset > this.hw) throw new RlogError("OFFSET_OUT_OF_RANGE", `offset ${req.offset} out of range`);
    if (req.offset >= this.hw && req.maxWaitMs > 0) {
      await new Promise<void>((resolve) => {
        const done = (): void => {
          clearTimeout(timer);
          this.waiters.delete(done);
          signal.removeEventListener("abort", done);
          resolve();
        };
        const timer = setTimeout(done, req.maxWaitMs);
        this.waiters.add(done);
        signal.addEventListener("abort", done);
      });
    }
    const out: { baseOffset: number; data: Uint8Array }[] = [];
    // Like rlog's log: whole batches from the one holding req.offset, at least one, then up to maxBytes.
    let bytes = 0;
    for (const b of this.batches) {
      if (b.baseOffset + b.count <= req.offset) continue;
      if (out.length > 0 && bytes + b.data.byteLength > req.maxBytes) break;
      out.push(b);
      bytes += b.data.byteLength;
    }
    return { batches: out, highWatermark: this.hw, logStartOffset: this.logStart };
  }
  waiting(): number {
    return this.waiters.size;
  }
}

function fakeCluster(logs: Record<string, FakeLog>): ReturnType<typeof fakeContext> {
  return fakeContext({
    fetch: (r, signal) => {
      const req = r as FetchRequest;
      const log = logs[`${req.topic}/${req.partition}`];
      if (log === undefined) return Promise.reject(new RlogError("NOT_LEADER", `not the leader of ${req.topic}/${req.partition}`));
      return log.fetch(req, signal);
    },
    listOffsets: (r) => {
      const req = r as { topic: string; partition: number; spec: number };
      const log = logs[`${req.topic}/${req.partition}`]!;
      return Promise.resolve({ offset: req.spec === 0 ? log.logStart : log.highWatermark });
    },
  });
}

interface KjsPartition {
  partition: number;
  errorCode: number;
  highWatermark: string;
  lastStableOffset: string;
  lastStartOffset?: string;
  preferredReadReplica?: number;
  messages: { offset: string; value: Buffer }[];
}
interface KjsFetch {
  errorCode: number;
  sessionId: number;
  responses: { topicName: string; partitions: KjsPartition[] }[];
}

function request(partitions: { topic: string; partition: number; fetchOffset: number; maxBytes: number }[], opts: { maxWaitTime?: number; minBytes?: number; maxBytes?: number; sessionId?: number } = {}): object {
  const topics = [...new Set(partitions.map((p) => p.topic))].map((topic) => ({
    topic,
    partitions: partitions.filter((p) => p.topic === topic).map((p) => ({ partition: p.partition, fetchOffset: String(p.fetchOffset), maxBytes: p.maxBytes })),
  }));
  return { replicaId: -1, maxWaitTime: opts.maxWaitTime ?? 0, minBytes: opts.minBytes ?? 1, maxBytes: opts.maxBytes ?? 10_485_760, topics, ...(opts.sessionId === undefined ? {} : { sessionId: opts.sessionId }) };
}

function valuesOf(p: KjsPartition): string[] {
  return p.messages.map((m) => m.value.toString().split("-").slice(0, 2).join("-"));
}

test("stored batches reach kafkajs (Fetch v11 and v4) as records, with offsets and watermarks", async () => {
  const a = new FakeLog();
  a.append(3, "a");
  a.append(2, "b");
  const b = new FakeLog(5);
  b.append(1, "c");
  for (const version of [11, 4]) {
    const { ctx } = fakeCluster({ "t/0": a, "t/1": b });
    const res = await roundTrip<KjsFetch>(fetchApi, "fetch", version, request([{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20 }, { topic: "t", partition: 1, fetchOffset: 5, maxBytes: 1 << 20 }]), ctx);
    const [p0, p1] = res.responses[0]!.partitions;
    assert.deepEqual(valuesOf(p0!), ["a-0", "a-1", "a-2", "b-0", "b-1"]);
    assert.deepEqual(p0!.messages.map((m) => m.offset), ["0", "1", "2", "3", "4"]);
    assert.equal(p0!.highWatermark, "5");
    assert.equal(p0!.lastStableOffset, "5", "no transactions: the last stable offset is the high watermark");
    assert.deepEqual(valuesOf(p1!), ["c-0"]);
    assert.equal(p1!.messages[0]!.offset, "5");
    if (version === 11) {
      assert.equal(res.sessionId, 0, "no fetch sessions");
      assert.equal(p1!.lastStartOffset, "5");
      assert.equal(p1!.preferredReadReplica, -1);
    }
  }
});

test("KIP-74: the first batch passes partition_max_bytes and max_bytes; later batches only when they fit; one reservation kept at a time", async () => {
  const a = new FakeLog();
  a.append(4, "big", 200); // one batch of about 900 bytes
  a.append(1, "a2");
  const b = new FakeLog();
  b.append(4, "b", 200);
  const c = new FakeLog();
  c.append(1, "c");
  const { ctx, kept } = fakeCluster({ "t/0": a, "t/1": b, "t/2": c });
  const first = a.batches[0]!.data.byteLength;
  const small = c.batches[0]!.data.byteLength;
  const res = await roundTrip<KjsFetch>(
    fetchApi,
    "fetch",
    11,
    request(
      [
        { topic: "t", partition: 0, fetchOffset: 0, maxBytes: 100 },
        { topic: "t", partition: 1, fetchOffset: 0, maxBytes: 1 << 20 },
        { topic: "t", partition: 2, fetchOffset: 0, maxBytes: 1 << 20 },
      ],
      { maxBytes: first + small + 10 },
    ),
    ctx,
  );
  const [p0, p1, p2] = res.responses[0]!.partitions;
  assert.deepEqual(valuesOf(p0!), ["big-0", "big-1", "big-2", "big-3"], "the first batch, larger than partition_max_bytes, and nothing after it");
  assert.deepEqual(valuesOf(p1!), [], "a later batch larger than what is left of max_bytes is left out");
  assert.equal(p1!.highWatermark, "4");
  assert.deepEqual(valuesOf(p2!), ["c-0"], "a later batch that fits is returned");
  assert.deepEqual(kept, [first, first, first + small], "after each partition only the records' bytes stay reserved");
});

test("a full response answers the remaining partitions with their offsets only", async () => {
  const a = new FakeLog();
  a.append(2, "a", 100);
  const b = new FakeLog(3);
  b.append(2, "b");
  const { ctx, calls } = fakeCluster({ "t/0": a, "t/1": b });
  const res = await roundTrip<KjsFetch>(fetchApi, "fetch", 11, request([{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20 }, { topic: "t", partition: 1, fetchOffset: 3, maxBytes: 1 << 20 }], { maxBytes: 10 }), ctx);
  const [p0, p1] = res.responses[0]!.partitions;
  assert.equal(p0!.messages.length, 2);
  assert.equal(p1!.messages.length, 0);
  assert.equal(p1!.highWatermark, "5");
  assert.equal(p1!.lastStartOffset, "3");
  assert.deepEqual(calls.map((c) => c.op), ["fetch", "listOffsets", "listOffsets"]);
});

test("partition errors are Kafka codes and are answered without waiting", async () => {
  const a = new FakeLog(10);
  a.append(1, "a");
  const { ctx } = fakeCluster({ "t/0": a });
  const started = performance.now();
  const res = await roundTrip<KjsFetch>(
    fetchApi,
    "fetch",
    11,
    request([{ topic: "t", partition: 0, fetchOffset: 3, maxBytes: 1000 }, { topic: "t", partition: 1, fetchOffset: 0, maxBytes: 1000 }], { maxWaitTime: 5000 }),
    ctx,
  );
  const [p0, p1] = res.responses[0]!.partitions;
  assert.equal(p0!.errorCode, KafkaError.OFFSET_OUT_OF_RANGE);
  assert.equal(p1!.errorCode, KafkaError.NOT_LEADER_OR_FOLLOWER);
  assert.equal(p0!.highWatermark, "-1");
  assert.ok(performance.now() - started < 2000, "no long poll when a partition failed");
});

test("the long poll ends when any partition gets data; the other waits are aborted", async () => {
  const a = new FakeLog();
  const b = new FakeLog();
  a.append(1, "old");
  const { ctx } = fakeCluster({ "t/0": a, "t/1": b });
  const started = performance.now();
  const answer = roundTrip<KjsFetch>(fetchApi, "fetch", 11, request([{ topic: "t", partition: 0, fetchOffset: 1, maxBytes: 1000 }, { topic: "t", partition: 1, fetchOffset: 0, maxBytes: 1000 }], { maxWaitTime: 10_000 }), ctx);
  for (let i = 0; i < 200 && (a.waiting() === 0 || b.waiting() === 0); i++) await new Promise((r) => setTimeout(r, 5));
  assert.equal(a.waiting() + b.waiting(), 2, "both partitions wait");
  b.append(2, "new");
  const res = await answer;
  assert.ok(performance.now() - started < 5000, "answered on new data, not at max_wait_ms");
  const [p0, p1] = res.responses[0]!.partitions;
  assert.deepEqual(valuesOf(p0!), []);
  assert.deepEqual(valuesOf(p1!), ["new-0", "new-1"]);
  assert.equal(a.waiting(), 0, "the other wait was aborted");
});

test("min_bytes: the long poll goes on until enough bytes are there (or max_wait_ms)", async () => {
  const a = new FakeLog();
  const { ctx } = fakeCluster({ "t/0": a });
  const answer = roundTrip<KjsFetch>(fetchApi, "fetch", 11, request([{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1 << 20 }], { maxWaitTime: 10_000, minBytes: 300 }), ctx);
  const wait = async (): Promise<void> => {
    for (let i = 0; i < 400 && a.waiting() === 0; i++) await new Promise((r) => setTimeout(r, 5));
  };
  await wait();
  a.append(1, "small"); // well under 300 bytes
  await new Promise((r) => setTimeout(r, 20));
  await wait();
  assert.equal(a.waiting(), 1, "still waiting with fewer than min_bytes");
  a.append(2, "more", 200);
  const res = await answer;
  assert.deepEqual(valuesOf(res.responses[0]!.partitions[0]!), ["small-0", "more-0", "more-1"]);

  const { ctx: idle } = fakeCluster({ "t/0": new FakeLog() });
  const started = performance.now();
  const empty = await roundTrip<KjsFetch>(fetchApi, "fetch", 11, request([{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1000 }], { maxWaitTime: 150 }), idle);
  const took = performance.now() - started;
  assert.ok(took >= 140 && took < 3000, `an empty long poll lasts max_wait_ms (${Math.round(took)} ms)`);
  assert.equal(empty.responses[0]!.partitions[0]!.messages.length, 0);
});

test("a fetch session id is refused: FETCH_SESSION_ID_NOT_FOUND", async () => {
  const { ctx, calls } = fakeCluster({ "t/0": new FakeLog() });
  const res = await roundTrip<KjsFetch>(fetchApi, "fetch", 11, request([{ topic: "t", partition: 0, fetchOffset: 0, maxBytes: 1000 }], { sessionId: 42 }), ctx);
  assert.equal(res.errorCode, KafkaError.FETCH_SESSION_ID_NOT_FOUND);
  assert.equal(res.responses.length, 0);
  assert.equal(calls.length, 0);
});

test("max_bytes and max_wait_ms are capped by the broker's configured limits.fetchBytesMax and fetchWaitMsMax", async () => {
  const a = new FakeLog();
  a.append(1, "a");
  const { ctx, calls } = fakeCluster({ "t/0": a });
  const limited = { ...ctx, cluster: { ...ctx.cluster, limits: { ...ctx.cluster.limits, fetchBytesMax: 64 * 1024, fetchWaitMsMax: 50 } } };
  const started = performance.now();
  // From the end of the log: nothing there, so the long poll waits, for at most the broker's 50 ms, not the asked 10 s.
  await roundTrip<KjsFetch>(fetchApi, "fetch", 11, request([{ topic: "t", partition: 0, fetchOffset: 1, maxBytes: 1 << 20 }], { maxBytes: 50 << 20, maxWaitTime: 10_000 }), limited);
  assert.ok(performance.now() - started < 5000, "the long poll ended at the broker's fetchWaitMsMax");
  const fetches = calls.filter((c) => c.op === "fetch") as FetchRequest[];
  assert.ok(fetches.length > 0);
  for (const f of fetches) {
    assert.ok(f.maxBytes <= 64 * 1024, `an rlog fetch asked for ${f.maxBytes} bytes, more than limits.fetchBytesMax`);
    assert.ok(f.maxWaitMs <= 50, `an rlog fetch waited up to ${f.maxWaitMs} ms, more than limits.fetchWaitMsMax`);
  }
});
