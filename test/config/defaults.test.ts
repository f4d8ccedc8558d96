import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_CONFIG, loadConfig } from "../../config/index.js";
import { DEFAULT_RAFT_TIMING } from "../../broker/raft/config.js";
import { MINIMAL } from "./helpers.js";

const MiB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;

test("the documented defaults", () => {
  assert.equal(DEFAULT_CONFIG.host, "127.0.0.1");
  assert.equal(DEFAULT_CONFIG.clientPort, 9092);
  assert.equal(DEFAULT_CONFIG.peerPort, 9192);
  assert.equal(DEFAULT_CONFIG.clusterSecret, null);
  assert.equal(DEFAULT_CONFIG.raftTickMs, 10);
  assert.equal(DEFAULT_CONFIG.raft.electionTimeoutTicks, 50);
  assert.equal(DEFAULT_CONFIG.raft.heartbeatIntervalTicks, 5);
  assert.equal(DEFAULT_CONFIG.raft.preferredLeaderCheckTicks, 200);
  assert.equal(DEFAULT_CONFIG.storage.fsync, true);
  assert.equal(DEFAULT_CONFIG.storage.segmentBytes, 64 * MiB);
  assert.equal(DEFAULT_CONFIG.storage.segmentMs, 7 * DAY_MS);
  assert.equal(DEFAULT_CONFIG.storage.retentionBytes, -1);
  assert.equal(DEFAULT_CONFIG.storage.retentionMs, 7 * DAY_MS);
  assert.equal(DEFAULT_CONFIG.limits.frameBytesMax, 8 * MiB);
  assert.equal(DEFAULT_CONFIG.limits.recordBytesMax, 1 * MiB);
  assert.equal(DEFAULT_CONFIG.limits.topicNameLengthMax, 249);
  assert.equal(DEFAULT_CONFIG.defaultPartitions, 1);
  assert.equal(DEFAULT_CONFIG.controllerSnapshotEntries, 10_000);
  assert.equal(DEFAULT_CONFIG.logLevel, "info");
});

test("a minimal config gets every default, plus the derived single-broker values", () => {
  const config = loadConfig({ env: {}, overrides: MINIMAL });
  const { brokers, controllerVoters, defaultReplicationFactor, brokerId, dataDir, ...rest } = config;
  assert.deepEqual(rest, DEFAULT_CONFIG);
  assert.equal(brokerId, 1);
  assert.equal(dataDir, "/tmp/rlog-test-data");
  assert.deepEqual(brokers, [{ id: 1, host: "127.0.0.1", clientPort: 9092, peerPort: 9192 }]);
  assert.deepEqual(controllerVoters, [1]);
  assert.equal(defaultReplicationFactor, 1);
});

test("the loaded config and the defaults are deeply frozen", () => {
  const config = loadConfig({ env: {}, overrides: MINIMAL });
  assert.ok(Object.isFrozen(config));
  assert.ok(Object.isFrozen(config.raft));
  assert.ok(Object.isFrozen(config.brokers));
  assert.ok(Object.isFrozen(config.brokers[0]));
  assert.ok(Object.isFrozen(DEFAULT_CONFIG.limits));
  assert.throws(() => {
    (config.raft as { electionTimeoutTicks: number }).electionTimeoutTicks = 1;
  }, TypeError);
});

test("raft defaults are the Raft core's own defaults (both come from broker/protocol/defaults.ts)", () => {
  assert.deepEqual(DEFAULT_CONFIG.raft, DEFAULT_RAFT_TIMING);
});
