/**
 * rlog-cli produce and consume end to end: the real CLI as child processes
 * against a real 3-broker cluster (one cluster for the whole file).
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { partitionForKey, RlogClient } from "../../client/index.js";
import { TestCluster } from "../broker/cluster-harness.js";
import { assertOneLineErrors, runCli, stderrLines, type CliResult } from "./run-cli.js";

let cluster: TestCluster;
let brokers: string;
let client: RlogClient;
const tmp = mkdtempSync(join(tmpdir(), "rlog-cli-pc-"));

before(async () => {
  cluster = await TestCluster.start({ size: 3 });
  brokers = cluster.urls().join(",");
  client = new RlogClient({ brokers: cluster.urls() });
});

after(async () => {
  await client?.close();
  await cluster?.stopAll();
  rmSync(tmp, { recursive: true, force: true });
});

/** rlog-cli with --brokers pointing at the test cluster. */
function cli(args: readonly string[], options: Parameters<typeof runCli>[1] = {}): Promise<CliResult> {
  return runCli([...args, "--brokers", brokers], options);
}

async function createTopic(name: string, partitions: number): Promise<void> {
  const r = await cli(["topic", "create", name, "--partitions", String(partitions), "--replication-factor", "3"]);
  assert.equal(r.status, 0, r.stderr);
}

/** Sum of the partitions' high watermarks. */
async function recordCount(topic: string, partitions: number): Promise<number> {
  const admin = client.admin();
  let sum = 0;
  for (let p = 0; p < partitions; p++) sum += (await admin.listOffsets({ topic, partition: p }, "latest")).offset;
  return sum;
}

async function waitFor(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Lines of a byte string, keeping every byte (latin1 maps bytes 1:1 to characters). */
const linesOf = (b: Buffer): string[] => {
  const text = b.toString("latin1");
  assert.ok(text === "" || text.endsWith("\n"), "output ends with a newline");
  return text === "" ? [] : text.slice(0, -1).split("\n");
};

/** Values by key, in the order they appear. */
function byKey(lines: readonly string[]): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const line of lines) {
    const tab = line.indexOf("\t");
    const key = line.slice(0, tab);
    const list = m.get(key) ?? [];
    list.push(line.slice(tab + 1));
    m.set(key, list);
  }
  return m;
}

test("100,000 keyed lines: produce, then consume them back byte for byte, keys included, order kept per key", { timeout: 60_000 }, async (t) => {
  const topic = "lines";
  await createTopic(topic, 3);
  const count = 100_000;
  const lines = Array.from({ length: count }, (_, i) => `key${i % 97}\tvalue-${i}`);
  const input = Buffer.from(lines.join("\n") + "\n", "latin1");

  const produced = await cli(["produce", topic, "--key-separator", "\\t"], { input, timeoutMs: 45_000 });
  assert.equal(produced.status, 0, produced.stderr);
  assert.equal(produced.stdout.length, 0, "produce prints nothing on stdout without --json");
  assert.match(produced.stderr, /^produced 100,000 records \([\d.]+ MB\) to lines in [\d.]+ s, [\d,]+ records\/s\n$/);

  const consumed = await cli(["consume", topic, "--from-beginning", "--max-messages", String(count), "--format", "key-value", "--key-separator", "\\t"], { timeoutMs: 45_000 });
  assert.equal(consumed.status, 0, consumed.stderr);
  assert.equal(consumed.stderr, "");
  const out = linesOf(consumed.stdout);
  assert.equal(out.length, count);
  // As multisets, byte for byte (across partitions the order is the arrival order).
  assert.deepEqual([...out].sort(), [...lines].sort());
  // Same key -> same partition -> the producer's order.
  assert.deepEqual(byKey(out), byKey(lines));

  const inputBytes = input.length;
  t.diagnostic(`produce: ${count} records (${inputBytes} bytes) in ${produced.ms.toFixed(0)} ms wall, ${Math.round(count / (produced.ms / 1000))} records/s (CLI: ${produced.stderr.trim()})`);
  t.diagnostic(`consume: ${count} records in ${consumed.ms.toFixed(0)} ms wall, ${Math.round(count / (consumed.ms / 1000))} records/s`);

  // One partition as JSON: dense offsets from 0, and every key is where the partitioner puts it.
  const p1 = await cli(["consume", topic, "--partition", "1", "--json"]);
  assert.equal(p1.status, 0, p1.stderr);
  const records = linesOf(p1.stdout).map((l) => JSON.parse(l) as { partition: number; offset: number; key: string; value: string; timestamp: number });
  assert.ok(records.length > 0);
  records.forEach((r, i) => {
    assert.equal(r.partition, 1);
    assert.equal(r.offset, i);
    assert.equal(partitionForKey(Buffer.from(r.key), 3), 1, `key ${r.key} belongs to partition 1`);
    assert.ok(Number.isSafeInteger(r.timestamp) && r.timestamp > 0);
  });
  assert.equal(records.length, (await client.admin().listOffsets({ topic, partition: 1 }, "latest")).offset);
});

