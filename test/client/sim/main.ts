/**
 * The client state-machine simulators' command line:
 *
 *     npx tsc -p . && node dist/test/client/sim/main.js lane|membership [--runs N] [--seed S] [--steps N] [--verbose]
 *
 * Runs N seeded runs (seeds S, S+1, ...) of the producer lane or the group
 * membership state machine, prints every violation with its seed and the
 * command that replays it, then `runs: N, violations: V` and the time taken.
 * Exits 1 on any violation. `--verbose` prints each run's whole trace.
 */
import { parseArgs } from "node:util";
import { laneReplayCommand, runLaneSeed } from "./lane-sim.js";
import { membershipReplayCommand, runMembershipSeed } from "./membership-sim.js";

const USAGE = `usage: node dist/test/client/sim/main.js lane|membership [--runs N] [--seed S] [--steps N] [--verbose]
  --runs N     number of runs (default 1000)
  --seed S     first seed (default 1); run k uses seed S+k
  --steps N    steps of the fault phase per run (default: the simulator's)
  --verbose    print the whole trace of every run`;

function main(): number {
  Error.stackTraceLimit = 0; // RlogErrors by the thousand: their stacks are most of the cost
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: { runs: { type: "string" }, seed: { type: "string" }, steps: { type: "string" }, verbose: { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  const which = positionals[0];
  if (values.help === true || (which !== "lane" && which !== "membership")) {
    console.log(USAGE);
    return values.help === true ? 0 : 2;
  }
  const runs = Number(values.runs ?? 1_000);
  const first = Number(values.seed ?? 1);
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  const trace = values.verbose === true ? (line: string): void => console.log(line) : undefined;
  const opts = { ...(steps === undefined ? {} : { steps }), ...(trace === undefined ? {} : { trace }) };
  const started = performance.now();
  let violations = 0;
  for (let seed = first; seed < first + runs; seed++) {
    const r = which === "lane" ? runLaneSeed(seed, opts) : runMembershipSeed(seed, opts);
    if (r.violations.length > 0) {
      violations++;
      console.log(`seed ${seed}: ${r.violations.join("; ")}`);
      console.log(`  replay: ${which === "lane" ? laneReplayCommand(seed, steps) : membershipReplayCommand(seed, steps)}`);
    }
  }
  console.log(`runs: ${runs}, violations: ${violations} (${Math.round(performance.now() - started)} ms)`);
  return violations > 0 ? 1 : 0;
}

process.exitCode = main();
