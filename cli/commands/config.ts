/**
 * `rlog-cli config check <file>`: load a broker config the way the broker
 * would (defaults, the file, RLOG_* variables) and print it with where each
 * value came from (the cluster secret hidden), or every problem as
 * `INVALID_CONFIG: ...` lines on stderr.
 */
import type { Argv, CommandModule } from "yargs";
import { EXIT_FAILURE } from "../errors.js";

interface CheckArgs {
  readonly file: string;
  readonly json: boolean;
  readonly env: boolean;
}

const checkCommand: CommandModule<object, CheckArgs> = {
  command: "check <file>",
  describe: "Load and validate a broker config file; print it, or what is wrong with it",
  builder: (y: Argv<object>) =>
    y
      .positional("file", { type: "string", demandOption: true, describe: "JSON config file, e.g. config/broker.json" })
      .option("json", { type: "boolean", default: false, describe: "Print the result as JSON on stdout" })
      .option("env", { type: "boolean", default: true, describe: "Apply RLOG_* environment overrides (--no-env to ignore them)" })
      .example("$0 config check config/cluster-3/broker-1.json", "check one broker of the local 3-broker cluster")
      .example("RLOG_CLIENT_PORT=19092 $0 config check config/broker.json --json", "see an override applied, as JSON"),
  handler: async (args) => {
    const { ConfigError, loadConfigDetailed } = await import("../../config/index.js");
    const env = args.env ? process.env : {};
    try {
      const loaded = loadConfigDetailed({ file: args.file, env });
      const sources = loaded.sources;
      // Never print the cluster secret: this output ends up in terminals, CI logs and bug reports.
      const secret = loaded.config.clusterSecret;
      const config = { ...loaded.config, clusterSecret: secret === null ? null : `<hidden, ${secret.length} characters>` };
      if (args.json) {
        process.stdout.write(JSON.stringify({ ok: true, file: args.file, config, sources: Object.fromEntries(sources) }, null, 2) + "\n");
      } else {
        process.stdout.write(`${args.file}: OK\n${formatTable(config, sources)}`);
      }
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      for (const issue of err.issues) {
        process.stderr.write(`${err.code}: ${issue.key === "" ? `${issue.source}: ${issue.reason}` : `${issue.source}: ${issue.key}: ${issue.reason}`}\n`);
      }
      if (args.json) {
        const error = { code: err.code, message: err.message, issues: err.issues };
        process.stdout.write(JSON.stringify({ ok: false, file: args.file, error }, null, 2) + "\n");
      }
      process.exitCode = EXIT_FAILURE;
    }
  },
};

/** `key  value  source` lines, one per leaf key, aligned. */
function formatTable(config: object, sources: ReadonlyMap<string, string>): string {
  const rows: [string, string, string][] = [];
  const walk = (value: unknown, path: string): void => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, path === "" ? key : `${path}.${key}`);
    } else {
      rows.push([path, JSON.stringify(value), sources.get(path) ?? ""]);
    }
  };
  walk(config, "");
  const keyWidth = Math.max(...rows.map((r) => r[0].length));
  const valueWidth = Math.min(40, Math.max(...rows.map((r) => r[1].length)));
  return rows.map(([k, v, s]) => `  ${k.padEnd(keyWidth)}  ${v.padEnd(valueWidth)}  ${s}\n`).join("");
}

/** `rlog-cli config <subcommand>`: work with broker config files. */
export const configCommand: CommandModule<object, object> = {
  command: "config",
  describe: "Work with broker config files",
  builder: (y: Argv<object>) => y.command(checkCommand).demandCommand(1, "name a config subcommand: check"),
  handler: () => {
    // Unreachable: yargs runs a subcommand or fails with demandCommand.
  },
};
