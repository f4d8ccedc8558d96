/**
 * rlog-cli without a cluster: what it says when no broker answers, command-line
 * mistakes caught before connecting, and the help of every command.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { freePort } from "../broker/cluster-harness.js";
import { CLI_MAIN, cleanEnv, runCli, stderrLines, type CliResult } from "./run-cli.js";

function oneLine(r: CliResult, status: number, line: string | RegExp, what: string): void {
  assert.equal(r.status, status, `${what}: ${r.stderr}`);
  assert.equal(r.stdout.length, 0, what);
  const lines = stderrLines(r);
  assert.equal(lines.length, 1, `${what}: ${r.stderr}`);
  if (typeof line === "string") assert.equal(lines[0], line, what);
  else assert.match(lines[0] ?? "", line, what);
}

test("every cluster command says which brokers it could not reach and how to start a cluster, within seconds", { timeout: 30_000 }, async () => {
  const port = await freePort(); // nothing listens there
  const url = `ws://127.0.0.1:${port}`;
  const expectedText = `BROKER_NOT_AVAILABLE: cannot reach any broker at ${url} (is the cluster running? start one with: npm start, or point --brokers / RLOG_BROKERS at it); last error: `;
  // The last error names what failed (here the refused TCP connection; with TLS, the TLS failure).
  const expected = new RegExp(`^${expectedText.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}.*ECONNREFUSED`);
  const commands = [
    ["topic", "list"],
    ["topic", "create", "t", "-p", "1", "-r", "1"],
    ["topic", "describe", "t"],
    ["topic", "delete", "t"],
    ["produce", "t"],
    ["consume", "t"],
    ["leader", "transfer", "t", "0"],
    ["leader", "rebalance"],
    ["cluster", "status"],
  ];
  const results = await Promise.all(commands.map((args) => runCli([...args, "--brokers", url], { input: "x\n" })));
  for (const [i, args] of commands.entries()) {
    const r = results[i] as CliResult;
    oneLine(r, 1, expected, args.join(" "));
    assert.ok(r.ms < 10_000, `${args.join(" ")} took ${r.ms} ms`);
  }
  // RLOG_BROKERS is the default for --brokers.
  const fromEnv = await runCli(["topic", "list"], { env: { RLOG_BROKERS: url } });
  oneLine(fromEnv, 1, expected, "RLOG_BROKERS");
});

// (The parsers behind these have unit tests of their own: test/cli/options.test.ts.)
test("command-line mistakes are caught before connecting: INVALID_ARGUMENT, status 2", { timeout: 30_000 }, async () => {
  const cases: [string[], string | RegExp][] = [
    [["topic", "create", "t", "--partitions", "0", "-r", "1"], 'INVALID_ARGUMENT: --partitions must be an integer >= 1, got 0 (see "rlog-cli topic --help")'],
    [["topic", "create", "t", "--partitions", "abc", "-r", "1"], 'INVALID_ARGUMENT: --partitions must be an integer >= 1, got "abc" (see "rlog-cli topic --help")'],
    [["topic", "create", "t", "-p", "1"], /^INVALID_ARGUMENT: Missing required argument: replication-factor/],
    [["topic", "create", "t", "-p", "1", "-r", "1", "--config", "colour=blue"], 'INVALID_ARGUMENT: --config colour: unknown topic setting (known: retentionMs, retentionBytes, segmentBytes, segmentMs) (see "rlog-cli topic --help")'],
    [["topic", "create", "t", "-p", "1", "-r", "1", "--config", "retention.ms=soon"], /^INVALID_ARGUMENT: --config retentionMs must be an integer >= -1, got "soon"/],
    [["topic", "list", "--brokers", "127.0.0.1:9092"], /^INVALID_ARGUMENT: --brokers: "127\.0\.0\.1:9092" is not a (ws:\/\/ or wss:\/\/ )?URL; write it like ws:\/\/127\.0\.0\.1:9092/],
    [["produce", "t", "--acks", "some"], /^INVALID_ARGUMENT: Invalid values:/],
    [["consume", "t", "--max-messages", "ten"], /^INVALID_ARGUMENT: --max-messages must be an integer >= 0, got "ten"/],
    [["consume", "t", "--offset", "5", "--partition", "0", "--from-beginning"], /^INVALID_ARGUMENT: --offset and --from-beginning both say where to start/],
    [["leader", "transfer", "t", "zero"], /^INVALID_ARGUMENT: <partition> must be an integer >= 0, got "zero"/],
    [["leader", "transfer", "t"], /^INVALID_ARGUMENT: Not enough non-option arguments/],
    [["topic"], /^INVALID_ARGUMENT: name a topic subcommand/],
    [["topic", "list", "--tls-cert", "client.pem"], /^INVALID_ARGUMENT: --tls-cert and --tls-key go together/],
    [["topic", "list", "--tls-ca", "/nonexistent/ca.pem"], /^INVALID_ARGUMENT: --tls-ca: cannot read \/nonexistent\/ca\.pem \(ENOENT\)/],
  ];
  // A closed port: if a case got past its argument check, it would fail differently (BROKER_NOT_AVAILABLE, status 1).
  const results = await Promise.all(cases.map(([args]) => runCli(args.includes("--brokers") ? args : [...args, "--brokers", "ws://127.0.0.1:1"])));
  cases.forEach(([args, line], i) => oneLine(results[i] as CliResult, 2, line, args.join(" ")));
});

test("--help lists every command, and each command's help has examples", { timeout: 30_000 }, async () => {
  const top = await runCli(["--help"]);
  assert.equal(top.status, 0);
  for (const name of ["topic", "produce", "consume", "leader", "cluster", "broker", "config"]) assert.match(top.stdout.toString(), new RegExp(`rlog-cli ${name} `), name);
  const commands = [
    ["topic", "create"],
    ["topic", "list"],
    ["topic", "describe"],
    ["topic", "delete"],
    ["produce"],
    ["consume"],
    ["leader", "transfer"],
    ["leader", "rebalance"],
    ["cluster", "status"],
    ["cluster", "start-local"],
    ["broker", "start"],
    ["config", "check"],
  ];
  const results = await Promise.all(commands.map((c) => runCli([...c, "--help"])));
  commands.forEach((c, i) => {
    const r = results[i] as CliResult;
    const out = r.stdout.toString();
    assert.equal(r.status, 0, `${c.join(" ")}: ${r.stderr}`);
    assert.match(out, /\nExamples:\n {2}.*rlog-cli /, c.join(" "));
    const talksToCluster = !["start-local", "start", "check"].includes(c[c.length - 1] ?? "");
    if (talksToCluster) assert.match(out, /--brokers/, c.join(" "));
  });
});

test("rlog-cli --help starts fast (no SDK loaded)", () => {
  const runs = Array.from({ length: 3 }, () => {
    const started = performance.now();
    const r = spawnSync(process.execPath, [CLI_MAIN, "--help"], { env: cleanEnv(), encoding: "utf8" });
    assert.equal(r.status, 0);
    return performance.now() - started;
  });
  // About 0.2 s on an idle machine; the bound leaves room for a loaded CI runner.
  assert.ok(Math.min(...runs) < 1_000, `--help took ${runs.map((ms) => ms.toFixed(0)).join(", ")} ms`);
});
