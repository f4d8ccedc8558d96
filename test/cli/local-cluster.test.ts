import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig, shippedConfigPath } from "../../config/index.js";
import { CliError } from "../../cli/errors.js";
import { checkPortsFree, prepareLocalCluster } from "../../cli/local-cluster.js";
import { formatLocalConfig, localClusterConfigs, LOCAL_BROKERS_MAX } from "../../cli/local-cluster-config.js";
import { checkDataRoot, recordDataRoot, recordedBrokers } from "../../cli/local-cluster-data.js";
import { runCli } from "./run-cli.js";

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), "rlog-local-cluster-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test("config/cluster-3 is, byte for byte, what start-local generates for 3 brokers", () => {
  for (const config of localClusterConfigs(3)) {
    const shipped = readFileSync(shippedConfigPath(`cluster-3/broker-${config.brokerId}.json`), "utf8");
    assert.equal(formatLocalConfig(config), shipped, `broker-${config.brokerId}.json`);
  }
});

test("generated configs for 1 to 7 brokers load, follow the port scheme and allow every admin origin", (t) => {
  const dir = tempDir(t);
  for (let n = 1; n <= LOCAL_BROKERS_MAX; n++) {
    for (const generated of localClusterConfigs(n, "./data")) {
      const file = join(dir, `n${n}-broker-${generated.brokerId}.json`);
      writeFileSync(file, formatLocalConfig(generated));
      const config = loadConfig({ file, env: n > 1 ? { RLOG_CLUSTER_SECRET: "a-test-secret-of-enough-characters" } : {} });
      const i = config.brokerId;
      assert.equal(config.clientPort, 9091 + i);
      assert.equal(config.peerPort, 9191 + i);
      assert.equal(config.dataDir, `./data/broker-${i}`);
      assert.equal(config.host, "127.0.0.1");
      assert.deepEqual(config.controllerVoters, Array.from({ length: n }, (_, k) => k + 1));
      assert.equal(config.brokers.length, n);
      assert.equal(config.defaultReplicationFactor, Math.min(3, n));
      assert.equal(config.storage.fsync, true);
      // The console served by any broker's admin listener may connect to every broker (docs/CONSOLE.md).
      assert.equal(config.adminPort, 9291 + i);
      assert.deepEqual(config.allowedOrigins, Array.from({ length: n }, (_, k) => `http://127.0.0.1:${9292 + k}`));
    }
  }
  assert.throws(() => localClusterConfigs(0), RangeError);
  assert.throws(() => localClusterConfigs(LOCAL_BROKERS_MAX + 1), RangeError);
});

test("start-local --brokers outside 1..7: one INVALID_ARGUMENT line, exit status 2", async () => {
  const cases = ["0", "8", "-1", "abc", "2.5"];
  const results = await Promise.all(cases.map((n) => runCli(["cluster", "start-local", "--brokers", n])));
  results.forEach((r, i) => {
    assert.equal(r.status, 2, `--brokers ${cases[i]}: ${r.stderr}`);
    assert.equal(r.stdout.length, 0);
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? "", /^INVALID_ARGUMENT: --brokers must be an integer from 1 to 7, got /);
  });
  const both = await runCli(["cluster", "start-local", "--brokers", "3", "--config-dir", "config/cluster-3"]);
  assert.equal(both.status, 2);
  assert.match(both.stderr, /^INVALID_ARGUMENT: --config-dir names its own brokers/);
});

test("start-local refuses a data directory of another broker count, in one line, before starting anything", async (t) => {
  const cwd = tempDir(t);
  // A 3-broker run from before the marker existed: only its broker-N directories tell.
  for (const i of [1, 2, 3]) mkdirSync(join(cwd, "data", `broker-${i}`), { recursive: true });
  const r = await runCli(["cluster", "start-local", "--brokers", "5", "--data-dir", join(cwd, "data")]);
  assert.equal(r.status, 1, r.stderr);
  assert.equal(r.stdout.length, 0);
  assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
  assert.match(r.stderr, /^DATA_DIR_MISMATCH: \S+ holds the data of a 3-broker local cluster \(brokers 1-3\), not of a 5-broker local cluster \(brokers 1-5\): start it with --brokers 3 --data-dir \S+, or give another --data-dir, or delete/);
  assert.deepEqual(recordedBrokers(join(cwd, "data"))?.from, "directories", "nothing was written");
});

