/** The client listener's request path: dispatch, pipelining, errors, bad frames. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { clientPackr } from "../../broker/protocol/msgpack.js";
import { encodeRequest } from "../../broker/protocol/frames.js";
import type { Request } from "../../broker/protocol/ops.js";
import { fakeHandlers, type Fakes } from "./fake-handlers.js";
import { LEVEL, okResult, sleep, startServer, tcpHandles, TestClient, waitFor, type TestServer } from "./helpers.js";
import { batchOf } from "../protocol/batches.js";

let fakes: Fakes;
let t: TestServer;

before(async () => {
  fakes = fakeHandlers();
  t = await startServer({ handlers: fakes.handlers, limits: { frameBytesMax: 256 * 1024, fetchBytesMax: 1 << 20 } });
});

after(async () => {
  fakes.release();
  await t.server.close();
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

const fetchReq = (offset: number, maxWaitMs: number, maxBytes = 16): Request => ({ op: "fetch", topic: "t", partition: 0, offset, maxBytes, maxWaitMs });
const produceTo = (topic: string): Request => ({ op: "produce", topic, partition: 1, batch: batchOf([{ value: new Uint8Array([1]) }]), acks: "all" });

test("pipelined requests are answered out of order, each matched by its id", async () => {
  const c = await TestClient.open(t.url);
  const arrival: number[] = [];
  const [slow, medium, fast] = await Promise.all([
    c.request(10, fetchReq(1000, 250)).then((r) => (arrival.push(10), r)),
    c.request(11, fetchReq(1100, 60)).then((r) => (arrival.push(11), r)),
    c.request(12, { op: "metadata", topics: ["x", "y"] }).then((r) => (arrival.push(12), r)),
  ] as const);
  assert.deepEqual(arrival, [12, 11, 10]);
  assert.equal(okResult(slow)["highWatermark"], 1000);
  assert.equal(okResult(medium)["highWatermark"], 1100);
  assert.deepEqual(
    (okResult(fast)["topics"] as { name: string }[]).map((x) => x.name),
    ["x", "y"],
  );
  // Handlers were called in frame order, synchronously on arrival.
  const ops = fakes.calls.slice(-3).map((x) => x.op);
  assert.deepEqual(ops, ["fetch", "fetch", "metadata"]);
  await c.close();
});

test("an op without a handler, and an op nobody knows, get UNKNOWN_OPERATION; the connection stays", async () => {
  const c = await TestClient.open(t.url);
  const e = await c.request(2, { op: "createTopic", name: "orders", partitions: 1, replicationFactor: 1 });
  assert.ok(!e.ok);
  assert.equal(e.id, 2);
  assert.equal(e.error.code, ErrorCode.UNKNOWN_OPERATION);
  const r = c.response(3);
  c.send(clientPackr.pack({ id: 3, op: "launchMissiles" }));
  const u = await r;
  assert.ok(!u.ok);
  assert.equal(u.error.code, ErrorCode.UNKNOWN_OPERATION);
  assert.ok((await c.request(4, { op: "metadata" })).ok);
  await c.close();
});

test("a handler's RlogError reaches the client with code, message and details (NOT_LEADER with leader hint)", async () => {
  const c = await TestClient.open(t.url);
  const e = await c.request(7, produceTo("not-leader"));
  assert.ok(!e.ok);
  assert.equal(e.error.code, ErrorCode.NOT_LEADER);
  assert.equal(e.error.retriable, true);
  assert.equal(e.error.message, "partition not-leader/1 is led by broker 3");
  assert.deepEqual(e.error.details, { leader: { brokerId: 3, url: "ws://10.0.0.3:9092" } });
  await c.close();
});

test("a handler crash (async or sync) is answered INTERNAL_ERROR, logged with its stack, and the server keeps serving", async () => {
  const c = await TestClient.open(t.url);
  for (const [id, topic] of [
    [20, "crash"],
    [21, "crash-sync"],
  ] as const) {
    const e = await c.request(id, produceTo(topic));
    assert.ok(!e.ok);
    assert.equal(e.error.code, ErrorCode.INTERNAL_ERROR);
    assert.doesNotMatch(e.error.message, /cannot read properties|thrown before/, "internal details stay in the broker log");
  }
  const logged = t.lines.filter((l) => l.level === LEVEL.error && l.msg.startsWith("handler threw"));
  assert.equal(logged.length, 2);
  const err = logged[0]?.["err"] as { stack?: string; message?: string } | undefined;
  assert.match(err?.stack ?? "", /TypeError: cannot read properties/);
  assert.ok((await c.request(22, produceTo("fine"))).ok);
  await c.close();
  const other = await TestClient.open(t.url);
  assert.ok((await other.request(2, { op: "metadata" })).ok);
  await other.close();
});

test("a handler result that cannot be sent (overwrites id, or exceeds frameBytesMax) is answered INTERNAL_ERROR", async () => {
  const c = await TestClient.open(t.url);
  const bad = await c.request(30, produceTo("bad-result"));
  assert.ok(!bad.ok);
  assert.equal(bad.id, 30);
  assert.equal(bad.error.code, ErrorCode.INTERNAL_ERROR);
  // fetch with maxWaitMs 0 answers maxBytes bytes: over this server's 256 KiB frame limit.
  const big = await c.request(31, fetchReq(0, 0, 300 * 1024));
  assert.ok(!big.ok);
  assert.equal(big.error.code, ErrorCode.INTERNAL_ERROR);
  assert.ok(t.lines.some((l) => l.level === LEVEL.error && String(l["problem"]).includes("exceeds frameBytesMax")));
  const ok = await c.request(32, fetchReq(0, 0, 100 * 1024));
  assert.ok(ok.ok);
  await c.close();
});

test("an invalid request with a readable id is answered with its error naming the field; the connection stays", async () => {
  const c = await TestClient.open(t.url);
  const r = c.response(40);
  c.send(clientPackr.pack({ id: 40, op: "fetch", topic: "t", partition: -1, offset: 0, maxBytes: 10, maxWaitMs: 0 }));
  const e = await r;
  assert.ok(!e.ok);
  assert.equal(e.error.code, ErrorCode.INVALID_REQUEST);
  assert.equal(e.error.details?.field, "partition");
  const r2 = c.response(41);
  c.send(clientPackr.pack({ id: 41, op: "fetch", topic: "t", partition: 0, offset: 0, maxBytes: 10, maxWaitMs: 2 ** 40 }));
  assert.equal(((await r2) as { error: RlogError }).error.code, ErrorCode.INVALID_REQUEST);
  assert.ok((await c.request(42, { op: "metadata" })).ok);
  await c.close();
});

test("garbage bytes after the handshake: id-0 INVALID_REQUEST, close 4000, later frames never reach a handler", async () => {
  const c = await TestClient.open(t.url);
  const before = fakes.calls.length;
  const r = c.response(0);
  // Both frames leave in one write: the valid request arrives after the violation.
  c.send(new Uint8Array([0xde, 0xad, 0xbe, 0xef]));
  c.send(encodeRequest(5, { op: "metadata" }));
  const e = await r;
  assert.ok(!e.ok);
  assert.equal(e.error.code, ErrorCode.INVALID_REQUEST);
  assert.equal((await c.waitClosed()).code, CloseCode.BadFrame);
  await sleep(20);
  assert.equal(fakes.calls.length, before);
});

test("a text frame: id-0 INVALID_REQUEST and close 4000", async () => {
  const c = await TestClient.open(t.url);
  const r = c.response(0);
  c.send('{"id":1,"op":"metadata"}');
  const e = await r;
  assert.ok(!e.ok);
  assert.match(e.error.message, /binary frames only/);
  assert.equal((await c.waitClosed()).code, CloseCode.BadFrame);
});

test("reusing the id of a request still in flight closes the connection (responses could not be matched)", async () => {
  const c = await TestClient.open(t.url);
  const first = c.request(50, fetchReq(0, 2000));
  const r = c.response(0);
  c.send(encodeRequest(50, { op: "metadata" }));
  const e = await r;
  assert.ok(!e.ok);
  assert.equal(e.error.details?.field, "id");
  assert.equal((await c.waitClosed()).code, CloseCode.BadFrame);
  await assert.rejects(first, /closed before a response/);
  // The long poll's signal was aborted: it ended at once, not after 2 s.
  await waitFor(() => fakes.calls.some((x) => x.op === "fetch" && (x.request as { offset: number }).offset === 0 && x.aborted), "fetch aborted");
  await waitFor(() => t.server.stats().requestsInflight === 0, "no request in flight");
});

test("an id can be reused once its response was sent", async () => {
  const c = await TestClient.open(t.url);
  for (let i = 0; i < 3; i++) assert.ok((await c.request(60, { op: "metadata" })).ok);
  await c.close();
});
