/**
 * `npm run bench`: the rlog benchmark harness (issue 7). Measures produce
 * and consume throughput, end-to-end and acknowledgement latency, failover
 * and leader-transfer times with lost-record checks, and the lmdb and ws
 * ceilings of this machine, on a cluster it starts (or one given with
 * --brokers). The report goes to stdout, a progress line to stderr, and
 * with --json every figure to a file. See docs/PERFORMANCE.md.
 *
 *   npm run bench                       quick preset
 *   npm run bench -- --full             long preset
 *   npm run bench -- --only produce,consume --json results.json
 *
 * Exit codes: 0 every workload ran and nothing acknowledged was lost;
 * 1 a workload failed or an acknowledged record was lost; 2 bad arguments.
 */
import { writeFileSync } from "node:fs";
import { installCleanupHandlers } from "./cleanup.js";
import { parseBenchArgs, USAGE, type BenchOptions } from "./options.js";
import { runBench } from "./run.js";

async function main(): Promise<number> {
  let options: BenchOptions | undefined;
  try {
    options = parseBenchArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}\n`);
    return 2;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  installCleanupHandlers();
  const { results, ok } = await runBench(options, (text) => process.stdout.write(`${text}\n`));
  if (options.jsonFile !== undefined) {
    writeFileSync(options.jsonFile, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`\nwrote ${options.jsonFile}\n`);
  }
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`rlog bench failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
