/**
 * `rlog-cli broker start|add|remove|list|decommission`: run one broker in the
 * foreground; add a broker to a running cluster, remove one, list them, move
 * every replica off one (docs/OPERATIONS.md).
 */
import type { Argv, CommandModule } from "yargs";
import { parseInteger, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

/** Largest broker id (FIXED_LIMITS.brokerIdMax; a literal here keeps start-up light). */
const BROKER_ID_MAX = 0x7fff_ffff;
/** Largest port number. */
const PORT_MAX = 65_535;
import { waitMs, withWait, type WaitArgs } from "./partition.js";

interface StartArgs {
  readonly config: string | undefined;
}

const startCommand: CommandModule<object, StartArgs> = {
  command: "start",
  describe: "Run a broker in the foreground (logs on stdout; SIGTERM or Ctrl-C for a controlled shutdown)",
  builder: (y: Argv<object>) =>
    y
      .option("config", { type: "string", describe: "Broker config file (JSON); RLOG_* variables apply on top" })
      .example("$0 broker start --config config/broker.json", "a single broker on ws://127.0.0.1:9092")
      .example("RLOG_CLUSTER_SECRET=... $0 broker start --config config/cluster-3/broker-2.json", "broker 2 of the local 3-broker cluster (the same secret on all three)"),
  handler: async (args) => {
    const { runBroker } = await import("../../broker/main.js");
    await runBroker(args.config === undefined ? {} : { configFile: args.config });
  },
};

interface AddArgs extends ConnectionArgs, JsonArgs {
  readonly id: unknown;
  readonly host: string;
  readonly "client-port": unknown;
  readonly "peer-port": unknown;
  readonly "kafka-port": unknown;
}

const addCommand: CommandModule<object, AddArgs> = {
  command: "add <id>",
  describe: "Register a new broker with the running cluster (then start it)",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("id", { describe: "The new broker's id (one the cluster does not know)", demandOption: true })
      .option("host", { type: "string", requiresArg: true, demandOption: true, describe: "Its advertised host: where clients and peers connect" })
      .option("client-port", { requiresArg: true, demandOption: true, describe: "Its client listener port" })
      .option("peer-port", { requiresArg: true, demandOption: true, describe: "Its peer listener port" })
      .option("kafka-port", { requiresArg: true, describe: "Its Kafka-protocol listener port (its kafkaPort), advertised to Kafka clients" })
      .example("$0 broker add 4 --host 10.0.0.14 --client-port 9092 --peer-port 9192", "register broker 4, then start it with a config listing brokers 1..4")
      .example("$0 broker add 4 --host 10.0.0.14 --client-port 9092 --peer-port 9192 --kafka-port 19092", "the same, with a Kafka listener")
      .epilog("The new broker follows the metadata as a controller learner; new topics may place replicas on it once it is live. See docs/OPERATIONS.md, \"Adding a broker\"."),
  handler: async (args) => {
    const id = parseInteger("<id>", args.id, 1, BROKER_ID_MAX);
    const clientPort = parseInteger("--client-port", args["client-port"], 1, PORT_MAX);
    const peerPort = parseInteger("--peer-port", args["peer-port"], 1, PORT_MAX);
    const kafkaPort = args["kafka-port"] === undefined ? undefined : parseInteger("--kafka-port", args["kafka-port"], 1, PORT_MAX);
    const { addBroker } = await import("../admin/broker-actions.js");
    await addBroker({ brokers: args.brokers, json: args.json, id, host: args.host, clientPort, peerPort, ...(kafkaPort === undefined ? {} : { kafkaPort }) });
  },
};

interface IdArgs extends ConnectionArgs, JsonArgs {
  readonly id: unknown;
}

const removeCommand: CommandModule<object, IdArgs> = {
  command: "remove <id>",
  describe: "Unregister a broker that holds no replicas and is no controller voter (then stop it)",
  builder: (y: Argv<object>) => withJson(withBrokers(y)).positional("id", { describe: "The broker's id", demandOption: true }),
  handler: async (args) => {
    const id = parseInteger("<id>", args.id, 1, BROKER_ID_MAX);
    const { removeBroker } = await import("../admin/broker-actions.js");
    await removeBroker({ brokers: args.brokers, json: args.json, id });
  },
};

const listCommand: CommandModule<object, ConnectionArgs & JsonArgs> = {
  command: "list",
  describe: "Every broker: addresses, configured or registered, live, controller role (voter/learner), replicas held",
  builder: (y: Argv<object>) => withJson(withBrokers(y)),
  handler: async (args) => {
    const { listBrokers } = await import("../admin/broker-actions.js");
    await listBrokers({ brokers: args.brokers, json: args.json });
  },
};

interface DecommissionCommandArgs extends ConnectionArgs, JsonArgs, WaitArgs {
  readonly id: unknown;
}

const decommissionCommand: CommandModule<object, DecommissionCommandArgs> = {
  command: "decommission <id>",
  describe: "Move every partition replica off a broker, so that it can be retired",
  builder: (y: Argv<object>) =>
    withWait(withJson(withBrokers(y), "Print the moves started as JSON"))
      .positional("id", { demandOption: true, describe: "Broker id" })
      .example("$0 broker decommission 3 --wait", "empty broker 3; return once every move completed")
      .epilog("Each replica goes to the live broker with the fewest replicas not already in that partition's list. The broker's controller vote is not touched (see docs/OPERATIONS.md)."),
  handler: async (args) => {
    const { decommissionBroker } = await import("../admin/reassign-actions.js");
    await decommissionBroker({ brokers: args.brokers, brokerId: parseInteger("<id>", args.id, 1), waitMs: waitMs(args), json: args.json });
  },
};

/** The `broker` command group. */
export const brokerCommand: CommandModule = {
  command: "broker <command>",
  describe: "Brokers: start (run one), add, remove, list, decommission",
  builder: (y: Argv) => y.command(startCommand).command(addCommand).command(removeCommand).command(listCommand).command(decommissionCommand).demandCommand(1),
  handler: () => undefined,
};
