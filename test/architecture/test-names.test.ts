/**
 * Tests that start broker processes are named `*.integration.test.ts`
 * (issue 18), so that `node test/run.mjs --unit` leaves out exactly the slow,
 * multi-process ones. A test counts as one when it uses something that
 * starts brokers: the cluster harness's TestCluster, the network-namespace
 * harness, the chaos cluster or runner, or the benchmark's entry point.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { packageRoot } from "../../config/index.js";
import { readSources } from "./source-scan.js";

/** Names and modules whose use means real broker processes (freePort from the cluster harness does not). */
const STARTS_BROKERS = /\bTestCluster\b|\bChaosCluster\b|\brunChaos\b|netns-harness\.js["']|bench\/main\.js["']/;

test("every test that starts broker processes is named *.integration.test.ts", () => {
  const misnamed = readSources(packageRoot(), ["test"])
    .filter((f) => f.path.endsWith(".test.ts") && !f.path.endsWith(".integration.test.ts") && f.path !== "test/architecture/test-names.test.ts")
    .filter((f) => STARTS_BROKERS.test(f.text))
    .map((f) => f.path);
  assert.deepEqual(misnamed, [], "rename these with git mv to *.integration.test.ts");
});

test("the check recognises the harness imports", () => {
  assert.ok(STARTS_BROKERS.test('import { TestCluster } from "../broker/cluster-harness.js";'));
  assert.ok(STARTS_BROKERS.test('import { ChaosCluster } from "./chaos-cluster.js";'));
  assert.ok(STARTS_BROKERS.test('const MAIN_JS = fileURLToPath(new URL("../../bench/main.js", import.meta.url));'));
  assert.ok(!STARTS_BROKERS.test('import { runCli } from "../cli/run-cli.js";'));
  assert.ok(!STARTS_BROKERS.test('import { freePort } from "../broker/cluster-harness.js";'));
});
