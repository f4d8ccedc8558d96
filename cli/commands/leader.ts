/** `rlog-cli leader transfer|rebalance`: move partition leadership. */
import type { Argv, CommandModule } from "yargs";
import { parseInteger, parseOptionalInteger, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

interface TransferCommandArgs extends ConnectionArgs, JsonArgs {
  readonly topic: string;
  readonly partition: unknown;
  readonly to: unknown;
  readonly "timeout-ms": unknown;
}

const transferCommand: CommandModule<object, TransferCommandArgs> = {
  command: "transfer <topic> <partition>",
  describe: "Move a partition's leadership to another replica; returns once the new leader holds it",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("topic", { type: "string", demandOption: true, describe: "Topic" })
      .positional("partition", { demandOption: true, describe: "Partition number" })
      .option("to", { requiresArg: true, describe: "Target broker id (one of the partition's replicas); default: the most preferred caught-up replica" })
      .option("timeout-ms", { requiresArg: true, default: 10_000, describe: "How long the leader may take to hand over" })
      .example("$0 leader transfer orders 0 --to 2", "broker 2 leads orders/0")
      .example("$0 leader transfer orders 0", "back to the most preferred caught-up replica")
      .epilog("With automatic preferred-leader transfer on (raft.preferredLeaderCheckTicks > 0), a caught-up preferred replica takes leadership back within one check interval."),
  handler: async (args) => {
    const request = {
      brokers: args.brokers,
      topic: args.topic,
      partition: parseInteger("<partition>", args.partition, 0),
      to: parseOptionalInteger("--to", args.to, 1),
      timeoutMs: parseInteger("--timeout-ms", args["timeout-ms"], 1),
      json: args.json,
    };
    const { transferLeader } = await import("../admin/leader-actions.js");
    await transferLeader(request);
  },
};

interface RebalanceCommandArgs extends ConnectionArgs, JsonArgs {
  readonly topic: string | undefined;
}

const rebalanceCommand: CommandModule<object, RebalanceCommandArgs> = {
  command: "rebalance",
  describe: "Move every partition's leadership (or one topic's) back to its preferred replica",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .option("topic", { type: "string", requiresArg: true, describe: "Only this topic's partitions" })
      .example("$0 leader rebalance", "all topics")
      .example("$0 leader rebalance --topic orders --json", "one topic; the moves started, as JSON"),
  handler: async (args) => {
    const { rebalanceLeaders } = await import("../admin/leader-actions.js");
    await rebalanceLeaders({ brokers: args.brokers, topic: args.topic, json: args.json });
  },
};

/** The `leader` command group. */
export const leaderCommand: CommandModule<object, object> = {
  command: "leader",
  describe: "Partition leadership: transfer, rebalance (back to the preferred replicas)",
  builder: (y: Argv<object>) => y.command(transferCommand).command(rebalanceCommand).demandCommand(1, "name a leader subcommand: transfer or rebalance"),
  handler: () => undefined,
};
