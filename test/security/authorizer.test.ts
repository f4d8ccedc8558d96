/**
 * The authorizer over an ACL set, and the op table: authorization off and
 * super users allow everything; the error names principal, operation and
 * resource; "or" and "and" clauses; every op has a requirement, and
 * docs/SECURITY.md has a row for every op.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../../config/index.js";
import type { Acl } from "../../broker/protocol/acls.js";
import { ErrorCode } from "../../broker/protocol/errors.js";
import { OPS, type Request } from "../../broker/protocol/ops.js";
import { AclSet } from "../../broker/security/acl.js";
import { Authorizer } from "../../broker/security/authorizer.js";
import { OP_PERMISSIONS, requirementOf } from "../../broker/security/op-permissions.js";
import { SAMPLE_REQUESTS } from "../protocol/samples.js";

const allow = (over: Partial<Acl>): Acl => ({ principal: "User:alice", resourceType: "topic", patternType: "literal", name: "orders", operation: "read", permission: "allow", ...over });

function authorizer(acls: readonly Acl[], settings: { enabled?: boolean; superUsers?: string[] } = {}): Authorizer {
  const s = new AclSet();
  for (const a of acls) s.add(a);
  return new Authorizer({ enabled: settings.enabled ?? true, superUsers: settings.superUsers ?? [] }, s);
}

const produce: Request = { op: "produce", topic: "orders", partition: 0, batch: new Uint8Array(0), acks: "all" };

test("every request is allowed with authorization off, and for a super user; nothing else is allowed by default", () => {
  const deny = [allow({ principal: "User:*", name: "*", operation: "all", permission: "deny" }), allow({ principal: "User:*", resourceType: "cluster", name: "*", operation: "all", permission: "deny" }), allow({ principal: "User:*", resourceType: "group", name: "*", operation: "all", permission: "deny" })];
  const off = authorizer(deny, { enabled: false });
  const sup = authorizer(deny, { superUsers: ["User:admin"] });
  const plain = authorizer([]);
  for (const op of OPS) {
    const request = SAMPLE_REQUESTS[op] as Request;
    assert.equal(off.authorize("User:alice", request), undefined, `off: ${op}`);
    assert.equal(sup.authorize("User:admin", request), undefined, `super user, even against denies: ${op}`);
    const needsSomething = requirementOf(request).length > 0;
    assert.equal(plain.authorize("User:alice", request) !== undefined, needsSomething, `no ACLs: ${op}`);
  }
  assert.ok(off.allowed("User:x", "cluster", "rlog-cluster", "alter"));
  assert.ok(sup.allowed("User:admin", "topic", "t", "delete"));
  assert.ok(!sup.allowed("User:alice", "topic", "t", "describe"));
});

test("a refusal is AUTHORIZATION_FAILED (44, not retriable) naming principal, operation and resource", () => {
  const err = authorizer([]).authorize("User:bob", produce);
  assert.ok(err);
  assert.equal(err.code, ErrorCode.AUTHORIZATION_FAILED);
  assert.equal(err.code, 44);
  assert.equal(err.retriable, false);
  assert.equal(err.message, "User:bob may not write topic orders");
  const create = authorizer([]).authorize("User:bob", { op: "createTopic", name: "orders", partitions: 1, replicationFactor: 1 });
  assert.equal(create?.message, "User:bob may not create topic orders nor create cluster rlog-cluster");
  const pid = authorizer([]).authorize("User:bob", { op: "initProducerId" });
  assert.equal(pid?.message, "User:bob may not write cluster rlog-cluster nor write any topic");
});

test("createTopic: create on the topic or on the cluster; commitOffsets: read on the group and on every topic", () => {
  const create: Request = { op: "createTopic", name: "orders", partitions: 1, replicationFactor: 1 };
  assert.equal(authorizer([allow({ operation: "create" })]).authorize("User:alice", create), undefined);
  assert.equal(authorizer([allow({ operation: "create", patternType: "prefixed", name: "ord" })]).authorize("User:alice", create), undefined);
  assert.equal(authorizer([allow({ resourceType: "cluster", name: "rlog-cluster", operation: "create" })]).authorize("User:alice", create), undefined);
  assert.ok(authorizer([allow({ operation: "create", name: "other" })]).authorize("User:alice", create));
  assert.ok(authorizer([allow({ resourceType: "cluster", name: "rlog-cluster", operation: "create" }), allow({ operation: "create", permission: "deny" })]).authorize("User:alice", create) === undefined, "either alternative is enough");

  const commit: Request = { op: "commitOffsets", group: "billing", offsets: [{ topic: "orders", partition: 0, offset: 1 }, { topic: "payments", partition: 0, offset: 1 }] };
  const group = allow({ resourceType: "group", name: "billing" });
  assert.equal(authorizer([group, allow({}), allow({ name: "payments" })]).authorize("User:alice", commit), undefined);
  assert.equal(authorizer([group, allow({})]).authorize("User:alice", commit)?.message, "User:alice may not read topic payments");
  assert.equal(authorizer([allow({}), allow({ name: "payments" })]).authorize("User:alice", commit)?.message, "User:alice may not read group billing");
});

test("fetch of an internal topic needs read on it like any other", () => {
  const fetch: Request = { op: "fetch", topic: "__consumer_offsets", partition: 0, offset: 0, maxBytes: 1024, maxWaitMs: 0 };
  assert.ok(authorizer([allow({ name: "*", patternType: "prefixed" })]).authorize("User:alice", fetch), "a prefix \"*\" is not every topic");
  assert.equal(authorizer([allow({ name: "__consumer_offsets" })]).authorize("User:alice", fetch), undefined);
  assert.equal(authorizer([allow({ name: "*" })]).authorize("User:alice", fetch), undefined);
});

test("the op table has an entry for every op, each requirement names only known resource types, and docs/SECURITY.md has a row per op", () => {
  const doc = readFileSync(join(packageRoot(), "docs", "SECURITY.md"), "utf8");
  const section = doc.slice(doc.indexOf("### What each operation needs"));
  for (const op of OPS) {
    assert.equal(typeof OP_PERMISSIONS[op], "function", op);
    const requirement = requirementOf(SAMPLE_REQUESTS[op] as Request);
    for (const clause of requirement) {
      assert.ok(clause.length > 0, `${op}: an empty clause would allow everything`);
      for (const check of clause) assert.ok(["topic", "group", "cluster"].includes(check.resourceType), op);
    }
    assert.match(section, new RegExp(`^\\| [^|]*\`${op}\``, "m"), `docs/SECURITY.md: no row for ${op}`);
  }
  assert.equal(Object.keys(OP_PERMISSIONS).length, OPS.length, "no entry for an op that does not exist");
});
