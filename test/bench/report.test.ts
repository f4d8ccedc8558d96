/** The report's commit stamp and issue 16's targets. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkTargets } from "../../bench/report/results.js";
import { withCommit } from "../../bench/report/table.js";

test("a section's title line names the commit", () => {
  assert.equal(withCommit("\n== produce throughput\n   settings", "1a2b3c4-dirty"), "\n== produce throughput  [commit 1a2b3c4-dirty]\n   settings");
  assert.equal(withCommit("\n== x\n   skipped: y", undefined), "\n== x  [commit unknown]\n   skipped: y");
});

test("issue 16's targets: partition scale and the new bounds; unmeasured is n/a", () => {
  const doc = {
    produce: { recordsPerSec: 100_000, mbPerSec: 99 },
    consume: { recordsPerSec: 300_000 },
    partitionScale: { idleCpuPercentOfCoreAt10000: null, produceRatio3000To3: 0.8 },
    transfer: { msP50: 20.5, lostRecords: 0 },
  };
  const by = new Map(checkTargets(doc).map((t) => [t.field, t.met]));
  assert.equal(by.get("produce.recordsPerSec"), true);
  assert.equal(by.get("produce.mbPerSec"), false);
  assert.equal(by.get("consume.recordsPerSec"), true);
  assert.equal(by.get("partitionScale.produceRatio3000To3"), true);
  assert.equal(by.get("partitionScale.idleCpuPercentOfCoreAt10000"), null);
  assert.equal(by.get("transfer.msP50"), false);
  assert.equal(by.get("transfer.lostRecords"), true);
  assert.equal(by.get("failover.msP50"), null);
});
