/**
 * Every default is written once, in broker/protocol/defaults.ts (issue 18).
 * The modules that used to hold their own copies now take theirs from it, so
 * these checks are identities rather than comparisons of two lists; the scan
 * below keeps the old literals from creeping back.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DEFAULT_CONFIG, packageRoot } from "../../config/index.js";
import {
  BROKER_DEFAULTS,
  LIMIT_DEFAULTS,
  RAFT_DEFAULTS,
  RETRY_DEFAULTS,
  STORAGE_DEFAULTS,
} from "../../broker/protocol/defaults.js";
import { DEFAULT_LIMITS } from "../../broker/protocol/limits.js";
import { DEFAULT_RAFT_TIMING } from "../../broker/raft/config.js";
import { DEFAULT_RETRY } from "../../client/retry/retry-options.js";
import { readSources } from "../architecture/source-scan.js";

test("the protocol limits, the Raft timing and the client retrier are the defaults module's own objects", () => {
  assert.equal(DEFAULT_LIMITS, LIMIT_DEFAULTS);
  assert.equal(DEFAULT_RAFT_TIMING, RAFT_DEFAULTS);
  assert.equal(DEFAULT_RETRY, RETRY_DEFAULTS);
});

test("the broker config's defaults are taken from the defaults module", () => {
  assert.deepEqual(DEFAULT_CONFIG.raft, RAFT_DEFAULTS);
  assert.deepEqual(DEFAULT_CONFIG.storage, STORAGE_DEFAULTS);
  for (const [key, value] of Object.entries(DEFAULT_CONFIG.limits)) {
    assert.equal(value, (LIMIT_DEFAULTS as Readonly<Record<string, unknown>>)[key], `limits.${key}`);
  }
  for (const key of ["host", "clientPort", "peerPort", "raftTickMs", "leaderAnnounceIntervalMs", "defaultPartitions", "groupsTopicPartitions", "logLevel"] as const) {
    assert.equal(DEFAULT_CONFIG[key], BROKER_DEFAULTS[key], key);
  }
});

test("the defaults module is a leaf: no import, no Node API", () => {
  const text = readFileSync(join(packageRoot(), "broker/protocol/defaults.ts"), "utf8");
  assert.doesNotMatch(text, /^\s*import\b/m);
  assert.doesNotMatch(text, /\bprocess\.|\brequire\(/);
});

/**
 * Spellings of the storage defaults (64 MiB segments, 7-day segment age and
 * retention) that must not be repeated outside the defaults module.
 */
const REPEATED_DEFAULTS: readonly { readonly name: string; readonly pattern: RegExp }[] = [
  { name: "64 MiB (STORAGE_DEFAULTS.segmentBytes)", pattern: /\b64\s*\*\s*1024\s*\*\s*1024\b/ },
  { name: "7 days (STORAGE_DEFAULTS.segmentMs, retentionMs)", pattern: /\b7\s*\*\s*24\s*\*\s*(?:3600|60\s*\*\s*60)\s*\*\s*1000\b|\b7\s*\*\s*DAY_MS\b/ },
  { name: "a day in ms (DAY_MS)", pattern: /\b24\s*\*\s*60\s*\*\s*60\s*\*\s*1000\b/ },
];

/**
 * Files other engineers were rewriting when the module arrived (issue 18):
 * they still spell a default out and are switched after merging. Remove an
 * entry when its file uses the module; the test then keeps it that way.
 * (broker/broker.ts: the controller log's 64 MiB / 7 days, to become
 * CONTROLLER_LOG_DEFAULTS. Named constants there and in broker/operations.ts,
 * broker/partition/, broker/consumer-groups/ and broker/storage/log-store.ts
 * that repeat REQUEST_DEFAULTS, BROKER_DEFAULTS, GROUP_COORDINATOR_DEFAULTS,
 * PRODUCER_STATE_DEFAULTS and LOG_STORE_DEFAULTS switch at the same time.)
 */
const PENDING: ReadonlySet<string> = new Set<string>();

test("no source outside the defaults module spells out a storage default again", () => {
  const found: string[] = [];
  for (const file of readSources(packageRoot(), ["broker", "client", "cli", "config"])) {
    if (file.path === "broker/protocol/defaults.ts" || PENDING.has(file.path)) continue;
    file.text.split("\n").forEach((line, i) => {
      for (const { name, pattern } of REPEATED_DEFAULTS) {
        if (pattern.test(line)) found.push(`${file.path}:${i + 1}: ${name}`);
      }
    });
  }
  assert.deepEqual(found, []);
});

test("the full-disk settings (issue 17) are the defaults module's, and keep their rule", () => {
  assert.equal(DEFAULT_CONFIG.storage.diskFreeMinBytes, STORAGE_DEFAULTS.diskFreeMinBytes);
  assert.equal(DEFAULT_CONFIG.storage.diskReserveBytes, STORAGE_DEFAULTS.diskReserveBytes);
  assert.equal(DEFAULT_CONFIG.storage.diskCheckIntervalMs, STORAGE_DEFAULTS.diskCheckIntervalMs);
  assert.equal(DEFAULT_CONFIG.storage.writeRetryBackoffMs, STORAGE_DEFAULTS.writeRetryBackoffMs);
  assert.equal(DEFAULT_CONFIG.storage.writeRetryBackoffMsMax, STORAGE_DEFAULTS.writeRetryBackoffMsMax);
  assert.ok(STORAGE_DEFAULTS.writeRetryBackoffMs <= STORAGE_DEFAULTS.writeRetryBackoffMsMax);
  // The gate must close before LMDB can meet a full disk: a reserve at least as large as the threshold.
  assert.ok(STORAGE_DEFAULTS.diskReserveBytes >= STORAGE_DEFAULTS.diskFreeMinBytes);
});
