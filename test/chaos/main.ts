/**
 * `npm run chaos -- --duration S --seed N [--faults kill,pause,...|mixed] [--brokers 3|5]
 * [--partitions N] [--replication-factor N] [--keep]` (and the availability thresholds, see --help):
 * one chaos run, its faults, the checker's counts and the availability
 * verdict; exit 1 on any safety or availability violation or when the
 * healed cluster did not converge.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { DEFAULT_AVAILABILITY } from "./availability.js";
import { DEFAULT_NEMESIS_TIMING, DISK_FAULT_KINDS, FAULT_KINDS, type FaultKind } from "./nemesis.js";
import { tmpfsSkipReason } from "../storage/tmpfs.js";
import { chaosOk, reportLines, runChaos } from "./run-chaos.js";

const argv = await yargs(hideBin(process.argv))
  .scriptName("npm run chaos --")
  .usage("$0 [--duration S] [--seed N] [--faults LIST] [--brokers 3|5] [--partitions N] [--replication-factor N] [--keep]")
  .option("duration", { type: "number", default: 60, describe: "seconds of the run (warm-up, then faults; healing and checking come after)" })
  .option("seed", { type: "number", default: 1, describe: "seed of the fault schedule" })
  .option("faults", { type: "string", default: "mixed", describe: `comma-separated of ${FAULT_KINDS.join(", ")}, or mixed (all; disk-full only as root)` })
  .option("brokers", { type: "number", default: 3, choices: [3, 5] })
  .option("partitions", { type: "number", default: 3, describe: "partitions of the workload topic" })
  .option("replication-factor", { type: "number", default: 3, describe: "of the workload topic, at most --brokers" })
  .option("warmup", { type: "number", default: DEFAULT_NEMESIS_TIMING.warmupMs / 1000, describe: "seconds at the start with no fault: the baseline acknowledged records/s" })
  .option("settle", { type: "number", default: DEFAULT_AVAILABILITY.settleMs / 1000, describe: "seconds after a fault heals that still count as the fault's" })
  .option("quiet-rate-fraction", { type: "number", default: DEFAULT_AVAILABILITY.quietRateFractionMin, describe: "each quiet window's acknowledged records/s must reach this fraction of the baseline" })
  .option("quiet-window-min", { type: "number", default: DEFAULT_AVAILABILITY.quietWindowMsMin / 1000, describe: "seconds: shorter quiet windows are judged only together" })
  .option("baseline-fraction", { type: "number", default: DEFAULT_AVAILABILITY.baselineFractionMin, describe: "the baseline must reach this fraction of the offered rate" })
  .option("keep", { type: "boolean", default: false, describe: "keep broker logs and data (always kept after a violation)" })
  .check((a) => {
    if (!Number.isInteger(a.partitions) || a.partitions < 1) throw new Error("--partitions: a positive integer");
    if (!Number.isInteger(a["replication-factor"]) || a["replication-factor"] < 1 || a["replication-factor"] > a.brokers) throw new Error("--replication-factor: 1 to --brokers");
    if (!(a["quiet-rate-fraction"] >= 0 && a["quiet-rate-fraction"] <= 1) || !(a["baseline-fraction"] >= 0 && a["baseline-fraction"] <= 1)) throw new Error("fractions: 0 to 1");
    if (!(a.warmup > DEFAULT_AVAILABILITY.warmupSkipMs / 1000) || a.warmup >= a.duration) throw new Error(`--warmup: more than ${DEFAULT_AVAILABILITY.warmupSkipMs / 1000} s and less than --duration`);
    if (!(a.settle >= 0) || !(a["quiet-window-min"] > 0)) throw new Error("--settle >= 0, --quiet-window-min > 0");
    return true;
  })
  .strict()
  .help()
  .parseAsync();

// The disk-full fault puts each broker on a tmpfs of its own, which needs root: mixed leaves it out without, naming why.
const diskSkip = tmpfsSkipReason();
const mixedKinds = FAULT_KINDS.filter((k) => diskSkip === undefined || !DISK_FAULT_KINDS.includes(k));
if (argv.faults === "mixed" && diskSkip !== undefined) console.error(`note: mixed faults without ${DISK_FAULT_KINDS.join(", ")}: ${diskSkip}`);
const kinds = argv.faults === "mixed" ? [...mixedKinds] : argv.faults.split(",").map((k) => k.trim());
const unknown = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
if (unknown.length > 0 || kinds.length === 0) {
  console.error(`INVALID_ARGUMENT: --faults: unknown kind ${unknown.join(", ") || "(none)"}; expected ${FAULT_KINDS.join(", ")} or mixed`);
  process.exit(2);
}
if (diskSkip !== undefined && kinds.some((k) => (DISK_FAULT_KINDS as readonly string[]).includes(k))) {
  console.error(`INVALID_ARGUMENT: --faults: ${DISK_FAULT_KINDS.join(", ")} cannot run here: ${diskSkip}`);
  process.exit(2);
}

const started = Date.now();
const log = (line: string): void => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);
const availability = {
  ...DEFAULT_AVAILABILITY,
  settleMs: argv.settle * 1000,
  quietRateFractionMin: argv["quiet-rate-fraction"],
  quietWindowMsMin: argv["quiet-window-min"] * 1000,
  baselineFractionMin: argv["baseline-fraction"],
};
log(
  `chaos: ${argv.brokers} brokers, ${argv.partitions} partitions RF ${argv["replication-factor"]}, faults ${kinds.join(",")}, ${argv.duration} s (warm-up ${argv.warmup} s), seed ${argv.seed}; ` +
    `quiet windows (${argv.settle} s after a heal, judged from ${argv["quiet-window-min"]} s) must hold ${argv["quiet-rate-fraction"]} of the baseline`,
);
const result = await runChaos({
  durationMs: argv.duration * 1000,
  seed: argv.seed,
  kinds: kinds as FaultKind[],
  brokers: argv.brokers,
  partitions: argv.partitions,
  replicationFactor: argv["replication-factor"],
  warmupMs: argv.warmup * 1000,
  availability,
  keepDir: argv.keep,
  log,
});

console.log("");
for (const line of reportLines(result)) console.log(line);
const ok = chaosOk(result);
console.log(ok ? "OK" : "FAILED");
process.exit(ok ? 0 : 1);