test("consume without --follow stops at the high watermark of its start; --partition, --offset, --max-messages", { timeout: 30_000 }, async () => {
  const topic = "ends";
  await createTopic(topic, 2);
  const file = join(tmp, "ends.txt");
  writeFileSync(file, Array.from({ length: 20 }, (_, i) => `r${i}`).join("\n")); // no newline after the last line: still a record
  const produced = await cli(["produce", topic, "--file", file, "--partition", "1", "--json"]);
  assert.equal(produced.status, 0, produced.stderr);
  const summary = JSON.parse(produced.stdout.toString("utf8")) as { records: number; bytes: number; interrupted: boolean };
  assert.equal(summary.records, 20);
  assert.equal(summary.interrupted, false);

  const all = await cli(["consume", topic]); // not following: everything there now, from the start
  assert.equal(all.status, 0, all.stderr);
  assert.deepEqual(linesOf(all.stdout), Array.from({ length: 20 }, (_, i) => `r${i}`));

  const some = await cli(["consume", topic, "--partition", "1", "--offset", "15", "--max-messages", "3"]);
  assert.equal(some.status, 0, some.stderr);
  assert.deepEqual(linesOf(some.stdout), ["r15", "r16", "r17"]);

  const empty = await cli(["consume", topic, "--partition", "0"]);
  assert.equal(empty.status, 0, empty.stderr);
  assert.equal(empty.stdout.length, 0);

  const atEnd = await cli(["consume", topic, "--partition", "1", "--offset", "20"]);
  assert.equal(atEnd.status, 0, atEnd.stderr);
  assert.equal(atEnd.stdout.length, 0);

  const past = await cli(["consume", topic, "--partition", "1", "--offset", "21"]);
  assert.equal(past.status, 1);
  assert.deepEqual(stderrLines(past), [`OFFSET_OUT_OF_RANGE: offset 21 is outside partition 1 of "ends": it holds offsets 0 to 20 (20 is the next to be written)`]);
});

test("JSON output gives bytes that are not UTF-8 in base64 and says so; keyless records have key null", { timeout: 30_000 }, async () => {
  const topic = "binary";
  await createTopic(topic, 1);
  const input = Buffer.concat([Buffer.from("k1|h\u00e9llo\n", "utf8"), Buffer.from([0x6b, 0x32, 0x7c, 0xff, 0xfe, 0x0a]), Buffer.from([0xc3, 0x28, 0x7c, 0x76, 0x0a])]);
  const produced = await cli(["produce", topic, "--key-separator", "|"], { input });
  assert.equal(produced.status, 0, produced.stderr);
  const keyless = await cli(["produce", topic], { input: "no key here\r\n" }); // CRLF: the \r is dropped
  assert.equal(keyless.status, 0, keyless.stderr);

  const r = await cli(["consume", topic, "--json"]);
  assert.equal(r.status, 0, r.stderr);
  const got = r.stdout.toString("utf8").trimEnd().split("\n").map((l) => {
    const o = JSON.parse(l) as Record<string, unknown>;
    delete o["timestamp"];
    return o;
  });
  assert.deepEqual(got, [
    { partition: 0, offset: 0, key: "k1", value: "h\u00e9llo" },
    { partition: 0, offset: 1, key: "k2", value: Buffer.from([0xff, 0xfe]).toString("base64"), valueEncoding: "base64" },
    { partition: 0, offset: 2, key: Buffer.from([0xc3, 0x28]).toString("base64"), keyEncoding: "base64", value: "v" },
    { partition: 0, offset: 3, key: null, value: "no key here" },
  ]);
  // The raw formats write the bytes unchanged.
  const raw = await cli(["consume", topic, "--format", "key-value", "--key-separator", "\\x00", "--max-messages", "3"]);
  assert.equal(raw.status, 0, raw.stderr);
  assert.deepEqual(raw.stdout, Buffer.concat([Buffer.from("k1\0h\u00e9llo\n", "utf8"), Buffer.from([0x6b, 0x32, 0, 0xff, 0xfe, 0x0a]), Buffer.from([0xc3, 0x28, 0, 0x76, 0x0a])]));
});

