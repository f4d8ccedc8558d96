/**
 * The client listener against clients that are not welcome or not polite,
 * over real sockets: browser Origins (allowedOrigins), the per-address cap
 * (connectionsPerAddressMax), the idle timeout (connectionIdleMs), and the
 * SDK's connection coming back after an idle close.
 */
import { after, test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import { WebSocket } from "ws";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { decodeResponse, encodeRequest } from "../../broker/protocol/frames.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { silentLogger } from "../../client/logger.js";
import { Connection } from "../../client/network/connection.js";
import type { OpHandlers } from "../../broker/server/handlers.js";
import { fakeHandlers } from "./fake-handlers.js";
import { LEVEL, okResult, startServer, tcpHandles, TestClient, waitFor, sleep, type TestServer } from "./helpers.js";

async function serve(tc: TestContext, options: Parameters<typeof startServer>[0]): Promise<TestServer> {
  const t = await startServer(options);
  tc.after(() => t.server.close());
  return t;
}

after(async () => {
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

/** How an upgrade attempt ended: opened (then closed by us), or the HTTP status it was refused with. */
async function tryUpgrade(url: string, options: { origin?: string; localAddress?: string }): Promise<{ opened: true; ws: WebSocket } | { opened: false; status: number }> {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...options });
  return new Promise((resolve, reject) => {
    ws.once("open", () => resolve({ opened: true, ws }));
    ws.once("unexpected-response", (_req, res) => {
      res.resume();
      resolve({ opened: false, status: res.statusCode ?? 0 });
      ws.terminate();
    });
    ws.once("error", (err) => reject(err));
  });
}

/** Handshake on an open ws and wait for the answer (or the id-0 refusal and close). */
async function handshake(ws: WebSocket): Promise<{ ok: boolean; code?: number; closeCode?: number }> {
  return new Promise((resolve) => {
    let answer: { ok: boolean; code?: number } | undefined;
    ws.on("message", (data: Buffer) => {
      const r = decodeResponse(data, 1 << 30);
      answer = r.ok ? { ok: true } : { ok: false, code: r.error.code };
      if (r.ok) resolve(answer);
    });
    ws.once("close", (closeCode) => resolve({ ...(answer ?? { ok: false }), closeCode }));
    ws.send(encodeRequest(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "hostile-test" }));
  });
}

async function closeWs(ws: WebSocket): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return;
  const closed = new Promise((r) => ws.once("close", r));
  ws.close();
  const timer = setTimeout(() => ws.terminate(), 1000);
  await closed;
  clearTimeout(timer);
}

test("allowedOrigins: an unlisted Origin gets 403 before any frame, a listed one and no Origin are served", async (tc) => {
  const t = await serve(tc, { handlers: fakeHandlers().handlers, extra: { allowedOrigins: ["https://app.example.com"] } });
  const evil = await tryUpgrade(t.url, { origin: "https://evil.example.com" });
  assert.deepEqual(evil, { opened: false, status: 403 });
  const nullOrigin = await tryUpgrade(t.url, { origin: "null" });
  assert.deepEqual(nullOrigin, { opened: false, status: 403 }, "file:// pages and sandboxed frames send Origin: null");
  for (const origin of ["https://app.example.com", undefined]) {
    const r = await tryUpgrade(t.url, origin === undefined ? {} : { origin });
    assert.ok(r.opened, `origin ${origin ?? "(none)"} opens`);
    assert.equal((await handshake(r.ws)).ok, true);
    await closeWs(r.ws);
  }
  const stats = t.server.stats();
  assert.equal(stats.originsRefused, 2);
  assert.equal(stats.connectionsAccepted, 2, "refused upgrades never became connections");
  const logged = t.lines.filter((l) => l.level === LEVEL.info && l.msg.includes("Origin not in allowedOrigins"));
  assert.deepEqual(logged.map((l) => l["origin"]), ["https://evil.example.com", "null"]);
});

test("allowedOrigins: empty by default refuses every browser; \"*\" allows any Origin", async (tc) => {
  const closed = await serve(tc, { handlers: fakeHandlers().handlers });
  assert.deepEqual(await tryUpgrade(closed.url, { origin: "http://localhost:3000" }), { opened: false, status: 403 });
  const open = await serve(tc, { handlers: fakeHandlers().handlers, extra: { allowedOrigins: ["*"] } });
  const r = await tryUpgrade(open.url, { origin: "https://anything.example" });
  assert.ok(r.opened);
  await closeWs(r.ws);
});

