/** The client listener's bounds: frame size, connections, in-flight requests, send buffer, request timeout. */
import { after, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { encodeRequest } from "../../broker/protocol/frames.js";
import type { Request } from "../../broker/protocol/ops.js";
import { REFUSING_CONNECTIONS_MAX } from "../../broker/server/server-options.js";
import { SLOW_CLIENT_CLOSE_CODE } from "../../broker/server/session.js";
import { fakeHandlers } from "./fake-handlers.js";
import { LEVEL, okResult, startServer, tcpHandles, TestClient, waitFor, type TestServer } from "./helpers.js";

/** Start a server that is closed when the test ends, pass or fail. */
async function serve(tc: TestContext, options: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const t = await startServer(options);
  tc.after(() => t.server.close());
  return t;
}

after(async () => {
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

const fetchReq = (offset: number, maxWaitMs: number, maxBytes = 16): Request => ({ op: "fetch", topic: "t", partition: 0, offset, maxBytes, maxWaitMs });

test("a frame over frameBytesMax: ws closes with 1009, the broker logs it and keeps serving", async (tc) => {
  const fakes = fakeHandlers();
  const t = await serve(tc, { handlers: fakes.handlers, limits: { frameBytesMax: 64 * 1024 } });
  const big = await TestClient.open(t.url);
  const other = await TestClient.open(t.url);
  big.send(new Uint8Array(64 * 1024 + 1));
  assert.equal((await big.waitClosed()).code, 1009);
  assert.ok(okResult(await other.request(2, { op: "metadata", topics: ["still-here"] })));
  // A frame of exactly frameBytesMax is allowed through ws (and then judged by the decoder).
  const exact = encodeRequest(3, { op: "produce", topic: "t", partition: 0, acks: "leader", batch: new Uint8Array(64 * 1024 - 200) });
  const padded = new Uint8Array(64 * 1024);
  padded.set(exact);
  const r = other.response(0);
  other.send(padded);
  // Trailing bytes make it not one msgpack value (so no id is read): id-0 error and close 4000, not a crash.
  assert.equal((await r).ok, false);
  assert.equal((await other.waitClosed()).code, CloseCode.BadFrame);
  await waitFor(() => t.lines.some((l) => l.level === LEVEL.warn && l["code"] === "WS_ERR_UNSUPPORTED_MESSAGE_LENGTH"), "1009 logged at warn");
  assert.equal(t.server.stats().protocolViolations, 2);
});

test("connectionsMax: an extra connection gets TOO_MANY_CONNECTIONS (id 0) and close 4004; a slot frees on close", async (tc) => {
  const fakes = fakeHandlers();
  const t = await serve(tc, { handlers: fakes.handlers, limits: { connectionsMax: 2 } });
  const a = await TestClient.open(t.url);
  const b = await TestClient.connect(t.url); // counts before its handshake
  const c = await TestClient.connect(t.url);
  const r = c.response(0);
  const e = await r.catch(() => undefined);
  // The error frame may race the close in the client; the close code is what must be there.
  if (e !== undefined) {
    assert.ok(!e.ok);
    assert.equal(e.error.code, ErrorCode.TOO_MANY_CONNECTIONS);
    assert.equal(e.error.retriable, true);
  }
  assert.equal((await c.waitClosed()).code, CloseCode.TooManyConnections);
  assert.ok(c.responses.some((x) => !x.ok && x.error.code === ErrorCode.TOO_MANY_CONNECTIONS), "error frame received");
  assert.equal(t.server.stats().connectionsRefused, 1);
  assert.equal(t.server.stats().connections, 2);
  await b.close();
  await waitFor(() => t.server.stats().connections === 1, "slot freed");
  const d = await TestClient.open(t.url);
  assert.ok(okResult(await d.request(2, { op: "metadata" })));
  assert.ok(okResult(await a.request(2, { op: "metadata" })));
  await Promise.all([a.close(), d.close()]);
});

test("past connectionsMax + refusingConnectionsMax open sockets, new TCP connections are dropped; the server keeps serving", async (tc) => {
  const fakes = fakeHandlers();
  const t = await serve(tc, { handlers: fakes.handlers, limits: { connectionsMax: 1 } });
  const a = await TestClient.open(t.url);
  // Idle TCP connections that never send an HTTP request still count against the cap.
  const port = Number(new URL(t.url).port);
  const idle = await Promise.all(
    Array.from({ length: REFUSING_CONNECTIONS_MAX }, () => {
      const socket = connect(port, "127.0.0.1");
      return new Promise<Socket>((resolve) => socket.once("connect", () => resolve(socket)));
    }),
  );
  tc.after(() => idle.forEach((s) => s.destroy()));
  await waitFor(() => t.server.stats().connectionsRefused === 0 && tcpHandles() >= 2 * REFUSING_CONNECTIONS_MAX + 3, "idle sockets accepted");
  const dropped = await TestClient.connect(t.url).then(
    (c) => c.waitClosed(),
    () => ({ code: 0, reason: "connect failed" }),
  );
  assert.notEqual(dropped.code, CloseCode.TooManyConnections, "dropped before any WebSocket exchange");
  await waitFor(() => t.server.stats().connectionsRefused === 1, "drop counted");
  assert.ok(t.lines.some((l) => l.msg.startsWith("TCP connection dropped")));
  assert.ok(okResult(await a.request(2, { op: "metadata" })), "the open session is still served");
  for (const s of idle) s.destroy();
  await waitFor(() => tcpHandles() <= 3, "idle sockets closed"); // listener, a, and a's server side
  const b = await TestClient.connect(t.url);
  assert.equal((await b.waitClosed()).code, CloseCode.TooManyConnections, "below the cap, refusal is a clean 4004 again");
});

test("inflightRequestsMax: excess requests get TOO_MANY_REQUESTS (retriable) with their id; room returns as handlers settle", async (tc) => {
  const fakes = fakeHandlers();
  const t = await serve(tc, { handlers: fakes.handlers, limits: { inflightRequestsMax: 2 } });
  const c = await TestClient.open(t.url);
  const slow = [c.request(10, fetchReq(0, 150)), c.request(11, fetchReq(0, 150))];
  const refused = await c.request(12, fetchReq(0, 150));
  assert.ok(!refused.ok);
  assert.equal(refused.id, 12);
  assert.equal(refused.error.code, ErrorCode.TOO_MANY_REQUESTS);
  assert.equal(refused.error.retriable, true);
  assert.equal(t.server.stats().requestsInflight, 2);
  for (const r of await Promise.all(slow)) assert.ok(r.ok);
  assert.ok(okResult(await c.request(12, fetchReq(0, 0))));
  assert.equal(t.server.stats().errorsByCode["TOO_MANY_REQUESTS"], 1);
  await c.close();
});

test("a client that never reads is closed (1008) once sendBufferBytesMax is exceeded, while others are served", async (tc) => {
  const fakes = fakeHandlers();
  const frameBytesMax = 64 * 1024;
  const t = await serve(tc, {
    handlers: fakes.handlers,
    limits: { frameBytesMax, fetchBytesMax: frameBytesMax, inflightRequestsMax: 1000 },
    extra: { sendBufferBytesMax: 4 * frameBytesMax },
  });
  const sink = await TestClient.open(t.url);
  const reader = await TestClient.open(t.url);
  sink.ws.pause(); // stop reading: the kernel buffers fill, then the broker's
  let id = 100;
  const started = Date.now();
  while (!sink.isClosed && Date.now() - started < 8000) {
    // Each answer is about 60 KiB; send in bursts and let the loop turn.
    for (let i = 0; i < 20; i++) sink.send(encodeRequest(id++, fetchReq(0, 0, 60 * 1024)));
    assert.ok(okResult(await reader.request(id++, { op: "metadata" })), "the reading client is served meanwhile");
    await waitFor(() => sink.ws.bufferedAmount === 0, "requests sent");
    if (t.server.stats().slowClientsClosed > 0) break;
  }
  await waitFor(() => t.server.stats().slowClientsClosed === 1, "slow client closed");
  sink.ws.resume();
  const closed = await sink.waitClosed();
  // The close frame sits behind unread data, so the client may see it or an abrupt end (1006).
  assert.ok(closed.code === SLOW_CLIENT_CLOSE_CODE || closed.code === 1006, `close code ${closed.code}`);
  assert.ok(t.lines.some((l) => l.level === LEVEL.warn && String(l["reason"]).startsWith("client not reading")));
  assert.ok(okResult(await reader.request(1, { op: "metadata" })));
  await reader.close();
});

test("requestTimeoutMs: a stuck handler is answered TIMEOUT, its signal aborted, and it keeps its slot until it settles", async (tc) => {
  const fakes = fakeHandlers();
  const t = await serve(tc, { handlers: fakes.handlers, limits: { inflightRequestsMax: 1 }, extra: { requestTimeoutMs: 100 } });
  const c = await TestClient.open(t.url);
  const e = await c.request(5, { op: "clusterStatus" });
  assert.ok(!e.ok);
  assert.equal(e.error.code, ErrorCode.TIMEOUT);
  assert.equal(fakes.calls.at(-1)?.aborted, true);
  // The stuck handler still runs: the one slot is taken.
  const busy = await c.request(5, { op: "metadata" });
  assert.equal(busy.ok ? 0 : busy.error.code, ErrorCode.TOO_MANY_REQUESTS);
  fakes.release();
  await waitFor(() => t.server.stats().requestsInflight === 0, "slot freed");
  // Its late result was discarded: the next response to id 5 is the new request's.
  assert.ok(okResult(await c.request(5, { op: "metadata" })));
  assert.equal(c.responses.filter((r) => r.id === 5).length, 3);
  await c.close();
});