test("produce --compression: every codec, consumed back byte for byte", { timeout: 30_000 }, async () => {
  const topic = "squeezed";
  await createTopic(topic, 1);
  const expected: string[] = [];
  for (const codec of ["none", "gzip", "lz4", "zstd"]) {
    const lines = Array.from({ length: 2_000 }, (_, i) => JSON.stringify({ codec, i, path: "/a/b/c" }));
    expected.push(...lines);
    const produced = await cli(["produce", topic, "--compression", codec], { input: lines.join("\n") + "\n" });
    assert.equal(produced.status, 0, produced.stderr);
  }
  const consumed = await cli(["consume", topic, "--from-beginning", "--max-messages", String(expected.length)], { timeoutMs: 20_000 });
  assert.equal(consumed.status, 0, consumed.stderr);
  assert.deepEqual(linesOf(consumed.stdout), expected);
  const bad = await cli(["produce", topic, "--compression", "snappy"], { input: "x\n" });
  assert.notEqual(bad.status, 0);
});

test("consume --follow prints records produced after it started; Ctrl-C ends it with status 130", { timeout: 30_000 }, async () => {
  const topic = "follow";
  await createTopic(topic, 3);
  let seen = "";
  let child: import("node:child_process").ChildProcess | undefined;
  const following = cli(["consume", topic, "--follow", "--from-beginning"], {
    onSpawn: (c) => {
      child = c;
      c.stdout?.on("data", (d: Buffer) => (seen += d.toString("utf8")));
    },
  });
  try {
    const produced = await cli(["produce", topic], { input: "one\ntwo\nthree\n" });
    assert.equal(produced.status, 0, produced.stderr);
    await waitFor("the follower to print 3 records", () => seen.split("\n").length === 4);
    child?.kill("SIGINT");
  } catch (err) {
    child?.kill("SIGKILL"); // never leave it running
    throw err;
  }
  const r = await following;
  assert.equal(r.status, 130, r.stderr);
  assert.deepEqual(linesOf(r.stdout).sort(), ["one", "three", "two"]);
});

test("produce: Ctrl-C stops reading, sends every complete line already read, prints the summary, exits 130", { timeout: 30_000 }, async () => {
  const topic = "interrupted";
  await createTopic(topic, 3);
  const input = Array.from({ length: 1000 }, (_, i) => `line-${i}\n`).join("") + "partial";
  let child: import("node:child_process").ChildProcess | undefined;
  const producing = cli(["produce", topic], { input, keepStdinOpen: true, onSpawn: (c) => (child = c) });
  try {
    await waitFor("1000 records to be written", async () => (await recordCount(topic, 3)) === 1000);
    child?.kill("SIGINT");
  } catch (err) {
    child?.kill("SIGKILL"); // never leave it running
    throw err;
  }
  const r = await producing;
  assert.equal(r.status, 130, r.stderr);
  assert.match(r.stderr, /^interrupted: produced 1,000 records \(.+\) to interrupted in [\d.]+ s, [\d,]+ records\/s; an incomplete last line \(7 bytes\) was not sent\n$/);
  assert.equal(await recordCount(topic, 3), 1000);
});

test("errors: one line naming the problem and a non-zero status", { timeout: 30_000 }, async () => {
  await createTopic("errs", 2);
  const cases: { args: string[]; input?: string; status: number; line: string | RegExp }[] = [
    { args: ["consume", "nope"], status: 1, line: 'UNKNOWN_TOPIC: topic "nope" does not exist; list topics with: rlog-cli topic list' },
    { args: ["produce", "nope"], input: "x\n", status: 1, line: 'UNKNOWN_TOPIC: topic "nope" does not exist; list topics with: rlog-cli topic list' },
    { args: ["consume", "errs", "--partition", "2"], status: 1, line: 'UNKNOWN_PARTITION: topic "errs" has no partition 2 (it has 2: 0 to 1)' },
    { args: ["produce", "errs", "--partition", "5"], input: "x\n", status: 1, line: 'UNKNOWN_PARTITION: topic "errs" has no partition 5 (it has 2: 0 to 1)' },
    { args: ["consume", "errs", "--group", "g1", "--offset", "3"], status: 2, line: /^INVALID_ARGUMENT: --group reads the partitions the group assigns/ },
    { args: ["consume", "errs", "--offset", "3"], status: 2, line: /^INVALID_ARGUMENT: --offset needs --partition/ },
    { args: ["consume", "errs", "--format", "xml"], status: 2, line: /^INVALID_ARGUMENT: Invalid values:/ },
  ];
  const results = await Promise.all(cases.map((c) => cli(c.args, c.input === undefined ? {} : { input: c.input })));
  assertOneLineErrors(cases, results);
  // A line without the separator stops the run after sending the lines before it.
  const r = await cli(["produce", "errs", "--key-separator", ":"], { input: "a:1\nb:2\nno separator\nc:3\n" });
  assert.equal(r.status, 1);
  assert.deepEqual(stderrLines(r), ['INVALID_INPUT: line 3 has no key separator ":"; with --key-separator every line must be KEY<separator>VALUE (2 records were produced before it)']);
  const written = await cli(["consume", "errs", "--format", "key-value", "--key-separator", ":"]);
  assert.deepEqual(linesOf(written.stdout).sort(), ["a:1", "b:2"]);
});
