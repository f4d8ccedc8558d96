/**
 * `rlog-cli cluster start-local --secure` end to end: the launcher makes the
 * CA and certificates, starts a broker with TLS on, writes client.env, and
 * `rlog-cli cluster status` with those variables reaches it over wss://
 * (without the CA it is refused, naming the TLS failure). One broker, on the
 * fixed local ports 9092/9192: skipped when another cluster holds them.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkPortsFree } from "../../cli/local-cluster.js";
import { CLI_MAIN, cleanEnv, runCli, stderrLines } from "./run-cli.js";

/** The variables of a client.env file (NAME='value' lines, as client-env.ts writes them). */
function readEnvFile(file: string): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z_][A-Z0-9_]*)='(.*)'$/.exec(line);
    if (m !== null) vars[m[1]!] = m[2]!.replace(/'\\''/g, "'");
  }
  return vars;
}

test("start-local --secure: certificates, a TLS broker, client.env, and cluster status over wss:// with it", { timeout: 120_000 }, async (t) => {
  try {
    await checkPortsFree([{ brokerId: 1, host: "127.0.0.1", clientPort: 9092, peerPort: 9192 }]);
  } catch (err) {
    t.skip(`the local cluster ports are in use here (${(err as Error).message})`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), "rlog-start-local-secure-"));
  const dataDir = join(dir, "data");
  const launcher = spawn(process.execPath, [CLI_MAIN, "cluster", "start-local", "--secure", "--brokers", "1", "--data-dir", dataDir], {
    cwd: dir,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  launcher.stdout.setEncoding("utf8").on("data", (d: string) => (output += d));
  launcher.stderr.setEncoding("utf8").on("data", (d: string) => (output += d));
  const exited = new Promise<number | null>((resolve) => launcher.once("exit", (code) => resolve(code)));
  try {
    const deadline = Date.now() + 30_000;
    while (!output.includes("connect with:")) {
      if (launcher.exitCode !== null) assert.fail(`start-local exited:\n${output}`);
      if (Date.now() > deadline) assert.fail(`start-local printed no connect hint:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const envFile = join(dataDir, "client.env");
    assert.match(output, new RegExp(`connect with: set -a; \\. ${envFile.replace(/[.\\/]/g, "\\$&")}; set \\+a; npx rlog-cli cluster status`));
    for (const f of ["ca.pem", "ca-key.pem", "broker-1.pem", "broker-1-key.pem", "admin.pem", "admin-key.pem"]) assert.ok(existsSync(join(dataDir, "tls", f)), f);
    const vars = readEnvFile(envFile);
    const password = readFileSync(join(dataDir, "local-cluster", "admin-password"), "utf8").trim();
    assert.match(password, /^[A-Za-z0-9_-]{32}$/);
    assert.deepEqual(vars, { RLOG_BROKERS: "wss://127.0.0.1:9092", RLOG_TLS_CA: join(dataDir, "tls", "ca.pem"), RLOG_USERNAME: "admin", RLOG_PASSWORD: password });
    assert.ok(!output.includes(password), "the admin password is not printed");

    // The broker may still be electing its controller: retry status for a while.
    let status = await runCli(["cluster", "status", "--json"], { env: vars });
    while (status.status !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250));
      status = await runCli(["cluster", "status", "--json"], { env: vars });
    }
    assert.equal(status.status, 0, status.stderr + output);
    const parsed = JSON.parse(status.stdout.toString("utf8")) as { brokers: { brokerId: number; clientUrl: string; reachable: boolean }[] };
    assert.deepEqual(parsed.brokers, [{ brokerId: 1, clientUrl: "wss://127.0.0.1:9092", reachable: true }]);

    // The admin client certificate works too (same principal, no password); without the CA the TLS failure is named.
    const { RLOG_USERNAME: _user, RLOG_PASSWORD: _password, ...tlsOnly } = vars;
    const withCert = await runCli(["topic", "list"], { env: { ...tlsOnly, RLOG_TLS_CERT: join(dataDir, "tls", "admin.pem"), RLOG_TLS_KEY: join(dataDir, "tls", "admin-key.pem") } });
    assert.equal(withCert.status, 0, withCert.stderr);
    // Without credentials: refused; with a wrong password: refused.
    const anonymous = await runCli(["topic", "list"], { env: tlsOnly });
    assert.equal(anonymous.status, 1);
    assert.match(stderrLines(anonymous)[0] ?? "", /^AUTHENTICATION_FAILED/);
    const wrong = await runCli(["topic", "list"], { env: { ...vars, RLOG_PASSWORD: password + "x" } });
    assert.equal(wrong.status, 1);
    assert.match(stderrLines(wrong)[0] ?? "", /^AUTHENTICATION_FAILED/);
    // The admin is a super user: it makes a user, who may do nothing until an ACL allows it.
    const created = await runCli(["user", "create", "alice", "--password-stdin"], { env: vars, input: "alice-secret\n" });
    assert.equal(created.status, 0, created.stderr);
    const alice = { ...vars, RLOG_USERNAME: "alice", RLOG_PASSWORD: "alice-secret" };
    let aliceCreate = await runCli(["topic", "create", "alice-topic", "--partitions", "1", "--replication-factor", "1"], { env: alice });
    // The new user reaches this broker's metadata within a moment: retry while the login is refused.
    for (let i = 0; i < 20 && /AUTHENTICATION_FAILED/.test(aliceCreate.stderr.toString()); i++) {
      await new Promise((r) => setTimeout(r, 250));
      aliceCreate = await runCli(["topic", "create", "alice-topic", "--partitions", "1", "--replication-factor", "1"], { env: alice });
    }
    assert.equal(aliceCreate.status, 1);
    assert.match(stderrLines(aliceCreate)[0] ?? "", /^AUTHORIZATION_FAILED: User:alice may not create/);
    const untrusted = await runCli(["topic", "list", "--brokers", vars["RLOG_BROKERS"]!]);
    assert.equal(untrusted.status, 1);
    assert.match(stderrLines(untrusted)[0] ?? "", /^BROKER_NOT_AVAILABLE: cannot reach any broker at wss:\/\/127\.0\.0\.1:9092 .*TLS handshake failed: .*self[- ]signed certificate in certificate chain/);
  } finally {
    if (launcher.exitCode === null) launcher.kill("SIGINT"); // stops its broker, then exits
    const timer = setTimeout(() => launcher.kill("SIGKILL"), 20_000);
    await exited;
    clearTimeout(timer);
    rmSync(dir, { recursive: true, force: true });
  }
});
