/**
 * PartitionReplica in process: three replicas over MemoryStorage, a loopback
 * network and a manual tick. Election, produce and fetch (long poll), the
 * refusals a follower gives (with the leader hint), and leadership transfer
 * (done, refused, timed out, and a long poll woken by the move).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { PartitionReplica, type PartitionReplicaOptions } from "../../broker/partition/partition-replica.js";
import { buildRecordBatch, decodeRecordBatch } from "../../broker/protocol/batch-codec.js";
import { Compression } from "../../broker/protocol/compression.js";
import { OffsetSpec } from "../../broker/protocol/enums.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { assembleRecordBatch, BatchAttribute, BatchField, RECORD_BATCH_HEADER_BYTES, readRecordBatchHeader, recordBatchChecksum } from "../../broker/protocol/record-batch.js";
import { batchOf, batchRecords } from "../protocol/batches.js";
import type { FetchResult } from "../../broker/protocol/results.js";
import { MemoryStorage } from "../../broker/raft/memory-storage.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { nodeId, offset, type NodeId } from "../../broker/raft/types.js";
import { failOnFatal, LoopbackNet, raftConfig, rejection, silentLogger, Ticker, turn } from "../group/in-process.js";

const TOPIC = "orders";
const hint = (id: NodeId, term?: number) => ({ brokerId: id, url: `ws://b${id}:9092`, ...(term === undefined ? {} : { term }) });
/** A hint without its term, for refusals whose kind (and so whether a term comes along) depends on timing. */
const where = (h: { readonly brokerId: number; readonly url?: string } | undefined) => (h === undefined ? undefined : { brokerId: h.brokerId, url: h.url });

/** Three replicas of orders/0 (preference 1, 2, 3), none elected yet. */
function group(seed = 1, extra: Pick<PartitionReplicaOptions, "compression" | "limits"> = {}) {
  const net = new LoopbackNet();
  const logs = [1, 2, 3].map(() => new MemoryStorage());
  const replicas = [1, 2, 3].map((id) => {
    const r = new PartitionReplica({
      ...extra,
      topic: TOPIC,
      partition: 0,
      topicId: 7,
      raft: raftConfig(id, [1, 2, 3]),
      log: logs[id - 1]!,
      random: new SeededRandom(seed * 10 + id),
      send: net.send,
      logger: silentLogger,
      leaderHint: hint,
      clock: () => 1_000,
      onFatal: failOnFatal,
    });
    net.join(nodeId(id), (m) => r.step(m));
    return r;
  });
  const ticker = new Ticker(() => replicas.forEach((r) => r.tick()));
  const byId = (id: number): PartitionReplica => replicas[id - 1]!;
  const leader = (): PartitionReplica | undefined => replicas.find((r) => r.isLeader());
  const elected = async (): Promise<PartitionReplica> => {
    await ticker.until(() => leader() !== undefined && replicas.every((r) => r.leader() === leader()!.runner.status().id), "a leader known to all");
    return leader()!;
  };
  return { net, replicas, logs, ticker, byId, leader, elected };
}

const produce = (r: PartitionReplica, values: readonly string[]) =>
  r.produce({ op: "produce", topic: TOPIC, partition: 0, batch: batchOf(values.map((v) => ({ value: Buffer.from(v) }))), acks: "all" });

const fetchFrom = (r: PartitionReplica, offset: number, maxWaitMs = 0, signal = new AbortController().signal) =>
  r.fetch({ op: "fetch", topic: TOPIC, partition: 0, offset, maxBytes: 1 << 20, maxWaitMs }, signal);

function values(f: FetchResult): string[] {
  return f.batches.flatMap((b) => {
    const h = readRecordBatchHeader(b.data, true);
    assert.ok(h.ok);
    assert.equal(h.value.baseOffset, b.baseOffset, "the leader patched the entry's offset into the batch");
    return batchRecords(b.data).map((x) => Buffer.from(x.value!).toString());
  });
}