test("the data root's marker: recorded on first start, then any other broker set is refused", async (t) => {
  const cwd = tempDir(t);
  const { files, env } = await prepareLocalCluster({ kind: "generated", brokers: 2, dataRoot: "d" }, cwd, false);
  assert.deepEqual(recordedBrokers(join(cwd, "d")), { ids: [1, 2], from: "marker" });
  assert.equal(files.length, 2);
  const config = loadConfig({ file: files[1]!, env: { ...env } });
  assert.equal(config.brokerId, 2);
  assert.equal(config.dataDir, join(cwd, "d", "broker-2"), "written configs hold absolute data paths");
  // The cluster's own random secret, kept for restarts; the configs do not hold it.
  assert.match(env["RLOG_CLUSTER_SECRET"] ?? "", /^[0-9a-f]{64}$/);
  assert.doesNotMatch(readFileSync(files[1]!, "utf8"), /clusterSecret/);
  // The same count again is fine (with the same secret); another count is not, whichever way.
  assert.deepEqual((await prepareLocalCluster({ kind: "generated", brokers: 2, dataRoot: "d" }, cwd, false)).env, env);
  const elsewhere = await prepareLocalCluster({ kind: "generated", brokers: 2, dataRoot: "d2" }, cwd, false);
  assert.notEqual(elsewhere.env["RLOG_CLUSTER_SECRET"], env["RLOG_CLUSTER_SECRET"], "each local cluster has its own secret");
  for (const n of [1, 3, 7]) {
    await assert.rejects(prepareLocalCluster({ kind: "generated", brokers: n, dataRoot: "d" }, cwd, false), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.code, "DATA_DIR_MISMATCH");
      assert.match(err.message, /^d holds the data of a 2-broker local cluster \(brokers 1-2\), not of a \d-broker local cluster .*: start it with --brokers 2 --data-dir d,/);
      return true;
    });
  }
  // The marker wins over directories: a stray broker-9 directory does not matter.
  mkdirSync(join(cwd, "d", "broker-9"));
  assert.equal(checkDataRoot(join(cwd, "d"), [1, 2], "d", () => ""), false);
  // A fresh root: nothing recorded, nothing refused.
  assert.equal(recordedBrokers(join(cwd, "fresh")), undefined);
  assert.equal(checkDataRoot(join(cwd, "fresh"), [1, 2, 3], "fresh", () => ""), true);
  recordDataRoot(join(cwd, "fresh"), [3, 1, 2]);
  assert.deepEqual(recordedBrokers(join(cwd, "fresh"))?.ids, [1, 2, 3]);
  // A damaged marker is named, not a crash.
  writeFileSync(join(cwd, "fresh", "local-cluster", "cluster.json"), "{ not json");
  assert.throws(() => recordedBrokers(join(cwd, "fresh")), (err: unknown) => err instanceof CliError && err.code === "DATA_DIR_MISMATCH" && /is not a start-local marker/.test(err.message));
});

test("--config-dir in the standard layout is checked against the same marker", async (t) => {
  const cwd = tempDir(t);
  await prepareLocalCluster({ kind: "generated", brokers: 1, dataRoot: "data" }, cwd, false);
  // config/cluster-3 keeps its data in ./data/broker-1..3: not the 1-broker cluster recorded there.
  await assert.rejects(prepareLocalCluster({ kind: "configDir", configDir: shippedConfigPath("cluster-3") }, cwd, false), /holds the data of a 1-broker local cluster \(broker 1\), not of a 3-broker/);
  const other = mkdtempSync(join(cwd, "other-"));
  assert.equal((await prepareLocalCluster({ kind: "configDir", configDir: shippedConfigPath("cluster-3") }, other, false)).files.length, 3);
  assert.deepEqual(recordedBrokers(join(other, "data"))?.ids, [1, 2, 3]);
});

test("a listener port in use stops start-local before any broker starts", async () => {
  const srv: Server = createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const port = (srv.address() as { port: number }).port;
  try {
    await assert.rejects(checkPortsFree([{ brokerId: 2, host: "127.0.0.1", clientPort: port, peerPort: port + 1 }]), (err: unknown) => {
      assert.ok(err instanceof CliError);
      assert.equal(err.code, "EADDRINUSE");
      assert.match(err.message, new RegExp(`^port ${port} on 127\\.0\\.0\\.1 \\(client port of broker 2\\) is in use`));
      return true;
    });
  } finally {
    await new Promise((r) => srv.close(r));
  }
});
