/** The wire checks of createAcls, deleteAcls and listAcls: every bad field is named, never a crash. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeRequest, encodeRequest } from "../../broker/protocol/frames.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import type { Request } from "../../broker/protocol/ops.js";

const good = { principal: "User:alice", resourceType: "topic", patternType: "literal", name: "orders", operation: "read", permission: "allow" };

function decode(request: Record<string, unknown>) {
  return decodeRequest(encodeRequest(9, request as unknown as Request, 1 << 30), DEFAULT_LIMITS);
}

test("valid ACL requests round-trip; unknown extra fields are dropped", () => {
  const r = decode({ op: "createAcls", acls: [{ ...good, extra: 1 }] });
  assert.ok(r.ok);
  assert.deepEqual(r.request, { op: "createAcls", acls: [good] });
  const d = decode({ op: "deleteAcls", filters: [{}, { principal: "User:*", resourceType: "cluster", name: "rlog-cluster" }] });
  assert.ok(d.ok);
  assert.deepEqual(d.request, { op: "deleteAcls", filters: [{}, { principal: "User:*", resourceType: "cluster", name: "rlog-cluster" }] });
  const l = decode({ op: "listAcls" });
  assert.ok(l.ok);
  assert.deepEqual(l.request, { op: "listAcls" });
});

test("bad ACL fields get INVALID_REQUEST naming the field", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ op: "createAcls", acls: [{ ...good, principal: "alice" }] }, /acls\[0\]\.principal: a principal is "User:<name>"/],
    [{ op: "createAcls", acls: [{ ...good, principal: "User:" }] }, /acls\[0\]\.principal: a principal's name after "User:" has 1 \.\. 1024 characters, got 0/],
    [{ op: "createAcls", acls: [{ ...good, resourceType: "broker" }] }, /acls\[0\]\.resourceType/],
    [{ op: "createAcls", acls: [{ ...good, patternType: "match" }] }, /acls\[0\]\.patternType/],
    [{ op: "createAcls", acls: [{ ...good, operation: "idempotentWrite" }] }, /acls\[0\]\.operation/],
    [{ op: "createAcls", acls: [{ ...good, permission: "maybe" }] }, /acls\[0\]\.permission/],
    [{ op: "createAcls", acls: [{ ...good, name: "" }] }, /acls\[0\]\.name/],
    [{ op: "createAcls", acls: [{ ...good, name: 5 }] }, /acls\[0\]\.name/],
    [{ op: "createAcls", acls: [{ ...good, resourceType: "cluster", name: "prod" }] }, /acls\[0\]\.name: a cluster ACL names rlog-cluster/],
    [{ op: "createAcls", acls: [{ ...good, resourceType: "cluster", name: "rlog-cluster", patternType: "prefixed" }] }, /acls\[0\]\.patternType: a cluster ACL is literal/],
    [{ op: "createAcls", acls: [] }, /acls/],
    [{ op: "createAcls" }, /acls/],
    [{ op: "deleteAcls", filters: [] }, /filters/],
    [{ op: "deleteAcls", filters: ["x"] }, /filters\[0\]: expected a map/],
    [{ op: "deleteAcls", filters: [{ principal: "bob" }] }, /filters\[0\]\.principal/],
    [{ op: "listAcls", filter: { operation: "fly" } }, /filter\.operation/],
    [{ op: "listAcls", filter: 3 }, /filter: expected a map/],
  ];
  for (const [request, message] of cases) {
    const r = decode(request);
    assert.ok(!r.ok, JSON.stringify(request));
    assert.equal(r.error.codeName === "INVALID_REQUEST" || r.error.codeName === "REQUEST_TOO_LARGE", true, r.error.codeName);
    assert.match(r.error.message, message, JSON.stringify(request));
  }
});
