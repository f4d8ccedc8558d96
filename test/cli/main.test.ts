import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { packageRoot, shippedConfigPath } from "../../config/index.js";

const MAIN = join(packageRoot(), "dist", "cli", "main.js");

/** The environment without RLOG_* variables, plus `extra`. */
function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("RLOG_") && v !== undefined) env[k] = v;
  return { ...env, ...extra };
}

function cli(args: string[], extraEnv: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [MAIN, ...args], { env: cleanEnv(extraEnv), encoding: "utf8", timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("main.js starts with a node shebang", () => {
  assert.match(readFileSync(MAIN, "utf8"), /^#!\/usr\/bin\/env node\n/);
});

test("--help names the tool and lists the config command", () => {
  const r = cli(["--help"]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^rlog-cli <command>/);
  assert.match(r.stdout, /rlog-cli config/);
});

test("--version prints the package version", () => {
  const r = cli(["--version"]);
  assert.equal(r.status, 0);
  const manifest = JSON.parse(readFileSync(join(packageRoot(), "package.json"), "utf8")) as { version: string };
  assert.equal(r.stdout.trim(), manifest.version);
});

test("command-line mistakes: one INVALID_ARGUMENT line on stderr, exit status 2", () => {
  for (const args of [[], ["conifg"], ["config"], ["config", "check"], ["config", "check", "x.json", "--bogus"]]) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trimEnd().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? "", /^INVALID_ARGUMENT: \S/);
  }
  assert.match(cli(["conifg"]).stderr, /did you mean "config"/);
});

test("config check: a shipped file prints OK, every key with its source, and hides the secret", () => {
  const file = shippedConfigPath("cluster-3/broker-2.json");
  const r = cli(["config", "check", file], { RLOG_CLUSTER_SECRET: "dev-only-insecure-test-secret" });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, "");
  assert.match(r.stdout, new RegExp(`^${file.replace(/[.\\/]/g, "\\$&")}: OK\n`));
  assert.match(r.stdout, /raft\.electionTimeoutTicks +50 +defaults/);
  assert.match(r.stdout, /brokerId +2 +\S*broker-2\.json/);
  assert.doesNotMatch(r.stdout, /dev-only-insecure/);
  assert.match(r.stdout, /clusterSecret +"<hidden, \d+ characters>"/);
});

test("config check --json: the config and sources as JSON; the environment applies unless --no-env", () => {
  const file = shippedConfigPath("broker.json");
  const withEnv = cli(["config", "check", file, "--json"], { RLOG_RAFT__ELECTION_TIMEOUT_TICKS: "70" });
  assert.equal(withEnv.status, 0, withEnv.stderr);
  const parsed = JSON.parse(withEnv.stdout) as { ok: boolean; config: { raft: { electionTimeoutTicks: number } }; sources: Record<string, string> };
  assert.equal(parsed.ok, true);
  assert.equal(parsed.config.raft.electionTimeoutTicks, 70);
  assert.equal(parsed.sources["raft.electionTimeoutTicks"], "env RLOG_RAFT__ELECTION_TIMEOUT_TICKS");
  const noEnv = cli(["config", "check", file, "--json", "--no-env"], { RLOG_RAFT__ELECTION_TIMEOUT_TICKS: "70" });
  assert.equal((JSON.parse(noEnv.stdout) as typeof parsed).config.raft.electionTimeoutTicks, 50);
});

test("config check: a bad file prints one INVALID_CONFIG line per problem and exits 1", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-cli-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "bad.json");
  writeFileSync(file, JSON.stringify({ brokerId: 1, dataDir: "d", raft: { electionTimeoutTicks: "abc" }, fsync: false }));
  const r = cli(["config", "check", file]);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, "");
  assert.deepEqual(r.stderr.trimEnd().split("\n"), [
    `INVALID_CONFIG: ${file}: fsync: unknown key (did you mean "storage.fsync"?)`,
    `INVALID_CONFIG: ${file}: raft.electionTimeoutTicks: must be an integer in 3..1000000, got "abc"`,
  ]);
  const json = cli(["config", "check", file, "--json"]);
  assert.equal(json.status, 1);
  const parsed = JSON.parse(json.stdout) as { ok: boolean; error: { code: string; issues: unknown[] } };
  assert.equal(parsed.ok, false);
  assert.equal(parsed.error.code, "INVALID_CONFIG");
  assert.equal(parsed.error.issues.length, 2);
});

test("config check: a missing file and bad JSON are named", (t) => {
  const missing = cli(["config", "check", "no/such/file.json"]);
  assert.equal(missing.status, 1);
  assert.equal(missing.stderr, "INVALID_CONFIG: no/such/file.json: config file not found\n");
  const dir = mkdtempSync(join(tmpdir(), "rlog-cli-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "broken.json");
  writeFileSync(file, '{ "brokerId": 1 ');
  const broken = cli(["config", "check", file]);
  assert.equal(broken.status, 1);
  assert.match(broken.stderr, new RegExp(`^INVALID_CONFIG: ${file.replace(/[.\\/]/g, "\\$&")}: invalid JSON`));
});