test("three replicas elect the preferred one; the group id names the topic incarnation", async () => {
  const g = group();
  const leader = await g.elected();
  assert.equal(leader.runner.status().id, 1, "the most preferred replica wins the first election");
  assert.equal(leader.groupId, "p/7/0");
  assert.equal(g.byId(2).leader(), 1);
});

test("produce commits on a quorum, fetch returns committed records only, listOffsets agrees", async () => {
  const g = group();
  const leader = await g.elected();
  const a = await g.ticker.settle(produce(leader, ["a", "b"]));
  assert.deepEqual([a.baseOffset, a.count], [0, 2]);
  const b = await g.ticker.settle(produce(leader, ["c"]));
  assert.equal(b.baseOffset, 2);
  const f = await fetchFrom(leader, 0);
  assert.deepEqual(values(f), ["a", "b", "c"]);
  assert.equal(f.highWatermark, 3);
  assert.deepEqual(values(await fetchFrom(leader, 2)), ["c"]);
  assert.equal(leader.listOffsets({ op: "listOffsets", topic: TOPIC, partition: 0, spec: OffsetSpec.Latest }).offset, 3);
  assert.equal(leader.listOffsets({ op: "listOffsets", topic: TOPIC, partition: 0, spec: OffsetSpec.Earliest }).offset, 0);
  // Followers learn the commit with the next heartbeat.
  await g.ticker.until(() => g.byId(2).highWatermarkOffset() === 3 && g.byId(3).highWatermarkOffset() === 3, "followers' high watermarks");
  const past = await rejection(fetchFrom(leader, 4));
  assert.ok(past instanceof RlogError && past.is("OFFSET_OUT_OF_RANGE"));
  assert.deepEqual([past.details?.logStartOffset, past.details?.highWatermark], [0, 3]);
});

test("a fetch at the high watermark waits for the next commit (long poll), or answers empty when its wait ends", async () => {
  const g = group();
  const leader = await g.elected();
  await g.ticker.settle(produce(leader, ["a"]));
  const polling = fetchFrom(leader, 1, 60_000);
  let answered = false;
  void polling.then(() => (answered = true));
  for (let i = 0; i < 20; i++) await g.ticker.tick();
  assert.equal(answered, false, "nothing committed at offset 1 yet: the fetch waits");
  await g.ticker.settle(produce(leader, ["b"]));
  const f = await polling;
  assert.deepEqual(values(f), ["b"]);
  // A short wait with nothing new: an empty answer at the high watermark.
  const empty = await fetchFrom(leader, 2, 5);
  assert.deepEqual([empty.batches.length, empty.highWatermark], [0, 2]);
});

test("followers refuse with NOT_LEADER naming the leader and its term; without a known leader, LEADER_NOT_AVAILABLE", async () => {
  const g = group();
  const lonely = g.byId(3);
  const early = await rejection(produce(lonely, ["x"]));
  assert.ok(early instanceof RlogError && early.is("LEADER_NOT_AVAILABLE") && early.retriable && early.details === undefined);
  const leaderTerm = (await g.elected()).runner.softState().term;
  assert.ok(leaderTerm >= 1);
  for (const [name, op] of [
    ["produce", produce(lonely, ["x"])],
    ["fetch", fetchFrom(lonely, 0)],
    ["listOffsets", Promise.resolve().then(() => lonely.listOffsets({ op: "listOffsets", topic: TOPIC, partition: 0, spec: OffsetSpec.Latest }))],
  ] as const) {
    const err = await rejection(op);
    assert.ok(err instanceof RlogError, name);
    assert.equal(err.code, ErrorCode.NOT_LEADER, name);
    assert.ok(err.retriable);
    assert.deepEqual(err.details?.leader, hint(nodeId(1), leaderTerm), name);
    assert.match(err.message, /orders\/0 is led by broker 1/);
  }
});

