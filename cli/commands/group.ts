/** `rlog-cli group list|describe|reset-offsets`: consumer groups. */
import type { Argv, CommandModule } from "yargs";
import { parseInteger, parseOptionalInteger, usageError, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

const listCommand: CommandModule<object, ConnectionArgs & JsonArgs> = {
  command: "list",
  describe: "List consumer groups with their state and member count (every broker is asked; each knows the groups it coordinates)",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .example("$0 group list", "a table of groups")
      .example("$0 group list --json", "the same as JSON"),
  handler: async (args) => {
    const { listGroups } = await import("../group/group-actions.js");
    await listGroups({ brokers: args.brokers, json: args.json });
  },
};

interface DescribeArgs extends ConnectionArgs, JsonArgs {
  readonly group: string;
}

const describeCommand: CommandModule<object, DescribeArgs> = {
  command: "describe <group>",
  describe: "Show a group's state, members and, per partition, its committed offset, high watermark, lag and owner",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("group", { type: "string", demandOption: true, describe: "Group id" })
      .example("$0 group describe billing", "members and a lag table")
      .example("$0 group describe billing --json", "the same as JSON"),
  handler: async (args) => {
    const { describeGroup } = await import("../group/group-actions.js");
    await describeGroup({ brokers: args.brokers, group: args.group, json: args.json });
  },
};

interface ResetArgs extends ConnectionArgs, JsonArgs {
  readonly group: string;
  readonly topic: string;
  readonly partition: unknown;
  readonly "to-earliest": boolean;
  readonly "to-latest": boolean;
  readonly "to-offset": unknown;
  readonly "to-timestamp": unknown;
}

const resetCommand: CommandModule<object, ResetArgs> = {
  command: "reset-offsets <group>",
  describe: "Set a group's committed offsets for a topic (the group must have no running members)",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("group", { type: "string", demandOption: true, describe: "Group id" })
      .option("topic", { type: "string", demandOption: true, requiresArg: true, describe: "Topic whose offsets to set" })
      .option("partition", { requiresArg: true, describe: "Only this partition (repeatable); default: all of the topic's" })
      .option("to-earliest", { type: "boolean", default: false, describe: "Each partition's log start" })
      .option("to-latest", { type: "boolean", default: false, describe: "Each partition's high watermark (skip everything there now)" })
      .option("to-offset", { requiresArg: true, describe: "This offset, on every chosen partition" })
      .option("to-timestamp", { requiresArg: true, describe: "Each partition's first record at or after this time (ms since the epoch)" })
      .example("$0 group reset-offsets billing --topic orders --to-earliest", "read orders again from the start")
      .example("$0 group reset-offsets billing --topic orders --to-offset 1000 --partition 2", "partition 2 resumes at offset 1000")
      .epilog("Give exactly one of --to-earliest, --to-latest, --to-offset, --to-timestamp. Refused with GROUP_NOT_EMPTY while the group has members: stop its consumers first."),
  handler: async (args) => {
    const targets = [args["to-earliest"], args["to-latest"], args["to-offset"] !== undefined, args["to-timestamp"] !== undefined].filter(Boolean).length;
    if (targets !== 1) throw usageError("give exactly one of --to-earliest, --to-latest, --to-offset N, --to-timestamp MS");
    const offset = parseOptionalInteger("--to-offset", args["to-offset"], 0);
    const timestampMs = parseOptionalInteger("--to-timestamp", args["to-timestamp"], 0);
    const to = args["to-earliest"] ? ("earliest" as const) : args["to-latest"] ? ("latest" as const) : offset !== undefined ? { offset } : { timestampMs: timestampMs! };
    const partitions = args.partition === undefined ? undefined : [args.partition].flat().map((p) => parseInteger("--partition", p, 0));
    const { resetOffsets } = await import("../group/group-actions.js");
    await resetOffsets({ brokers: args.brokers, group: args.group, topic: args.topic, partitions, to, json: args.json });
  },
};

/** The `group` command group. */
export const groupCommand: CommandModule<object, object> = {
  command: "group",
  describe: "Consumer groups: list, describe (lag), reset-offsets",
  builder: (y: Argv<object>) =>
    y
      .command(listCommand)
      .command(describeCommand)
      .command(resetCommand)
      .demandCommand(1, "name a group subcommand: list, describe or reset-offsets"),
  handler: () => undefined,
};
