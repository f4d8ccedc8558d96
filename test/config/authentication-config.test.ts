/** The `authentication` config group: defaults, values, environment, and the CLI's login variables left alone. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadConfig } from "../../config/index.js";

const MINIMAL = { brokerId: 1, dataDir: "/tmp/rlog-auth-config-test" };

test("authentication is off by default, with a 1 s failure delay and no users file", () => {
  const config = loadConfig({ env: {}, overrides: MINIMAL });
  assert.deepEqual(config.authentication, { mechanism: "none", failureDelayMs: 1000, scramUsersFile: null });
});

test("authentication settings from overrides and from the environment", () => {
  const fromOverrides = loadConfig({ env: {}, overrides: { ...MINIMAL, authentication: { mechanism: "scram", scramUsersFile: "/etc/rlog/users.json" } } });
  assert.deepEqual(fromOverrides.authentication, { mechanism: "scram", failureDelayMs: 1000, scramUsersFile: "/etc/rlog/users.json" });
  const fromEnv = loadConfig({ env: { RLOG_AUTHENTICATION__MECHANISM: "scram", RLOG_AUTHENTICATION__FAILURE_DELAY_MS: "250" }, overrides: MINIMAL });
  assert.equal(fromEnv.authentication.mechanism, "scram");
  assert.equal(fromEnv.authentication.failureDelayMs, 250);
});

test("bad authentication values are refused, naming the key", () => {
  assert.throws(() => loadConfig({ env: {}, overrides: { ...MINIMAL, authentication: { mechanism: "plain" as "scram" } } }), /authentication\.mechanism/);
  assert.throws(() => loadConfig({ env: {}, overrides: { ...MINIMAL, authentication: { failureDelayMs: 600_000 } } }), /authentication\.failureDelayMs/);
  assert.throws(() => loadConfig({ env: {}, overrides: { ...MINIMAL, authentication: { scramUsersFile: "" } } }), /authentication\.scramUsersFile/);
});

test("RLOG_USERNAME and RLOG_PASSWORD (the CLI's login) do not stop a broker from starting", () => {
  const config = loadConfig({ env: { RLOG_USERNAME: "admin", RLOG_PASSWORD: "secret" }, overrides: MINIMAL });
  assert.equal(config.brokerId, 1);
});