test("connectionsPerAddressMax: the next connection from that address gets TOO_MANY_CONNECTIONS and 4004; other addresses are served", async (tc) => {
  const t = await serve(tc, { handlers: fakeHandlers().handlers, limits: { connectionsPerAddressMax: 2 } });
  const first = await TestClient.open(t.url);
  const second = await TestClient.open(t.url);
  const third = await tryUpgrade(t.url, { localAddress: "127.0.0.1" });
  assert.ok(third.opened, "the upgrade completes; the refusal is a frame and a close");
  const refused = await handshake(third.ws);
  assert.equal(refused.closeCode, CloseCode.TooManyConnections);
  if (refused.code !== undefined) assert.equal(refused.code, ErrorCode.TOO_MANY_CONNECTIONS);
  // The whole 127/8 is loopback on Linux: another source address has its own count.
  const elsewhere = await tryUpgrade(t.url, { localAddress: "127.0.0.2" });
  assert.ok(elsewhere.opened);
  assert.equal((await handshake(elsewhere.ws)).ok, true);
  assert.equal(t.server.stats().addressLimitRefused, 1);
  // A slot of 127.0.0.1 frees when one of its connections closes.
  await first.close();
  await waitFor(() => t.server.stats().connections === 2, "first connection gone");
  const again = await TestClient.open(t.url);
  assert.ok(okResult(await again.request(2, { op: "metadata" })));
  await Promise.all([second.close(), again.close(), closeWs(elsewhere.ws)]);
});

test("connectionIdleMs: an idle connection is closed 4009; requests and a long poll in flight keep it open", async (tc) => {
  const t = await serve(tc, { handlers: fakeHandlers().handlers, limits: { connectionIdleMs: 300 } });
  const idle = await TestClient.open(t.url);
  const busy = await TestClient.open(t.url);
  const polling = await TestClient.open(t.url);
  const started = performance.now();
  // A long poll of 900 ms: three idle periods with a request in flight and no frame.
  const poll = polling.request(2, { op: "fetch", topic: "t", partition: 0, offset: 0, maxBytes: 16, maxWaitMs: 900 });
  let id = 10;
  while (performance.now() - started < 800) {
    assert.ok(okResult(await busy.request(id++, { op: "metadata" })));
    await sleep(100);
  }
  // `busy` goes on asking every 100 ms until the end of the test.
  const ticker = setInterval(() => void busy.request(id++, { op: "metadata" }).catch(() => undefined), 100);
  tc.after(() => clearInterval(ticker));
  const closed = await idle.waitClosed(2000);
  assert.equal(closed.code, CloseCode.IdleTimeout);
  assert.ok(!busy.isClosed, "a connection with a request every 100 ms is not idle");
  assert.ok(okResult(await poll), "the long poll was answered, not cut");
  assert.ok(performance.now() - started >= 850);
  // Once its poll is answered, the polling connection is idle too.
  assert.equal((await polling.waitClosed(2000)).code, CloseCode.IdleTimeout);
  assert.equal(t.server.stats().connectionsIdleClosed, 2);
  assert.ok(!busy.isClosed);
  assert.ok(t.lines.some((l) => l.level === LEVEL.info && l["closeCode"] === CloseCode.IdleTimeout));
  clearInterval(ticker);
  await busy.close();
});

test("the SDK connection reconnects on its next request after the broker closed it as idle", async (tc) => {
  const t = await serve(tc, { handlers: fakeHandlers().handlers, limits: { connectionIdleMs: 200 } });
  const conn = new Connection({
    url: t.url,
    clientId: "idle-sdk",
    requestTimeoutMs: 2000,
    connectTimeoutMs: 2000,
    inflightRequestsMax: 16,
    queuedRequestsMax: 100,
    frameBytesMax: 1 << 26,
    logger: silentLogger,
  });
  try {
    const first = await conn.request<"metadata">({ op: "metadata", topics: ["a"] });
    assert.equal(first.topics[0]?.name, "a");
    await waitFor(() => t.server.stats().connectionsIdleClosed === 1, "broker closed the idle connection", 3000);
    await waitFor(() => !conn.isReady, "client saw the close");
    const second = await conn.request<"metadata">({ op: "metadata", topics: ["b"] });
    assert.equal(second.topics[0]?.name, "b");
    assert.equal(t.server.stats().connectionsAccepted, 2, "a new connection was opened for the second request");
  } finally {
    await conn.close();
  }
});

