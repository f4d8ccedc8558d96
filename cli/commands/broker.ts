/** `rlog-cli broker start --config F`: run one broker in the foreground; `broker decommission <id>`: empty a broker. */
import type { Argv, CommandModule } from "yargs";
import { parseInteger, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";
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
  describe: "Run or decommission a broker",
  builder: (y: Argv) => y.command(startCommand).command(decommissionCommand).demandCommand(1),
  handler: () => undefined,
};
