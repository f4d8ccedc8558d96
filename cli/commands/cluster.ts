/** `rlog-cli cluster start-local|status`: run a local cluster, see a cluster's state. */
import type { Argv, CommandModule } from "yargs";
import { parseInteger, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

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
      .example("$0 cluster start-local", "3 brokers on 127.0.0.1:9092-9094, data under ./data (same as: npm start)")
      .example("$0 cluster start-local --config-dir my-configs --raw-logs", "the brokers of my-configs/broker-N.json, pino JSON logs"),
  handler: async (args) => {
    const { runLocalCluster } = await import("../local-cluster.js");
    process.exitCode = await runLocalCluster({ configDir: args["config-dir"], rawLogs: args["raw-logs"] });
  },
};

interface StatusArgs extends ConnectionArgs, JsonArgs {
  readonly "timeout-ms": unknown;
}

const statusCommand: CommandModule<object, StatusArgs> = {
  command: "status",
  describe: "Brokers (reachable or not), the controller, and per partition: leader, preferred leader, term, high watermark, log start, replica lags",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .option("timeout-ms", { requiresArg: true, default: 3_000, describe: "How long to wait for each broker's answer" })
      .example("$0 cluster status", "tables for the local cluster")
      .example("$0 cluster status --json --brokers ws://10.0.0.5:9092", "as JSON; every broker the first one names is asked too")
      .epilog("Every broker is asked: each knows replica lags only for the partitions it leads. A broker that does not answer shows as unreachable."),
  handler: async (args) => {
    const timeoutMs = parseInteger("--timeout-ms", args["timeout-ms"], 1);
    const { clusterStatus } = await import("../admin/cluster-status.js");
    await clusterStatus({ brokers: args.brokers, timeoutMs, json: args.json });
  },
};

/** The `cluster` command group. */
export const clusterCommand: CommandModule = {
  command: "cluster",
  describe: "Cluster: start-local (run a local cluster), status (brokers, controller, partitions)",
  builder: (y: Argv) => y.command(startLocalCommand).command(statusCommand).demandCommand(1, "name a cluster subcommand: start-local or status"),
  handler: () => undefined,
};
