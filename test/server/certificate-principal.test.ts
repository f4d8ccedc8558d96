/**
 * The session's hook for TLS client certificates: with SessionDeps
 * `certificatePrincipal` set (the listener does so for a verified client
 * certificate), a connection to a broker that requires SCRAM counts as
 * authenticated as that principal: the handshake asks for nothing and
 * handlers see the certificate's principal. Sessions over real sockets, made
 * directly (the listener that fills the field is the TLS work's).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { WebSocketServer } from "ws";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { PROTOCOL_VERSION } from "../../broker/protocol/version.js";
import { resolveSettings } from "../../broker/server/server-options.js";
import { ServerCounters } from "../../broker/server/server-stats.js";
import { ClientSession } from "../../broker/server/session.js";
import { ResponseBudget } from "../../broker/server/response-budget.js";
import { fakeHandlers } from "./fake-handlers.js";
import { captureLogger, okResult, TestClient } from "./helpers.js";

const fakes = fakeHandlers();
const settings = resolveSettings({
  host: "127.0.0.1",
  port: 0,
  brokerId: 7,
  limits: DEFAULT_LIMITS,
  handlers: fakes.handlers,
  logger: captureLogger().logger,
  closeWaitMs: 300,
  authentication: { mechanism: "scram", failureDelayMs: 0, lookupUser: () => undefined },
});
const budget = new ResponseBudget(settings.limits);
const sessions: ClientSession[] = [];

/** A ws server whose connections become sessions with the given certificate principal. */
async function listen(certificatePrincipal: string | undefined): Promise<{ url: string; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise((resolve) => wss.once("listening", resolve));
  wss.on("connection", (ws) => {
    sessions.push(
      new ClientSession({
        connectionId: sessions.length + 1,
        ws,
        log: captureLogger().logger,
        settings,
        counters: new ServerCounters(),
        onClosed: () => undefined,
        responseBudget: budget,
        ...(certificatePrincipal === undefined ? {} : { certificatePrincipal }),
      }),
    );
  });
  const address = wss.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return { url: `ws://127.0.0.1:${port}`, close: () => new Promise((resolve) => wss.close(() => resolve())) };
}

after(async () => {
  await Promise.all(sessions.map((s) => s.close(1001, "test done")));
  budget.stop();
});

test("a certificate principal authenticates the connection without SCRAM", async () => {
  const server = await listen("User:CN=orders-service");
  const c = await TestClient.connect(server.url);
  const hs = okResult(await c.request(1, { op: "handshake", version: PROTOCOL_VERSION, clientId: "x" }));
  assert.deepEqual(hs["authentication"], { mechanisms: [] });
  const before = fakes.calls.length;
  okResult(await c.request(2, { op: "metadata" }));
  assert.equal(fakes.calls[before]?.ctx.principal, "User:CN=orders-service");
  const again = await c.request(3, { op: "authenticate", mechanism: "SCRAM-SHA-256", message: Buffer.from("n,,n=a,r=b") });
  assert.equal(again.ok ? 0 : again.error.code, ErrorCode.INVALID_REQUEST);
  assert.match(again.ok ? "" : again.error.message, /already authenticated as User:CN=orders-service/);
  await c.close();
  await server.close();
});

test("without one, the same settings demand SCRAM first", async () => {
  const server = await listen(undefined);
  const c = await TestClient.open(server.url);
  const r = await c.request(2, { op: "metadata" });
  assert.equal(r.ok ? 0 : r.error.code, ErrorCode.AUTHENTICATION_FAILED);
  await c.waitClosed();
  await server.close();
});
