/** `rlog-cli cluster ...`: run a local cluster. */
import type { Argv, CommandModule } from "yargs";

interface StartLocalArgs {
  readonly "config-dir": string;
  readonly "raw-logs": boolean;
}

const startLocalCommand: CommandModule<object, StartLocalArgs> = {
  command: "start-local",
  describe: "Run a local cluster: one broker process per broker-N.json in --config-dir (what `npm start` runs)",
  builder: (y: Argv<object>) =>
    y
      .option("config-dir", { type: "string", default: "config/cluster-3", describe: "Directory of broker-N.json configs" })
      .option("raw-logs", { type: "boolean", default: false, describe: "Print the brokers' pino JSON log lines unformatted" })
      .example("$0 cluster start-local", "3 brokers on 127.0.0.1:9092-9094, data under ./data"),
  handler: async (args) => {
    const { runLocalCluster } = await import("../local-cluster.js");
    process.exitCode = await runLocalCluster({ configDir: args["config-dir"], rawLogs: args["raw-logs"] });
  },
};

/** The `cluster` command group. */
export const clusterCommand: CommandModule = {
  command: "cluster <command>",
  describe: "Local cluster and cluster status",
  builder: (y: Argv) => y.command(startLocalCommand).demandCommand(1),
  handler: () => undefined,
};
