/**
 * Two short chaos runs in the suite, one after the other (one file, so they
 * never overlap): 3 real brokers with 3 partitions (65 s, seed 7), and 5
 * brokers with 6 partitions at RF 3, where no broker hosts every partition
 * (75 s, seed 8). Each has a 10 s fault-free warm-up, then every fault kind,
 * then the safety checker and the availability verdict. The disk-full fault
 * needs root (each broker's data directory on a tmpfs of its own); without
 * it the runs leave that kind out and say why. Longer runs:
 * `npm run chaos -- --duration 600 --seed N --faults KIND` (docs/CHAOS.md).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULT_AVAILABILITY } from "./availability.js";
import { DEFAULT_NEMESIS_TIMING, DISK_FAULT_KINDS, FAULT_KINDS } from "./nemesis.js";
import { tmpfsSkipReason } from "../storage/tmpfs.js";
import { reportLines, runChaos } from "./run-chaos.js";

/** Every fault kind that can run here: the disk-full fault needs root to mount its tmpfs. */
function runnableKinds(): { kinds: readonly (typeof FAULT_KINDS)[number][]; note: string | undefined } {
  const skip = tmpfsSkipReason();
  if (skip === undefined) return { kinds: FAULT_KINDS, note: undefined };
  return { kinds: FAULT_KINDS.filter((k) => !DISK_FAULT_KINDS.includes(k)), note: `without ${DISK_FAULT_KINDS.join(", ")}: ${skip}` };
}

async function shortRun(o: { brokers: number; partitions: number; durationMs: number; seed: number }): Promise<void> {
  const lines: string[] = [];
  const { kinds, note } = runnableKinds();
  if (note !== undefined) console.log(`chaos ${o.brokers} brokers: ${note}`);
  const result = await runChaos({
    ...o,
    kinds,
    replicationFactor: 3,
    warmupMs: DEFAULT_NEMESIS_TIMING.warmupMs,
    availability: DEFAULT_AVAILABILITY,
    keepDir: false,
    log: (l) => lines.push(l),
  });
  const c = result.report.counts;
  const a = result.availability;
  const report = reportLines(result);
  const summary = `${report.join("\n")}\n${lines.join("\n")}`;
  console.log(
    `chaos ${o.brokers} brokers seed ${o.seed}: faults ${JSON.stringify(result.faults)}; ${c.acknowledged} acknowledged, ${c.unacknowledged} unacknowledged, ${c.reads} reads, ${result.groupCommits} group commits; ` +
      `acked/s baseline ${a.baseline.perS.toFixed(0)}, quiet ${a.quiet.perS.toFixed(0)} (${a.quiet.judgedWindows} windows judged), with faults ${a.faulted.perS.toFixed(0)}; transfers judged ${a.transfers.judged}, excused ${a.transfers.excused}`,
  );
  assert.equal(result.report.ok, true, summary);
  assert.equal(result.availability.ok, true, summary);
  assert.equal(result.converged, true, summary);
  assert.equal(result.foreignReads, 0, summary);
  // The run did what it says: every fault kind happened, there was traffic and quiet time to judge.
  for (const kind of kinds) assert.ok(result.faults[kind] >= 1, `no ${kind} fault applied\n${summary}`);
  assert.ok(c.acknowledged >= 2_000, `only ${c.acknowledged} records acknowledged\n${summary}`);
  assert.ok(c.reads >= c.acknowledged, `only ${c.reads} reads\n${summary}`);
  assert.ok(result.groupCommits > 0 && result.offsetObservations > 0, summary);
  assert.ok(a.quiet.judgedWindows >= 1, `no quiet window long enough to judge\n${summary}`);
}

test("chaos, 3 brokers: 65 s of kills, pauses, partitions, one-way cuts, transfers, full disks and damaged data files lose, duplicate, reorder or invent nothing, and quiet windows keep their throughput", { timeout: 240_000 }, async () => {
  await shortRun({ brokers: 3, partitions: 3, durationMs: 65_000, seed: 7 });
});

test("chaos, 5 brokers, 6 partitions, RF 3: the same for 75 s, with partitions that not every broker hosts", { timeout: 240_000 }, async () => {
  await shortRun({ brokers: 5, partitions: 6, durationMs: 75_000, seed: 8 });
});
