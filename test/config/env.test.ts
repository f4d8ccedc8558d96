import { test } from "node:test";
import assert from "node:assert/strict";
import { envName, loadConfig, loadConfigDetailed, schemaLeaves } from "../../config/index.js";
import { assertOneIssue, MINIMAL } from "./helpers.js";

test("environment variable names: SNAKE_CASE, __ between a group and its key", () => {
  assert.equal(envName("brokerId"), "RLOG_BROKER_ID");
  assert.equal(envName("dataDir"), "RLOG_DATA_DIR");
  assert.equal(envName("clientPort"), "RLOG_CLIENT_PORT");
  assert.equal(envName("raftTickMs"), "RLOG_RAFT_TICK_MS");
  assert.equal(envName("raft.electionTimeoutTicks"), "RLOG_RAFT__ELECTION_TIMEOUT_TICKS");
  assert.equal(envName("storage.fsync"), "RLOG_STORAGE__FSYNC");
  assert.equal(envName("limits.frameBytesMax"), "RLOG_LIMITS__FRAME_BYTES_MAX");
  const names = schemaLeaves().map((l) => envName(l.path));
  assert.equal(new Set(names).size, names.length, "every key has its own variable");
});

test("the environment alone can configure a broker: numbers, strings, nested keys", () => {
  const config = loadConfig({
    env: {
      RLOG_BROKER_ID: "7",
      RLOG_DATA_DIR: "/var/lib/rlog",
      RLOG_CLIENT_PORT: " 19092 ",
      RLOG_RAFT__ELECTION_TIMEOUT_TICKS: "100",
      RLOG_RAFT__PREFERRED_LEADER_CHECK_TICKS: "0",
      RLOG_STORAGE__RETENTION_BYTES: "-1",
      RLOG_LIMITS__FETCH_WAIT_MS_MAX: "+500",
      RLOG_LOG_LEVEL: "debug",
    },
  });
  assert.equal(config.brokerId, 7);
  assert.equal(config.dataDir, "/var/lib/rlog");
  assert.equal(config.clientPort, 19092);
  assert.equal(config.raft.electionTimeoutTicks, 100);
  assert.equal(config.raft.preferredLeaderCheckTicks, 0);
  assert.equal(config.storage.retentionBytes, -1);
  assert.equal(config.limits.fetchWaitMsMax, 500);
  assert.equal(config.logLevel, "debug");
});

test("booleans: true/false, 1/0, yes/no, on/off, any case", () => {
  for (const [raw, expected] of [["false", false], ["0", false], ["NO", false], ["off", false], ["true", true], ["1", true], ["Yes", true], ["ON", true]] as const) {
    const config = loadConfig({ env: { RLOG_STORAGE__FSYNC: raw }, overrides: MINIMAL });
    assert.equal(config.storage.fsync, expected, raw);
  }
  assertOneIssue(
    () => loadConfig({ env: { RLOG_STORAGE__FSYNC: "maybe" }, overrides: MINIMAL }),
    'env RLOG_STORAGE__FSYNC: storage.fsync: must be true or false, got "maybe"',
  );
});

test("a number that does not parse is reported with the key and the raw text", () => {
  assertOneIssue(
    () => loadConfig({ env: { RLOG_RAFT__ELECTION_TIMEOUT_TICKS: "abc" }, overrides: MINIMAL }),
    'env RLOG_RAFT__ELECTION_TIMEOUT_TICKS: raft.electionTimeoutTicks: must be an integer in 3..1000000, got "abc"',
  );
  assertOneIssue(
    () => loadConfig({ env: { RLOG_CLIENT_PORT: "9092.5" }, overrides: MINIMAL }),
    /^env RLOG_CLIENT_PORT: clientPort: must be an integer in 1\.\.65535, got "9092.5"$/,
  );
});