test("transferLeadership waits for the target to lead; writes meanwhile get LEADER_TRANSFER_IN_PROGRESS naming it", async () => {
  const g = group();
  const leader = await g.elected();
  await g.ticker.settle(produce(leader, ["a"]));
  const moving = leader.transferLeadership(nodeId(2), 10_000, new AbortController().signal);
  const during = await rejection(produce(leader, ["b"]));
  // The target may already lead (its log was caught up: TimeoutNow at once); else the write waits out the move.
  assert.ok(during instanceof RlogError && (during.is("LEADER_TRANSFER_IN_PROGRESS") || during.is("NOT_LEADER")), String(during));
  assert.deepEqual(where(during.details?.leader), hint(nodeId(2)));
  const done = await g.ticker.settle(moving);
  assert.equal(done.leader, 2);
  assert.ok(done.term > 1);
  assert.equal(g.byId(2).isLeader(), true);
  // On the old leader, now a follower: asking again for broker 2 is already done; for broker 3, NOT_LEADER naming 2.
  assert.deepEqual(await leader.transferLeadership(nodeId(2), 1_000, new AbortController().signal), { leader: 2, term: done.term });
  const elsewhere = await rejection(leader.transferLeadership(nodeId(3), 1_000, new AbortController().signal));
  assert.ok(elsewhere instanceof RlogError && elsewhere.is("NOT_LEADER"));
  assert.deepEqual(elsewhere.details?.leader, hint(nodeId(2), done.term), "the new leader, with the term it won");
  // To itself: nothing to move.
  assert.deepEqual(await g.byId(2).transferLeadership(nodeId(2), 1_000, new AbortController().signal), { leader: 2, term: done.term });
});

test("a transfer to a member that is not in the group is an INVALID_REQUEST; a second one while the first runs waits its turn", async () => {
  const g = group();
  const leader = await g.elected();
  const invalid = await rejection(leader.transferLeadership(nodeId(9), 1_000, new AbortController().signal));
  assert.ok(invalid instanceof RlogError && invalid.is("INVALID_REQUEST") && !invalid.retriable, String(invalid));
  g.net.isolate(nodeId(3)); // broker 3 cannot take over: the transfer to it stays in progress
  const first = leader.transferLeadership(nodeId(3), 10_000, new AbortController().signal);
  first.catch(() => undefined);
  const second = await rejection(leader.transferLeadership(nodeId(2), 1_000, new AbortController().signal));
  assert.ok(second instanceof RlogError && second.is("LEADER_TRANSFER_IN_PROGRESS") && second.retriable);
  assert.deepEqual(second.details?.leader, hint(nodeId(3)), "a transfer target does not lead yet: no term");
  // The target never answers: after an election timeout the old leader resumes, and the transfer is a TIMEOUT.
  const timedOut = await g.ticker.settle(first.then(() => assert.fail("the cut-off target cannot lead"), (e: unknown) => e));
  assert.ok(timedOut instanceof RlogError && timedOut.is("TIMEOUT") && timedOut.retriable, String(timedOut));
  assert.match(timedOut.message, /broker 3 did not take leadership of orders\/0 within an election timeout; broker 1 leads again/);
  assert.equal(leader.isLeader(), true);
  await g.ticker.settle(produce(leader, ["after"]));
});

test("a transfer wait ends with TIMEOUT when its time runs out or the connection goes", async () => {
  const g = group();
  const leader = await g.elected();
  g.net.isolate(nodeId(3));
  const gone = new AbortController();
  const waiting = leader.transferLeadership(nodeId(3), 60_000, gone.signal);
  await g.ticker.tick();
  gone.abort();
  const err = await rejection(waiting);
  assert.ok(err instanceof RlogError && err.is("TIMEOUT"));
  assert.match(err.message, /did not finish in time/);
});

