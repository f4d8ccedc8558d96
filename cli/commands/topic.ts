/** `rlog-cli topic create|alter|list|describe|delete`: manage topics. */
import type { Argv, CommandModule } from "yargs";
import { parseInteger, parseTopicConfig, TOPIC_CONFIG_KEYS, usageError, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

/** The topic-settings flags of `topic create` and `topic alter`. */
interface SettingsArgs {
  /** One string, or several when --config is repeated. */
  readonly config: string | string[] | undefined;
  readonly compression: "producer" | "none" | "gzip" | "lz4" | "zstd" | undefined;
}

interface CreateArgs extends ConnectionArgs, JsonArgs, SettingsArgs {
  readonly name: string;
  readonly partitions: unknown;
  readonly "replication-factor": unknown;
}

const configHelp = Object.entries(TOPIC_CONFIG_KEYS)
  .map(([k, v]) => `  ${k}: ${v.describe}`)
  .join("\n");

/** Adds --compression (described as `compressionWhat`) and the repeatable --config key=value. */
function withTopicSettings<T>(y: Argv<T>, compressionWhat: string): Argv<T & SettingsArgs> {
  return y
    .option("compression", {
      type: "string",
      choices: ["producer", "none", "gzip", "lz4", "zstd"] as const,
      describe: compressionWhat,
    })
    .option("config", { type: "string", requiresArg: true, describe: `Topic setting key=value, repeatable: ${Object.keys(TOPIC_CONFIG_KEYS).join(", ")} (Kafka spellings like retention.ms work too)` }) as unknown as Argv<T & SettingsArgs>;
}

/** The settings given by --config and --compression (empty when neither). */
function topicSettings(args: SettingsArgs): ReturnType<typeof parseTopicConfig> & { compression?: NonNullable<SettingsArgs["compression"]> } {
  return {
    ...parseTopicConfig(args.config === undefined ? [] : [args.config].flat()),
    ...(args.compression === undefined ? {} : { compression: args.compression }),
  };
}

const createCommand: CommandModule<object, CreateArgs> = {
  command: "create <name>",
  describe: "Create a topic",
  builder: (y: Argv<object>) =>
    withTopicSettings(withJson(withBrokers(y), "Print the created topic as JSON"), "Compression of stored batches: producer (default: keep what each producer sent) or a codec the leader re-encodes to")
      .positional("name", { type: "string", demandOption: true, describe: "Topic name: letters, digits, '.', '_', '-' (not starting with \"__\")" })
      .option("partitions", { alias: "p", demandOption: true, requiresArg: true, describe: "Number of partitions (integer >= 1)" })
      .option("replication-factor", { alias: "r", demandOption: true, requiresArg: true, describe: "Replicas per partition (integer >= 1, at most the number of brokers)" })
      .example("$0 topic create orders --partitions 3 --replication-factor 3", "three partitions, each on all three brokers")
      .example("$0 topic create logs -p 6 -r 2 --config retentionMs=86400000 --config segmentBytes=16777216", "keep one day, 16 MiB segments")
      .example("$0 topic create metrics -p 3 -r 3 --compression zstd", "store every batch zstd-compressed, whatever producers send")
      .epilog(`Topic settings (--config), integers; unset ones take the broker's defaults:\n${configHelp}`),
  handler: async (args) => {
    const request = {
      brokers: args.brokers,
      name: args.name,
      partitions: parseInteger("--partitions", args.partitions, 1),
      replicationFactor: parseInteger("--replication-factor", args["replication-factor"], 1),
      config: topicSettings(args),
      json: args.json,
    };
    const { createTopic } = await import("../admin/topic-actions.js");
    await createTopic(request);
  },
};

interface AlterArgs extends ConnectionArgs, JsonArgs, SettingsArgs {
  readonly name: string;
  readonly partitions: unknown;
}

const alterCommand: CommandModule<object, AlterArgs> = {
  command: "alter <name>",
  describe: "Add partitions to a topic (never fewer) and/or change its settings",
  builder: (y: Argv<object>) =>
    withTopicSettings(withJson(withBrokers(y), "Print the altered topic as JSON"), "Compression of batches stored from now on: producer (keep what each producer sent) or a codec the leader re-encodes to")
      .positional("name", { type: "string", demandOption: true, describe: "Topic name" })
      .option("partitions", { alias: "p", requiresArg: true, describe: "New partition count: more than the topic has (keyed records then hash over the new count)" })
      .example("$0 topic alter orders --partitions 6", "grow orders to six partitions")
      .example("$0 topic alter logs --config retentionMs=3600000 --config retention.bytes=1073741824", "keep one hour and at most 1 GiB per partition")
      .epilog(`Unchanged settings keep their values. Retention changes are applied at once; segment settings from the next segment roll.\nTopic settings (--config), integers:\n${configHelp}`),
  handler: async (args) => {
    const config = topicSettings(args);
    const partitions = args.partitions === undefined ? undefined : parseInteger("--partitions", args.partitions, 1);
    if (partitions === undefined && Object.keys(config).length === 0) throw usageError("topic alter: give --partitions, --config or --compression (nothing to change)");
    const { alterTopic } = await import("../admin/topic-actions.js");
    await alterTopic({ brokers: args.brokers, name: args.name, ...(partitions === undefined ? {} : { partitions }), config, json: args.json });
  },
};

interface ListArgs extends ConnectionArgs, JsonArgs {
  readonly internal: boolean;
}

const listCommand: CommandModule<object, ListArgs> = {
  command: "list",
  describe: "List topics with their partition count and replication factor",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .option("internal", { type: "boolean", default: false, describe: "Include internal topics (names starting with \"__\")" })
      .example("$0 topic list", "a table of topics")
      .example("$0 topic list --json --brokers ws://10.0.0.5:9092", "as JSON, from another cluster"),
  handler: async (args) => {
    const { listTopics } = await import("../admin/topic-actions.js");
    await listTopics({ brokers: args.brokers, internal: args.internal, json: args.json });
  },
};

interface NameArgs extends ConnectionArgs, JsonArgs {
  readonly name: string;
}

const describeCommand: CommandModule<object, NameArgs> = {
  command: "describe <name>",
  describe: "Show a topic's settings and, per partition, its leader, replicas (preferred first) and Raft term",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("name", { type: "string", demandOption: true, describe: "Topic name" })
      .example("$0 topic describe orders", "settings line and a partition table")
      .example("$0 topic describe orders --json", "the same as JSON"),
  handler: async (args) => {
    const { describeTopic } = await import("../admin/topic-actions.js");
    await describeTopic({ brokers: args.brokers, name: args.name, json: args.json });
  },
};

const deleteCommand: CommandModule<object, NameArgs> = {
  command: "delete <name>",
  describe: "Delete a topic and all its records",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y))
      .positional("name", { type: "string", demandOption: true, describe: "Topic name" })
      .example("$0 topic delete orders", "gone, records and all"),
  handler: async (args) => {
    const { deleteTopic } = await import("../admin/topic-actions.js");
    await deleteTopic({ brokers: args.brokers, name: args.name, json: args.json });
  },
};

/** The `topic` command group. */
export const topicCommand: CommandModule<object, object> = {
  command: "topic",
  describe: "Topics: create, alter, list, describe, delete",
  builder: (y: Argv<object>) =>
    y
      .command(createCommand)
      .command(alterCommand)
      .command(listCommand)
      .command(describeCommand)
      .command(deleteCommand)
      .demandCommand(1, "name a topic subcommand: create, alter, list, describe or delete"),
  handler: () => undefined,
};
