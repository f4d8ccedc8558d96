/**
 * The simulator's command line:
 *
 *     npm run sim -- --runs N --seed S [--members 3|5|mixed] [--steps N] [--profile NAME] [--verbose]
 *
 * Runs N seeded runs (seeds S, S+1, ...), prints every violation with its
 * seed, step, trace tail and the command that replays it, then one summary
 * line exactly `runs: N, violations: V` and timing statistics. Exits 1 on
 * any violation. `--verbose` prints the whole trace of every run (meant for
 * replaying one seed).
 */
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { faultProfile } from "./faults.js";
import { Simulation, replayCommand, runOptions, type RunResult, type SimOptions } from "./simulation.js";
import { percentile } from "./stats.js";

const USAGE = `usage: npm run sim -- [--runs N] [--seed S] [--members 3|5|mixed] [--steps N] [--profile NAME] [--disk-loss unguarded] [--damage unguarded|off] [--quiesce] [--learners N] [--membership-changes] [--verbose] [--trace-lines N]
  --runs N         number of runs (default 100)
  --seed S         first seed (default 1); run k uses seed S+k
  --members M      3, 5 or mixed (default mixed: even seeds 3, odd seeds 5)
  --steps N        steps of the fault phase per run (default 300)
  --profile NAME   force a fault profile (calm, lossy, crashy, partitions, pauses, chaos, disks, none); default: drawn per seed
  --disk-loss M    guarded (default): a member that lost its disk restarts recovering;
                   unguarded: it restarts empty and votes at once (shows what the guard prevents)
  --damage M       guarded (default): a restart that finds a damaged entry cuts the log there and keeps
                   a promise (HardState.promise); unguarded: no promise (shows what it prevents); off: no damage
  --quiesce        quiescence on, with the liveness oracle (test/raft/sim/liveness.ts); the healing phase
                   then also requires the idle group to go quiet and a proposal to it to commit
  --learners N     N learners (non-voting members) beside the voters (default 0); the checker also
                   holds that a learner never campaigns, leads or votes, and they must converge too
  --membership-changes  a pool of 5 members, 3 base voters: a nemesis asks the leader for random
                   membership changes under the faults (needs --members 3; not with --learners or --quiesce);
                   the checker also holds CONFIG_MISMATCH and NON_VOTER_CAMPAIGNED, and the change in
                   flight must complete after healing
  --verbose        print the whole trace of every run
  --trace-lines N  trace lines printed for a failing run (default 80)`;

interface Args {
  runs: number;
  seed: number;
  members: 3 | 5 | "mixed";
  steps: number;
  profile: string | undefined;
  diskLoss: "guarded" | "unguarded";
  damage: "guarded" | "unguarded" | "off";
  quiesce: boolean;
  learners: number;
  membershipChanges: boolean;
  verbose: boolean;
  traceLines: number;
}

