/** Parsing of the bench options added for issue 16 (values, compression, many-producers, partition-scale). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseBenchArgs, WORKLOADS } from "../../bench/options.js";

test("defaults: quick and full partition scales, client counts, random values, no compression", () => {
  const quick = parseBenchArgs([])!;
  assert.deepEqual(quick.partitionScales, [3, 300, 3_000]);
  assert.deepEqual(quick.producerCounts, [1, 4, 16]);
  assert.equal(quick.values, "random");
  assert.equal(quick.compression, "none");
  assert.deepEqual(quick.workloads, WORKLOADS);
  const full = parseBenchArgs(["--full"])!;
  assert.deepEqual(full.partitionScales, [3, 300, 3_000, 10_000]);
  assert.ok(full.scaleIdleSeconds > quick.scaleIdleSeconds);
});

test("the new options are read and checked", () => {
  const o = parseBenchArgs(["--values", "json", "--compression", "zstd", "--partition-scales", "3, 100", "--producer-counts", "2,8", "--scale-idle-seconds", "1"])!;
  assert.equal(o.values, "json");
  assert.equal(o.compression, "zstd");
  assert.deepEqual(o.partitionScales, [3, 100]);
  assert.deepEqual(o.producerCounts, [2, 8]);
  assert.equal(o.scaleIdleSeconds, 1);
  assert.throws(() => parseBenchArgs(["--compression", "snappy"]), /--compression must be one of none, gzip, lz4, zstd/);
  assert.throws(() => parseBenchArgs(["--values", "text"]), /--values must be one of random, json/);
  assert.throws(() => parseBenchArgs(["--partition-scales", "3,3"]), /repeats/);
  assert.throws(() => parseBenchArgs(["--partition-scales", "0"]), /1\.\.100000/);
  assert.throws(() => parseBenchArgs(["--producer-counts", ""]), /at least one/);
  assert.throws(() => parseBenchArgs(["--only", "partition-scale,nope"]), /unknown workload/);
});

test("--no-metrics turns the brokers' metrics off; they are on by default", () => {
  assert.equal(parseBenchArgs([])!.metrics, true);
  assert.equal(parseBenchArgs(["--no-metrics"])!.metrics, false);
});
