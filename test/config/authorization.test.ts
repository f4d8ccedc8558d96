/** The `authorization` group: its defaults, the stringList kind (file, overrides, environment) and principal checks. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../config/index.js";
import { parseEnvValue } from "../../config/env.js";
import { CONFIG_SCHEMA, describeSpec } from "../../config/schema.js";
import { assertOneIssue, issuesOf, MINIMAL, tempConfig } from "./helpers.js";

test("authorization is off by default, with no super users", () => {
  const config = loadConfig({ overrides: MINIMAL });
  assert.deepEqual(config.authorization, { enabled: false, superUsers: [] });
  assert.ok(Object.isFrozen(config.authorization.superUsers));
});

test("a file and the environment set it; superUsers from the environment is comma-separated or JSON", () => {
  const file = tempConfig({ ...MINIMAL, authorization: { enabled: true, superUsers: ["User:admin"] } });
  assert.deepEqual(loadConfig({ file }).authorization, { enabled: true, superUsers: ["User:admin"] });
  const env = loadConfig({ overrides: MINIMAL, env: { RLOG_AUTHORIZATION__ENABLED: "on", RLOG_AUTHORIZATION__SUPER_USERS: "User:admin, User:ops" } });
  assert.deepEqual(env.authorization, { enabled: true, superUsers: ["User:admin", "User:ops"] });
  const json = loadConfig({ overrides: MINIMAL, env: { RLOG_AUTHORIZATION__SUPER_USERS: '["User:a,b"]' } });
  assert.deepEqual(json.authorization.superUsers, ["User:a,b"]);
  const empty = loadConfig({ overrides: MINIMAL, env: { RLOG_AUTHORIZATION__SUPER_USERS: " " } });
  assert.deepEqual(empty.authorization.superUsers, []);
  assert.deepEqual(parseEnvValue("User:x", CONFIG_SCHEMA.authorization.fields.superUsers), ["User:x"]);
});

test("superUsers: each a principal (User: and 1..1024 characters), distinct, at most 100; a list, not a string", () => {
  const load = (superUsers: unknown) => () => loadConfig({ overrides: { ...MINIMAL, authorization: { superUsers } as never } });
  assertOneIssue(load(["alice"]), /overrides: authorization\.superUsers\[0\]: must be a string "User:<name>" of 6\.\.1029 characters, got "alice"/);
  assertOneIssue(load(["User:"]), /authorization\.superUsers\[0\]: must be/);
  assertOneIssue(load(["User:" + "x".repeat(1025)]), /authorization\.superUsers\[0\]: must be/);
  assertOneIssue(load(["User:a", "User:a"]), /authorization\.superUsers\[1\]: duplicate "User:a"/);
  assertOneIssue(load("User:a"), /authorization\.superUsers: must be a list of at most 100 distinct strings "User:<name>"/);
  assertOneIssue(load(Array.from({ length: 101 }, (_, i) => `User:u${i}`)), /authorization\.superUsers: must be a list of at most 100/);
  assert.equal(issuesOf(load([1, "User:ok", null])).length, 2, "every bad item is named");
  assertOneIssue(() => loadConfig({ overrides: { ...MINIMAL, authorization: { enabld: true } as never } }), /authorization\.enabld: unknown key \(did you mean "authorization\.enabled"\?\)/);
  assert.match(describeSpec(CONFIG_SCHEMA.authorization.fields.superUsers), /^a list of at most 100 distinct strings "User:<name>" of 6\.\.1029 characters$/);
});
