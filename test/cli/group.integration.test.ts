/**
 * rlog-cli against three real brokers: `consume --group` continues where the
 * previous run of the group stopped (after --max-messages and after Ctrl-C),
 * `group list`, `group describe` (lag table), `group reset-offsets` (earliest,
 * latest; refused while a member runs), and the --group usage errors.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { TestCluster, sleep } from "../broker/cluster-harness.js";
import { runCli, stderrLines, type CliResult } from "../cli/run-cli.js";

const lines = (r: CliResult): string[] => r.stdout.toString().split("\n").filter((l) => l !== "");
const ok = (r: CliResult, what: string): CliResult => {
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
  return r;
};

test("consume --group resumes after what it printed; group list, describe and reset-offsets", { timeout: 120_000 }, async () => {
  const cluster = await TestCluster.start({ size: 3 });
  const b = ["--brokers", cluster.urls().join(",")];
  const cli = (args: readonly string[], options: Parameters<typeof runCli>[1] = {}): Promise<CliResult> => runCli([...args, ...b], options);
  try {
    ok(await cli(["topic", "create", "t", "-p", "3", "-r", "3"]), "create");
    const all = Array.from({ length: 30 }, (_, i) => `k${i % 7}\tv${i}`);
    ok(await cli(["produce", "t", "--key-separator", "\\t"], { input: all.join("\n") + "\n" }), "produce");
    const values = all.map((l) => l.split("\t")[1]!).sort();

    const first = lines(ok(await cli(["consume", "t", "--group", "g", "-n", "12"]), "consume -n 12"));
    assert.equal(first.length, 12);
    const rest = lines(ok(await cli(["consume", "t", "--group", "g"]), "consume the rest"));
    assert.deepEqual([...first, ...rest].sort(), values, "the second run starts right after the first: nothing twice, nothing skipped");

    const list = ok(await cli(["group", "list"]), "group list").stdout.toString();
    assert.match(list, /^GROUP +STATE +MEMBERS\ng +Empty +0\n$/);
    const described = ok(await cli(["group", "describe", "g"]), "describe").stdout.toString();
    assert.match(described, /^group g: Empty, generation \d+, 0 members\n/);
    assert.match(described, /TOPIC +PARTITION +COMMITTED +HIGH-WATERMARK +LAG +OWNER\n/);
    assert.match(described, /\ntotal lag: 0\n$/);
    const json = JSON.parse(ok(await cli(["group", "describe", "g", "--json"]), "describe --json").stdout.toString()) as { partitions: { committed: number; highWatermark: number }[] };
    assert.equal(json.partitions.reduce((n, p) => n + p.committed, 0), 30);

    ok(await cli(["group", "reset-offsets", "g", "--topic", "t", "--to-earliest"]), "reset to earliest");
    assert.deepEqual(lines(ok(await cli(["consume", "t", "--group", "g"]), "consume after reset")).sort(), values);
    const latest = ok(await cli(["group", "reset-offsets", "g", "--topic", "t", "--to-offset", "0", "--partition", "0"]), "reset one partition");
    assert.match(latest.stdout.toString(), /t +0 +0\n$/);

    // A member that follows: it shows in describe, blocks resets, and on Ctrl-C commits what it printed.
    let follower: ChildProcess | undefined;
    let printed = "";
    const following = cli(["consume", "t", "--group", "g", "--follow"], {
      keepStdinOpen: true,
      timeoutMs: 60_000,
      onSpawn: (child) => {
        follower = child;
        child.stdout!.on("data", (d: Buffer) => (printed += d.toString()));
      },
    });
    const deadline = Date.now() + 20_000;
    let stable = "";
    while (Date.now() < deadline) {
      stable = (await cli(["group", "describe", "g"])).stdout.toString();
      if (/Stable, generation \d+, 1 member\n/.test(stable) && /t:0,1,2/.test(stable)) break;
      await sleep(200);
    }
    assert.match(stable, /Stable, generation \d+, 1 member\n/);
    assert.match(stable, /rlog-cli +t:0,1,2/, "the member holds all three partitions");
    const refused = await cli(["group", "reset-offsets", "g", "--topic", "t", "--to-latest"]);
    assert.equal(refused.status, 1);
    assert.deepEqual(stderrLines(refused), ['GROUP_NOT_EMPTY: group "g" has running members; stop its consumers first (see: rlog-cli group describe g)']);
    ok(await cli(["produce", "t"], { input: "n1\nn2\nn3\n" }), "produce more");
    while (Date.now() < deadline && !["n1", "n2", "n3"].every((v) => printed.split("\n").includes(v))) await sleep(50);
    follower!.kill("SIGINT");
    const stopped = await following;
    assert.equal(stopped.status, 130, stopped.stderr);
    const afterFollow = ok(await cli(["group", "describe", "g"]), "describe after Ctrl-C").stdout.toString();
    assert.match(afterFollow, /Empty, generation \d+, 0 members\n/);
    assert.match(afterFollow, /\ntotal lag: 0\n$/, "what the follower printed was committed on Ctrl-C");

    ok(await cli(["group", "reset-offsets", "g", "--topic", "t", "--to-latest", "--json"]), "reset to latest");
    assert.deepEqual(lines(ok(await cli(["consume", "t", "--group", "g"]), "consume after reset to latest")), []);

    const usage = await Promise.all([
      cli(["consume", "t", "--group", "g", "--partition", "0"]),
      cli(["group", "reset-offsets", "g", "--topic", "t", "--to-earliest", "--to-latest"]),
      cli(["group", "describe", "nope"]),
    ]);
    assert.equal(usage[0]!.status, 2);
    assert.match(usage[0]!.stderr, /^INVALID_ARGUMENT: --group reads the partitions the group assigns/);
    assert.equal(usage[1]!.status, 2);
    assert.equal(usage[2]!.status, 1);
    assert.deepEqual(stderrLines(usage[2]!), ['UNKNOWN_GROUP: group "nope" does not exist; list groups with: rlog-cli group list']);
  } finally {
    await cluster.stopAll();
  }
});
