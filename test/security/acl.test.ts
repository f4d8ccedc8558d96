/**
 * The ACL set's matching rules (broker/security/acl.ts): deny wins, literal,
 * wildcard and prefixed names, the wildcard principal, "all", Kafka's
 * implied describe, removal by filter, and a seeded comparison of the
 * indexed (and cached) decision with a plain scan over every ACL.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { ACL_OPERATIONS, PATTERN_TYPES, PERMISSIONS, RESOURCE_TYPES, aclMatchesFilter, type Acl, type Operation, type ResourceType } from "../../broker/protocol/acls.js";
import { SeededRandom } from "../../broker/raft/random.js";
import { AclSet, operationCovers, patternMatches } from "../../broker/security/acl.js";

const acl = (over: Partial<Acl>): Acl => ({ principal: "User:alice", resourceType: "topic", patternType: "literal", name: "orders", operation: "read", permission: "allow", ...over });

const set = (...acls: Acl[]): AclSet => {
  const s = new AclSet();
  for (const a of acls) s.add(a);
  return s;
};

const OPERATIONS: readonly Operation[] = ["read", "write", "create", "delete", "describe", "alter"];

test("nothing applies: refused (no ACL allows by default)", () => {
  const s = set();
  for (const op of OPERATIONS) assert.equal(s.decide("User:alice", "topic", "orders", op), "none");
  assert.equal(set(acl({ principal: "User:bob" })).decide("User:alice", "topic", "orders", "read"), "none", "another principal's ACL");
  assert.equal(set(acl({ resourceType: "group" })).decide("User:alice", "topic", "orders", "read"), "none", "another resource type");
  assert.equal(set(acl({ name: "orders2" })).decide("User:alice", "topic", "orders", "read"), "none", "another literal name");
  assert.equal(set(acl({ operation: "write" })).decide("User:alice", "topic", "orders", "read"), "none", "another operation");
});

test("deny wins over allow, whichever matches more exactly and whichever came first", () => {
  const cases: Acl[][] = [
    [acl({}), acl({ permission: "deny" })],
    [acl({ permission: "deny" }), acl({})],
    [acl({}), acl({ principal: "User:*", permission: "deny" })],
    [acl({}), acl({ name: "*", permission: "deny" })],
    [acl({}), acl({ patternType: "prefixed", name: "ord", permission: "deny" })],
    [acl({}), acl({ operation: "all", permission: "deny" })],
    [acl({ operation: "all" }), acl({ permission: "deny" })],
  ];
  for (const acls of cases) assert.equal(set(...acls).decide("User:alice", "topic", "orders", "read"), "deny", JSON.stringify(acls));
});

test("literal \"*\" matches every name of its type; prefixed matches names starting with it (the empty prefix: all)", () => {
  const star = set(acl({ name: "*" }));
  for (const name of ["orders", "x", "*"]) assert.equal(star.decide("User:alice", "topic", name, "read"), "allow", name);
  assert.equal(star.decide("User:alice", "group", "orders", "read"), "none", "only its own type");
  const prefixed = set(acl({ patternType: "prefixed", name: "orders-" }));
  assert.equal(prefixed.decide("User:alice", "topic", "orders-eu", "read"), "allow");
  assert.equal(prefixed.decide("User:alice", "topic", "orders-", "read"), "allow", "the prefix itself");
  assert.equal(prefixed.decide("User:alice", "topic", "orders", "read"), "none", "shorter than the prefix");
  assert.equal(prefixed.decide("User:alice", "topic", "xorders-eu", "read"), "none", "a prefix, not a substring");
  const prefixedStar = set(acl({ patternType: "prefixed", name: "*" }));
  assert.equal(prefixedStar.decide("User:alice", "topic", "orders", "read"), "none", "a prefixed \"*\" is the prefix \"*\", no wildcard");
  assert.equal(prefixedStar.decide("User:alice", "topic", "*x", "read"), "allow");
  assert.equal(set(acl({ patternType: "prefixed", name: "" })).decide("User:alice", "topic", "anything", "read"), "allow");
  assert.equal(set(acl({ name: "orders" })).decide("User:alice", "topic", "orders-eu", "read"), "none", "literal is exact");
});

test("User:* applies to every principal; a principal's own ACL does not apply to others", () => {
  const s = set(acl({ principal: "User:*" }), acl({ principal: "User:bob", operation: "write" }));
  for (const p of ["User:alice", "User:bob", "User:ANONYMOUS"]) assert.equal(s.decide(p, "topic", "orders", "read"), "allow", p);
  assert.equal(s.decide("User:bob", "topic", "orders", "write"), "allow");
  assert.equal(s.decide("User:alice", "topic", "orders", "write"), "none");
});

test("\"all\" covers every operation, allow or deny", () => {
  for (const op of OPERATIONS) {
    assert.equal(set(acl({ operation: "all" })).decide("User:alice", "topic", "orders", op), "allow", op);
    assert.equal(set(acl({ operation: "all", permission: "deny" }), acl({ operation: op })).decide("User:alice", "topic", "orders", op), "deny", op);
  }
});

test("implied describe: an allow of read, write, delete or alter allows describe; create does not; a deny of them does not deny describe", () => {
  for (const op of ["read", "write", "delete", "alter"] as const) {
    assert.equal(set(acl({ operation: op })).decide("User:alice", "topic", "orders", "describe"), "allow", op);
    assert.equal(set(acl({ operation: "describe" }), acl({ operation: op, permission: "deny" })).decide("User:alice", "topic", "orders", "describe"), "allow", `deny ${op}`);
  }
  assert.equal(set(acl({ operation: "create" })).decide("User:alice", "topic", "orders", "describe"), "none");
  assert.equal(set(acl({ operation: "describe" })).decide("User:alice", "topic", "orders", "read"), "none", "describe implies nothing");
  assert.equal(set(acl({ operation: "read" }), acl({ operation: "describe", permission: "deny" })).decide("User:alice", "topic", "orders", "describe"), "deny");
  assert.ok(operationCovers({ operation: "alter", permission: "allow" }, "describe"));
  assert.ok(!operationCovers({ operation: "alter", permission: "deny" }, "describe"));
  assert.ok(patternMatches({ patternType: "literal", name: "*" }, "x"));
});

test("add is idempotent; remove takes every ACL a filter matches (any subset of fields) and clears their effect", () => {
  const s = set(acl({}), acl({ operation: "write" }), acl({ principal: "User:bob" }), acl({ resourceType: "group", name: "billing" }));
  assert.equal(s.add(acl({})), false, "already held");
  assert.equal(s.size, 4);
  const v = s.version;
  assert.deepEqual(s.remove({ principal: "User:carol" }), []);
  assert.equal(s.version, v, "removing nothing is no change");
  assert.equal(s.decide("User:alice", "topic", "orders", "read"), "allow");
  const gone = s.remove({ principal: "User:alice", resourceType: "topic" });
  assert.deepEqual(gone, [acl({}), acl({ operation: "write" })]);
  assert.equal(s.decide("User:alice", "topic", "orders", "read"), "none", "the cached allow is dropped");
  assert.equal(s.decide("User:alice", "group", "billing", "read"), "allow");
  assert.deepEqual(s.list({ operation: "read" }), [acl({ principal: "User:bob" }), acl({ resourceType: "group", name: "billing" })]);
  assert.equal(s.remove({}).length, 2, "the empty filter matches everything");
  assert.equal(s.size, 0);
  s.replaceAll([acl({ permission: "deny" })]);
  assert.equal(s.decide("User:alice", "topic", "orders", "read"), "deny");
  assert.ok(aclMatchesFilter(acl({}), { name: "orders", permission: "allow" }));
  assert.ok(!aclMatchesFilter(acl({ name: "*" }), { name: "orders" }), "filters compare exactly: \"*\" is not a wildcard there");
});

test("allowsAnyOf (initProducerId's write on some topic): any allow, unless a deny on every name covers it", () => {
  assert.equal(set().allowsAnyOf("User:alice", "topic", "write"), false);
  assert.equal(set(acl({ operation: "write" })).allowsAnyOf("User:alice", "topic", "write"), true);
  assert.equal(set(acl({ operation: "write", patternType: "prefixed", name: "o" })).allowsAnyOf("User:alice", "topic", "write"), true);
  assert.equal(set(acl({ operation: "read" })).allowsAnyOf("User:alice", "topic", "write"), false);
  assert.equal(set(acl({ principal: "User:*", operation: "all" })).allowsAnyOf("User:alice", "topic", "write"), true);
  assert.equal(set(acl({ operation: "write" }), acl({ name: "*", operation: "write", permission: "deny" })).allowsAnyOf("User:alice", "topic", "write"), false);
  assert.equal(set(acl({ operation: "write" }), acl({ patternType: "prefixed", name: "", operation: "all", permission: "deny" })).allowsAnyOf("User:alice", "topic", "write"), false);
  assert.equal(set(acl({ operation: "write" }), acl({ name: "other", operation: "write", permission: "deny" })).allowsAnyOf("User:alice", "topic", "write"), true);
});

/** The rules as the file comment states them, over a plain list: the reference the index must agree with. */
function reference(acls: readonly Acl[], principal: string, type: ResourceType, name: string, op: Operation): "allow" | "deny" | "none" {
  const applies = acls.filter(
    (a) =>
      (a.principal === principal || a.principal === "User:*") &&
      a.resourceType === type &&
      (a.patternType === "literal" ? a.name === "*" || a.name === name : name.startsWith(a.name)) &&
      (a.operation === "all" || a.operation === op || (a.permission === "allow" && op === "describe" && ["read", "write", "delete", "alter"].includes(a.operation))),
  );
  if (applies.some((a) => a.permission === "deny")) return "deny";
  return applies.some((a) => a.permission === "allow") ? "allow" : "none";
}

