/**
 * The bench harness in a tiny configuration: 1 broker, a few thousand
 * records (through rlog's SDK and through kafkajs on the Kafka listener), no failover (transfer is skipped by itself at replication factor
 * 1), many-producers with 1 and 2 clients for 1 s, partition-scale at 3 and
 * 30 partitions with 1-second windows. Checks that it exits cleanly, that
 * every required JSON field is a finite number unless its workload says why
 * it did not run, that every target's field is present, that the commit is
 * named, and that it leaves no temporary data and no broker process behind.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { REQUIRED_FIELDS, fieldAt } from "../../bench/report/results.js";
import type { ManyProducersRun } from "../../bench/workloads/many-producers.js";
import type { PartitionScaleStep } from "../../bench/workloads/partition-scale.js";

const MAIN_JS = fileURLToPath(new URL("../../bench/main.js", import.meta.url));

test("bench smoke: tiny run writes every required figure and cleans up", { timeout: 150_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "rlog-bench-smoke-"));
  const benchTmp = join(dir, "tmp");
  const jsonFile = join(dir, "results.json");
  try {
    mkdirSync(benchTmp);
    const args = [
      MAIN_JS,
      ...["--cluster-size", "1", "--records", "3000", "--skip", "failover,steady"],
      ...["--ack-latency-records", "100", "--latency-seconds", "2", "--ceiling-seconds", "1"],
      ...["--producer-counts", "1,2", "--producers-seconds", "1"],
      ...["--partition-scales", "3,30", "--scale-settle-seconds", "0", "--scale-idle-seconds", "1", "--scale-produce-seconds", "1"],
      ...["--quiet", "--json", jsonFile],
    ];
    const child = spawn(process.execPath, args, { env: { ...process.env, TMPDIR: benchTmp }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 140_000);
    const code = await new Promise<number | null>((resolve) => child.once("exit", (c) => resolve(c)));
    clearTimeout(timer);
    assert.equal(code, 0, `bench exited with ${code}:\n${output}`);

    const doc = JSON.parse(readFileSync(jsonFile, "utf8")) as unknown;
    for (const field of REQUIRED_FIELDS) {
      const section = field.split(".")[0]!;
      const value = fieldAt(doc, field);
      const skipped = fieldAt(doc, `${section}.skipped`);
      if (typeof skipped === "string") {
        assert.equal(value, null, `${field}: null when ${section} is skipped`);
      } else {
        assert.equal(fieldAt(doc, `${section}.error`), undefined, `${section} failed: ${String(fieldAt(doc, `${section}.error`))}`);
        assert.ok(typeof value === "number" && Number.isFinite(value), `${field} is a finite number, got ${JSON.stringify(value)}`);
      }
    }
    // What this configuration must have run, and what it must have skipped (and said why).
    for (const section of ["produce", "kafkaProduce", "produceJson", "consume", "manyProducers", "partitionScale", "produceLatencyMs", "e2eLatencyMs", "ceilings"]) {
      assert.equal(fieldAt(doc, `${section}.skipped`), undefined, `${section} ran`);
    }
    assert.match(String(fieldAt(doc, "failover.skipped")), /not selected/);
    assert.match(String(fieldAt(doc, "transfer.skipped")), /replication factor/);
    assert.ok((fieldAt(doc, "consume.records") as number) >= 3000, "consume read back every produced record");
    assert.equal(fieldAt(doc, "produceJson.settings.values"), "json");
    const kafkaRuns = fieldAt(doc, "kafkaProduce.runs") as { idempotent: boolean; recordsPerSec: number; failedRecords: number }[];
    assert.deepEqual(kafkaRuns.map((r) => r.idempotent), [false, true], "kafkajs ran without and with idempotence");
    for (const r of kafkaRuns) assert.ok(r.recordsPerSec > 0 && r.failedRecords === 0, `kafkajs (idempotent ${r.idempotent}): ${r.recordsPerSec} records/s, ${r.failedRecords} failed`);
    const runs = fieldAt(doc, "manyProducers.runs") as ManyProducersRun[];
    assert.deepEqual(runs.map((r) => r.clients), [1, 2]);
    for (const r of runs) assert.ok(typeof r.recordsPerSec === "number" && r.recordsPerSec > 0, `many-producers ${r.clients}: ${r.error ?? "no rate"}`);
    const steps = fieldAt(doc, "partitionScale.steps") as PartitionScaleStep[];
    assert.deepEqual(steps.map((x) => x.partitions), [3, 30]);
    for (const x of steps) {
      assert.equal(x.error, undefined, `partition-scale ${x.partitions}`);
      assert.ok(typeof x.idleCpuPercentOfCore === "number" && x.idleCpuPercentOfCore >= 0, `idle CPU at ${x.partitions}`);
      assert.ok(typeof x.recordsPerSec === "number" && x.recordsPerSec > 0, `produce at ${x.partitions}`);
    }
    // Every target's field is in the JSON (null when not measured, as 10,000 partitions here).
    for (const t of fieldAt(doc, "targets") as { field: string }[]) assert.notEqual(fieldAt(doc, t.field), undefined, `${t.field} present`);
    assert.match(String(fieldAt(doc, "commit")), /^[0-9a-f]{4,}(-dirty)?$/, "the commit is named");
    assert.match(output, /\[commit [0-9a-f]{4,}(-dirty)?\]/, "sections name the commit");
    for (const path of ["machine.cpuCount", "machine.memoryBytes"]) assert.ok((fieldAt(doc, path) as number) > 0, path);
    assert.equal(typeof fieldAt(doc, "versions.node"), "string");
    assert.equal(typeof fieldAt(doc, "versions.deps.lmdb"), "string");
    assert.match(output, /== produce throughput/, "the table is printed");
    assert.deepEqual(readdirSync(benchTmp), [], "temporary directories removed");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
