import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  DEFAULT_CONFIG,
  envName,
  loadConfig,
  packageRoot,
  schemaLeaves,
  shippedConfigFiles,
  shippedConfigPath,
} from "../../config/index.js";

test("the shipped config files are the ones the README and docs describe", () => {
  assert.deepEqual(shippedConfigFiles(), [
    "broker.json",
    "cluster-3/broker-1.json",
    "cluster-3/broker-2.json",
    "cluster-3/broker-3.json",
  ]);
});

/** A cluster secret as start-local or an operator would supply it: the shipped files publish none. */
const SECRET_ENV = { RLOG_CLUSTER_SECRET: "0123456789abcdef0123456789abcdef" };

test("every shipped config file loads and validates (with a cluster secret from the environment)", () => {
  for (const name of shippedConfigFiles()) {
    const config = loadConfig({ file: shippedConfigPath(name), env: SECRET_ENV });
    assert.equal(config.host, "127.0.0.1", name);
    assert.ok(config.brokers.some((b) => b.id === config.brokerId), name);
  }
});

test("config/broker.json: a single broker, id 1, ports 9092/9192, data ./data/broker-1", () => {
  const config = loadConfig({ file: shippedConfigPath("broker.json"), env: {} });
  assert.equal(config.brokerId, 1);
  assert.equal(config.clientPort, 9092);
  assert.equal(config.peerPort, 9192);
  assert.equal(config.dataDir, "./data/broker-1");
  assert.equal(config.brokers.length, 1);
  assert.equal(config.clusterSecret, null);
  assert.equal(config.storage.fsync, true, "the shipped configs never opt out of fsync");
});

test("config/cluster-3: three brokers that agree on the cluster and differ in identity", () => {
  const configs = [1, 2, 3].map((n) => loadConfig({ file: shippedConfigPath(`cluster-3/broker-${n}.json`), env: SECRET_ENV }));
  configs.forEach((config, i) => {
    const n = i + 1;
    assert.equal(config.brokerId, n);
    assert.equal(config.clientPort, 9091 + n);
    assert.equal(config.peerPort, 9191 + n);
    assert.equal(config.dataDir, `./data/broker-${n}`);
    assert.equal(config.defaultReplicationFactor, 3);
    assert.equal(config.storage.fsync, true);
    assert.deepEqual(config.brokers, configs[0]?.brokers);
    assert.deepEqual(config.controllerVoters, [1, 2, 3]);
  });
});

test("config/cluster-3 publishes no cluster secret: without RLOG_CLUSTER_SECRET it is refused, saying how to set one", () => {
  for (const n of [1, 2, 3]) {
    const file = shippedConfigPath(`cluster-3/broker-${n}.json`);
    assert.doesNotMatch(readFileSync(file, "utf8"), /clusterSecret/);
    assert.throws(() => loadConfig({ file, env: {} }), /clusterSecret: required when brokers lists more than one broker .*RLOG_CLUSTER_SECRET/);
  }
});

test("the config loader's package root holds the shipped files", () => {
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { name: string };
  assert.equal(manifest.name, "rlog");
});

test("docs/CONFIG.md documents every key, its environment variable and its default", () => {
  const doc = readFileSync(join(packageRoot(), "docs", "CONFIG.md"), "utf8");
  const rows = new Map<string, string>();
  for (const line of doc.split("\n")) {
    const m = /^\| `([a-zA-Z.]+)` \|/.exec(line);
    if (m?.[1] !== undefined && !rows.has(m[1])) rows.set(m[1], line);
  }
  const defaults = new Map<string, unknown>();
  const walk = (value: unknown, prefix: string): void => {
    if (typeof value === "object" && value !== null) {
      for (const [k, v] of Object.entries(value)) walk(v, prefix === "" ? k : `${prefix}.${k}`);
    } else defaults.set(prefix, value);
  };
  walk(DEFAULT_CONFIG, "");
  for (const { path } of schemaLeaves()) {
    const row = rows.get(path);
    assert.ok(row !== undefined, `docs/CONFIG.md has no table row for ${path}`);
    assert.ok(doc.includes(`| \`${path}\` | \`${envName(path)}\` |`), `docs/CONFIG.md does not map ${path} to ${envName(path)}`);
    if (defaults.has(path)) {
      const value = defaults.get(path);
      const shown = value === null ? "`null`" : `\`${String(value)}\``;
      assert.ok(row.includes(shown), `docs/CONFIG.md row for ${path} does not show its default ${shown}`);
    }
  }
});