test("a client that does not read its responses is not read either once over its response budget; nothing is lost when it reads again", async (tc) => {
  const fakes = fakeHandlers();
  const frameBytesMax = 64 * 1024;
  const t = await serve(tc, {
    handlers: fakes.handlers,
    limits: { frameBytesMax, fetchBytesMax: frameBytesMax / 2, batchBytesMax: frameBytesMax / 2, connectionResponseBytesMax: 2 * frameBytesMax, inflightRequestsMax: 16 },
    extra: { sendBufferBytesMax: 1 << 30 },
  });
  const sink = await TestClient.open(t.url);
  sink.ws.pause();
  // 30 KiB answers: the kernel buffers take a few MiB, then the broker holds unsent bytes and stops reading.
  let id = 100;
  const send = (n: number): void => {
    for (let i = 0; i < n; i++) sink.send(encodeRequest(id++, { op: "fetch", topic: "t", partition: 0, offset: 0, maxBytes: 30 * 1024, maxWaitMs: 0 }));
  };
  let calls = -1;
  for (let round = 0; round < 200 && fakes.calls.length !== calls; round++) {
    calls = fakes.calls.length;
    send(200);
    await sleep(50);
  }
  assert.ok(calls > 0 && fakes.calls.length === calls, `the broker stopped reading after ${calls} requests`);
  // Frames ws had already read when the socket paused are still handled: at most inflightRequestsMax
  // handlers (these fakes answer 30 KiB without reserving, like a metadata answer) and small refusals.
  const held = t.server.stats().responseBytesHeld;
  assert.ok(held > 0 && held <= 2 * frameBytesMax + 16 * 31 * 1024 + 256 * 1024, `held ${held} bytes`);
  send(500);
  await sleep(200);
  assert.equal(fakes.calls.length, calls, "still not read");
  // Reading again: every request is answered once (a result, or TOO_MANY_REQUESTS past the 16 in flight).
  const sent = id - 100;
  sink.ws.resume();
  await waitFor(() => sink.responses.length >= sent + 1, `all ${sent} answers`, 20_000);
  assert.equal(new Set(sink.responses.slice(1).map((r) => r.id)).size, sent);
  assert.ok(sink.responses.slice(1).every((r) => r.ok || r.error.codeName === "TOO_MANY_REQUESTS"));
  assert.equal(t.server.stats().slowClientsClosed, 0);
  await waitFor(() => t.server.stats().responseBytesHeld === 0, "nothing held once written");
  await sink.close();
});

test("request frames count while their handlers run: a client whose produces pile up is not read past its budget", async (tc) => {
  const frameBytesMax = 64 * 1024;
  const pending: (() => void)[] = [];
  const handlers: OpHandlers = {
    produce: () => new Promise((resolve) => pending.push(() => resolve({ baseOffset: 0, count: 1, logAppendTimeMs: 0 }))),
  };
  const t = await serve(tc, {
    handlers,
    limits: { frameBytesMax, fetchBytesMax: frameBytesMax / 2, batchBytesMax: frameBytesMax / 2, connectionResponseBytesMax: 2 * frameBytesMax, inflightRequestsMax: 10_000 },
  });
  const producer = await TestClient.open(t.url);
  let id = 100;
  // 30 KiB frames, 100 at a time: without the budget all 100 would run.
  for (let i = 0; i < 100; i++) producer.send(encodeRequest(id++, { op: "produce", topic: "t", partition: 0, acks: "leader", batch: new Uint8Array(30 * 1024) }));
  await waitFor(() => pending.length > 0, "produces running");
  await sleep(300);
  const running = pending.length;
  // The budget (128 KiB) is reached after 5 frames; a frame or two more may already sit in ws's read buffer.
  assert.ok(running >= 4 && running <= 8, `${running} produces running`);
  assert.ok(t.server.stats().responseBytesHeld <= 2 * frameBytesMax + 3 * 31 * 1024);
  // As handlers settle, reading resumes: every request runs and is answered.
  const deadline = Date.now() + 10_000;
  while (producer.responses.length < 101 && Date.now() < deadline) {
    for (const done of pending.splice(0)) done();
    await sleep(10);
  }
  assert.equal(producer.responses.length, 101);
  assert.ok(producer.responses.every((r) => r.ok));
  await waitFor(() => t.server.stats().responseBytesHeld === 0, "nothing held");
  await producer.close();
});
