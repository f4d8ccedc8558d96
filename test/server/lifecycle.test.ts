/** The client listener's life cycle: close(), aborts on disconnect, stats, option checks. */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { pino } from "pino";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { encodeRequest } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import type { Request } from "../../broker/protocol/ops.js";
import { ClientServer } from "../../broker/server/client-server.js";
import { fakeHandlers } from "./fake-handlers.js";
import { captureLogger, okResult, sleep, startServer, tcpHandles, TestClient, waitFor } from "./helpers.js";
import { batchOf } from "../protocol/batches.js";

after(async () => {
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

const longPoll = (offset: number): Request => ({ op: "fetch", topic: "t", partition: 0, offset, maxBytes: 16, maxWaitMs: 20_000 });

test("close() sends GoingAway to every connection, aborts long polls, waits, and leaves no handle open", async () => {
  const fakes = fakeHandlers();
  const t = await startServer({ handlers: fakes.handlers });
  const a = await TestClient.open(t.url);
  const b = await TestClient.open(t.url);
  const pending = await TestClient.connect(t.url); // handshake not yet sent
  const poll = a.request(2, longPoll(1));
  await waitFor(() => fakes.calls.some((c) => c.op === "fetch"), "long poll started");
  assert.equal(t.server.stats().requestsInflight, 1);
  const started = Date.now();
  await t.server.close();
  assert.ok(Date.now() - started < 2000, "close did not wait for the 20 s long poll");
  for (const c of [a, b, pending]) assert.equal((await c.waitClosed()).code, CloseCode.GoingAway);
  await assert.rejects(poll, /closed before a response/);
  assert.equal(fakes.calls.find((c) => c.op === "fetch")?.aborted, true);
  const stats = t.server.stats();
  assert.equal(stats.connections, 0);
  assert.equal(stats.requestsInflight, 0);
  await t.server.close(); // idempotent
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
  await assert.rejects(TestClient.connect(t.url));
});

test("a client that disconnects aborts its requests' signals; their late results are dropped", async () => {
  const fakes = fakeHandlers();
  const t = await startServer({ handlers: fakes.handlers });
  const c = await TestClient.open(t.url);
  c.send(encodeRequest(2, longPoll(5)));
  c.send(encodeRequest(3, longPoll(6)));
  await waitFor(() => fakes.calls.filter((x) => x.op === "fetch").length === 2, "both polls started");
  c.ws.terminate();
  await waitFor(() => fakes.calls.every((x) => x.aborted), "signals aborted");
  await waitFor(() => t.server.stats().requestsInflight === 0, "handlers settled");
  assert.equal(t.server.stats().connections, 0);
  await t.server.close();
});

test("stats count connections, requests served and errors by code", async () => {
  const fakes = fakeHandlers();
  const t = await startServer({ handlers: fakes.handlers });
  const c = await TestClient.open(t.url);
  okResult(await c.request(2, { op: "metadata" }));
  await c.request(3, { op: "produce", topic: "not-leader", partition: 0, batch: batchOf([{ value: new Uint8Array(1) }]), acks: "all" });
  await c.request(4, { op: "produce", topic: "not-leader", partition: 0, batch: batchOf([{ value: new Uint8Array(1) }]), acks: "all" });
  await c.request(5, { op: "createTopic", name: "x", partitions: 1, replicationFactor: 1 });
  const s = t.server.stats();
  assert.equal(s.connections, 1);
  assert.equal(s.connectionsAccepted, 1);
  assert.equal(s.requestsServed, 5); // the handshake counts
  assert.equal(s.requestsInflight, 0);
  assert.deepEqual(s.errorsByCode, { NOT_LEADER: 2, UNKNOWN_OPERATION: 1 });
  assert.throws(() => (s as { connections: number }).connections++, "a snapshot is frozen");
  await t.server.close();
});

test("a connection arriving during close() is refused with SHUTTING_DOWN or not accepted at all", async () => {
  const fakes = fakeHandlers();
  const t = await startServer({ handlers: fakes.handlers });
  const a = await TestClient.open(t.url);
  const closing = t.server.close();
  const late = await TestClient.connect(t.url).catch(() => undefined);
  if (late !== undefined) {
    const closed = await late.waitClosed();
    assert.equal(closed.code, CloseCode.GoingAway);
    const e = late.responses[0];
    if (e !== undefined) assert.equal(e.ok ? 0 : e.error.code, ErrorCode.SHUTTING_DOWN);
  }
  await closing;
  await a.waitClosed();
});

test("close() before start() and bad options", async () => {
  const { logger } = captureLogger();
  const server = new ClientServer({ host: "127.0.0.1", port: 0, brokerId: 1, limits: DEFAULT_LIMITS, handlers: {}, logger });
  await server.close();
  await assert.rejects(server.start(), /already started/);
  const base = { host: "127.0.0.1", port: 0, brokerId: 1, limits: DEFAULT_LIMITS, handlers: {}, logger: pino({ level: "silent" }) };
  assert.throws(() => new ClientServer({ ...base, brokerId: 0 }), RangeError);
  assert.throws(() => new ClientServer({ ...base, port: 70_000 }), RangeError);
  assert.throws(() => new ClientServer({ ...base, sendBufferBytesMax: 10 }), /at least frameBytesMax/);
  assert.throws(() => new ClientServer({ ...base, handshakeWaitMs: 0 }), RangeError);
  assert.throws(() => new ClientServer({ ...base, limits: { ...DEFAULT_LIMITS, inflightRequestsMax: 0 } }), RangeError);
});

test("a port in use makes start() reject", async () => {
  const fakes = fakeHandlers();
  const t = await startServer({ handlers: fakes.handlers });
  const port = Number(new URL(t.url).port);
  const { logger } = captureLogger();
  const second = new ClientServer({ host: "127.0.0.1", port, brokerId: 2, limits: DEFAULT_LIMITS, handlers: {}, logger });
  await assert.rejects(second.start(), /EADDRINUSE/);
  await second.close();
  await sleep(1);
  await t.server.close();
});