test("seeded: the indexed, cached decision equals a plain scan, through adds and removes (seeds 1..40)", () => {
  const principals = ["User:alice", "User:bob", "User:*", "User:carol"];
  const names = ["orders", "orders-eu", "ord", "o", "", "*", "billing", "b"];
  for (let seed = 1; seed <= 40; seed++) {
    const rnd = new SeededRandom(seed);
    const pick = <T>(xs: readonly T[]): T => xs[rnd.int(xs.length)]!;
    const s = new AclSet({ decisionCacheEntriesMax: 1 + rnd.int(50) });
    const held: Acl[] = [];
    for (let step = 0; step < 120; step++) {
      if (rnd.chance(0.6)) {
        const a: Acl = {
          principal: pick(principals),
          resourceType: pick(RESOURCE_TYPES),
          patternType: pick(PATTERN_TYPES),
          name: pick(names.filter((n) => n !== "")) ,
          operation: pick(ACL_OPERATIONS),
          permission: pick(PERMISSIONS),
        };
        const isNew = !held.some((h) => JSON.stringify(h) === JSON.stringify(a));
        assert.equal(s.add(a), isNew, `seed ${seed} step ${step}: add`);
        if (isNew) held.push(a);
      } else if (rnd.chance(0.3)) {
        const filter = rnd.chance(0.5) ? { principal: pick(principals) } : { resourceType: pick(RESOURCE_TYPES), operation: pick(ACL_OPERATIONS) };
        const expected = held.filter((a) => aclMatchesFilter(a, filter));
        assert.deepEqual(s.remove(filter), expected, `seed ${seed} step ${step}: remove`);
        for (const a of expected) held.splice(held.indexOf(a), 1);
      }
      for (let q = 0; q < 10; q++) {
        const p = pick(principals.filter((x) => x !== "User:*").concat(["User:dave"]));
        const type = pick(RESOURCE_TYPES);
        const name = pick(names.filter((n) => n !== "").concat(["orders-us", "zzz"]));
        const op = pick(OPERATIONS);
        assert.equal(s.decide(p, type, name, op), reference(held, p, type, name, op), `seed ${seed} step ${step}: ${p} ${op} ${type} ${name} over ${JSON.stringify(held)}`);
      }
    }
    assert.equal(s.size, held.length);
  }
});
