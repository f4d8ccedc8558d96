/** partition-scale's pure parts: how a scale is split into topics, and CPU time from /proc. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { cpuPercentOfCore, cpuTicksOf, procCpuAvailable } from "../../bench/proc-cpu.js";
import { topicPlan } from "../../bench/workloads/partition-scale.js";

test("a scale is the produce topic first, then idle topics of at most partitionsMax", () => {
  assert.deepEqual(topicPlan(3, 3, 1024), [3]);
  assert.deepEqual(topicPlan(1, 3, 1024), [1]);
  assert.deepEqual(topicPlan(300, 3, 1024), [3, 297]);
  assert.deepEqual(topicPlan(3_000, 3, 1024), [3, 1024, 1024, 949]);
  const big = topicPlan(10_000, 3, 1024);
  assert.equal(big.reduce((a, b) => a + b, 0), 10_000);
  assert.ok(big.every((n) => n >= 1 && n <= 1024));
});

test("CPU percent of one core from tick counts", () => {
  assert.deepEqual(cpuPercentOfCore([100, 0], [150, 10], 10, { perSec: 100, assumed: false }), [5, 1]);
});

test("this process's CPU ticks can be read and grow with work", { skip: procCpuAvailable() ? false : "no /proc here" }, () => {
  const before = cpuTicksOf(process.pid);
  const until = performance.now() + 60;
  let x = 0;
  while (performance.now() < until) x += Math.sqrt(x + 1);
  assert.ok(x > 0);
  const after = cpuTicksOf(process.pid);
  assert.ok(Number.isSafeInteger(before) && after >= before);
});
