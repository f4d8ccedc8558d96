/** `rlog-cli consume <topic>`: print a topic's records on stdout. */
import type { Argv, CommandModule } from "yargs";
import { parseOptionalInteger, parseSeparator, usageError, withBrokers, type ConnectionArgs } from "../options.js";

/** The output formats: the list of cli/consume/record-format.ts (not loaded at start-up; a test checks they agree). */
export const CONSUME_FORMATS = ["value", "key-value", "json"] as const;

interface ConsumeCommandArgs extends ConnectionArgs {
  readonly topic: string;
  readonly "from-beginning": boolean;
  readonly offset: unknown;
  readonly partition: unknown;
  readonly "max-messages": unknown;
  readonly follow: boolean;
  readonly group: string | undefined;
  readonly format: (typeof CONSUME_FORMATS)[number];
  readonly json: boolean;
  readonly "key-separator": string;
}

/** The `consume` command. */
export const consumeCommand: CommandModule<object, ConsumeCommandArgs> = {
  command: "consume <topic>",
  describe: "Print a topic's records on stdout, one per line",
  builder: (y: Argv<object>) =>
    withBrokers(y)
      .positional("topic", { type: "string", demandOption: true, describe: "Topic to read" })
      .option("from-beginning", { type: "boolean", default: false, describe: "Start at each partition's log start (also the default without --follow)" })
      .option("offset", { requiresArg: true, describe: "Start at this offset (needs --partition)" })
      .option("partition", { requiresArg: true, describe: "Read only this partition (default: all)" })
      .option("max-messages", { alias: "n", requiresArg: true, describe: "Exit after printing this many records" })
      .option("follow", { type: "boolean", default: false, describe: "Keep waiting for new records (without it: stop at each partition's high watermark as of the start); Ctrl-C ends it" })
      .option("group", { type: "string", requiresArg: true, describe: "Read as a member of this consumer group: its share of the partitions, from the committed offsets; what was printed is committed on exit" })
      .option("format", { type: "string", choices: CONSUME_FORMATS, default: "value" as const, describe: "value: the value; key-value: key, separator, value; json: one JSON object per record" })
      .option("json", { type: "boolean", default: false, describe: "Same as --format json" })
      .option("key-separator", { alias: "k", type: "string", default: "\\t", defaultDescription: '"\\t" (a tab)', requiresArg: true, describe: "Separator for --format key-value (escapes \\t \\n \\r \\0 \\\\ \\xHH understood)" })
      .example("$0 consume orders", "every record there now, then exit")
      .example("$0 consume orders --follow", "only new records, until Ctrl-C")
      .example('$0 consume events --from-beginning --format key-value --key-separator "\\t"', "keys and values, tab-separated")
      .example("$0 consume events --partition 2 --offset 1000 -n 10 --json", "ten records of partition 2 from offset 1000, as JSON lines")
      .example("$0 consume orders --group billing -n 100", "the next 100 records for group billing; the next run continues after them")
      .epilog(
        "Within a partition records are printed in offset order; across partitions they interleave as they arrive.\n" +
          "JSON lines: {partition, offset, timestamp, key, value}; key and value are UTF-8 strings, or base64 with keyEncoding/valueEncoding \"base64\" when not valid UTF-8.\n" +
          "Exit status 0 at the end or after --max-messages, 130 after Ctrl-C.",
      ),
  handler: async (args) => {
    if (args.group !== undefined) {
      if (args.group === "") throw usageError("--group needs a group id");
      if (args.offset !== undefined || args.partition !== undefined) {
        throw usageError("--group reads the partitions the group assigns, from its committed offsets; --offset and --partition do not go with it (move a group with: rlog-cli group reset-offsets)");
      }
      const request = {
        brokers: args.brokers,
        topic: args.topic,
        group: args.group,
        fromBeginning: args["from-beginning"],
        maxMessages: parseOptionalInteger("--max-messages", args["max-messages"], 0),
        follow: args.follow,
        format: args.json ? ("json" as const) : args.format,
        keySeparator: parseSeparator("--key-separator", args["key-separator"]),
      };
      const { groupConsume } = await import("../consume/group-consume.js");
      await groupConsume(request);
      return;
    }
    const offset = parseOptionalInteger("--offset", args.offset, 0);
    const partition = parseOptionalInteger("--partition", args.partition, 0);
    if (offset !== undefined && partition === undefined) throw usageError("--offset needs --partition: an offset belongs to one partition");
    if (offset !== undefined && args["from-beginning"]) throw usageError("--offset and --from-beginning both say where to start; give one");
    const request = {
      brokers: args.brokers,
      topic: args.topic,
      fromBeginning: args["from-beginning"],
      offset,
      partition,
      maxMessages: parseOptionalInteger("--max-messages", args["max-messages"], 0),
      follow: args.follow,
      format: args.json ? ("json" as const) : args.format,
      keySeparator: parseSeparator("--key-separator", args["key-separator"]),
    };
    const { consume } = await import("../consume/consume.js");
    await consume(request);
  },
};
