/** `rlog-cli broker start --config F`: run one broker in the foreground. */
import type { Argv, CommandModule } from "yargs";

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

/** The `broker` command group. */
export const brokerCommand: CommandModule = {
  command: "broker <command>",
  describe: "Run a broker",
  builder: (y: Argv) => y.command(startCommand).demandCommand(1),
  handler: () => undefined,
};
