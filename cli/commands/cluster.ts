/** `rlog-cli cluster start-local|status`: run a local cluster, see a cluster's state. */
import type { Argv, CommandModule } from "yargs";
import type { LocalClusterSource } from "../local-cluster.js";
import type { BrokerGc } from "../../config/node-flags.js";
import {
  CLIENT_PORT_BASE,
  LOCAL_BROKERS_DEFAULT,
  LOCAL_BROKERS_MAX,
  LOCAL_BROKERS_MIN,
  LOCAL_DATA_ROOT_DEFAULT,
  LOCAL_HOST,
  PEER_PORT_BASE,
} from "../local-cluster-config.js";
import { parseInteger, usageError, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

interface StartLocalArgs {
  readonly brokers: unknown;
  readonly "data-dir": string | undefined;
  readonly "config-dir": string | undefined;
  readonly "raw-logs": boolean;
  readonly secure: boolean;
  readonly gc: BrokerGc;
}

/** config/node-flags.ts's BROKER_GC_MODES, spelled out: commands import only cli/** statically, so --help stays fast. */
const GC_CHOICES = ["auto", "single-threaded", "parallel"] as const satisfies readonly BrokerGc[];
/** Fails to compile when BrokerGc gains a mode GC_CHOICES lacks. */
const GC_CHOICES_COMPLETE: Exclude<BrokerGc, (typeof GC_CHOICES)[number]> extends never ? true : never = true;
void GC_CHOICES_COMPLETE;

const startLocalCommand: CommandModule<object, StartLocalArgs> = {
  command: "start-local",
  describe: `Run a local cluster of ${LOCAL_BROKERS_MIN} to ${LOCAL_BROKERS_MAX} broker processes on ${LOCAL_HOST} (what \`npm start\` runs)`,
  builder: (y: Argv<object>) =>
    y
      .option("brokers", {
        requiresArg: true,
        defaultDescription: String(LOCAL_BROKERS_DEFAULT),
        describe: `How many brokers (${LOCAL_BROKERS_MIN}-${LOCAL_BROKERS_MAX}); broker i serves clients on port ${CLIENT_PORT_BASE}+i and peers on ${PEER_PORT_BASE}+i`,
      })
      .option("data-dir", {
        type: "string",
        requiresArg: true,
        defaultDescription: LOCAL_DATA_ROOT_DEFAULT,
        describe: "Directory of the brokers' data (broker-i/) and of their generated configs (local-cluster/)",
      })
      .option("config-dir", { type: "string", requiresArg: true, describe: "Instead of --brokers: run one broker per broker-N.json in this directory" })
      .option("raw-logs", { type: "boolean", default: false, describe: "Print the brokers' pino JSON log lines unformatted" })
      .option("gc", {
        choices: GC_CHOICES,
        default: "auto" as BrokerGc,
        describe: "The brokers' garbage collector: single-threaded, parallel (V8's default), or auto (single-threaded when the brokers have fewer than 2 cores each; docs/OPERATIONS.md, \"Node flags for a broker process\")",
      })
      .option("secure", {
        type: "boolean",
        default: false,
        describe: "TLS on: on first start make a CA and certificates under <data-dir>/tls, and write <data-dir>/client.env (RLOG_BROKERS, RLOG_TLS_CA) for clients",
      })
      .example("$0 cluster start-local", `3 brokers on ${LOCAL_HOST}:9092-9094, data under ./data (same as: npm start)`)
      .example("$0 cluster start-local --brokers 5 --data-dir data-5", `5 brokers on ${LOCAL_HOST}:9092-9096, data under ./data-5`)
      .example("$0 cluster start-local --config-dir my-configs --raw-logs", "the brokers of my-configs/broker-N.json, pino JSON logs")
      .example("$0 cluster start-local --secure", "3 brokers with TLS on (wss://); then: set -a; . ./data/client.env; set +a; rlog-cli cluster status")
      .epilog(
        "A data directory belongs to the brokers that first ran on it: start-local refuses a different broker count there " +
          "(DATA_DIR_MISMATCH) instead of mixing two clusters' data. Ctrl-C stops the brokers one at a time; a second Ctrl-C kills them.",
      ),
  handler: async (args) => {
    if (args["config-dir"] !== undefined && (args.brokers !== undefined || args["data-dir"] !== undefined)) {
      throw usageError("--config-dir names its own brokers and data directories: give either --config-dir, or --brokers and --data-dir");
    }
    if (args["config-dir"] !== undefined && args.secure) {
      throw usageError("--secure makes its own certificates for generated configs; with --config-dir, set the tls keys in those configs instead");
    }
    const source: LocalClusterSource =
      args["config-dir"] !== undefined
        ? { kind: "configDir", configDir: args["config-dir"] }
        : {
            kind: "generated",
            brokers: args.brokers === undefined ? LOCAL_BROKERS_DEFAULT : parseInteger("--brokers", args.brokers, LOCAL_BROKERS_MIN, LOCAL_BROKERS_MAX),
            dataRoot: args["data-dir"] ?? LOCAL_DATA_ROOT_DEFAULT,
            secure: args.secure,
          };
    const { runLocalCluster } = await import("../local-cluster.js");
    process.exitCode = await runLocalCluster({ source, rawLogs: args["raw-logs"], gc: args.gc });
  },
};

interface StatusArgs extends ConnectionArgs, JsonArgs {
  readonly "timeout-ms": unknown;
  readonly "include-internal": boolean;
}

const statusCommand: CommandModule<object, StatusArgs> = {
  command: "status",
  describe: "Brokers (reachable or not), the controller, and per partition: leader, preferred leader, term, high watermark, log start, replica lags",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .option("timeout-ms", { requiresArg: true, default: 3_000, describe: "How long to wait for each broker's answer" })
      .option("include-internal", { type: "boolean", default: false, describe: "Also list the partitions of internal topics (names starting __, e.g. __consumer_offsets)" })
      .example("$0 cluster status", "tables for the local cluster")
      .example("$0 cluster status --json --brokers ws://10.0.0.5:9092", "as JSON; every broker the first one names is asked too")
      .epilog("Every broker is asked: each knows replica lags only for the partitions it leads. A broker that does not answer shows as unreachable."),
  handler: async (args) => {
    const timeoutMs = parseInteger("--timeout-ms", args["timeout-ms"], 1);
    const { clusterStatus } = await import("../admin/cluster-status.js");
    await clusterStatus({ brokers: args.brokers, timeoutMs, json: args.json, includeInternal: args["include-internal"] });
  },
};

/** The `cluster` command group. */
export const clusterCommand: CommandModule = {
  command: "cluster",
  describe: "Cluster: start-local (run a local cluster), status (brokers, controller, partitions)",
  builder: (y: Argv) => y.command(startLocalCommand).command(statusCommand).demandCommand(1, "name a cluster subcommand: start-local or status"),
  handler: () => undefined,
};
