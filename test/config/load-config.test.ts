import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, loadConfigDetailed } from "../../config/index.js";
import { assertOneIssue, MINIMAL, tempConfig } from "./helpers.js";

test("a file overrides the defaults key by key, groups merged", () => {
  const file = tempConfig({
    ...MINIMAL,
    clientPort: 19092,
    peerPort: 19192,
    raft: { electionTimeoutTicks: 80 },
    storage: { fsync: false },
    logLevel: "debug",
  });
  const config = loadConfig({ file, env: {} });
  assert.equal(config.clientPort, 19092);
  assert.equal(config.raft.electionTimeoutTicks, 80);
  assert.equal(config.raft.heartbeatIntervalTicks, 5, "untouched key in a touched group keeps its default");
  assert.equal(config.storage.fsync, false);
  assert.equal(config.storage.segmentBytes, 64 * 1024 * 1024);
  assert.equal(config.logLevel, "debug");
  assert.deepEqual(config.brokers, [{ id: 1, host: "127.0.0.1", clientPort: 19092, peerPort: 19192 }]);
});

test("layers: environment beats the file, overrides beat the environment", () => {
  const file = tempConfig({ ...MINIMAL, raftTickMs: 20, logLevel: "warn", raft: { electionTimeoutTicks: 60 } });
  const loaded = loadConfigDetailed({
    file,
    env: { RLOG_RAFT_TICK_MS: "30", RLOG_LOG_LEVEL: "error" },
    overrides: { logLevel: "fatal" },
  });
  assert.equal(loaded.config.raft.electionTimeoutTicks, 60);
  assert.equal(loaded.config.raftTickMs, 30);
  assert.equal(loaded.config.logLevel, "fatal");
  assert.equal(loaded.sources.get("raft.electionTimeoutTicks"), file);
  assert.equal(loaded.sources.get("raftTickMs"), "env RLOG_RAFT_TICK_MS");
  assert.equal(loaded.sources.get("logLevel"), "overrides");
  assert.equal(loaded.sources.get("storage.fsync"), "defaults");
  assert.equal(loaded.sources.get("brokers"), "derived");
});

test("a later layer can repair a bad value from an earlier one", () => {
  const file = tempConfig({ ...MINIMAL, raftTickMs: "ten" });
  assert.equal(loadConfig({ file, env: { RLOG_RAFT_TICK_MS: "10" } }).raftTickMs, 10);
});

test("with a brokers list, host and ports not set come from this broker's entry", () => {
  const brokers = [
    { id: 1, host: "10.0.0.1", clientPort: 9092, peerPort: 9192 },
    { id: 2, host: "10.0.0.2", clientPort: 9092, peerPort: 9192 },
    { id: 3, host: "10.0.0.3", clientPort: 7000, peerPort: 7001 },
  ];
  const loaded = loadConfigDetailed({
    env: {},
    overrides: { brokerId: 3, dataDir: "d", brokers, clusterSecret: "0123456789abcdef" },
  });
  assert.equal(loaded.config.host, "10.0.0.3");
  assert.equal(loaded.config.clientPort, 7000);
  assert.equal(loaded.config.peerPort, 7001);
  assert.equal(loaded.sources.get("clientPort"), "derived from brokers[2]");
  assert.deepEqual(loaded.config.controllerVoters, [1, 2, 3]);
  assert.equal(loaded.config.defaultReplicationFactor, 3);
  // An explicit bind host may differ from the advertised one (e.g. 0.0.0.0).
  const bound = loadConfig({ env: {}, overrides: { brokerId: 3, dataDir: "d", brokers, clusterSecret: "0123456789abcdef", host: "0.0.0.0" } });
  assert.equal(bound.host, "0.0.0.0");
});

test("a // key is a comment, at the top level and in a group", () => {
  const file = tempConfig({ "//": "top", ...MINIMAL, raft: { "//": ["a", "b"], electionTimeoutTicks: 70 } });
  assert.equal(loadConfig({ file, env: {} }).raft.electionTimeoutTicks, 70);
});

test("bad JSON names the file, the line and the column", () => {
  const file = tempConfig('{\n  "brokerId": 1,\n  "dataDir": "x",,\n}\n');
  assertOneIssue(() => loadConfig({ file, env: {} }), new RegExp(`^${escape(file)}: invalid JSON at line 3, column \\d+: .+`));
});

test("a truncated JSON file says so", () => {
  const file = tempConfig('{ "brokerId": 1, ');
  assertOneIssue(() => loadConfig({ file, env: {} }), new RegExp(`^${escape(file)}: invalid JSON`));
});

test("a JSON file that is not an object is refused", () => {
  const file = tempConfig("[1, 2]");
  assertOneIssue(() => loadConfig({ file, env: {} }), `${file}: must hold a JSON object, got [1,2]`);
});

test("a missing file is reported by name", () => {
  const file = join(tmpdir(), "rlog-no-such-dir", "nope.json");
  assertOneIssue(() => loadConfig({ file, env: {} }), `${file}: config file not found`);
});

test("a directory is not a config file", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-config-dir-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  assertOneIssue(() => loadConfig({ file: dir, env: {} }), `${dir}: is a directory, not a config file`);
});

test("a byte-order mark at the start of the file is tolerated", () => {
  const file = tempConfig("\uFEFF" + JSON.stringify(MINIMAL));
  assert.equal(loadConfig({ file, env: {} }).brokerId, 1);
});

test("ConfigError's message is the first issue plus a count of the rest", () => {
  const file = tempConfig({ brokerId: 0, dataDir: "", raftTickMs: 0 });
  try {
    loadConfig({ file, env: {} });
    assert.fail("expected an error");
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.issues.length, 3);
    assert.equal(err.message, `${file}: brokerId: must be an integer in 1..2147483647, got 0 (and 2 more problems)`);
  }
});

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
