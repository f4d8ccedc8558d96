/** `rlog-cli acl` flags to ACLs and filters, and their usage errors. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { aclFilters, aclsToAdd, type AclFlags } from "../../cli/acl/acl-args.js";
import { CliError } from "../../cli/errors.js";

const flags = (over: Partial<AclFlags>): AclFlags => ({ principal: undefined, topic: undefined, group: undefined, cluster: false, prefixed: false, operation: undefined, deny: false, ...over });

const usage = (fn: () => unknown, message: RegExp): void => {
  assert.throws(fn, (err: unknown) => err instanceof CliError && err.code === "INVALID_ARGUMENT" && message.test(err.message));
};

test("acl add: one ACL per --operation; --prefixed and --deny; the cluster is rlog-cluster", () => {
  assert.deepEqual(aclsToAdd(flags({ principal: "User:alice", topic: "orders", operation: ["read", "describe", "read"] })), [
    { principal: "User:alice", resourceType: "topic", name: "orders", patternType: "literal", operation: "read", permission: "allow" },
    { principal: "User:alice", resourceType: "topic", name: "orders", patternType: "literal", operation: "describe", permission: "allow" },
  ]);
  assert.deepEqual(aclsToAdd(flags({ principal: "User:*", group: "bill", prefixed: true, operation: "all", deny: true })), [
    { principal: "User:*", resourceType: "group", name: "bill", patternType: "prefixed", operation: "all", permission: "deny" },
  ]);
  assert.deepEqual(aclsToAdd(flags({ principal: "User:ops", cluster: true, operation: "alter" }))[0]?.name, "rlog-cluster");
});

test("acl add: usage errors name what is missing or wrong", () => {
  usage(() => aclsToAdd(flags({ topic: "t", operation: "read" })), /--principal is required/);
  usage(() => aclsToAdd(flags({ principal: "alice", topic: "t", operation: "read" })), /--principal: a principal is "User:<name>"/);
  usage(() => aclsToAdd(flags({ principal: "User:a", operation: "read" })), /name a resource/);
  usage(() => aclsToAdd(flags({ principal: "User:a", topic: "t", group: "g", operation: "read" })), /name one resource/);
  usage(() => aclsToAdd(flags({ principal: "User:a", topic: "t" })), /--operation is required/);
  usage(() => aclsToAdd(flags({ principal: "User:a", topic: "t", operation: "fly" })), /--operation: one of read, write/);
  usage(() => aclsToAdd(flags({ principal: "User:a", cluster: true, prefixed: true, operation: "alter" })), /--prefixed does not go with --cluster/);
});

test("acl remove and list: filters of the flags given; remove needs at least one", () => {
  assert.deepEqual(aclFilters(flags({}), false), [{}]);
  usage(() => aclFilters(flags({}), true), /name what to remove/);
  assert.deepEqual(aclFilters(flags({ principal: "User:a" }), true), [{ principal: "User:a" }]);
  assert.deepEqual(aclFilters(flags({ topic: "t", operation: ["read", "write"] }), true), [
    { resourceType: "topic", name: "t", patternType: "literal", operation: "read" },
    { resourceType: "topic", name: "t", patternType: "literal", operation: "write" },
  ]);
  assert.deepEqual(aclFilters(flags({ prefixed: true, deny: true }), true), [{ patternType: "prefixed", permission: "deny" }]);
});
