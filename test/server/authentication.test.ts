/**
 * SCRAM-SHA-256 on the client listener (docs/PROTOCOL.md, Authentication),
 * over real sockets: the session's authentication phase against the SDK's
 * connection and against raw frames (a recorded exchange replayed).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CloseCode } from "../../broker/protocol/close-codes.js";
import { ErrorCode, RlogError } from "../../broker/protocol/errors.js";
import { encodeRequest } from "../../broker/protocol/frames.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { scramCredential, saltedPasswordSync, type ScramCredential } from "../../broker/protocol/scram.js";
import { ScramClientExchange } from "../../broker/protocol/scram-client.js";
import { Connection } from "../../client/network/connection.js";
import { ScramLogin } from "../../client/network/scram-login.js";
import { silentLogger } from "../../client/logger.js";
import { fakeHandlers, type Fakes } from "./fake-handlers.js";
import { okResult, startServer, tcpHandles, TestClient, waitFor, type TestServer } from "./helpers.js";

const FAILURE_DELAY_MS = 200;
const users = new Map<string, ScramCredential>();
let fakes: Fakes;
let t: TestServer;
let open: TestServer;

before(async () => {
  users.set("alice", await scramCredential("alice-password", Buffer.alloc(32, 1), 4096));
  fakes = fakeHandlers();
  t = await startServer({
    handlers: fakes.handlers,
    extra: { handshakeWaitMs: 1000, authentication: { mechanism: "scram", failureDelayMs: FAILURE_DELAY_MS, lookupUser: (n) => users.get(n) } },
  });
  open = await startServer({ handlers: fakes.handlers });
});

after(async () => {
  await t.server.close();
  await open.server.close();
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

function connection(url: string, sasl?: { username: string; password: string }): Connection {
  return new Connection({
    url,
    clientId: "auth-test",
    requestTimeoutMs: 5000,
    connectTimeoutMs: 5000,
    inflightRequestsMax: 8,
    queuedRequestsMax: 8,
    frameBytesMax: 1 << 20,
    logger: silentLogger,
    ...(sasl === undefined ? {} : { sasl: new ScramLogin({ mechanism: "scram-sha-256", ...sasl }) }),
  });
}

async function authFailure(p: Promise<unknown>): Promise<RlogError> {
  const err = await p.then(
    () => assert.fail("expected AUTHENTICATION_FAILED"),
    (e: unknown) => e,
  );
  assert.ok(err instanceof RlogError, String(err));
  assert.equal(err.code, ErrorCode.AUTHENTICATION_FAILED, err.message);
  assert.equal(err.retriable, false);
  return err;
}

const bytes = (s: string): Buffer => Buffer.from(s, "utf8");

test("the handshake asks for SCRAM-SHA-256 when it is on, and for nothing when it is off", async () => {
  const c = await TestClient.connect(t.url);
  const r = okResult(await c.request(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "x" }));
  assert.deepEqual(r["authentication"], { mechanisms: ["SCRAM-SHA-256"] });
  await c.close();
  const d = await TestClient.connect(open.url);
  const s = okResult(await d.request(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "x" }));
  assert.deepEqual(s["authentication"], { mechanisms: [] });
  const before = fakes.calls.length;
  okResult(await d.request(2, { op: "metadata" }));
  assert.equal(fakes.calls[before]?.ctx.principal, "User:ANONYMOUS");
  const again = await d.request(3, { op: "authenticate", mechanism: "SCRAM-SHA-256", message: bytes("n,,n=a,r=b") });
  assert.equal(again.ok ? 0 : again.error.code, ErrorCode.INVALID_REQUEST, "authenticate where none is asked for");
  await d.close();
});

test("right password: the SDK logs in, the handler sees User:alice", async () => {
  const conn = connection(t.url, { username: "alice", password: "alice-password" });
  try {
    const before = fakes.calls.length;
    await conn.request({ op: "metadata", topics: ["a"] });
    assert.equal(fakes.calls[before]?.ctx.principal, "User:alice");
  } finally {
    await conn.close();
  }
});

test("a request before authenticating gets AUTHENTICATION_FAILED at once and close 4001; no handler runs", async () => {
  const failures = t.server.stats().authenticationFailures;
  const c = await TestClient.open(t.url);
  const before = fakes.calls.length;
  const r = await c.request(2, { op: "metadata" });
  assert.equal(r.ok ? 0 : r.error.code, ErrorCode.AUTHENTICATION_FAILED);
  assert.match(r.ok ? "" : r.error.message, /authenticate first/);
  assert.equal((await c.waitClosed()).code, CloseCode.AuthenticationFailed);
  assert.equal(fakes.calls.length, before);
  assert.equal(t.server.stats().authenticationFailures, failures + 1);
});

test("no credentials: the SDK refuses to go on with AUTHENTICATION_FAILED", async () => {
  const conn = connection(t.url);
  try {
    const err = await authFailure(conn.request({ op: "metadata" }));
    assert.match(err.message, /requires SCRAM-SHA-256/);
  } finally {
    await conn.close();
  }
});

test("wrong password and unknown user: AUTHENTICATION_FAILED after failureDelayMs, the same message", async () => {
  const messages: string[] = [];
  for (const sasl of [{ username: "alice", password: "not-her-password" }, { username: "nobody", password: "whatever" }]) {
    const conn = connection(t.url, sasl);
    const started = performance.now();
    try {
      messages.push((await authFailure(conn.request({ op: "metadata" }))).message);
    } finally {
      await conn.close();
    }
    assert.ok(performance.now() - started >= FAILURE_DELAY_MS - 20, "the answer is delayed");
  }
  assert.equal(messages[0], messages[1]);
  assert.match(messages[0] ?? "", /unknown user or wrong password/);
});

test("a recorded exchange replayed on a new connection fails at client-final", async () => {
  // Record the client's frames of one successful exchange.
  const frames: Uint8Array[] = [];
  const c = await TestClient.open(t.url);
  const exchange = new ScramClientExchange("alice", "recordedClientNonce");
  frames.push(encodeRequest(2, { op: "authenticate", mechanism: "SCRAM-SHA-256", message: exchange.first() }, 1 << 20));
  const first = c.response(2);
  c.send(frames[0] as Uint8Array);
  const params = exchange.onServerFirst(okResult(await first)["message"] as Uint8Array);
  assert.ok(params.ok);
  frames.push(encodeRequest(3, { op: "authenticate", mechanism: "SCRAM-SHA-256", message: exchange.final(saltedPasswordSync("alice-password", params.value.salt, params.value.iterations)) }, 1 << 20));
  const final = c.response(3);
  c.send(frames[1] as Uint8Array);
  assert.equal(okResult(await final)["principal"], "User:alice");
  await c.close();

  // Replay them byte for byte.
  const r = await TestClient.open(t.url);
  const replayFirst = r.response(2);
  r.send(frames[0] as Uint8Array);
  okResult(await replayFirst); // a new server nonce
  const replayFinal = r.response(3);
  r.send(frames[1] as Uint8Array);
  const answer = await replayFinal;
  assert.equal(answer.ok ? 0 : answer.error.code, ErrorCode.AUTHENTICATION_FAILED);
  assert.equal((await r.waitClosed()).code, CloseCode.AuthenticationFailed);
});

test("a bad authenticate request fails the authentication (after the delay) and closes 4001", async () => {
  const c = await TestClient.open(t.url);
  const r = await c.request(2, { op: "authenticate", mechanism: "PLAIN" as "SCRAM-SHA-256", message: bytes("\u0000user\u0000pw") });
  assert.equal(r.ok ? 0 : r.error.code, ErrorCode.AUTHENTICATION_FAILED);
  assert.match(r.ok ? "" : r.error.message, /mechanism/);
  assert.equal((await c.waitClosed()).code, CloseCode.AuthenticationFailed);
  const d = await TestClient.open(t.url);
  const s = await d.request(2, { op: "authenticate", mechanism: "SCRAM-SHA-256", message: bytes("p=tls-unique,,n=alice,r=abc") });
  assert.match(s.ok ? "" : s.error.message, /channel binding/);
  assert.equal((await d.waitClosed()).code, CloseCode.AuthenticationFailed);
});

test("no authentication within handshakeWaitMs: close 4001", async () => {
  const c = await TestClient.open(t.url);
  const closed = await c.waitClosed(3000);
  assert.equal(closed.code, CloseCode.AuthenticationFailed);
  assert.match(closed.reason, /no authentication within/);
});

test("the SDK refuses a broker that cannot prove it knows the user's key", async () => {
  const real = users.get("alice") as ScramCredential;
  const impostor = await startServer({
    handlers: fakes.handlers,
    extra: { authentication: { mechanism: "scram", failureDelayMs: 0, lookupUser: (n) => (n === "alice" ? { ...real, serverKey: Buffer.alloc(32, 7) } : undefined) } },
  });
  const conn = connection(impostor.url, { username: "alice", password: "alice-password" });
  try {
    const err = await authFailure(conn.request({ op: "metadata" }));
    assert.match(err.message, /signature is wrong/);
  } finally {
    await conn.close();
    await impostor.server.close();
  }
});

test("the SDK's login never shows its password in JSON or console output", async () => {
  const { inspect } = await import("node:util");
  const login = new ScramLogin({ mechanism: "scram-sha-256", username: "alice", password: "alice-password" });
  assert.doesNotMatch(JSON.stringify({ sasl: login }), /alice-password/);
  assert.doesNotMatch(inspect({ sasl: login }, { depth: 5 }), /alice-password/);
  assert.throws(() => new ScramLogin({ mechanism: "scram-sha-256", username: "", password: "x" }), /sasl\.username/);
  assert.throws(() => new ScramLogin({ mechanism: "plain" as "scram-sha-256", username: "a", password: "x" }), /sasl\.mechanism/);
  assert.throws(() => new ScramLogin({ mechanism: "scram-sha-256", username: "a", password: "" }), /sasl\.password/);
});