test("lists: controller voters as 1,2,3 or JSON; brokers as JSON or id@host:clientPort:peerPort", () => {
  const compact = loadConfigDetailed({
    env: {
      RLOG_BROKER_ID: "2",
      RLOG_DATA_DIR: "d",
      RLOG_CLUSTER_SECRET: "0123456789abcdef",
      RLOG_BROKERS: "1@127.0.0.1:9092:9192, 2@127.0.0.1:9093:9193,3@::1:9094:9194",
      RLOG_CONTROLLER_VOTERS: "1, 2",
    },
  });
  assert.deepEqual(compact.config.brokers, [
    { id: 1, host: "127.0.0.1", clientPort: 9092, peerPort: 9192 },
    { id: 2, host: "127.0.0.1", clientPort: 9093, peerPort: 9193 },
    { id: 3, host: "::1", clientPort: 9094, peerPort: 9194 },
  ]);
  assert.deepEqual(compact.config.controllerVoters, [1, 2]);
  assert.equal(compact.config.clientPort, 9093);
  assert.equal(compact.sources.get("brokers"), "env RLOG_BROKERS");

  const json = loadConfig({
    env: {
      RLOG_BROKERS: JSON.stringify([{ id: 1, host: "a", clientPort: 1000, peerPort: 1001 }]),
      RLOG_CONTROLLER_VOTERS: "[1]",
    },
    overrides: MINIMAL,
  });
  assert.deepEqual(json.brokers, [{ id: 1, host: "a", clientPort: 1000, peerPort: 1001 }]);

  assertOneIssue(
    () => loadConfig({ env: { RLOG_CONTROLLER_VOTERS: "1,two" }, overrides: MINIMAL }),
    'env RLOG_CONTROLLER_VOTERS: controllerVoters: must be a non-empty list of distinct broker ids, got "1,two"',
  );
  assertOneIssue(
    () => loadConfig({ env: { RLOG_BROKERS: "1@localhost" }, overrides: MINIMAL }),
    /^env RLOG_BROKERS: brokers: must be a non-empty list of \{ id, host, clientPort, peerPort \}, got "1@localhost"$/,
  );
});

test("an unknown RLOG_ variable is refused, with a suggestion when one is close", () => {
  assertOneIssue(
    () => loadConfig({ env: { RLOG_DATADIR: "x" }, overrides: MINIMAL }),
    "env: RLOG_DATADIR: unknown config variable (did you mean RLOG_DATA_DIR?)",
  );
  assertOneIssue(
    () => loadConfig({ env: { RLOG_RAFT_ELECTION_TIMEOUT_TICKS: "9" }, overrides: MINIMAL }),
    "env: RLOG_RAFT_ELECTION_TIMEOUT_TICKS: unknown config variable (did you mean RLOG_RAFT__ELECTION_TIMEOUT_TICKS?)",
  );
  assertOneIssue(
    () => loadConfig({ env: { RLOG_WHATEVER: "x" }, overrides: MINIMAL }),
    "env: RLOG_WHATEVER: unknown config variable",
  );
});

test("other variables, and RLOG_ names reserved for tools, are left alone", () => {
  const config = loadConfig({
    env: { PATH: "/bin", RLOG_CONFIG: "x.json", RLOG_TEST_SEED: "1", RLOG_SIM_RUNS: "5", RLOG_BENCH_X: "1", RLOG_CLI_COLOR: "0", rlog_broker_id: "9" },
    overrides: MINIMAL,
  });
  assert.equal(config.brokerId, 1);
});

test("an empty environment and an omitted env option differ: the default reads process.env", () => {
  const saved = process.env["RLOG_LOG_LEVEL"];
  process.env["RLOG_LOG_LEVEL"] = "warn";
  try {
    assert.equal(loadConfig({ overrides: MINIMAL }).logLevel, "warn");
    assert.equal(loadConfig({ env: {}, overrides: MINIMAL }).logLevel, "info");
  } finally {
    if (saved === undefined) delete process.env["RLOG_LOG_LEVEL"];
    else process.env["RLOG_LOG_LEVEL"] = saved;
  }
});

test("tls keys from the environment; the CLI's RLOG_TLS_CA, RLOG_TLS_CERT and RLOG_TLS_KEY are left alone", () => {
  const config = loadConfig({
    env: { RLOG_BROKER_ID: "1", RLOG_DATA_DIR: "d", RLOG_TLS__CERT_FILE: "b.pem", RLOG_TLS__KEY_FILE: "b-key.pem", RLOG_TLS__CA_FILE: "ca.pem", RLOG_TLS__CLIENT_AUTH: "optional", RLOG_TLS_CA: "x", RLOG_TLS_CERT: "y", RLOG_TLS_KEY: "z" },
  });
  assert.deepEqual(config.tls, { certFile: "b.pem", keyFile: "b-key.pem", caFile: "ca.pem", clientAuth: "optional" });
});

test("string lists: comma-separated or JSON; an empty variable is the empty list", () => {
  const load = (value: string): readonly string[] => loadConfig({ env: { RLOG_BROKER_ID: "1", RLOG_DATA_DIR: "/tmp/x", RLOG_ALLOWED_ORIGINS: value } }).allowedOrigins;
  assert.deepEqual(load("https://a.example.com, https://b.example.com"), ["https://a.example.com", "https://b.example.com"]);
  assert.deepEqual(load('["https://a.example.com"]'), ["https://a.example.com"]);
  assert.deepEqual(load(""), []);
});