function parse(argv: string[]): Args {
  const { values } = parseArgs({
    args: argv,
    options: {
      runs: { type: "string" },
      seed: { type: "string" },
      members: { type: "string" },
      steps: { type: "string" },
      profile: { type: "string" },
      "disk-loss": { type: "string" },
      damage: { type: "string" },
      verbose: { type: "boolean" },
      quiesce: { type: "boolean" },
      learners: { type: "string" },
      "membership-changes": { type: "boolean" },
      "trace-lines": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const int = (name: string, v: string | undefined, dflt: number, min: number): number => {
    if (v === undefined) return dflt;
    const n = Number(v);
    if (!Number.isSafeInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got ${v}`);
    return n;
  };
  const m = values.members ?? "mixed";
  if (m !== "3" && m !== "5" && m !== "mixed") throw new Error(`--members must be 3, 5 or mixed, got ${m}`);
  if (values.profile !== undefined) faultProfile(values.profile); // validate early
  const diskLoss = values["disk-loss"] ?? "guarded";
  if (diskLoss !== "guarded" && diskLoss !== "unguarded") throw new Error(`--disk-loss must be guarded or unguarded, got ${diskLoss}`);
  if (values["membership-changes"] === true && (m !== "3" || values.learners !== undefined || values.quiesce === true)) {
    throw new Error("--membership-changes needs --members 3, and takes neither --learners nor --quiesce");
  }
  const damage = values.damage ?? "guarded";
  if (damage !== "guarded" && damage !== "unguarded" && damage !== "off") throw new Error(`--damage must be guarded, unguarded or off, got ${damage}`);
  return {
    runs: int("runs", values.runs, 100, 1),
    seed: int("seed", values.seed, 1, 0),
    members: m === "mixed" ? "mixed" : m === "3" ? 3 : 5,
    steps: int("steps", values.steps, 300, 0),
    profile: values.profile,
    diskLoss,
    damage,
    quiesce: values.quiesce ?? false,
    learners: int("learners", values.learners, 0, 0),
    membershipChanges: values["membership-changes"] ?? false,
    verbose: values.verbose ?? false,
    traceLines: int("trace-lines", values["trace-lines"], 80, 0),
  };
}


function main(): void {
  let a: Args;
  try {
    a = parse(process.argv.slice(2));
  } catch (err) {
    console.error(String(err instanceof Error ? err.message : err));
    console.error(USAGE);
    process.exit(2);
  }
  const failoverSteps: number[] = [];
  const transferSteps: number[] = [];
  const healLeaderSteps: number[] = [];
  let transfersStarted = 0;
  let steadyMessages = 0;
  let steadyCommitted = 0;
  let acks = 0;
  let disksLost = 0;
  let logsDamaged = 0;
  let changesAsked = 0;
  let changesStarted = 0;
  const failures: RunResult[] = [];
  const t0 = performance.now();
  for (let k = 0; k < a.runs; k++) {
    const seed = a.seed + k;
    const base = runOptions(seed, a.members, a.steps);
    const opts: SimOptions = {
      ...base,
      ...(a.profile !== undefined ? { profile: faultProfile(a.profile) } : {}),
      diskLoss: a.diskLoss,
      damage: a.damage,
      ...(a.quiesce ? { quiesce: true } : {}),
      ...(a.learners > 0 ? { learners: a.learners } : {}),
      ...(a.membershipChanges ? { membershipChanges: true } : {}),
      ...(a.verbose ? { verbose: (line: string) => console.log(line) } : {}),
      traceCapacity: a.traceLines,
    };
    const r = new Simulation(opts).run();
    failoverSteps.push(...r.stats.failoverSteps);
    transferSteps.push(...r.stats.transferSteps);
    transfersStarted += r.stats.transfersStarted;
    if (r.stats.healLeaderSteps >= 0) healLeaderSteps.push(r.stats.healLeaderSteps);
    steadyMessages += r.stats.steadyMessages;
    steadyCommitted += r.stats.steadyCommitted;
    acks += r.stats.acks;
    disksLost += r.stats.disksLost;
    logsDamaged += r.stats.logsDamaged;
    changesAsked += r.stats.membershipChangesAsked;
    changesStarted += r.stats.membershipChangesStarted;
    if (r.ok) {
      if (a.verbose) console.log(`seed ${seed}: ok (${r.step} steps, commit ${r.stats.commitIndex}, ${r.stats.acks} acks, term ${r.stats.term})`);
      continue;
    }
    failures.push(r);
    const v = r.violation!;
    if (!a.verbose) for (const line of r.trace) console.log(line);
    console.log(`VIOLATION seed ${seed} (${r.members} members, profile ${r.profile}) at step ${r.step}: ${v.kind}: ${v.message}`);
    console.log(`  replay: ${replayCommand(seed, a.members, a.steps, a.profile)}${a.quiesce ? " --quiesce" : ""}${a.learners > 0 ? ` --learners ${a.learners}` : ""}${a.membershipChanges ? " --membership-changes" : ""}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  const p = (xs: number[], q: number): string => (xs.length === 0 ? "-" : String(percentile(xs, q)));
  console.log(`runs: ${a.runs}, violations: ${failures.length}`);
  console.log(`leader crash -> new leader: p50 ${p(failoverSteps, 0.5)} ticks, p99 ${p(failoverSteps, 0.99)} ticks (${failoverSteps.length} leader crashes)`);
  console.log(
    `transfer completion: p50 ${p(transferSteps, 0.5)} ticks, p99 ${p(transferSteps, 0.99)} ticks (${transferSteps.length} of ${transfersStarted} transfers completed)`,
  );
  console.log(`heal -> leader: p50 ${p(healLeaderSteps, 0.5)} ticks, p99 ${p(healLeaderSteps, 0.99)} ticks, max ${p(healLeaderSteps, 1)} ticks`);
  console.log(
    `steady state: ${steadyCommitted === 0 ? "-" : (steadyMessages / steadyCommitted).toFixed(1)} messages per committed entry (${steadyMessages} messages, ${steadyCommitted} entries)`,
  );
  console.log(`lost disks (restarts with empty storage, recovering): ${disksLost}`);
  console.log(`damaged logs (restarts that cut a damaged suffix): ${logsDamaged}`);
  if (a.membershipChanges) console.log(`membership changes: ${changesStarted} started of ${changesAsked} asked`);
  console.log(`acknowledged proposals: ${acks}; ${seconds.toFixed(1)} s, ${(a.runs / seconds).toFixed(1)} runs/s`);
  if (failures.length > 0) {
    console.log(`failing seeds: ${failures.map((f) => f.seed).join(" ")}`);
    process.exitCode = 1;
  }
}

main();
