#!/usr/bin/env node
/**
 * rlog-cli: the command-line tool. Commands live in cli/commands/, one file
 * each, listed in cli/commands/index.ts. Start-up stays fast because only
 * yargs and the command definitions load here; a command imports what it
 * needs inside its handler.
 *
 * Failure prints one line `CODE: message` on stderr; exit status 1 for a
 * failed command, 2 for a bad command line. RLOG_CLI_DEBUG=1 also prints the
 * stack of an unexpected error.
 */
import { readFileSync } from "node:fs";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { COMMANDS } from "./commands/index.js";
import { CliError, EXIT_FAILURE, EXIT_OK, EXIT_USAGE, USAGE_CODE, errorCode, errorLine, exitCodeFor } from "./errors.js";

/** The package version, from the package.json two levels above dist/cli/. */
function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
    return typeof manifest.version === "string" ? manifest.version : "unknown";
  } catch {
    return "unknown";
  }
}

/** The help to suggest after a command-line mistake: the named top-level command's, else the tool's. */
function helpCommand(args: readonly string[]): string {
  const first = args[0];
  const known = COMMANDS.some((c) => typeof c.command === "string" && c.command.split(" ")[0] === first);
  return known ? `rlog-cli ${first} --help` : "rlog-cli --help";
}

/** Parses `args` (without node and script), runs the command, and returns the exit status. */
export async function run(args: readonly string[]): Promise<number> {
  let cli = yargs([...args])
    .scriptName("rlog-cli")
    .usage("$0 <command> [options]\n\nrlog: a Kafka-like replicated message log. Every command has its own --help.")
    .example("npm start", "run a local 3-broker cluster (= rlog-cli cluster start-local)")
    .example("$0 topic create orders --partitions 3 --replication-factor 3", "create a topic")
    .example("seq 1 1000 | $0 produce orders", "write 1000 records")
    .example("$0 consume orders --from-beginning", "print them")
    .example("$0 cluster status", "brokers, controller, leaders, replica lags")
    .epilog(
      "Cluster commands find the cluster through --brokers (default: $RLOG_BROKERS, else the local cluster on ws://127.0.0.1:9092-9094).\n" +
        "A failure prints one line CODE: message on stderr; exit status 1 for a failed command, 2 for a bad command line, 130 after Ctrl-C. See docs/CLI.md.",
    )
    .version(packageVersion())
    .help()
    .alias("h", "help")
    .alias("v", "version")
    .strict()
    .recommendCommands()
    .demandCommand(1, "name a command")
    .wrap(null)
    .fail((message: string | null | undefined, err: Error | undefined) => {
      // yargs calls this for command-line mistakes (message) and for errors thrown by handlers (err).
      if (err !== undefined && err !== null) throw err;
      const suggestion = /^Did you mean (.+)\?$/.exec(message ?? ""); // recommendCommands' whole message for a typo
      const text = suggestion === null ? (message ?? "invalid command line") : `unknown command (did you mean "${suggestion[1] ?? ""}"?)`;
      throw new CliError(USAGE_CODE, text, EXIT_USAGE);
    });
  for (const command of COMMANDS) cli = cli.command(command);
  try {
    await cli.parseAsync();
    return typeof process.exitCode === "number" ? process.exitCode : EXIT_OK;
  } catch (err) {
    process.stderr.write(errorLine(err, helpCommand(args)) + "\n");
    if (process.env["RLOG_CLI_DEBUG"] === "1" && errorCode(err) === "INTERNAL_ERROR" && err instanceof Error) {
      process.stderr.write(`${err.stack ?? ""}\n`);
    }
    return exitCodeFor(err);
  }
}

process.exitCode = await run(hideBin(process.argv)).catch((err: unknown) => {
  process.stderr.write(errorLine(err) + "\n");
  return EXIT_FAILURE;
});
