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

/** Parses `args` (without node and script), runs the command, and returns the exit status. */
export async function run(args: readonly string[]): Promise<number> {
  let cli = yargs([...args])
    .scriptName("rlog-cli")
    .usage("$0 <command> [options]\n\nrlog: a Kafka-like replicated message log. Every command has its own --help.")
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
    process.stderr.write(errorLine(err) + "\n");
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
