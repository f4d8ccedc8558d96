/** The client listener's handshake rules (docs/PROTOCOL.md, Handshake). */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { encodeRequest } from "../../broker/protocol/frames.js";
import { PROTOCOL_VERSION, PROTOCOL_VERSION_MIN } from "../../broker/protocol/version.js";
import { fakeHandlers, type Fakes } from "./fake-handlers.js";
import { startServer, tcpHandles, TestClient, waitFor, type TestServer } from "./helpers.js";

let fakes: Fakes;
let t: TestServer;

before(async () => {
  fakes = fakeHandlers();
  t = await startServer({ handlers: fakes.handlers, limits: { frameBytesMax: 1 << 20 }, extra: { handshakeWaitMs: 150 } });
});

after(async () => {
  await t.server.close();
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

test("handshake is answered by the listener with brokerId, version and the limits in force", async () => {
  const c = await TestClient.connect(t.url);
  const r = await c.request(5, { op: "handshake", version: PROTOCOL_VERSION, clientId: "orders-service" });
  assert.ok(r.ok);
  assert.equal(r.id, 5);
  assert.equal(r.result["brokerId"], 7);
  assert.equal(r.result["version"], PROTOCOL_VERSION);
  assert.deepEqual(r.result["limits"], t.limits);
  // The connection is now open for requests, and the handler sees the client id.
  const m = await c.request(6, { op: "metadata", topics: ["a"] });
  assert.ok(m.ok);
  assert.equal(fakes.calls.at(-1)?.ctx.clientId, "orders-service");
  await c.close();
});

test("a request before the handshake gets INVALID_REQUEST with id 0, close 4000, and no handler call", async () => {
  const before = fakes.calls.length;
  const c = await TestClient.connect(t.url);
  const r = c.response(0);
  c.send(encodeRequest(3, { op: "metadata" }));
  const e = await r;
  assert.ok(!e.ok);
  assert.equal(e.error.code, ErrorCode.INVALID_REQUEST);
  assert.match(e.error.message, /first request must be handshake/);
  assert.equal((await c.waitClosed()).code, CloseCode.BadFrame);
  assert.equal(fakes.calls.length, before);
});

test("an unsupported version gets UNSUPPORTED_VERSION with the supported range, then close 4003", async () => {
  for (const version of [PROTOCOL_VERSION + 1, PROTOCOL_VERSION_MIN - 1]) {
    const c = await TestClient.connect(t.url);
    const e = await c.request(9, { op: "handshake", version, clientId: "future" });
    assert.ok(!e.ok);
    assert.equal(e.id, 9);
    assert.equal(e.error.code, ErrorCode.UNSUPPORTED_VERSION);
    assert.deepEqual(e.error.details, { versionMin: PROTOCOL_VERSION_MIN, versionMax: PROTOCOL_VERSION });
    assert.equal((await c.waitClosed()).code, CloseCode.UnsupportedVersion);
  }
});

test("a malformed first frame gets INVALID_REQUEST with id 0 naming the problem, then close 4000", async () => {
  const c = await TestClient.connect(t.url);
  const r = c.response(0);
  c.send(encodeRequest(1, { op: "handshake", version: 1, clientId: 42 } as never));
  const e = await r;
  assert.ok(!e.ok);
  assert.equal(e.error.code, ErrorCode.INVALID_REQUEST);
  assert.equal(e.error.details?.field, "clientId");
  assert.equal((await c.waitClosed()).code, CloseCode.BadFrame);

  const g = await TestClient.connect(t.url);
  const r2 = g.response(0);
  g.send(new Uint8Array([0xc1, 0xff, 0x00]));
  assert.equal((await r2).ok, false);
  assert.equal((await g.waitClosed()).code, CloseCode.BadFrame);
});

test("no handshake within handshakeWaitMs: close 4002", async () => {
  const c = await TestClient.connect(t.url);
  const started = Date.now();
  const closed = await c.waitClosed();
  assert.equal(closed.code, CloseCode.HandshakeTimeout);
  assert.ok(Date.now() - started >= 100, "closed too early");
  assert.ok(t.lines.some((l) => l.msg === "closing connection" && l["closeCode"] === CloseCode.HandshakeTimeout));
});

test("a second handshake is answered INVALID_REQUEST and the connection stays open", async () => {
  const c = await TestClient.open(t.url);
  const e = await c.request(2, { op: "handshake", version: PROTOCOL_VERSION, clientId: "again" });
  assert.ok(!e.ok);
  assert.equal(e.error.code, ErrorCode.INVALID_REQUEST);
  assert.ok((await c.request(3, { op: "metadata" })).ok);
  await c.close();
});

test("a plain HTTP request gets 426, not a crash", async () => {
  const res = await fetch(t.url.replace("ws:", "http:"));
  assert.equal(res.status, 426);
  await res.text();
});