test("a long poll on the leader is woken by a leadership move and told to look again (retriable)", async () => {
  const g = group();
  const leader = await g.elected();
  await g.ticker.settle(produce(leader, ["a"]));
  const polling = fetchFrom(leader, 1, 60_000);
  polling.catch(() => undefined);
  await g.ticker.settle(leader.transferLeadership(nodeId(2), 10_000, new AbortController().signal));
  await turn();
  const err = await rejection(polling);
  // Woken as it steps down: by then it may know the new term but not yet its leader.
  assert.ok(err instanceof RlogError && err.retriable && (err.is("NOT_LEADER") || err.is("LEADER_NOT_AVAILABLE")), String(err));
  if (err.is("NOT_LEADER")) assert.deepEqual(where(err.details?.leader), hint(nodeId(2)));
});

test("closed replicas answer SHUTTING_DOWN to writes", async () => {
  const g = group();
  const leader = await g.elected();
  const pending = produce(leader, ["a"]);
  pending.catch(() => undefined);
  await Promise.all(g.replicas.map((r) => r.close()));
  const err = await rejection(pending);
  assert.ok(err instanceof RlogError && (err.is("SHUTTING_DOWN") || err.is("NOT_LEADER")), String(err));
});

// ---------------------------------------------------------------- client-built batches (issue 16)

const produceBatch = (r: PartitionReplica, batch: Uint8Array) => r.produce({ op: "produce", topic: TOPIC, partition: 0, batch, acks: "all" });

/** A copy of `batch` with its attributes set to `attributes` and the CRC made right again. */
function withAttributes(batch: Uint8Array, attributes: number): Uint8Array {
  const copy = new Uint8Array(batch);
  const v = new DataView(copy.buffer);
  v.setInt16(BatchField.attributes, attributes);
  v.setUint32(BatchField.crc, recordBatchChecksum(copy));
  return copy;
}

test("the leader refuses bad batches by header and CRC alone, each with its own code, and writes nothing", async () => {
  const g = group(1, { limits: { batchRecordsMax: 2, batchDecompressedBytesMax: 1 << 20 } });
  const leader = await g.elected();
  const good = batchOf([{ value: Buffer.from("a") }]);
  const flipped = new Uint8Array(good);
  flipped[flipped.byteLength - 1] = flipped[flipped.byteLength - 1]! ^ 1;
  const cases: [string, Uint8Array, string][] = [
    ["a flipped bit", flipped, "CORRUPT_RECORD_BATCH"],
    ["a truncated batch", good.subarray(0, 40), "CORRUPT_RECORD_BATCH"],
    ["the old v1 layout", new Uint8Array([1, ...new Uint8Array(60)]), "CORRUPT_RECORD_BATCH"],
    ["snappy", withAttributes(good, Compression.Snappy), "UNSUPPORTED_COMPRESSION"],
    ["a transactional batch", withAttributes(good, BatchAttribute.transactional), "INVALID_RECORD_BATCH"],
    ["a control batch", withAttributes(good, BatchAttribute.control), "INVALID_RECORD_BATCH"],
    ["log-append time", withAttributes(good, BatchAttribute.logAppendTime), "INVALID_RECORD_BATCH"],
    ["more than batchRecordsMax records", batchOf([{ value: Buffer.from("a") }, { value: Buffer.from("b") }, { value: Buffer.from("c") }]), "REQUEST_TOO_LARGE"],
  ];
  for (const [name, batch, code] of cases) {
    const err = await rejection(g.ticker.settle(produceBatch(leader, batch)));
    assert.ok(err instanceof RlogError, name);
    assert.equal(err.codeName, code, `${name}: ${err.message}`);
  }
  assert.equal((await g.ticker.settle(produceBatch(leader, good))).baseOffset, 0, "nothing was written before");
});

