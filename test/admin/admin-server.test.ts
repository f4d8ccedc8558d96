import { test } from "node:test";
import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { pino } from "pino";
import { AdminServer, jsonResponse } from "../../broker/admin/admin-server.js";

/** Send raw bytes on a new connection; resolve with everything received until the server closes it or `waitMs` passes. */
function raw(port: number, text: string, waitMs = 2_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, "127.0.0.1", () => socket.write(text));
    let got = "";
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(got);
    }, waitMs);
    socket.on("data", (b) => (got += b.toString("utf8")));
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(got);
    });
    socket.on("error", reject);
  });
}

async function withServer(connectionsMax: number, run: (port: number) => Promise<void>): Promise<void> {
  const server = new AdminServer({
    host: "127.0.0.1",
    port: 0,
    connectionsMax,
    idleMs: 1_000,
    logger: pino({ level: "silent" }),
    routes: new Map([["/health", () => jsonResponse(200, { status: "ok" })], ["/boom", () => { throw new Error("bug"); }]]),
  });
  const { port } = await server.start();
  try {
    await run(port);
  } finally {
    await server.close();
  }
}

test("routes, 404 with the known paths, 405 with Allow, 413 for a body, 500 for a route that throws", async () => {
  await withServer(8, async (port) => {
    assert.match(await raw(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 200 OK\r\n[\s\S]*\r\n\r\n\{"status":"ok"\}\n$/);
    assert.match(await raw(port, "GET /nope?x=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 404 [\s\S]*"error":"NOT_FOUND","message":"no such path: \/nope","paths":\["\/health","\/boom"\]/);
    const del = await raw(port, "DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n");
    assert.match(del, /^HTTP\/1\.1 405 [\s\S]*allow: GET, HEAD\r\n[\s\S]*"METHOD_NOT_ALLOWED"/i);
    // A body is never read: 413, and the connection is closed even without "Connection: close".
    const body = await raw(port, "GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello");
    assert.match(body, /^HTTP\/1\.1 413 [\s\S]*"BODY_NOT_ALLOWED"/);
    assert.match(await raw(port, "GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 500 [\s\S]*"INTERNAL_ERROR"/);
    const head = await raw(port, "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n[\s\S]*content-length: 16\r\n[\s\S]*\r\n\r\n$/i);
  });
});

test("connections past adminConnectionsMax are closed at once; garbage gets no crash", async () => {
  await withServer(1, async (port) => {
    const held: Socket = connect(port, "127.0.0.1");
    await new Promise((r) => held.once("connect", r));
    await new Promise((r) => setTimeout(r, 50)); // let the server count it
    assert.equal(await raw(port, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"), "", "the second connection is closed unanswered");
    held.destroy();
    await new Promise((r) => setTimeout(r, 50));
    assert.match(await raw(port, "\x00\x01 not http\r\n\r\n"), /^(HTTP\/1\.1 400|)/);
    assert.match(await raw(port, "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"), /^HTTP\/1\.1 200 /);
  });
});
