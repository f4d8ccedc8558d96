/** `rlog-cli produce <topic>`: write stdin (or a file) to a topic, one record per line. */
import type { Argv, CommandModule } from "yargs";
import { parseOptionalInteger, parseSeparator, withBrokers, withJson, type ConnectionArgs, type JsonArgs } from "../options.js";

interface ProduceCommandArgs extends ConnectionArgs, JsonArgs {
  readonly topic: string;
  readonly file: string | undefined;
  readonly "key-separator": string | undefined;
  readonly acks: "all" | "leader";
  readonly partition: unknown;
  readonly compression: "none" | "gzip" | "lz4" | "zstd";
}

/** The `produce` command. */
export const produceCommand: CommandModule<object, ProduceCommandArgs> = {
  command: "produce <topic>",
  describe: "Write one record per line of stdin (or --file) to a topic; a summary goes to stderr",
  builder: (y: Argv<object>) =>
    withJson(withBrokers(y), "Print the summary as JSON on stdout instead of a line on stderr")
      .positional("topic", { type: "string", demandOption: true, describe: "Topic to write to" })
      .option("file", { alias: "f", type: "string", requiresArg: true, describe: "Read lines from this file instead of stdin" })
      .option("key-separator", {
        alias: "k",
        type: "string",
        requiresArg: true,
        describe: 'Split each line at the first occurrence into KEY and VALUE (escapes \\t \\n \\r \\0 \\\\ \\xHH understood); a line without it is an error',
      })
      .option("acks", { type: "string", choices: ["all", "leader"] as const, default: "all" as const, describe: "all: acknowledged once committed by Raft; leader: once the leader appended (may be lost on failover)" })
      .option("partition", { requiresArg: true, describe: "Write every record to this partition (default: by key hash; keyless records fill one partition's batch, then the next)" })
      .option("compression", { type: "string", choices: ["none", "gzip", "lz4", "zstd"] as const, default: "none" as const, describe: "Codec of each record batch (a topic whose compression setting names a codec re-encodes)" })
      .example("seq 1 100000 | $0 produce numbers", "100,000 keyless records")
      .example('printf "user-1\\tlogin\\nuser-2\\tlogout\\n" | $0 produce events --key-separator "\\t"', "keyed records: same key, same partition, in order")
      .example("$0 produce events --file events.txt --acks leader --json", "from a file, faster acks, JSON summary")
      .epilog(
        "Lines end at \\n (a \\r before it is dropped); a last line without \\n is sent too. Reading pauses while 16,384 records (or 8 MiB) await acknowledgement (back-pressure).\n" +
          "Ctrl-C stops reading, waits until every line already read is acknowledged, prints the summary and exits 130 (a second Ctrl-C exits at once).",
      ),
  handler: async (args) => {
    const request = {
      brokers: args.brokers,
      topic: args.topic,
      file: args.file,
      keySeparator: args["key-separator"] === undefined ? undefined : parseSeparator("--key-separator", args["key-separator"]),
      acks: args.acks,
      compression: args.compression,
      partition: parseOptionalInteger("--partition", args.partition, 0),
      json: args.json,
    };
    const { produce } = await import("../produce/produce.js");
    await produce(request);
  },
};