test("the leader patches base offset and term into the batch it proposes; followers store the same bytes", async () => {
  const g = group();
  const leader = await g.elected();
  await g.ticker.settle(produce(leader, ["a", "b"]));
  const sent = batchOf([{ value: Buffer.from("c") }], 1_000, { producerId: 5, producerEpoch: 0, baseSequence: 0 });
  const r = await g.ticker.settle(produceBatch(leader, sent));
  assert.equal(r.baseOffset, 2);
  await g.ticker.until(() => g.logs.every((l) => l.nextOffset() === 3), "every replica holds the batch");
  const stored = g.logs.map((l) => l.entriesFromOffset(offset(2), 1 << 20, l.lastIndex())[0]!.data);
  const h = readRecordBatchHeader(stored[0]!, true);
  assert.ok(h.ok, "the CRC still holds after patching");
  assert.equal(h.value.baseOffset, 2);
  assert.equal(h.value.partitionLeaderEpoch, leader.runner.status().term);
  assert.deepEqual(stored[0]!.subarray(BatchField.magic), sent.subarray(BatchField.magic), "from the magic byte on, the producer's bytes");
  assert.deepEqual(stored[1], stored[0]);
  assert.deepEqual(stored[2], stored[0]);
});

test("a topic forcing zstd re-encodes a producer's lz4 batch, keeps its producer fields, and still detects the duplicate", async () => {
  const g = group(1, { compression: "zstd" });
  const leader = await g.elected();
  const records = Array.from({ length: 20 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.from(JSON.stringify({ i, kind: "event" })), timestampMs: 5_000 + i }));
  const lz4 = await buildRecordBatch(records, { compression: "lz4", timestampMs: 1, producer: { producerId: 9, producerEpoch: 0, baseSequence: 0 } });
  const first = await g.ticker.settle(produceBatch(leader, lz4), 100_000);
  assert.deepEqual([first.baseOffset, first.count], [0, 20]);
  const f = await fetchFrom(leader, 0);
  assert.equal(f.batches.length, 1);
  const d = await decodeRecordBatch(f.batches[0]!.data, 1 << 20);
  assert.ok(d.ok, d.ok ? "" : d.error.message);
  assert.equal(d.value.compression, Compression.Zstd, "stored as zstd");
  assert.deepEqual([d.value.producerId, d.value.producerEpoch, d.value.baseSequence], [9, 0, 0]);
  assert.deepEqual(d.value.records.map((x) => [x.timestampMs, Buffer.from(x.value!).toString()]), records.map((x) => [x.timestampMs, x.value.toString()]));
  // The same lz4 batch again (a retry): the idempotence check reads the header, and answers with the first offsets.
  const again = await g.ticker.settle(produceBatch(leader, lz4), 100_000);
  assert.equal(again.baseOffset, 0);
  assert.equal((await fetchFrom(leader, 0)).highWatermark, 20, "nothing written twice");
  // A zstd batch already is kept as the producer sent it.
  const zstd = await buildRecordBatch([{ value: Buffer.from("z") }], { compression: "zstd", timestampMs: 1 });
  await g.ticker.settle(produceBatch(leader, zstd));
  const kept = (await fetchFrom(leader, 20)).batches[0]!.data;
  assert.deepEqual(kept.subarray(BatchField.magic), zstd.subarray(BatchField.magic));
});

test("forced recompression refuses a decompression bomb at batchDecompressedBytesMax, and a damaged section, with CORRUPT_RECORD_BATCH", async () => {
  const g = group(1, { compression: "lz4", limits: { batchRecordsMax: 10, batchDecompressedBytesMax: 1 << 20 } });
  const leader = await g.elected();
  const bomb = assembleRecordBatch({ compression: Compression.Gzip, recordCount: 1, baseTimestampMs: 1, maxTimestampMs: 1 }, gzipSync(new Uint8Array(8 << 20)));
  // Codecs run on libuv's thread pool: allow many event-loop turns (ticks) for them.
  const err = await rejection(g.ticker.settle(produceBatch(leader, bomb), 100_000));
  assert.ok(err instanceof RlogError && err.is("CORRUPT_RECORD_BATCH"), String(err));
  assert.match(err.message, /batchDecompressedBytesMax/);
  const garbage = assembleRecordBatch({ compression: Compression.Zstd, recordCount: 1, baseTimestampMs: 1, maxTimestampMs: 1 }, new Uint8Array([0x28, 0xb5, 0x2f, 0xfd, 1, 2, 3, 4, 5]));
  const bad = await rejection(g.ticker.settle(produceBatch(leader, garbage), 100_000));
  assert.ok(bad instanceof RlogError && bad.is("CORRUPT_RECORD_BATCH"), String(bad));
});

