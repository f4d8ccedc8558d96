/**
 * `npm run chaos -- --duration S --seed N [--faults kill,pause,...|mixed] [--brokers 3|5] [--keep]`:
 * one chaos run, its faults and the checker's counts; exit 1 on any
 * violation or when the healed cluster did not converge.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { FAULT_KINDS, type FaultKind } from "./nemesis.js";
import { runChaos } from "./run-chaos.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("npm run chaos --")
  .usage("$0 [--duration S] [--seed N] [--faults LIST] [--brokers 3|5] [--keep]")
  .option("duration", { type: "number", default: 60, describe: "seconds of faults (healing and checking come after)" })
  .option("seed", { type: "number", default: 1, describe: "seed of the fault schedule" })
  .option("faults", { type: "string", default: "mixed", describe: `comma-separated of ${FAULT_KINDS.join(", ")}, or mixed (all)` })
  .option("brokers", { type: "number", default: 3, choices: [3, 5] })
  .option("partitions", { type: "number", default: 3 })
  .option("keep", { type: "boolean", default: false, describe: "keep broker logs and data (always kept after a violation)" })
  .strict()
  .help()
  .parseAsync();

const kinds = argv.faults === "mixed" ? [...FAULT_KINDS] : argv.faults.split(",").map((k) => k.trim());
const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
if (unknown.length > 0 || kinds.length === 0) {
  console.error(`INVALID_ARGUMENT: --faults: unknown kind ${unknown.join(", ") || "(none)"}; expected ${FAULT_KINDS.join(", ")} or mixed`);
  process.exit(2);
}

const started = Date.now();
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
log(`chaos: ${argv.brokers} brokers, ${argv.partitions} partitions RF 3, faults ${kinds.join(",")}, ${argv.duration} s, seed ${argv.seed}`);
const result = await runChaos({ durationMs: argv.duration * 1000, seed: argv.seed, kinds: kinds as FaultKind[], brokers: argv.brokers, partitions: argv.partitions, keepDir: argv.keep, log });

const c = result.report.counts;
console.log("");
console.log(`faults        ${Object.entries(result.faults).map(([k, n]) => `${k} ${n}`).join(", ")}`);
console.log(`records       ${c.acknowledged} acknowledged, ${c.unacknowledged} unacknowledged (${c.unacknowledgedPresent} of them written anyway), ${c.reads} reads`);
console.log(`failed sends  ${[...result.failures].map(([k, n]) => `${k} ${n}`).join(", ") || "none"}`);
console.log(`group         ${result.groupCommits} acknowledged commits, ${result.offsetObservations} offset fetches`);
console.log(`producers     ${result.replacedProducers} replaced after a fatal error; foreign reads ${result.foreignReads}`);
console.log(`converged     ${result.converged ? "yes" : "NO"}`);
console.log(`violations    lost ${c.lost}, duplicated ${c.duplicated}, misplaced ${c.misplaced}, reordered ${c.reordered}, phantom reads ${c.phantomReads}, divergent replicas ${c.divergentReplicas}, offsets went back ${c.offsetsWentBack}`);
for (const v of result.report.violations) console.log(`  ${v.kind}: ${v.detail}`);
const ok = result.report.ok && result.converged && result.foreignReads === 0;
console.log(ok ? "OK" : "FAILED");
process.exit(ok ? 0 : 1);
