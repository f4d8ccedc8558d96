/**
 * The session's authorization seam over real sockets: every request but the
 * handshake is checked with the connection's principal before dispatch; a
 * refusal is answered AUTHORIZATION_FAILED, never reaches a handler, is
 * logged at info and counted; an ACL change applies to the next request.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../../broker/protocol/errors.js";
import type { Request } from "../../broker/protocol/ops.js";
import { AclSet } from "../../broker/security/acl.js";
import { Authorizer } from "../../broker/security/authorizer.js";
import { batchOf } from "../protocol/batches.js";
import { fakeHandlers, type Fakes } from "./fake-handlers.js";
import { LEVEL, okResult, startServer, tcpHandles, TestClient, waitFor, type TestServer } from "./helpers.js";

let fakes: Fakes;
let t: TestServer;
const acls = new AclSet();

before(async () => {
  fakes = fakeHandlers();
  const authorizer = new Authorizer({ enabled: true, superUsers: ["User:admin"] }, acls);
  t = await startServer({ handlers: fakes.handlers, extra: { authorize: (principal, request) => authorizer.authorize(principal, request) } });
});

after(async () => {
  fakes.release();
  await t.server.close();
  await waitFor(() => tcpHandles() === 0, "all TCP handles closed");
});

const produce: Request = { op: "produce", topic: "orders", partition: 0, batch: batchOf([{ value: new Uint8Array([1]) }]), acks: "all" };

test("a request no ACL allows is refused before its handler; allowing it lets the next one through with the principal; a deny takes it back", async () => {
  const c = await TestClient.open(t.url);
  const callsBefore = fakes.calls.length;
  const refused = await c.request(2, produce);
  assert.ok(!refused.ok);
  assert.equal(refused.error.code, ErrorCode.AUTHORIZATION_FAILED);
  assert.equal(refused.error.retriable, false);
  assert.equal(refused.error.message, "User:ANONYMOUS may not write topic orders");
  assert.equal(fakes.calls.length, callsBefore, "the handler never ran");
  const line = t.lines.find((l) => l.msg === "request refused" && l["id"] === 2);
  assert.ok(line, "logged");
  assert.equal(line.level, LEVEL.info);
  assert.equal(line["principal"], "User:ANONYMOUS");
  assert.equal(line["op"], "produce");
  assert.match(String(line["reason"]), /write topic orders/);
  assert.equal(t.server.stats().authorizationFailures, 1);
  assert.equal(t.server.stats().errorsByCode["AUTHORIZATION_FAILED"], 1);

  acls.add({ principal: "User:ANONYMOUS", resourceType: "topic", patternType: "prefixed", name: "ord", operation: "write", permission: "allow" });
  okResult(await c.request(3, produce));
  const call = fakes.calls[fakes.calls.length - 1];
  assert.equal(call?.op, "produce");
  assert.equal(call?.ctx.principal, "User:ANONYMOUS", "handlers see the session's principal");

  acls.add({ principal: "User:*", resourceType: "topic", patternType: "literal", name: "orders", operation: "all", permission: "deny" });
  const again = await c.request(4, produce);
  assert.ok(!again.ok && again.error.code === ErrorCode.AUTHORIZATION_FAILED);
  assert.equal(t.server.stats().authorizationFailures, 2);
  assert.ok(!c.isClosed, "a refusal keeps the connection");
  await c.close();
});

test("ops that filter instead of refusing (metadata) reach their handler with no ACL at all", async () => {
  const c = await TestClient.open(t.url);
  const r = okResult(await c.request(2, { op: "metadata", topics: ["a"] }));
  assert.ok(Array.isArray(r["topics"]));
  await c.close();
});