test("seeded hostile batches: the leader answers each with a protocol error code or stores it, and every stored batch carries its offset", async () => {
  const g = group(3);
  const leader = await g.elected();
  const rnd = new SeededRandom(99);
  const valid = [
    batchOf([{ value: Buffer.from("a") }, { key: Buffer.from("k"), value: null, headers: [{ key: "h", value: Buffer.from("v") }] }]),
    await buildRecordBatch([{ value: Buffer.from("compressed ".repeat(20)) }], { compression: "gzip", timestampMs: 1 }),
    await buildRecordBatch([{ value: Buffer.from("compressed ".repeat(20)) }], { compression: "lz4", timestampMs: 1 }),
  ];
  const allowed = new Set(["CORRUPT_RECORD_BATCH", "UNSUPPORTED_COMPRESSION", "INVALID_RECORD_BATCH", "REQUEST_TOO_LARGE"]);
  let stored = 0;
  for (let i = 0; i < 300; i++) {
    const base = valid[rnd.int(valid.length)]!;
    let data = new Uint8Array(base);
    const kind = rnd.int(3);
    if (kind === 0) for (let m = 0; m < 1 + rnd.int(3); m++) data[rnd.int(data.byteLength)] = rnd.int(256);
    else if (kind === 1) data = data.subarray(0, rnd.int(data.byteLength));
    else {
      // Header fields changed behind a valid CRC: only the layout checks stand in the way.
      const v = new DataView(data.buffer);
      const at = BatchField.attributes + rnd.int(RECORD_BATCH_HEADER_BYTES - BatchField.attributes);
      data[at] = rnd.int(256);
      v.setUint32(BatchField.crc, recordBatchChecksum(data));
    }
    try {
      await g.ticker.settle(produceBatch(leader, data), 100_000);
      stored++;
    } catch (err) {
      assert.ok(err instanceof RlogError && allowed.has(err.codeName), `batch ${i}: ${String(err)}`);
    }
  }
  assert.ok(stored > 0 && stored < 300, `stored ${stored}`);
  const f = await fetchFrom(leader, 0);
  for (const b of f.batches) {
    const h = readRecordBatchHeader(b.data, true);
    assert.ok(h.ok && h.value.baseOffset === b.baseOffset);
  }
});

test("without a forced codec the leader walks lz4 and zstd frames: a bomb or a broken frame is refused before it is stored", async () => {
  const g = group(1, { limits: { batchRecordsMax: 10, batchDecompressedBytesMax: 1 << 20 } });
  const leader = await g.elected();
  const zeros = new Uint8Array(8 << 20);
  for (const compression of ["lz4", "zstd"] as const) {
    const bomb = await buildRecordBatch([{ value: zeros }], { compression, timestampMs: 1 });
    const err = await rejection(g.ticker.settle(produceBatch(leader, bomb), 100_000));
    assert.ok(err instanceof RlogError && err.is("CORRUPT_RECORD_BATCH"), `${compression}: ${String(err)}`);
    assert.match(err.message, /batchDecompressedBytesMax/);
  }
  const notGzip = assembleRecordBatch({ compression: Compression.Gzip, recordCount: 1, baseTimestampMs: 1, maxTimestampMs: 1 }, new Uint8Array([1, 2, 3]));
  const bad = await rejection(g.ticker.settle(produceBatch(leader, notGzip)));
  assert.ok(bad instanceof RlogError && bad.is("CORRUPT_RECORD_BATCH"), String(bad));
  const fine = await buildRecordBatch([{ value: Buffer.from("ok") }], { compression: "zstd", timestampMs: 1 });
  assert.equal((await g.ticker.settle(produceBatch(leader, fine), 100_000)).baseOffset, 0);
});
