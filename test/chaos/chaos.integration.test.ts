/**
 * A short chaos run in the suite: 3 real brokers behind fault-injecting link
 * proxies, 45 s of every fault kind (seed 7), then the checker. Longer runs:
 * `npm run chaos -- --duration 600 --seed N --faults KIND` (docs/CHAOS.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { FAULT_KINDS } from "./nemesis.js";
import { runChaos } from "./run-chaos.js";

test("chaos: 45 s of kills, pauses, partitions, one-way cuts and transfers lose, duplicate, reorder or invent nothing", { timeout: 240_000 }, async () => {
  const lines: string[] = [];
  const result = await runChaos({ durationMs: 45_000, seed: 7, kinds: FAULT_KINDS, brokers: 3, partitions: 3, keepDir: false, log: (l) => lines.push(l) });
  const c = result.report.counts;
  const summary = `faults ${JSON.stringify(result.faults)}; counts ${JSON.stringify(c)}\n${result.report.violations.map((v) => `${v.kind}: ${v.detail}`).join("\n")}\n${lines.join("\n")}`;
  console.log(`chaos seed 7: faults ${JSON.stringify(result.faults)}; ${c.acknowledged} acknowledged, ${c.unacknowledged} unacknowledged, ${c.reads} reads, ${result.groupCommits} group commits`);
  assert.equal(result.report.ok, true, summary);
  assert.equal(result.converged, true, summary);
  assert.equal(result.foreignReads, 0, summary);
  // The run did what it says: every fault kind happened, and there was traffic to judge.
  for (const kind of FAULT_KINDS) assert.ok(result.faults[kind] >= 1, `no ${kind} fault applied\n${summary}`);
  assert.ok(c.acknowledged >= 2_000, `only ${c.acknowledged} records acknowledged\n${summary}`);
  assert.ok(c.reads >= c.acknowledged, `only ${c.reads} reads\n${summary}`);
  assert.ok(result.groupCommits > 0 && result.offsetObservations > 0, summary);
});
